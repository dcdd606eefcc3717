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
        double lo = 0, hi = 0;
        found = m_chart->m_model->timeSpan(monotonicSeconds(), &lo, &hi);
        if (!found)
            return {};
        return {lo - m_chart->timeOrigin(), hi - m_chart->timeOrigin()};
    }
    QCPRange getValueRange(bool &found, QCP::SignDomain, const QCPRange &) const override
    {
        found = true;
        return {-0.5, m_chart->m_model->laneCount() - 0.5};
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
        const TimelineModel &model = *m_chart->m_model;
        for (size_t lane = 0; lane < model.laneBars().size(); ++lane) {
            const double yc = y->coordToPixel(double(lane));
            const double half = std::abs(y->coordToPixel(double(lane) + kBarHalfHeight) - yc);
            const double top = yc - half, height = std::max(1.0, 2 * half);
            for (int idx : model.laneBars()[lane]) {
                const auto &b = model.bars()[size_t(idx)];
                const bool live = std::isnan(b.t1);
                const double t1 = live ? std::max(now, b.t0) : b.t1;
                if (t1 < lower || b.t0 > upper)
                    continue;
                double x0 = x->coordToPixel(b.t0 - origin);
                double x1 = x->coordToPixel(t1 - origin);
                if ((x1 - x0) * pxPerSecond > 0 && x1 - x0 >= 4)
                    x1 -= 1;  // gap to the next bar
                const double w = std::max(1.0, x1 - x0);
                QColor c = modelColor(model.models().value(b.modelIndex));
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
        const TimelineModel &model = *m_chart->m_model;
        for (size_t lane = 0; lane < model.laneGil().size(); ++lane) {
            if (model.laneGil()[lane].empty())
                continue;
            std::fill(coverage.begin(), coverage.end(), 0.0f);
            bool any = false;
            for (int idx : model.laneGil()[lane]) {
                const auto &s = model.gilSpans()[size_t(idx)];
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
    setModel(new TimelineModel(this));
    applyTimeRange(timeLower(), timeUpper());
    connect(m_plot, &QCustomPlot::mouseMove, this, &TimelineChart::onHover);
}

TimelineChart::~TimelineChart() = default;

void TimelineChart::setModel(TimelineModel *model)
{
    if (!replaceModel(m_model, model))
        return;
    connect(model, &TimelineModel::changed, this, [this] {
        // Alone, a following timeline fits its data; on a shared range it follows the range.
        if (isFollowingLive() && !sharesTimeRange())
            fitAll();
        markDirty();
    });
    connect(model, &TimelineModel::lanesChanged, this, &TimelineChart::updateLanesAxis);
    connect(model, &TimelineModel::modelsChanged, this, &TimelineChart::updateLegend);
    updateLanesAxis();
    updateLegend();
    markDirty();
}

void TimelineChart::setTaskSpecs(const std::vector<TaskSpec> &tasks)
{
    m_model->setTaskSpecs(tasks);
}

void TimelineChart::clear()
{
    m_model->clear();
}

void TimelineChart::setRun(int run, const RunRecord &r)
{
    m_model->setRun(run, r);
}

void TimelineChart::addRun(const RunRecord &r)
{
    m_model->addRun(r);
}

void TimelineChart::addLiveEvent(const LiveEvent &e, double runT0, const QString &model)
{
    m_model->addLiveEvent(e, runT0, model);
}

void TimelineChart::zoomToRun()
{
    const double t0 = m_model->lastRunStart();
    if (std::isnan(t0))
        return;
    double t1 = m_model->lastRunEnd();
    if (std::isnan(t1))
        t1 = monotonicSeconds();
    const double span = std::max(1e-3, t1 - t0);
    setTimeRange(t0 - timeOrigin() - 0.03 * span, t1 - timeOrigin() + 0.03 * span);
}

void TimelineChart::updateLanesAxis()
{
    QCPAxis *y = m_plot->yAxis;
    const int lanes = m_model ? m_model->laneCount() : 1;
    y->setRange(-0.5, lanes - 0.5);
    auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    const int step = lanes <= 16 ? 1 : lanes <= 32 ? 2 : lanes <= 64 ? 4 : lanes <= 128 ? 8 : 16;
    for (int i = 0; i < lanes; i += step)
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
    if (!m_model)
        return;
    const QStringList models = m_model->models();
    for (const QString &m : models) {
        auto *swatch = new QCPBars(m_plot->xAxis, m_plot->yAxis);
        swatch->setName(modelLabel(m));
        swatch->setBrush(modelColor(m));
        swatch->setPen(QPen(modelColor(m).darker(120), 1));
        m_legendSwatches.append(swatch);
    }
    if (!m_model->gilSpans().empty()) {
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
    markDirty();
}

void TimelineChart::fitAll()
{
    bool found = false;
    const QCPRange r = m_barsPlottable->getKeyRange(found, QCP::sdBoth);
    if (!found)
        return;
    const double pad = std::max(0.02, 0.03 * r.size());
    timeRange()->setLiveRange(r.lower - pad, r.upper + pad);
}

void TimelineChart::liveFollowResumed()
{
    if (!sharesTimeRange())
        fitAll();
}

void TimelineChart::timeOriginApplied()
{
    markDirty();
}

void TimelineChart::redraw()
{
    if (isFollowingLive() && !sharesTimeRange())
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
    if (lane < 0 || lane >= int(m_model->laneBars().size()) || std::abs(laneCoord - lane) > kBarHalfHeight + 0.05)
        return nullptr;
    const double t = x->pixelToCoord(pos.x()) + timeOrigin();
    const double tolerance = std::abs(x->pixelToCoord(pos.x() + 2) - x->pixelToCoord(pos.x()));
    const double now = monotonicSeconds();
    const Bar *best = nullptr;
    for (int idx : m_model->laneBars()[size_t(lane)]) {
        const Bar &b = m_model->bars()[size_t(idx)];
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
    lines << tr("Task %1 — %2").arg(b.taskId).arg(modelLabel(m_model->models().value(b.modelIndex)));
    const TaskSpec *spec = m_model->taskSpec(b.taskId);
    if (!b.url.isEmpty())
        lines << b.url;
    else if (spec && spec->params.contains(QStringLiteral("url")))
        lines << spec->string(QLatin1String("url"));
    else if (spec) {
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
