#include "throughputchart.h"

#include "chartstyle.h"
#include "plotitems.h"

#include <QThread>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

ThroughputChart::ThroughputChart(QWidget *parent) : ChartWidget(parent)
{
    placeLegendOnTop(m_plot, 2);  // long model names: two per row fit a half-width chart
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    m_plot->xAxis->setLabel(tr("time since run start (s)"));
    m_plot->yAxis2->setVisible(false);

    m_refLine = new QCPItemStraightLine(m_plot);
    m_refLine->setSelectable(false);
    m_refLine->setVisible(false);
    m_refLabel = new QCPItemText(m_plot);
    m_refLabel->setLayer(QStringLiteral("axes"));  // above the lines, which are added later
    m_refLabel->setSelectable(false);
    m_refLabel->setVisible(false);
    m_refLabel->setProperty("labKeepColor", true);
    QFont refFont = m_plot->font();
    refFont.setPointSizeF(kTickFontPt);
    refFont.setBold(true);
    m_refLabel->setFont(refFont);
    m_refLabel->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    m_refLabel->position->setTypeY(QCPItemPosition::ptPlotCoords);
    m_refLabel->position->setAxes(m_plot->xAxis, m_plot->yAxis);
    m_refLabel->position->setAxisRect(m_plot->axisRect());
    // Right end, above the line: faster models finish sooner, so that corner is usually free.
    m_refLabel->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
    m_refLabel->setPadding(QMargins(4, 1, 4, 6));

    initStyle();
    updateLabels();
    updateAxes();
    m_timer.setInterval(50);
    connect(&m_timer, &QTimer::timeout, this, &ThroughputChart::onTick);
    m_timer.start();
}

ThroughputChart::~ThroughputChart() = default;

double ThroughputChart::smoothingWindow(double wall_s, int tasks)
{
    // Wide enough to hold about 20 task completions (or an eighth of the run), at most half
    // the run and 2 s, in whole 100 ms bins.
    if (wall_s <= 0)
        return 0.1;
    const double perTask = tasks > 0 ? wall_s / tasks : wall_s;
    const double w = std::min({std::max(20 * perTask, wall_s / 8), wall_s / 2, 2.0});
    return std::max(0.1, std::round(w / 0.1) * 0.1);
}

int ThroughputChart::pointCount(const QString &model) const
{
    const auto it = m_lines.constFind(model);
    return it == m_lines.constEnd() || !it->rate ? 0 : it->rate->dataCount();
}

void ThroughputChart::clear()
{
    for (const Lines &l : std::as_const(m_lines)) {
        m_plot->removePlottable(l.rate);
        if (l.mb)
            m_plot->removePlottable(l.mb);
    }
    m_lines.clear();
    m_order.clear();
    m_smoothing = 0;
    updateLabels();
    changed();
}

ThroughputChart::Lines &ThroughputChart::linesFor(const QString &model)
{
    auto it = m_lines.find(model);
    if (it != m_lines.end())
        return *it;
    Lines l;
    l.rate = new PiecewiseGraph(m_plot->xAxis, m_plot->yAxis);
    l.rate->setName(modelLabel(model));
    l.rate->setAdaptiveSampling(true);
    l.mb = new PiecewiseGraph(m_plot->xAxis, m_plot->yAxis2);
    l.mb->setName(modelLabel(model) + QStringLiteral(" MB/s"));
    l.mb->removeFromLegend();
    l.mb->setVisible(m_io);
    m_order.append(model);
    it = m_lines.insert(model, l);
    updatePens();
    return *it;
}

void ThroughputChart::beginRun(const QString &model)
{
    Lines &l = linesFor(model);
    l.rate->data()->clear();
    l.mb->data()->clear();
    changed();
}

void ThroughputChart::addPoint(const QString &model, double tRel, double tasksPerS, double mbPerS)
{
    Q_ASSERT(QThread::currentThread() == thread());
    if (!std::isfinite(tRel))
        return;
    Lines &l = linesFor(model);
    l.rate->addData(tRel, std::isfinite(tasksPerS) ? tasksPerS : qQNaN());
    l.mb->addData(tRel, std::isfinite(mbPerS) ? mbPerS : qQNaN());
    changed();
}

void ThroughputChart::setRunRecord(const RunRecord &r)
{
    Lines &l = linesFor(r.model);
    // 100 ms bins of finished tasks are spiky; a centred moving average shows the rate.
    const double window = smoothingWindow(r.wall_s, r.tasks_ok);
    m_smoothing = std::max(m_smoothing, window);
    const int n = int(r.throughput.size());
    const int half = std::max(0, int(std::lround(window / 0.1)) / 2);
    QVector<QCPGraphData> rate, mb;
    rate.reserve(n + 1);
    mb.reserve(n + 1);
    rate.append(QCPGraphData(0, 0));
    mb.append(QCPGraphData(0, 0));
    for (int i = 0; i < n; ++i) {
        double sumRate = 0, sumMb = 0;
        int count = 0;
        for (int j = std::max(0, i - half); j <= std::min(n - 1, i + half); ++j) {
            sumRate += r.throughput[size_t(j)].tasksPerS;
            sumMb += r.throughput[size_t(j)].mbPerS;
            ++count;
        }
        // Bins end at t_s; plot at the bin's middle (the last one may be partial).
        const double t = std::min(r.throughput[size_t(i)].t_s - 0.05, r.wall_s);
        rate.append(QCPGraphData(t, sumRate / count));
        mb.append(QCPGraphData(t, sumMb / count));
    }
    l.rate->data()->set(rate, true);
    l.mb->data()->set(mb, true);
    updateLabels();
    changed();
}

void ThroughputChart::setReferenceRate(double tasksPerS)
{
    m_reference = std::isfinite(tasksPerS) && tasksPerS > 0 ? tasksPerS : 0;
    changed();
}

void ThroughputChart::setIoMode(bool io)
{
    m_io = io;
    m_plot->yAxis2->setVisible(io);
    for (const Lines &l : std::as_const(m_lines))
        l.mb->setVisible(io);
    updateLabels();
    applyProjectorStyle(m_plot, isDark());
    changed();
}

void ThroughputChart::updateLabels()
{
    const QString unit = m_io ? tr("requests/s") : tr("tasks/s");
    QString label = unit;
    if (m_smoothing > 0.1 + 1e-9)
        label += tr(" (%1 s avg)").arg(m_smoothing, 0, 'f', 1);
    m_plot->yAxis->setLabel(label);
    m_plot->yAxis2->setLabel(tr("MB/s (dashed)"));
}

void ThroughputChart::updatePens()
{
    for (auto it = m_lines.cbegin(); it != m_lines.cend(); ++it) {
        const QColor c = modelColor(it.key());
        const int points = it->rate->dataCount();
        // Few points (typical: 10 per second of run): thick and smooth; dense: plain 2 px.
        const bool few = points <= 400;
        it->rate->setPen(QPen(c, few ? 3.0 : 2.0));
        it->rate->setAntialiased(few);
        it->rate->setScatterStyle(points <= 12 ? QCPScatterStyle(QCPScatterStyle::ssDisc, c, c, 8)
                                               : QCPScatterStyle(QCPScatterStyle::ssNone));
        it->mb->setPen(QPen(c, few ? 2.5 : 1.5, Qt::DashLine));
        it->mb->setAntialiased(few);
    }
}

void ThroughputChart::updateAxes()
{
    double maxT = 1, maxRate = 0, maxMb = 0;
    for (const Lines &l : std::as_const(m_lines)) {
        bool found = false;
        const QCPRange k = l.rate->getKeyRange(found);
        if (found)
            maxT = std::max(maxT, k.upper);
        const QCPRange v = l.rate->getValueRange(found);
        if (found)
            maxRate = std::max(maxRate, v.upper);
        const QCPRange m = l.mb->getValueRange(found);
        if (found)
            maxMb = std::max(maxMb, m.upper);
    }
    maxRate = std::max(maxRate, m_reference);
    m_plot->xAxis->setRange(0, maxT);
    m_plot->yAxis->setRange(0, maxRate > 0 ? maxRate * 1.15 : 1);
    m_plot->yAxis2->setRange(0, maxMb > 0 ? maxMb * 1.15 : 1);

    const bool ref = m_reference > 0;
    m_refLine->setVisible(ref);
    m_refLabel->setVisible(ref);
    if (ref) {
        m_refLine->point1->setCoords(0, m_reference);
        m_refLine->point2->setCoords(1, m_reference);
        m_refLabel->position->setCoords(0.99, m_reference);
        m_refLabel->setText(tr("sequential %1 %2").arg(m_reference, 0, 'f', m_reference < 10 ? 2 : 1)
                                .arg(m_io ? tr("requests/s") : tr("tasks/s")));
    }
}

void ThroughputChart::applyThemeColors(bool dark)
{
    const ChartPalette p = chartPalette(dark);
    QColor refColor = p.foreground;
    m_refLine->setPen(QPen(refColor, 2, Qt::DashLine));
    m_refLabel->setColor(refColor);
    m_refLabel->setBrush(p.legendBackground);
    updatePens();
    changed();
}

void ThroughputChart::changed()
{
    // Axes and pens are cheap to update and must be right for an export at any moment;
    // only the replot waits for the timer.
    updatePens();
    updateAxes();
    m_dirty = true;
}

void ThroughputChart::onTick()
{
    if (!m_dirty || !isVisible())
        return;
    m_dirty = false;
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace lab
