#include "barpanelschart.h"

#include "chartstyle.h"
#include "plotitems.h"

#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

BarPanelsChart::BarPanelsChart(QWidget *parent) : ChartWidget(parent), m_emptyText(tr("Nothing measured yet"))
{
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->legend->setVisible(false);
    m_plot->plotLayout()->clear();
    // Titles are fitted to where the layout put the bars (on screen and in exports).
    connect(m_plot, &QCustomPlot::afterLayout, this, [this] {
        if (fitTitles())
            layOutAgain(m_plot);
    });
    initStyle();
    setModel(new BarPanelsModel(this));
}

BarPanelsChart::~BarPanelsChart() = default;

void BarPanelsChart::setModel(BarPanelsModel *model)
{
    if (!replaceModel(m_model, model))
        return;
    connect(model, &BarPanelsModel::changed, this, [this] {
        rebuild();
        markDirty();
    });
    rebuild();
    markDirty();
}

void BarPanelsChart::setEmptyText(const QString &text)
{
    m_emptyText = text;
    rebuild();
    markDirty();
}

void BarPanelsChart::restyle()
{
    applyProjectorStyle(m_plot, isDark());
    rebuild();
    markDirty();
}

void BarPanelsChart::applyThemeColors(bool)
{
    if (!m_inRebuild)
        rebuild();
}

QFont BarPanelsChart::valueFont() const
{
    QFont f = m_plot->font();
    f.setPointSizeF(kTickFontPt * styleFontScale(m_plot));
    f.setBold(true);
    return f;
}

int BarPanelsChart::heightForFullSizeValues() const
{
    const int rowPx = QFontMetrics(valueFont()).height() + 8;
    int needed = 0;
    if (m_model)
        for (const BarPanel &panel : m_model->panels())
            needed += int(panel.rows.size()) * rowPx + 110;  // plus its value axis and title
    return needed;
}

void BarPanelsChart::rebuild()
{
    if (!m_model || m_inRebuild)
        return;
    m_inRebuild = true;
    m_plot->clearItems();
    m_plot->clearPlottables();
    m_plot->plotLayout()->clear();  // deletes the old axis rects and texts
    m_rects.clear();
    m_titles.clear();
    m_rowNames.clear();
    m_extents.clear();

    const bool dark = isDark();
    const ChartPalette pal = chartPalette(dark);
    const double fs = styleFontScale(m_plot), ls = styleLineScale(m_plot);
    const QFont valueFont = this->valueFont();

    const std::vector<BarPanel> &panels = m_model->panels();
    if (panels.empty()) {
        auto *text = new QCPTextElement(m_plot, m_emptyText, valueFont);
        text->setTextColor(pal.foreground);
        m_plot->plotLayout()->addElement(0, 0, text);
        m_inRebuild = false;
        return;
    }
    if (!m_margins)
        m_margins = new QCPMarginGroup(m_plot);
    QCPMarginGroup *margins = m_margins;
    for (int p = 0; p < int(panels.size()); ++p) {
        const BarPanel &panel = panels[size_t(p)];
        auto *rect = new QCPAxisRect(m_plot);
        m_plot->plotLayout()->addElement(p, 0, rect);
        m_rects.push_back(rect);
        rect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
        rect->setRangeDrag(Qt::Orientations());
        rect->setRangeZoom(Qt::Orientations());
        QCPAxis *value = rect->axis(QCPAxis::atBottom);
        QCPAxis *key = rect->axis(QCPAxis::atLeft);
        m_titles.push_back(panel.title);
        key->grid()->setVisible(false);

        auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
        double maxValue = 0;
        bool paired = false;
        // One model in the panel (the GIL's rows of an experiment of variants): the variant says it all.
        const bool oneModel = std::all_of(panel.rows.begin(), panel.rows.end(),
                                          [&](const BarPanel::Row &r) { return r.model == panel.rows.front().model; });
        RowNames names;
        for (int i = 0; i < int(panel.rows.size()); ++i) {
            const BarPanel::Row &row = panel.rows[size_t(i)];
            QString label = modelLabel(row.model);
            const auto space = label.indexOf(QLatin1Char(' '));
            QString grouped;
            if (!row.variant.isEmpty()) {  // one bar per variant and model: say which
                label = oneModel ? row.variant : row.variant + QLatin1Char('\n') + modelLabel(row.model);
                const bool first = i == 0 || panel.rows[size_t(i - 1)].variant != row.variant;
                grouped = oneModel ? row.variant
                                   : (first ? row.variant + QStringLiteral("  ") : QString()) + modelLabel(row.model);
            } else if (label.size() > 12 && space > 0) {
                label.replace(space, 1, QStringLiteral("\n"));  // narrow docks: two short lines
                grouped = label;  // a matter of width: kept
            } else {
                grouped = label;
            }
            if (!row.suffix.isEmpty()) {
                label = QStringLiteral("%1\n%2").arg(label, row.suffix);
                grouped = label;  // the suffix is a line of its own either way
            }
            names.stacked << label;
            names.grouped << grouped;
            ticker->addTick(i, label);
            for (const std::optional<double> &v : {row.value, row.second})
                if (v && std::isfinite(*v))
                    maxValue = std::max(maxValue, *v);
            paired = paired || row.hasSecond;
        }
        key->setTicker(ticker);
        m_rowNames.push_back(names);
        key->setSubTicks(false);
        key->setTickLength(0, 4);
        key->setRangeReversed(true);  // first row on top
        key->setRange(-0.6, double(panel.rows.size()) - 0.4);
        if (maxValue <= 0)
            maxValue = panel.reference.value_or(1.0);
        // Room on the right for the value text: a first guess, fitted to the panel's width
        // once it is laid out (fitTitles).
        double upper = maxValue * (paired ? 2.4 : 1.6);
        if (panel.reference)
            upper = std::max(upper, *panel.reference * 1.2);
        value->setRange(0, upper);
        // Each bar a text line at least (two of them for a pair): the panel's height follows
        // its rows, so the beside/alone pairs of a round-trip panel do not run together.
        const int lines = int(panel.rows.size()) * (paired ? 2 : 1);
        m_extents.push_back({maxValue, panel.reference ? *panel.reference * 1.05 : 0.0, paired ? 0.38 : 1.0, {}});
        m_plot->plotLayout()->setRowStretchFactor(p, std::max(1, lines));
        rect->setMinimumSize(0, int(lines * QFontMetricsF(valueFont).height() * 1.1) + 4);

        auto addBar = [&](double at, double width, const QString &model, const std::optional<double> &v,
                          const QString &label, bool faded) {
            QColor color = modelColor(model);
            if (faded)
                color.setAlpha(110);
            auto *bars = new QCPBars(key, value);
            bars->setAntialiased(false);
            bars->setWidth(width);
            bars->setPen(QPen(modelColor(model).darker(130), 1.5 * ls));
            bars->setBrush(color);
            bars->setSelectable(QCP::stNone);
            if (v && std::isfinite(*v))
                bars->addData(at, *v);
            auto *text = new QCPItemText(m_plot);
            text->setClipAxisRect(rect);
            text->position->setAxisRect(rect);
            text->position->setAxes(value, key);
            text->position->setCoords(v && std::isfinite(*v) ? *v : 0.0, at);
            text->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
            text->setPadding(QMargins(int(6 * fs), 0, 0, 0));
            QFont f = valueFont;
            if (faded)
                f.setBold(false);
            text->setFont(f);
            text->setColor(pal.foreground);
            text->setText(label.isEmpty() ? QStringLiteral("–") : label);
            text->setProperty("labKeepColor", true);
            m_extents.back().labels.push_back({text, v && std::isfinite(*v) ? *v : 0.0, f.pointSizeF()});
        };
        for (int i = 0; i < int(panel.rows.size()); ++i) {
            const BarPanel::Row &row = panel.rows[size_t(i)];
            if (row.hasSecond) {
                addBar(i - 0.19, 0.36, row.model, row.value, row.valueText, false);
                addBar(i + 0.19, 0.36, row.model, row.second, row.secondText, true);
            } else {
                addBar(i, 0.7, row.model, row.value, row.valueText, row.faded);
            }
        }
        if (panel.reference) {
            auto *line = new QCPItemStraightLine(m_plot);
            line->setClipAxisRect(rect);
            line->point1->setAxisRect(rect);
            line->point2->setAxisRect(rect);
            line->point1->setAxes(value, key);
            line->point2->setAxes(value, key);
            line->point1->setCoords(*panel.reference, 0);
            line->point2->setCoords(*panel.reference, 1);
            line->setPen(QPen(pal.foreground, 1.5 * ls, Qt::DashLine));
        }
    }
    applyProjectorStyle(m_plot, dark);  // the new axes get the theme, fonts and pens
    fitTitles();                         // with the fonts the style gave them
    m_inRebuild = false;
}

bool BarPanelsChart::fitTitles()
{
    bool changed = false;
    for (size_t i = 0; i < m_rects.size() && i < m_titles.size(); ++i) {
        QCPAxis *value = m_rects[i]->axis(QCPAxis::atBottom);
        // The title is centred under the bars (known after a layout): it may reach as far to
        // each side as the nearer edge of the plot allows.
        const QRect r = m_rects[i]->rect();
        const int centre = r.center().x();
        const int room = r.width() > 0 ? 2 * std::min(centre, m_plot->width() - centre) - 8 : width() - 40;
        QString title = m_titles[i];
        const int mid = int(title.lastIndexOf(QLatin1Char(' '), title.size() / 2 + 2));
        if (QFontMetrics(value->labelFont()).horizontalAdvance(title) > room && mid > 0)
            title[mid] = QLatin1Char('\n');  // "GIL switches per secon" at 1024x768
        // Value ticks two label widths apart ("0100200300400500" in a narrow dock).
        fitTickCount(value, room, QFontMetrics(value->tickLabelFont()).horizontalAdvance(QStringLiteral("500")), 5);
        // Headroom for the value texts: every bar's end plus its text inside the panel
        // ("6.25 m" at the dock's edge with a fixed 1.6x).
        if (i < m_extents.size() && r.width() > 40 && m_extents[i].maxValue > 0) {
            const Extent &e = m_extents[i];
            double upper = std::max(e.maxValue * 1.05, e.minUpper);
            // A text wider than the panel is set smaller until it fits; one that takes
            // nearly the whole panel leaves its bar a few pixels: the figure must read whole.
            const double pad = 6 * styleFontScale(m_plot) + 4;
            for (const Extent::Label &l : e.labels) {
                QFont f = l.item->font();
                f.setPointSizeF(l.pointSize);
                double textPx = QFontMetricsF(f).horizontalAdvance(l.item->text()) + pad;
                // Its line's share of the panel's height bounds it too (nine rows in a dock).
                // (One row collides with nothing: it may take the panel's height and a little.)
                const double rows = m_rects[i]->axis(QCPAxis::atLeft)->range().size() - 0.2;
                const double pitch = rows < 1.5 ? r.height() + 6.0 : e.pitch * r.height() / (rows + 0.2);
                const double scale = std::min((r.width() - 8 - pad) / std::max(1.0, textPx - pad),
                                              pitch / QFontMetricsF(f).height());
                if (scale < 1) {
                    f.setPointSizeF(std::max(7.0, l.pointSize * scale));
                    textPx = QFontMetricsF(f).horizontalAdvance(l.item->text()) + pad;
                }
                if (l.item->font().pointSizeF() != f.pointSizeF()) {
                    l.item->setFont(f);
                    changed = true;
                }
                upper = std::max(upper, l.value * r.width() / std::max(8.0, r.width() - textPx));
            }
            if (std::abs(value->range().upper - upper) > 1e-9 * upper) {
                value->setRange(0, upper);
                changed = true;
            }
        }
        if (value->label() != title) {
            value->setLabel(title);
            changed = true;
        }
        // Row names on two lines need two lines of room per row; else one line each, the
        // variant named once for its group (2 px of hysteresis).
        if (i < m_rowNames.size() && r.height() > 0) {
            RowNames &names = m_rowNames[i];
            QCPAxis *key = m_rects[i]->axis(QCPAxis::atLeft);
            const double rowPx = r.height() / std::max(1.0, key->range().size());
            const double line = QFontMetricsF(key->tickLabelFont()).height();
            const bool twoLines = std::any_of(names.stacked.begin(), names.stacked.end(),
                                              [](const QString &n) { return n.contains(QLatin1Char('\n')); });
            const bool want = twoLines && names.stacked != names.grouped
                              && rowPx < 2 * line + (names.usingGrouped ? 2 : 0);
            if (want != names.usingGrouped) {
                names.usingGrouped = want;
                auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
                const QStringList &use = want ? names.grouped : names.stacked;
                for (int k = 0; k < use.size(); ++k)
                    ticker->addTick(k, use[k]);
                key->setTicker(ticker);
                changed = true;
            }
        }
    }
    if (changed)
        markDirty();
    return changed;
}

void BarPanelsChart::resizeEvent(QResizeEvent *event)
{
    ChartWidget::resizeEvent(event);
    fitTitles();
}

} // namespace lab
