#include "timelinechart.h"

#include "chartstyle.h"
#include "plotitems.h"
#include "util/sysinfo.h"

#include <QJsonArray>
#include <QLocale>
#include <QMouseEvent>
#include <QToolTip>
#include <QThread>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

namespace {
constexpr double kBarHalfHeight = 0.38;   // of a lane
constexpr double kGilTop = 0.14;          // GIL strip: lower part of the bar band
}

// What both layers of the timeline share: drawn from the chart's own data, never selectable,
// no legend icon (the legend shows model swatches instead).
class TimelinePlottable : public QCPAbstractPlottable {
public:
    TimelinePlottable(TimelineChart *chart, QCPAxis *x, QCPAxis *y) : QCPAbstractPlottable(x, y), m_chart(chart)
    {
        setAntialiased(false);
        setSelectable(QCP::stNone);
    }
    double selectTest(const QPointF &, bool, QVariant *) const override { return -1; }

protected:
    void drawLegendIcon(QCPPainter *, const QRectF &) const override {}

    TimelineChart *m_chart;
};

// Draws every task bar in one pass: culled to the view, at least 1 px wide, a 1 px gap
// between neighbouring bars when they are wide enough to tell apart.
class TimelineBarsPlottable : public TimelinePlottable {
public:
    using TimelinePlottable::TimelinePlottable;
    QCPRange getKeyRange(bool &found, QCP::SignDomain) const override
    {
        found = !m_chart->m_bars.empty();
        if (!found)
            return {};
        double lo = 1e300, hi = -1e300;
        const double now = monotonicSeconds();
        for (const auto &b : m_chart->m_bars) {
            lo = std::min(lo, b.t0);
            hi = std::max(hi, std::isnan(b.t1) ? now : b.t1);
        }
        return {lo - m_chart->timeOrigin(), hi - m_chart->timeOrigin()};
    }
    QCPRange getValueRange(bool &found, QCP::SignDomain, const QCPRange &) const override
    {
        found = true;
        return {-0.5, m_chart->m_lanes - 0.5};
    }

protected:
    void draw(QCPPainter *painter) override
    {
        QCPAxis *x = keyAxis();
        QCPAxis *y = valueAxis();
        if (!x || !y)
            return;
        const double origin = m_chart->timeOrigin();
        const double lower = x->range().lower + origin, upper = x->range().upper + origin;
        const double now = monotonicSeconds();
        const double pxPerSecond = std::abs(x->coordToPixel(1) - x->coordToPixel(0));
        const bool dark = isDarkStyle(parentPlot());
        painter->setPen(Qt::NoPen);
        for (size_t lane = 0; lane < m_chart->m_laneBars.size(); ++lane) {
            const double yc = y->coordToPixel(double(lane));
            const double half = std::abs(y->coordToPixel(double(lane) + kBarHalfHeight) - yc);
            const double top = yc - half, height = std::max(1.0, 2 * half);
            for (int idx : m_chart->m_laneBars[lane]) {
                const auto &b = m_chart->m_bars[size_t(idx)];
                const bool live = std::isnan(b.t1);
                const double t1 = live ? std::max(now, b.t0) : b.t1;
                if (t1 < lower || b.t0 > upper)
                    continue;
                double x0 = x->coordToPixel(b.t0 - origin);
                double x1 = x->coordToPixel(t1 - origin);
                if ((x1 - x0) * pxPerSecond > 0 && x1 - x0 >= 4)
                    x1 -= 1;  // gap to the next bar
                const double w = std::max(1.0, x1 - x0);
                QColor c = modelColor(m_chart->m_models.value(b.modelIndex));
                if (live)
                    c = dark ? c.darker(140) : c.lighter(135);
                const QRectF r(x0, top, w, height);
                if (!b.ok && !live) {
                    painter->fillRect(r, QBrush(c, Qt::BDiagPattern));
                    painter->setPen(QPen(c, 1));
                    painter->drawRect(r);
                    painter->setPen(Qt::NoPen);
                } else {
                    painter->fillRect(r, c);
                }
            }
        }
    }
};

// GIL-held spans as a dark strip in the lower part of each lane; spans closer than a pixel
// are merged, so thousands of 5 ms tenures cost a few hundred rectangles.
class GilSpansPlottable : public TimelinePlottable {
public:
    using TimelinePlottable::TimelinePlottable;
    QCPRange getKeyRange(bool &found, QCP::SignDomain) const override
    {
        found = false;
        return {};
    }
    QCPRange getValueRange(bool &found, QCP::SignDomain, const QCPRange &) const override
    {
        found = false;
        return {};
    }

protected:
    void draw(QCPPainter *painter) override
    {
        QCPAxis *x = keyAxis();
        QCPAxis *y = valueAxis();
        if (!x || !y)
            return;
        const double origin = m_chart->timeOrigin();
        const double lower = x->range().lower + origin, upper = x->range().upper + origin;
        const QColor c = chartPalette(isDarkStyle(parentPlot())).foreground;
        painter->setPen(Qt::NoPen);
        const QRect area = x->axisRect()->rect();
        const int left = area.left(), width = area.width();
        if (width <= 0)
            return;
        // Coverage per pixel column: a column fully held is opaque, a column where the GIL
        // changed hands is drawn with the held fraction as opacity, so a zoomed-out view of
        // thousands of 5 ms tenures shows the share, not a solid bar.
        std::vector<float> coverage(static_cast<size_t>(width));
        for (size_t lane = 0; lane < m_chart->m_laneGil.size(); ++lane) {
            if (m_chart->m_laneGil[lane].empty())
                continue;
            std::fill(coverage.begin(), coverage.end(), 0.0f);
            bool any = false;
            for (int idx : m_chart->m_laneGil[lane]) {
                const auto &s = m_chart->m_gil[size_t(idx)];
                if (s.t1 < lower || s.t0 > upper)
                    continue;
                const double x0 = std::max(double(left), x->coordToPixel(s.t0 - origin)) - left;
                const double x1 = std::min(double(left + width), x->coordToPixel(s.t1 - origin)) - left;
                if (x1 <= x0)
                    continue;
                any = true;
                for (int col = int(x0); col < int(std::ceil(x1)) && col < width; ++col) {
                    const double a = std::max(x0, double(col)), b = std::min(x1, double(col + 1));
                    if (b > a)
                        coverage[size_t(col)] += float(b - a);
                }
            }
            if (!any)
                continue;
            const double yTop = y->coordToPixel(double(lane) + kGilTop);
            const double yBottom = y->coordToPixel(double(lane) + kBarHalfHeight);
            const double top = std::min(yTop, yBottom), height = std::max(2.0, std::abs(yBottom - yTop));
            int runStart = 0;
            int runAlpha = -1;
            auto flush = [&](int end) {
                if (runAlpha > 0) {
                    QColor cc = c;
                    cc.setAlpha(runAlpha);
                    painter->fillRect(QRectF(left + runStart, top, end - runStart, height), cc);
                }
            };
            for (int col = 0; col <= width; ++col) {
                // Quantised opacity so neighbouring columns merge into one rectangle.
                const int alpha = col < width ? int(std::lround(std::min(1.0f, coverage[size_t(col)]) * 8)) * 255 / 8 : -2;
                if (alpha != runAlpha) {
                    flush(col);
                    runStart = col;
                    runAlpha = alpha;
                }
            }
        }
    }
};

// ---------------------------------------------------------------------------------------------
TimelineChart::TimelineChart(QWidget *parent) : TimeChart(parent)
{
    placeLegendOnTop(m_plot, 6);
    QCPAxis *x = m_plot->xAxis;
    QCPAxis *y = m_plot->yAxis;
    x->setLabel(tr("time since start (s)"));
    y->setLabel(tr("worker"));
    y->setRangeReversed(true);  // worker 0 on top
    y->grid()->setVisible(false);
    m_barsPlottable = new TimelineBarsPlottable(this, x, y);
    m_barsPlottable->removeFromLegend();
    m_gilPlottable = new GilSpansPlottable(this, x, y);
    m_gilPlottable->removeFromLegend();
    registerTimeAxis(x);
    initStyle();
    updateLanesAxis();
    applyTimeRange(-30, 0);
    connect(m_plot, &QCustomPlot::mouseMove, this, &TimelineChart::onHover);
    m_timer.setInterval(50);
    connect(&m_timer, &QTimer::timeout, this, &TimelineChart::onTick);
    m_timer.start();
}

TimelineChart::~TimelineChart() = default;

void TimelineChart::setTaskSpecs(const std::vector<TaskSpec> &tasks)
{
    m_specs.clear();
    for (const TaskSpec &t : tasks)
        m_specs.insert(t.id, t);
}

void TimelineChart::clear()
{
    m_bars.clear();
    m_gil.clear();
    m_open.clear();
    m_models.clear();
    m_lastRunT0 = m_lastRunT1 = qQNaN();
    rebuildLaneIndex();
    updateLegend();
    m_dirty = true;
}

int TimelineChart::modelIndex(const QString &model)
{
    int i = int(m_models.indexOf(model));
    if (i < 0) {
        m_models.append(model);
        i = int(m_models.size()) - 1;
        updateLegend();
    }
    return i;
}

void TimelineChart::setRun(const RunRecord &r)
{
    const int mi = modelIndex(r.model);
    const double runEnd = r.t0 + std::max(0.0, r.wall_s);
    auto sameRun = [&](double runT0, double t0, int model) {
        return std::abs(runT0 - r.t0) < 1e-3 ||
               (model == mi && t0 >= r.t0 - 0.5 && t0 <= runEnd + 0.5);
    };
    std::erase_if(m_bars, [&](const Bar &b) { return sameRun(b.runT0, b.t0, b.modelIndex); });
    std::erase_if(m_gil, [&](const GilSpan &s) { return std::abs(s.runT0 - r.t0) < 1e-3; });
    m_open.clear();
    for (const TaskResult &t : r.tasks) {
        Bar b;
        b.t0 = r.t0 + t.start_s;
        b.t1 = r.t0 + std::max(t.start_s, t.end_s);
        b.lane = std::max(0, t.worker);
        b.modelIndex = mi;
        b.taskId = t.id;
        b.cpuStart = t.cpu_start;
        b.cpuEnd = t.cpu_end;
        b.ok = t.ok;
        b.runT0 = r.t0;
        b.url = t.url;
        b.error = t.error;
        m_bars.push_back(b);
    }
    if (r.gil) {
        for (const GilStats::Span &g : r.gil->spans) {
            GilSpan s;
            s.lane = std::max(0, g.worker);
            s.t0 = r.t0 + g.start_s;
            s.t1 = r.t0 + std::max(g.start_s, g.end_s);
            s.runT0 = r.t0;
            m_gil.push_back(s);
        }
    }
    if (int(m_bars.size()) > kMaxBars)
        m_bars.erase(m_bars.begin(), m_bars.begin() + (int(m_bars.size()) - kMaxBars));
    if (int(m_gil.size()) > kMaxGilSpans)
        m_gil.erase(m_gil.begin(), m_gil.begin() + (int(m_gil.size()) - kMaxGilSpans));
    m_lastRunT0 = r.t0;
    m_lastRunT1 = runEnd;
    rebuildLaneIndex();
    updateLegend();
    if (isFollowingLive() && !m_linked)
        fitAll();
    m_dirty = true;
}

void TimelineChart::addLiveEvent(const LiveEvent &e, double runT0, const QString &model)
{
    Q_ASSERT(QThread::currentThread() == thread());
    const quint64 key = (quint64(quint32(e.run)) << 32) | quint32(e.taskId);
    if (e.type == LiveEvent::TaskStarted) {
        if (int(m_bars.size()) >= kMaxBars)
            return;
        Bar b;
        b.t0 = e.t;
        b.lane = std::max(0, e.worker);
        b.modelIndex = modelIndex(model);
        b.taskId = e.taskId;
        b.cpuStart = e.cpu;
        b.runT0 = runT0;
        m_bars.push_back(b);
        m_open.insert(key, int(m_bars.size()) - 1);
        if (b.lane >= int(m_laneBars.size())) {
            rebuildLaneIndex();
        } else {
            m_laneBars[size_t(b.lane)].push_back(int(m_bars.size()) - 1);
        }
        if (std::isnan(m_lastRunT0) || std::abs(m_lastRunT0 - runT0) > 1e-6) {
            m_lastRunT0 = runT0;
            m_lastRunT1 = qQNaN();
        }
    } else {
        const auto it = m_open.find(key);
        if (it == m_open.end())
            return;
        Bar &b = m_bars[size_t(*it)];
        b.t1 = std::max(e.t, b.t0);
        b.cpuEnd = e.cpu;
        b.ok = e.ok;
        m_open.erase(it);
        m_lastRunT1 = std::isnan(m_lastRunT1) ? b.t1 : std::max(m_lastRunT1, b.t1);
    }
    m_dirty = true;
}

void TimelineChart::zoomToRun()
{
    if (std::isnan(m_lastRunT0))
        return;
    double t1 = m_lastRunT1;
    if (std::isnan(t1))
        t1 = monotonicSeconds();
    const double span = std::max(1e-3, t1 - m_lastRunT0);
    const double lower = m_lastRunT0 - timeOrigin() - 0.03 * span;
    const double upper = t1 - timeOrigin() + 0.03 * span;
    setTimeRange(lower, upper);
    Q_EMIT timeRangeChanged(lower, upper);
}

void TimelineChart::rebuildLaneIndex()
{
    int lanes = 1;
    for (const Bar &b : m_bars)
        lanes = std::max(lanes, b.lane + 1);
    for (const GilSpan &s : m_gil)
        lanes = std::max(lanes, s.lane + 1);
    m_laneBars.assign(size_t(lanes), {});
    m_laneGil.assign(size_t(lanes), {});
    for (int i = 0; i < int(m_bars.size()); ++i)
        m_laneBars[size_t(m_bars[size_t(i)].lane)].push_back(i);
    for (int i = 0; i < int(m_gil.size()); ++i)
        m_laneGil[size_t(m_gil[size_t(i)].lane)].push_back(i);
    for (auto &lane : m_laneBars)
        std::stable_sort(lane.begin(), lane.end(), [this](int a, int b) { return m_bars[size_t(a)].t0 < m_bars[size_t(b)].t0; });
    for (auto &lane : m_laneGil)
        std::stable_sort(lane.begin(), lane.end(), [this](int a, int b) { return m_gil[size_t(a)].t0 < m_gil[size_t(b)].t0; });
    // Open bars keep their indices valid: they were re-pushed above in the same order.
    if (lanes != m_lanes) {
        m_lanes = lanes;
        updateLanesAxis();
    }
}

void TimelineChart::updateLanesAxis()
{
    QCPAxis *y = m_plot->yAxis;
    y->setRange(-0.5, m_lanes - 0.5);
    auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    const int step = m_lanes <= 16 ? 1 : m_lanes <= 32 ? 2 : m_lanes <= 64 ? 4 : m_lanes <= 128 ? 8 : 16;
    for (int i = 0; i < m_lanes; i += step)
        ticker->addTick(i, QString::number(i));
    y->setTicker(ticker);
    y->setSubTicks(false);
}

void TimelineChart::updateLegend()
{
    for (QCPBars *b : std::as_const(m_legendSwatches))
        m_plot->removePlottable(b);
    m_legendSwatches.clear();
    if (m_gilSwatch)
        m_plot->removePlottable(m_gilSwatch);
    m_gilSwatch = nullptr;
    for (const QString &m : std::as_const(m_models)) {
        auto *swatch = new QCPBars(m_plot->xAxis, m_plot->yAxis);
        swatch->setName(modelLabel(m));
        swatch->setBrush(modelColor(m));
        swatch->setPen(QPen(modelColor(m).darker(120), 1));
        m_legendSwatches.append(swatch);
    }
    if (!m_gil.empty()) {
        m_gilSwatch = new QCPBars(m_plot->xAxis, m_plot->yAxis);
        m_gilSwatch->setName(tr("GIL held"));
    }
    applyThemeColors(isDark());
}

void TimelineChart::applyThemeColors(bool dark)
{
    const ChartPalette p = chartPalette(dark);
    if (m_gilSwatch) {
        m_gilSwatch->setBrush(p.foreground);
        m_gilSwatch->setPen(QPen(p.foreground, 1));
    }
    updateCursorColors(dark);
    m_dirty = true;
}

void TimelineChart::fitAll()
{
    if (m_bars.empty())
        return;
    bool found = false;
    const QCPRange r = m_barsPlottable->getKeyRange(found, QCP::sdBoth);
    if (!found)
        return;
    const double pad = std::max(0.02, 0.03 * r.size());
    applyTimeRange(r.lower - pad, r.upper + pad);
}

void TimelineChart::liveFollowResumed()
{
    if (!m_linked)
        fitAll();
    m_dirty = true;
}

void TimelineChart::timeOriginApplied()
{
    m_dirty = true;
}

void TimelineChart::onTick()
{
    // Running tasks grow, so keep redrawing while any is open.
    if ((!m_dirty && m_open.isEmpty()) || !isVisible())
        return;
    m_dirty = false;
    if (isFollowingLive() && !m_linked)
        fitAll();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

const TimelineChart::Bar *TimelineChart::barAt(const QPointF &pos) const
{
    QCPAxis *x = m_plot->xAxis;
    QCPAxis *y = m_plot->yAxis;
    if (!m_plot->axisRect()->rect().contains(pos.toPoint()))
        return nullptr;
    const double laneCoord = y->pixelToCoord(pos.y());
    const int lane = int(std::lround(laneCoord));
    if (lane < 0 || lane >= int(m_laneBars.size()) || std::abs(laneCoord - lane) > kBarHalfHeight + 0.05)
        return nullptr;
    const double t = x->pixelToCoord(pos.x()) + timeOrigin();
    const double tolerance = std::abs(x->pixelToCoord(pos.x() + 2) - x->pixelToCoord(pos.x()));
    const double now = monotonicSeconds();
    const Bar *best = nullptr;
    for (int idx : m_laneBars[size_t(lane)]) {
        const Bar &b = m_bars[size_t(idx)];
        const double t1 = std::isnan(b.t1) ? now : b.t1;
        if (t >= b.t0 - tolerance && t <= t1 + tolerance) {
            best = &b;
            if (t >= b.t0 && t <= t1)
                break;
        }
    }
    return best;
}

QString TimelineChart::describe(const Bar &b) const
{
    const QLocale locale;
    QStringList lines;
    lines << tr("Task %1 — %2").arg(b.taskId).arg(modelLabel(m_models.value(b.modelIndex)));
    const auto spec = m_specs.constFind(b.taskId);
    if (!b.url.isEmpty())
        lines << b.url;
    else if (spec != m_specs.constEnd() && spec->params.contains(QStringLiteral("url")))
        lines << spec->string(QLatin1String("url"));
    else if (spec != m_specs.constEnd()) {
        // The task's parameters as its workload made them ("n = 5,000,000 · repeat = 128").
        QStringList kv;
        for (auto it = spec->params.cbegin(); it != spec->params.cend(); ++it)
            if (it.value().isInteger() || it.value().isDouble())
                kv << QStringLiteral("%1 = %2").arg(it.key().toString(),
                                                    it.value().isInteger() ? locale.toString(it.value().toInteger())
                                                                           : locale.toString(it.value().toDouble()));
        lines << kv.join(QStringLiteral(" · "));
    }
    const bool live = std::isnan(b.t1);
    const double t1 = live ? monotonicSeconds() : b.t1;
    lines << tr("duration %1 ms%2").arg((t1 - b.t0) * 1000, 0, 'f', 1).arg(live ? tr(" (running)") : QString());
    lines << tr("%1 s → %2 s").arg(b.t0 - timeOrigin(), 0, 'f', 3).arg(t1 - timeOrigin(), 0, 'f', 3);
    const QString unknown = QStringLiteral("?");
    lines << tr("core %1 → %2")
                 .arg(b.cpuStart >= 0 ? QString::number(b.cpuStart) : unknown)
                 .arg(b.cpuEnd >= 0 ? QString::number(b.cpuEnd) : unknown);
    lines << tr("worker %1").arg(b.lane);
    if (!b.ok && !live)
        lines << tr("FAILED: %1").arg(b.error.isEmpty() ? tr("unknown error") : b.error);
    return lines.join(QLatin1Char('\n'));
}

QString TimelineChart::toolTipAt(const QPointF &pos) const
{
    const Bar *b = barAt(pos);
    return b ? describe(*b) : QString();
}

void TimelineChart::onHover(QMouseEvent *event)
{
    const QString text = toolTipAt(event->position());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, m_plot);
}

} // namespace lab
