#include "comparisonchart.h"

#include "chartstyle.h"
#include "plotitems.h"
#include "util/sysinfo.h"

#include <QFontMetricsF>
#include <QTransform>
#include <algorithm>
#include <functional>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

namespace {

constexpr double kGroupWidth = 0.8;  // ComparisonModel's group width (plot coords)

// The box a QCPItemText draws its text in (pixels), as QCPItemText::draw lays it out.
QRectF textBox(const QCPItemText *item)
{
    const QFontMetricsF fm(item->font());
    const QRectF text = fm.boundingRect(QRectF(0, 0, 0, 0), Qt::TextDontClip | item->textAlignment(), item->text());
    const QMargins pad = item->padding();
    QRectF box = text.adjusted(-pad.left(), -pad.top(), pad.right(), pad.bottom());
    const Qt::Alignment a = item->positionAlignment();
    QPointF topLeft(0, 0);
    if (a & Qt::AlignHCenter)
        topLeft.rx() -= box.width() / 2;
    else if (a & Qt::AlignRight)
        topLeft.rx() -= box.width();
    if (a & Qt::AlignVCenter)
        topLeft.ry() -= box.height() / 2;
    else if (a & Qt::AlignBottom)
        topLeft.ry() -= box.height();
    box.moveTopLeft(topLeft);
    QTransform t;
    const QPointF pos = item->position->pixelPosition();
    t.translate(pos.x(), pos.y());
    t.rotate(item->rotation());
    return t.mapRect(box);
}

QString wrapped(QString label)
{
    const auto space = label.indexOf(QLatin1Char(' '));
    if (space > 0)
        label.replace(space, 1, QStringLiteral("\n"));
    return label;
}

double widestLine(const QFontMetricsF &fm, const QString &text)
{
    double w = 0;
    for (const QString &line : text.split(QLatin1Char('\n')))
        w = std::max(w, fm.horizontalAdvance(line));
    return w;
}

} // namespace

ComparisonChart::ComparisonChart(QWidget *parent) : ChartWidget(parent)
{
    // Each panel has a title row above it; the legend is kept (hidden) out of the layout so
    // clearing the layout does not delete it.
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->legend->setVisible(false);
    QCPLayoutGrid *grid = m_plot->plotLayout();
    grid->clear();
    m_title = new QCPTextElement(m_plot, QString());
    grid->addElement(0, 0, m_title);
    auto *panels = new QCPLayoutGrid;
    m_panels = panels;
    grid->addElement(1, 0, panels);
    grid->setRowStretchFactor(0, 0.001);
    grid->setRowSpacing(0);
    for (int p = 0; p < PanelCount; ++p) {
        m_panelTitles[p] = new QCPTextElement(m_plot, QString());
        m_panelTitles[p]->setMargins(QMargins(4, 2, 4, 0));
        m_rects[p] = new QCPAxisRect(m_plot);
        const int row = (p / 2) * 2;
        panels->addElement(row, p % 2, m_panelTitles[p]);
        panels->addElement(row + 1, p % 2, m_rects[p]);
        m_rects[p]->axis(QCPAxis::atBottom)->grid()->setVisible(false);
    }
    panels->setRowStretchFactors({0.001, 1, 0.001, 1});
    panels->setColumnSpacing(20);
    panels->setRowSpacing(2);
    // Names and value labels are fitted once the layout knows each panel's size (on screen
    // and in exports, which lay the plot out at their own size).
    connect(m_plot, &QCustomPlot::afterLayout, this, &ComparisonChart::fitToLayout);
    initStyle();
    setModel(new ComparisonModel(this));
}

ComparisonChart::~ComparisonChart() = default;

int ComparisonChart::barCount(Panel panel) const
{
    int n = 0;
    for (QCPBars *b : m_bars[panel])
        n += b->dataCount();
    return n;
}

void ComparisonChart::setModel(ComparisonModel *model)
{
    if (!replaceModel(m_model, model))
        return;
    // Items and bars follow the model at once (exports are right at any moment).
    connect(model, &ComparisonModel::changed, this, &ComparisonChart::rebuild);
    rebuild();
}

void ComparisonChart::setMachineCores(int cores)
{
    m_model->setMachineCores(cores);
}

void ComparisonChart::setRuns(const std::vector<RunRecord> &runs)
{
    m_model->setRuns(runs);
}

void ComparisonChart::clear()
{
    m_model->clear();
}

void ComparisonChart::applyThemeColors(bool)
{
    rebuild();  // value labels and reference lines take theme colours
}

QString ComparisonChart::panelTitle(Panel panel) const
{
    return m_panelTitles[panel]->text();
}

QStringList ComparisonChart::barNames() const
{
    QStringList names;
    auto ticker = m_rects[WallTime]->axis(QCPAxis::atBottom)->ticker().dynamicCast<QCPAxisTickerText>();
    if (ticker)
        for (auto it = ticker->ticks().constBegin(); it != ticker->ticks().constEnd(); ++it)
            names << it.value();
    return names;
}

std::vector<ComparisonChart::LabelBox> ComparisonChart::valueLabelBoxes() const
{
    std::vector<LabelBox> out;
    for (const ValueLabel &l : m_labels)
        if (l.item->visible())  // a bar too narrow for its figure draws none
            out.push_back({Panel(l.panel), l.item->text(), textBox(l.item), QRectF(m_rects[l.panel]->rect())});
    return out;
}

QString ComparisonChart::titleShown() const
{
    return m_title->visible() ? m_title->text() : QString();
}

void ComparisonChart::rebuild()
{
    if (!m_model)
        return;
    m_plot->clearItems();
    m_plot->clearPlottables();
    for (auto &v : m_bars)
        v.clear();
    m_labels.clear();
    for (QString &mode : m_nameMode)
        mode.clear();
    if (m_legendMode) {
        m_legendMode = false;
        if (m_plot->legend->layout()) {
            m_plot->plotLayout()->take(m_plot->legend);
            m_plot->plotLayout()->simplify();
        }
        m_plot->legend->setVisible(false);
    }
    const bool dark = isDark();
    const ChartPalette pal = chartPalette(dark);

    const QStringList models = m_model->models();
    const std::vector<ComparisonModel::Bar> &placements = m_model->bars();
    const int machineCores = m_model->machineCores();
    const int reps = m_model->maxRepetitions();

    setTitle(m_model->title());
    m_fullTitles[WallTime] = reps > 1 ? tr("Wall time (s): median of %1, bars: min–max").arg(reps) : tr("Wall time (s)");
    m_shortTitles[WallTime] = reps > 1 ? tr("Wall (s), median of %1").arg(reps) : tr("Wall time (s)");
    m_fullTitles[Speedup] = tr("Speedup (×)   - - ideal = workers");
    m_shortTitles[Speedup] = tr("Speedup, - - ideal");
    m_fullTitles[Efficiency] = tr("Efficiency (%)   - - 100 %");
    m_shortTitles[Efficiency] = tr("Efficiency (%)");
    m_fullTitles[BusyCores] = machineCores == 1 ? tr("Busy cores   - - 1 core") : tr("Busy cores   - - %1 cores").arg(machineCores);
    m_shortTitles[BusyCores] = tr("Busy cores");
    for (int p = 0; p < PanelCount; ++p)
        m_panelTitles[p]->setText(m_fullTitles[p]);

    QFont valueFont = m_plot->font();
    valueFont.setPointSizeF(kTickFontPt);
    valueFont.setBold(true);

    // Speedup and efficiency need a sequential run of the same family: when no run has either
    // (models compared side by side, or every run failed) both panels are left out and one
    // note says why, instead of "n/a" or "error" under every bar of two empty panels.
    bool anyRatio = false, anyBaseline = false;
    for (const ComparisonModel::Bar &b : placements)
        anyRatio = anyRatio || b.value[Speedup] || b.value[Efficiency];
    for (const QString &m : models)
        anyBaseline = anyBaseline || m_model->hasBaseline(m);
    const bool ratios = anyRatio || models.isEmpty();
    m_shown[Speedup] = m_shown[Efficiency] = ratios;
    m_note = ratios ? QString()
             : anyBaseline ? tr("No speedup or efficiency: no run has one (see the errors)")
                           : tr("No speedup or efficiency: no sequential run to compare with");

    for (int p = 0; p < PanelCount; ++p) {
        QCPAxisRect *rect = m_rects[p];
        QCPAxis *x = rect->axis(QCPAxis::atBottom);
        QCPAxis *y = rect->axis(QCPAxis::atLeft);
        y->setLabel(QString());
        auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
        for (int m = 0; m < int(models.size()); ++m)
            ticker->addTick(m, modelLabel(models[m]));
        x->setTicker(ticker);
        x->setTickLabelRotation(0);
        x->setSubTicks(false);
        x->setTickLength(0, 4);
        x->setRange(-0.6, std::max<double>(0.6, models.size() - 0.4));

        double maxValue = 0;
        for (int m = 0; m < int(models.size()); ++m) {
            auto *bars = new QCPBars(x, y);
            bars->setAntialiased(false);
            bars->setWidthType(QCPBars::wtPlotCoords);
            const QColor c = modelColor(models[m], dark);
            bars->setBrush(c);
            bars->setPen(QPen(c.darker(dark ? 100 : 130), 1));
            bars->setName(modelLabel(models[m]));
            double width = kGroupWidth;
            bool hatched = false;
            for (const ComparisonModel::Bar &s : placements) {
                if (s.group != m || !m_shown[p])
                    continue;
                width = s.width;
                QString marks;
                if (s.disturbed)
                    marks += QStringLiteral("⚠");
                if (s.tasksFailed > 0) {
                    marks += QStringLiteral("✖");
                    hatched = true;
                }
                auto *label = new QCPItemText(m_plot);
                label->setClipToAxisRect(false);
                label->position->setAxes(x, y);
                label->setFont(valueFont);
                label->setProperty("labKeepColor", true);
                ValueLabel vl{label, p, s.key, 0, QColor()};
                if (!s.value[p]) {
                    const bool allFailed = s.tasksTotal > 0 && s.tasksFailed >= s.tasksTotal;
                    label->setText(marks + (s.failed || allFailed ? tr("error") : tr("n/a")));
                } else {
                    const double v = *s.value[p];
                    bars->addData(s.key, v);
                    maxValue = std::max(maxValue, v);
                    QString text;
                    // Digits as the size needs them: 9.14, 14.9, 123; 1.94×, 16.8×, 117×; a
                    // wall time under 0.1 s keeps two significant digits (0.0031, not 0.00).
                    const int digits = v < 10 ? 2 : (v < 100 ? 1 : 0);
                    const int wallDigits = v > 0 && v < 0.1 ? std::min(6, 1 - int(std::floor(std::log10(v)))) : digits;
                    switch (p) {
                    case WallTime: text = QString::number(v, 'f', wallDigits); break;
                    case Speedup: text = QString::number(v, 'f', digits) + QStringLiteral("×"); break;
                    case Efficiency: text = QString::number(v, 'f', 0) + QStringLiteral(" %"); break;
                    default: text = QString::number(v, 'f', 2); break;
                    }
                    if (s.cancelled)
                        text += QStringLiteral(" ■");  // stopped: the run did not finish
                    label->setText(marks + text);
                    vl.value = v;
                    vl.barColor = hatched ? QColor() : c;  // text on a hatched bar would not read
                }
                label->setProperty("labSlot", s.width / 0.9);
                m_labels.push_back(vl);

                if (p == WallTime && s.repetitions > 1) {
                    // Min–max of the repetitions: a whisker with caps.
                    auto line = [&](double x0, double y0, double x1, double y1) {
                        auto *l = new QCPItemLine(m_plot);
                        l->start->setAxes(x, y);
                        l->end->setAxes(x, y);
                        l->start->setCoords(x0, y0);
                        l->end->setCoords(x1, y1);
                        l->setPen(QPen(pal.foreground, 2));
                        l->setClipAxisRect(rect);
                    };
                    const double cap = s.width * 0.18;
                    line(s.key + s.width * 0.3, s.minWall, s.key + s.width * 0.3, s.maxWall);
                    line(s.key + s.width * 0.3 - cap, s.minWall, s.key + s.width * 0.3 + cap, s.minWall);
                    line(s.key + s.width * 0.3 - cap, s.maxWall, s.key + s.width * 0.3 + cap, s.maxWall);
                    maxValue = std::max(maxValue, s.maxWall);
                }
            }
            if (hatched) {
                bars->setBrush(QBrush(c, Qt::BDiagPattern));
                bars->setPen(QPen(c, 2));
            }
            // One legend entry per model (shown when the bars are too narrow for names).
            if (p != WallTime)
                bars->removeFromLegend();
            bars->setWidth(width);
            m_bars[p].push_back(bars);
        }

        // Reference lines: the ideal speedup (= workers of each model), 100 % efficiency, the
        // machine's cores. They are explained in the panel's title, never labelled on the line.
        auto refLine = [&](double x0, double x1, double value) {
            auto *line = new QCPItemLine(m_plot);
            line->start->setAxes(x, y);
            line->end->setAxes(x, y);
            line->start->setCoords(x0, value);
            line->end->setCoords(x1, value);
            line->setPen(QPen(pal.foreground, 2, Qt::DashLine));
            line->setClipAxisRect(rect);
            maxValue = std::max(maxValue, value);
        };
        if (!m_shown[p]) {
            // left out: no reference line either
        } else if (p == Speedup) {
            for (int m = 0; m < int(models.size()); ++m) {
                const int workers = m_model->idealSpeedup(m);
                if (workers > 0)
                    refLine(m - 0.45, m + 0.45, workers);
            }
        } else if (p == Efficiency && !models.isEmpty()) {
            refLine(-0.6, models.size() - 0.4, 100);
        } else if (p == BusyCores && !models.isEmpty()) {
            refLine(-0.6, models.size() - 0.4, machineCores);
        }
        m_dataTop[p] = maxValue;
        y->setRange(0, maxValue > 0 ? maxValue * 1.25 : 1);
    }
    applyProjectorStyle(m_plot, dark);  // new items: same property value, no recursion
    QFont titleFont = m_plot->font();
    titleFont.setPointSizeF(kLegendFontPt);
    titleFont.setBold(true);
    const int titleHeight = int(QFontMetricsF(titleFont).height()) + 4;
    for (QCPTextElement *t : m_panelTitles) {
        t->setFont(titleFont);
        t->setTextColor(pal.foreground);
        t->setMaximumSize(1000000, titleHeight);  // the bars get the height, never the titles
    }
    m_title->setFont(titleFont);
    m_title->setTextColor(pal.foreground);
    setTitle(m_title->text());  // its height follows the font
    markDirty();
}

bool ComparisonChart::arrangePanels(int columns)
{
    if (columns == m_columns && std::equal(std::begin(m_shown), std::end(m_shown), std::begin(m_arrangedShown)))
        return false;
    m_columns = columns;
    std::copy(std::begin(m_shown), std::end(m_shown), std::begin(m_arrangedShown));
    for (int p = 0; p < PanelCount; ++p) {
        if (m_panelTitles[p]->layout() == m_panels)
            m_panels->take(m_panelTitles[p]);
        if (m_rects[p]->layout() == m_panels)
            m_panels->take(m_rects[p]);
        m_panelTitles[p]->setVisible(m_shown[p]);
        m_rects[p]->setVisible(m_shown[p]);
    }
    m_panels->simplify();
    int shown = 0;
    for (bool s : m_shown)
        shown += s ? 1 : 0;
    columns = std::min(columns, std::max(1, shown));
    for (int p = 0, v = 0; p < PanelCount; ++p) {
        if (!m_shown[p])
            continue;
        const int row = (v / columns) * 2;
        m_panels->addElement(row, v % columns, m_panelTitles[p]);
        m_panels->addElement(row + 1, v % columns, m_rects[p]);
        ++v;
    }
    QList<double> stretch;
    for (int r = 0; r < m_panels->rowCount(); ++r)
        stretch << (r % 2 == 0 ? 0.001 : 1.0);
    m_panels->setRowStretchFactors(stretch);
    for (int c = 0; c < m_panels->columnCount(); ++c)
        m_panels->setColumnStretchFactor(c, 1);
    return true;
}

bool ComparisonChart::fitLegendMode()
{
    // Names under the bars when they fit, flat or wrapped; else one legend row under the
    // panels, in bar order. Always the registry's names: a name is never shortened (the
    // class reads "Processes" in the legend, on the bars and in the table alike).
    const QStringList models = m_model->models();
    const int n = std::max(1, int(models.size()));
    bool legend = false;
    int narrowest = 0;  // of the panels shown (their axes' labels differ in width)
    for (int p = 0; p < PanelCount; ++p)
        if (m_shown[size_t(p)] && m_rects[p]->rect().width() > 0)
            narrowest = narrowest > 0 ? std::min(narrowest, m_rects[p]->rect().width()) : m_rects[p]->rect().width();
    if (narrowest > 0 && !models.isEmpty()) {
        const QFontMetricsF fm(m_rects[WallTime]->axis(QCPAxis::atBottom)->tickLabelFont());
        const double slot = narrowest / (n + 0.2) - 6;
        double widestWrapped = 0;
        for (const QString &m : models)
            widestWrapped = std::max(widestWrapped, widestLine(fm, wrapped(modelLabel(m))));
        legend = widestWrapped > slot;
    }
    if (legend == m_legendMode)
        return false;
    m_legendMode = legend;
    QCPLayoutGrid *grid = m_plot->plotLayout();
    QCPLegend *l = m_plot->legend;
    if (legend) {
        if (!l->layout()) {
            grid->addElement(2, 0, l);
            grid->setRowStretchFactor(2, 0.001);
        }
        l->setVisible(true);
        l->setMargins(QMargins(8, 2, 8, 2));
        l->setColumnSpacing(14);
        l->setBorderPen(Qt::NoPen);
        QFont small = l->font();
        small.setPointSizeF(kTickFontPt - 3);
        l->setFont(small);
        l->setIconSize(20, 12);
        const QFontMetricsF fm(l->font());
        double widest = 0;
        for (const QString &m : models)
            widest = std::max(widest, fm.horizontalAdvance(modelLabel(m)));
        l->setWrap(std::max(1, int((m_plot->viewport().width() - 20) / (widest + l->iconSize().width() + 30))));
        l->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
        for (int p = 0; p < PanelCount; ++p) {
            auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
            for (int m = 0; m < int(models.size()); ++m)
                ticker->addTick(m, QString());
            QCPAxis *x = m_rects[p]->axis(QCPAxis::atBottom);
            x->setTicker(ticker);
            x->setTickLabelRotation(0);
            m_nameMode[p] = QStringLiteral("legend");
        }
    } else {
        if (l->layout()) {
            grid->take(l);
            grid->simplify();
        }
        l->setVisible(false);
        for (QString &mode : m_nameMode)
            mode.clear();
    }
    return true;
}

bool ComparisonChart::fitNames(int panel, double slotPx)
{
    // The first form whose widest line fits the bar's slot: the name, or the name on two
    // lines. Where neither fits, fitLegendMode() has put the names in the legend instead.
    QCPAxis *x = m_rects[panel]->axis(QCPAxis::atBottom);
    const QFontMetricsF fm(x->tickLabelFont());
    const QStringList models = m_model->models();
    const double room = slotPx - 6;
    double widest = 0;
    for (const QString &m : models)
        widest = std::max(widest, widestLine(fm, modelLabel(m)));
    const QString mode = widest <= room ? QStringLiteral("full") : QStringLiteral("wrapped");
    const auto form = [&](const QString &m) { return mode == QLatin1String("full") ? modelLabel(m) : wrapped(modelLabel(m)); };
    if (m_nameMode[panel] == mode)
        return false;
    m_nameMode[panel] = mode;
    auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    for (int m = 0; m < int(models.size()); ++m)
        ticker->addTick(m, form(models[m]));
    x->setTicker(ticker);
    x->setTickLabelRotation(0);
    return true;
}

void ComparisonChart::setTitle(const QString &title)
{
    m_title->setText(title);
    m_title->setVisible(!title.isEmpty());
    // A hidden title gives its row back: an invisible element still holds its cell's height,
    // its text's line height unless a minimum of its own (1 px) stands in for that.
    const int lines = int(title.count(QLatin1Char('\n'))) + 1;
    m_title->setMaximumSize(1000000, title.isEmpty() ? 0 : int(lines * QFontMetricsF(m_title->font()).lineSpacing()) + 4);
    m_title->setMinimumSize(0, title.isEmpty() ? 1 : 0);
}

void ComparisonChart::fitToLayout()
{
    if (m_fitting || !m_model)
        return;
    m_fitting = true;
    const int n = std::max(1, int(m_model->models().size()));
    auto relayout = [this] { layOutAgain(m_plot); };
    // A short chart gives its title's row to the bars (the window's header names the
    // experiment; exports are tall enough to keep it).
    // A note on panels left out stays, on the title's row.
    auto titleText = [this] {
        QString title = m_plot->viewport().height() >= 360 ? m_model->title() : QString();
        QString note = m_note;
        if (m_valuesHidden)
            note += (note.isEmpty() ? QString() : QStringLiteral(" · ")) + tr("bars too narrow for their values: see the Table");
        if (!note.isEmpty())
            title = title.isEmpty() ? note : title + QStringLiteral("\n") + note;
        return title;
    };
    const QString title = titleText();
    const bool titleChanged = title != m_title->text();
    setTitle(title);
    // Ticks a tick label's height apart at least: a panel's own height decides (the last
    // layout's; a panel 70 px tall has room for three labels of the projector font, not five).
    for (QCPAxisRect *r : m_rects) {
        QCPAxis *y = r->axis(QCPAxis::atLeft);
        const int h = r->rect().height() > 0 ? r->rect().height() : m_plot->viewport().height() / 3;
        fitTickCount(y, h, QFontMetrics(y->tickLabelFont()).height(), 5);
    }
    // Wide and short (the bottom of a 1024x768 window): the four panels in one row.
    const QRect vp = m_plot->viewport();
    const int columns = vp.height() > 0 && double(vp.width()) / vp.height() > 2.6 ? 4 : 2;
    const bool arranged = arrangePanels(columns);
    if (arranged)
        relayout();
    bool changed = fitLegendMode() || titleChanged || arranged;
    for (int p = 0; p < PanelCount && !m_legendMode; ++p) {
        const QRect r = m_rects[p]->rect();
        if (r.width() > 0)
            changed = fitNames(p, r.width() / (n + 0.2)) || changed;
    }
    // Panel titles: the long form when it fits the panel, else the short one.
    for (int p = 0; p < PanelCount; ++p) {
        const QFontMetricsF fm(m_panelTitles[p]->font());
        const QString full = m_fullTitles[p], brief = m_shortTitles[p];
        const QString want = fm.horizontalAdvance(full) + 8 <= m_rects[p]->outerRect().width() ? full : brief;
        if (m_panelTitles[p]->text() != want) {
            m_panelTitles[p]->setText(want);
            changed = true;
        }
    }
    if (changed)
        relayout();

    // Value labels: as large as fits the bar's slot, else smaller, else upright; inside the
    // bar when it is tall enough, else above it, with headroom so none leaves the plot. Bars
    // narrower than a line of the smallest font (24 runs of fault-isolation at 1024x768) get
    // none: upright figures that wide ran into each other. The title row says so.
    bool hidden = false;
    for (int pass = 0; pass < 2; ++pass) {
        hidden = false;
        for (int p = 0; p < PanelCount; ++p) {
            const QRect rect = m_rects[p]->rect();
            if (rect.width() <= 0 || rect.height() <= 0)
                continue;
            const double pxPerUnit = rect.width() / (n + 0.2);
            struct Fit {
                ValueLabel *label;
                double extent;  // vertical pixels the label needs
            };
            std::vector<Fit> fits;
            for (ValueLabel &l : m_labels) {
                if (l.panel != p)
                    continue;
                const double room = l.item->property("labSlot").toDouble() * pxPerUnit - 4;
                QFont f = l.item->font();
                bool upright = false;
                double along = 0, across = 0;
                for (double pt : {kTickFontPt, kTickFontPt - 2, kTickFontPt - 4}) {
                    f.setPointSizeF(pt);
                    const QFontMetricsF fm(f);
                    along = fm.horizontalAdvance(l.item->text()) + 4;
                    across = fm.height() + 4;
                    if (along <= room)
                        break;
                }
                if (along > room) {
                    upright = true;
                    // Upright but taller than the panel: smaller still (the figure must show whole).
                    const double roomUp = rect.height() - 8;
                    if (along > roomUp && roomUp > 0) {
                        f.setPointSizeF(std::max(6.5, f.pointSizeF() * roomUp / along));
                        const QFontMetricsF fm(f);
                        along = fm.horizontalAdvance(l.item->text()) + 4;
                    }
                }
                l.item->setFont(f);
                l.item->setRotation(upright ? -90 : 0);
                QFont smallest = f;
                smallest.setPointSizeF(6.5);
                const bool crowded = upright && room < QFontMetricsF(smallest).height();
                l.item->setVisible(!crowded);
                hidden = hidden || crowded;
                fits.push_back({&l, upright ? along : across});
            }
            // One crowded bar hides the panel's every figure: a few left standing read as if
            // the others had none.
            bool panelCrowded = false;
            for (const Fit &f : fits)
                panelCrowded = panelCrowded || !f.label->item->visible();
            if (panelCrowded) {
                for (const Fit &f : fits)
                    f.label->item->setVisible(false);
                fits.clear();
            }
            // Headroom: the range's top is raised until every label above its bar fits.
            const double h = rect.height();
            double top = m_dataTop[p] > 0 ? m_dataTop[p] * 1.05 : 1;
            for (int iter = 0; iter < 3; ++iter) {
                for (const Fit &f : fits) {
                    const double barPx = f.label->value / top * h;
                    const bool inside = f.label->barColor.isValid() && barPx >= f.extent + 6;
                    if (!inside && h > 2 * (f.extent + 6))
                        top = std::max(top, f.label->value * h / (h - f.extent - 6));
                }
            }
            m_rects[p]->axis(QCPAxis::atLeft)->setRange(0, top);
            const ChartPalette pal = chartPalette(isDark());
            for (const Fit &f : fits) {
                ValueLabel &l = *f.label;
                const double barPx = l.value / top * h;
                const bool inside = l.barColor.isValid() && barPx >= f.extent + 6;
                const bool upright = l.item->rotation() != 0;
                const bool roomAbove = h - barPx >= f.extent + 4;
                l.item->position->setCoords(l.key, l.value);
                l.item->setBrush(Qt::NoBrush);
                if (!inside && !roomAbove) {
                    // A panel too short for the label above its bar: it stands on the axis, boxed.
                    l.item->position->setCoords(l.key, 0);
                    l.item->setColor(pal.foreground);
                    l.item->setBrush(pal.legendBackground);
                    l.item->setPositionAlignment(upright ? (Qt::AlignLeft | Qt::AlignVCenter) : (Qt::AlignHCenter | Qt::AlignBottom));
                    l.item->setPadding(upright ? QMargins(3, 0, 0, 0) : QMargins(0, 0, 0, 3));
                } else if (inside) {
                    const bool lightBar = qGray(l.barColor.rgb()) > 140;
                    l.item->setColor(lightBar ? QColor(0x10, 0x10, 0x10) : QColor(Qt::white));
                    // Upright text is turned counter-clockwise: its end is towards the top.
                    l.item->setPositionAlignment(upright ? (Qt::AlignRight | Qt::AlignVCenter) : (Qt::AlignHCenter | Qt::AlignTop));
                    l.item->setPadding(upright ? QMargins(0, 0, 4, 0) : QMargins(0, 4, 0, 0));
                } else {
                    l.item->setColor(pal.foreground);
                    l.item->setPositionAlignment(upright ? (Qt::AlignLeft | Qt::AlignVCenter) : (Qt::AlignHCenter | Qt::AlignBottom));
                    l.item->setPadding(upright ? QMargins(3, 0, 0, 0) : QMargins(0, 0, 0, 3));
                }
            }
        }
        relayout();  // the new ranges may change the tick labels' width
    }
    if (hidden != m_valuesHidden) {
        m_valuesHidden = hidden;
        setTitle(titleText());
        relayout();
    }
    m_fitting = false;
}

} // namespace lab
