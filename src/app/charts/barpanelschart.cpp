#include "barpanelschart.h"

#include "chartstyle.h"

#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

BarPanelsChart::BarPanelsChart(QWidget *parent) : ChartWidget(parent), m_emptyText(tr("Nothing measured yet"))
{
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->legend->setVisible(false);
    m_plot->plotLayout()->clear();
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

void BarPanelsChart::rebuild()
{
    if (!m_model || m_inRebuild)
        return;
    m_inRebuild = true;
    m_plot->clearItems();
    m_plot->clearPlottables();
    m_plot->plotLayout()->clear();  // deletes the old axis rects and texts
    m_rects.clear();

    const bool dark = isDark();
    const ChartPalette pal = chartPalette(dark);
    const double fs = styleFontScale(m_plot), ls = styleLineScale(m_plot);
    QFont valueFont = m_plot->font();
    valueFont.setPointSizeF(kTickFontPt * fs);
    valueFont.setBold(true);

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
        value->setLabel(panel.title);
        key->grid()->setVisible(false);

        auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
        double maxValue = 0, minValue = 0;
        for (int i = 0; i < int(panel.rows.size()); ++i) {
            const BarPanel::Row &row = panel.rows[size_t(i)];
            ticker->addTick(i, row.suffix.isEmpty() ? modelLabel(row.model)
                                                    : QStringLiteral("%1\n%2").arg(modelLabel(row.model), row.suffix));
            if (row.value && std::isfinite(*row.value) && *row.value > 0) {
                maxValue = std::max(maxValue, *row.value);
                minValue = minValue > 0 ? std::min(minValue, *row.value) : *row.value;
            }
        }
        key->setTicker(ticker);
        key->setSubTicks(false);
        key->setTickLength(0, 4);
        key->setRangeReversed(true);  // first row on top
        key->setRange(-0.6, double(panel.rows.size()) - 0.4);

        if (maxValue <= 0)
            maxValue = panel.reference.value_or(1.0);
        const double base = panel.logScale ? std::max(1e-6, (minValue > 0 ? minValue : maxValue) / 3.0) : 0.0;
        if (panel.logScale) {
            value->setScaleType(QCPAxis::stLogarithmic);
            value->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
            // Room on the right for the value text: about half the decades shown again.
            const double decades = std::max(1.0, std::log10(maxValue / base));
            value->setRange(base, maxValue * std::pow(10.0, decades * 0.9));
        } else {
            double upper = maxValue * 1.6;
            if (panel.reference)
                upper = std::max(upper, *panel.reference * 1.2);
            value->setRange(0, upper);
        }

        for (int i = 0; i < int(panel.rows.size()); ++i) {
            const BarPanel::Row &row = panel.rows[size_t(i)];
            QColor color = modelColor(row.model);
            if (row.faded)
                color.setAlpha(120);
            auto *bars = new QCPBars(key, value);
            bars->setAntialiased(false);
            bars->setWidth(0.7);
            bars->setBaseValue(base);
            bars->setPen(QPen(color.darker(130), 1.0 * ls));
            bars->setBrush(color);
            bars->setSelectable(QCP::stNone);
            if (row.value && std::isfinite(*row.value))
                bars->addData(i, std::max(*row.value, base));

            auto *text = new QCPItemText(m_plot);
            text->setClipAxisRect(rect);
            text->position->setAxisRect(rect);
            text->position->setAxes(value, key);
            const double at = row.value && std::isfinite(*row.value) ? std::max(*row.value, base) : base;
            text->position->setCoords(at, i);
            text->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
            text->setPadding(QMargins(int(6 * fs), 0, 0, 0));
            text->setFont(valueFont);
            text->setColor(pal.foreground);
            text->setText(row.valueText.isEmpty() ? QStringLiteral("–") : row.valueText);
            text->setProperty("labKeepColor", true);
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
    m_inRebuild = false;
}

} // namespace lab
