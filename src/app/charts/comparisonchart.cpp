#include "comparisonchart.h"

#include "chartstyle.h"
#include "util/sysinfo.h"

#include <QHash>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

namespace {

QString shortLabel(const QString &model)
{
    static const QHash<QString, QString> names{
        {QStringLiteral("sequential"), QStringLiteral("Seq")},
        {QStringLiteral("threads"), QStringLiteral("Threads")},
        {QStringLiteral("gil-threads"), QStringLiteral("GIL thr")},
        {QStringLiteral("processes"), QStringLiteral("Procs")},
        {QStringLiteral("async"), QStringLiteral("Async")},
        {QStringLiteral("python-sequential"), QStringLiteral("Py seq")},
        {QStringLiteral("python-threads"), QStringLiteral("Py thr")},
        {QStringLiteral("python-processes"), QStringLiteral("Py proc")}};
    return names.value(model, modelLabel(model));
}

} // namespace

ComparisonChart::ComparisonChart(QWidget *parent) : ChartWidget(parent)
{
    // The panels are labelled on their axes; the legend is kept (hidden) out of the layout so
    // clearing the layout does not delete it.
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->legend->setVisible(false);
    QCPLayoutGrid *grid = m_plot->plotLayout();
    grid->clear();
    for (int p = 0; p < PanelCount; ++p) {
        m_rects[p] = new QCPAxisRect(m_plot);
        grid->addElement(p / 2, p % 2, m_rects[p]);
        m_rects[p]->axis(QCPAxis::atBottom)->grid()->setVisible(false);
    }
    grid->setColumnSpacing(24);
    grid->setRowSpacing(16);
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

void ComparisonChart::rebuild()
{
    if (!m_model)
        return;
    m_plot->clearItems();
    m_plot->clearPlottables();
    for (auto &v : m_bars)
        v.clear();
    const bool dark = isDark();
    const ChartPalette pal = chartPalette(dark);

    const QStringList models = m_model->models();
    const std::vector<ComparisonModel::Bar> &placements = m_model->bars();
    const int machineCores = m_model->machineCores();

    static const char *const titles[PanelCount] = {QT_TR_NOOP("wall time (s)"), QT_TR_NOOP("speedup (×)"),
                                                   QT_TR_NOOP("efficiency (%)"), QT_TR_NOOP("busy cores")};
    QFont valueFont = m_plot->font();
    valueFont.setPointSizeF(kTickFontPt);
    valueFont.setBold(true);

    for (int p = 0; p < PanelCount; ++p) {
        QCPAxisRect *rect = m_rects[p];
        QCPAxis *x = rect->axis(QCPAxis::atBottom);
        QCPAxis *y = rect->axis(QCPAxis::atLeft);
        y->setLabel(tr(titles[p]));
        auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
        for (int m = 0; m < int(models.size()); ++m) {
            // Two-line labels instead of rotated ones (which get cut off in narrow panels);
            // short names once more than four bars share a panel.
            QString label = models.size() > 4 ? shortLabel(models[m]) : modelLabel(models[m]);
            const auto space = label.indexOf(QLatin1Char(' '));
            if (space > 0)
                label.replace(space, 1, QStringLiteral("\n"));
            ticker->addTick(m, label);
        }
        x->setTicker(ticker);
        x->setTickLabelRotation(0);
        x->setSubTicks(false);
        x->setTickLength(0, 4);
        x->setRange(-0.6, std::max<double>(0.6, models.size() - 0.4));

        double maxValue = 0;
        struct PendingLabel {
            double key, value;
            QString text;
            QColor barColor;  // invalid: no bar (n/a, error)
        };
        std::vector<PendingLabel> pending;
        for (int m = 0; m < int(models.size()); ++m) {
            auto *bars = new QCPBars(x, y);
            bars->setAntialiased(false);
            bars->setWidthType(QCPBars::wtPlotCoords);
            const QColor c = modelColor(models[m]);
            bars->setBrush(c);
            bars->setPen(QPen(c.darker(130), 1));
            bars->setName(modelLabel(models[m]));
            double width = 0.8;
            for (const ComparisonModel::Bar &s : placements) {
                if (s.group != m)
                    continue;
                width = s.width;
                if (!s.value[p]) {
                    pending.push_back({s.key, 0, s.failed ? tr("error") : tr("n/a"), QColor()});
                    continue;
                }
                const double v = *s.value[p];
                bars->addData(s.key, v);
                maxValue = std::max(maxValue, v);
                QString text;
                switch (p) {
                case WallTime: text = QString::number(v, 'f', v < 10 ? 2 : 1); break;
                case Speedup: text = QString::number(v, 'f', 2) + QStringLiteral("×"); break;
                case Efficiency: text = QString::number(v, 'f', 0) + QStringLiteral(" %"); break;
                default: text = QString::number(v, 'f', 2); break;
                }
                if (s.cancelled)
                    text += tr(" (stopped)");
                pending.push_back({s.key, v, text, c});
            }
            bars->setWidth(width);
            m_bars[p].push_back(bars);
        }

        // Reference lines: the ideal speedup (= workers of each model), 100 % efficiency, the
        // machine's cores.
        auto refLine = [&](double x0, double x1, double value, const QString &text) {
            auto *line = new QCPItemLine(m_plot);
            line->start->setAxes(x, y);
            line->end->setAxes(x, y);
            line->start->setCoords(x0, value);
            line->end->setCoords(x1, value);
            line->setPen(QPen(pal.foreground, 2, Qt::DashLine));
            line->setClipAxisRect(rect);
            if (!text.isEmpty()) {
                auto *t = new QCPItemText(m_plot);
                t->position->setAxes(x, y);
                t->position->setCoords(x1, value);
                t->setClipAxisRect(rect);
                t->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
                t->setPadding(QMargins(0, 0, 2, 2));
                t->setText(text);
                QFont f = m_plot->font();
                f.setPointSizeF(kTickFontPt - 1);
                f.setBold(true);
                t->setFont(f);
                t->setColor(pal.foreground);
            }
            maxValue = std::max(maxValue, value);
        };
        if (p == Speedup) {
            for (int m = 0; m < int(models.size()); ++m) {
                const int workers = m_model->idealSpeedup(m);
                if (workers > 0)
                    refLine(m - 0.45, m + 0.45, workers, QString());
            }
            if (!models.isEmpty()) {
                auto *t = new QCPItemText(m_plot);
                t->setClipAxisRect(rect);
                t->position->setType(QCPItemPosition::ptAxisRectRatio);
                t->position->setAxisRect(rect);
                t->position->setCoords(0.01, 0.0);
                t->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
                t->setText(tr("- - ideal = workers"));
                QFont f = m_plot->font();
                f.setPointSizeF(kTickFontPt - 1);
                f.setBold(true);
                t->setFont(f);
                t->setColor(pal.foreground);
            }
        } else if (p == Efficiency && !models.isEmpty()) {
            refLine(-0.6, models.size() - 0.4, 100, QString());
        } else if (p == BusyCores && !models.isEmpty()) {
            refLine(-0.6, models.size() - 0.4, machineCores, tr("%1 cores").arg(machineCores));
        }
        // Headroom above the tallest bar for its value label.
        const double top = maxValue > 0 ? maxValue * 1.2 : 1;
        y->setRange(0, top);
        // Value labels inside tall bars (clear of reference lines near the top), else above.
        for (const PendingLabel &l : pending) {
            auto *label = new QCPItemText(m_plot);
            label->setClipToAxisRect(false);
            label->position->setAxes(x, y);
            label->position->setCoords(l.key, l.value);
            label->setFont(valueFont);
            label->setProperty("labKeepColor", true);
            const bool inside = l.barColor.isValid() && l.value >= 0.22 * top;
            if (inside) {
                const bool lightBar = qGray(l.barColor.rgb()) > 140;
                label->setColor(lightBar ? QColor(0x10, 0x10, 0x10) : QColor(Qt::white));
                label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignTop);
                label->setPadding(QMargins(0, 4, 0, 0));
            } else {
                label->setColor(pal.foreground);
                label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
                label->setPadding(QMargins(0, 0, 0, 3));
            }
            label->setText(l.text);
        }
    }
    applyProjectorStyle(m_plot, dark);  // new items: same property value, no recursion
    markDirty();
}

} // namespace lab
