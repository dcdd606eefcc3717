#include "timelinechart.h"

#include "chartstyle.h"
#include "plotitems.h"
#include "util/sysinfo.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSet>
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

// Draws the bars reduced to the view's pixels (TimelineModel::reduce): culled to the view,
// sub-pixel bars merged per lane, lanes grouped into occupancy rows when they do not fit; one
// drawRects call per colour. A 1 px gap ends each bar wide enough to tell neighbours apart.
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
        return {-0.5, m_chart->rowCount() - 0.5};
    }

protected:
    void draw(QCPPainter *painter) override
    {
        QCPAxis *x = keyAxis();
        QCPAxis *y = valueAxis();
        if (!x || !y)
            return;
        const double origin = m_chart->timeOrigin();
        const QRect area = x->axisRect()->rect();
        const TimelineModel &model = *m_chart->m_model;
        const int group = m_chart->m_groupSize;
        const TimelineModel::Frame frame = model.reduce(x->range().lower + origin, x->range().upper + origin,
                                                        area.width(), group, monotonicSeconds());
        m_chart->m_lastSpanCount = int(frame.spans.size());
        const bool dark = isDarkStyle(parentPlot());
        const QStringList models = model.models();
        painter->setPen(Qt::NoPen);
        auto rowBand = [&](int row, double *top, double *height) {
            const double yc = y->coordToPixel(double(row));
            const double half = std::abs(y->coordToPixel(double(row) + kBarHalfHeight) - yc);
            *top = yc - half;
            *height = std::max(1.0, 2 * half);
        };
        if (group > 1) {
            // A faint track per row: a full column means every lane of the group was busy.
            QColor track = chartPalette(dark).grid;
            track.setAlpha(dark ? 90 : 110);
            QVector<QRectF> tracks;
            for (int row = 0; row < frame.rows; ++row) {
                double top, height;
                rowBand(row, &top, &height);
                tracks.append(QRectF(area.left(), top, area.width(), height));
            }
            painter->setBrush(track);
            painter->drawRects(tracks);
        }
        // Batches by (model, kind): one drawRects per colour.
        std::vector<QVector<QRectF>> batches(size_t(std::max<qsizetype>(1, models.size())) * 3);
        const double left = area.left();
        double rowTop = 0, rowHeight = 0;
        int lastRow = -1;
        for (const TimelineModel::Span &sp : frame.spans) {
            if (sp.row != lastRow) {
                rowBand(sp.row, &rowTop, &rowHeight);
                lastRow = sp.row;
            }
            double x0 = left + sp.x0, x1 = left + sp.x1;
            QRectF r;
            if (group == 1) {
                if (x1 - x0 >= 4)
                    x1 -= 1;  // gap to the next bar
                r = QRectF(x0, rowTop, std::max(1.0, x1 - x0), rowHeight);
            } else {
                const double h = std::max(1.0, rowHeight * double(sp.fill));
                r = QRectF(x0, rowTop + rowHeight - h, std::max(1.0, x1 - x0), h);
            }
            const size_t slot = size_t(std::clamp(sp.modelIndex, 0, int(batches.size() / 3) - 1)) * 3 + size_t(sp.kind);
            batches[slot].append(r);
        }
        for (size_t slot = 0; slot < batches.size(); ++slot) {
            if (batches[slot].isEmpty())
                continue;
            QColor c = modelColor(models.value(int(slot / 3)));
            const auto kind = TimelineModel::SpanKind(slot % 3);
            if (kind == TimelineModel::SpanKind::Running)
                c = dark ? c.darker(140) : c.lighter(135);
            if (kind == TimelineModel::SpanKind::Failed) {
                painter->setBrush(QBrush(c, Qt::BDiagPattern));
                painter->setPen(QPen(c, 1));
            } else {
                painter->setBrush(c);
                painter->setPen(Qt::NoPen);
            }
            painter->drawRects(batches[slot]);
        }
        painter->setPen(Qt::NoPen);
    }
};

// GIL-held spans as a dark strip in the lower part of each row; spans closer than a pixel
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
        // thousands of 5 ms tenures shows the share, not a solid bar. A grouped row adds up
        // its lanes (one holder at a time: at most one lane's worth).
        std::vector<float> coverage(static_cast<size_t>(width));
        const TimelineModel &model = *m_chart->m_model;
        const int group = m_chart->m_groupSize;
        const int lanes = int(model.laneGil().size());
        for (int row = 0; row * group < lanes; ++row) {
            std::fill(coverage.begin(), coverage.end(), 0.0f);
            bool any = false;
            for (int lane = row * group; lane < std::min(lanes, (row + 1) * group); ++lane) {
                const std::vector<int> &spans = model.laneGil()[size_t(lane)];
                if (spans.empty())
                    continue;
                // One worker holds the GIL at one time: its spans end in order, so the first
                // visible one is found by binary search.
                auto it = std::lower_bound(spans.begin(), spans.end(), lower,
                                           [&](int idx, double t) { return model.gilSpans()[size_t(idx)].t1 < t; });
                for (; it != spans.end(); ++it) {
                    const auto &s = model.gilSpans()[size_t(*it)];
                    if (s.t0 > upper)
                        break;
                    if (s.t1 < lower)
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
            }
            if (!any)
                continue;
            const double yTop = y->coordToPixel(double(row) + kGilTop);
            const double yBottom = y->coordToPixel(double(row) + kBarHalfHeight);
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
    // No taller than its host at 1024x768 (130 px): a plot taller than its host was cut at
    // the bottom, axis title first. Short, it gives up its legend (fitLegendAndTitles).
    m_plot->setMinimumSize(200, 110);
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
    // How many rows fit is known after the layout pass (exports too, at their own size).
    connect(m_plot, &QCustomPlot::afterLayout, this, &TimelineChart::updateGrouping);
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
    connect(model, &TimelineModel::lanesChanged, this, [this] {
        const int maxRows = std::max(1, m_plot->axisRect()->height() / kMinRowPx);
        m_groupSize = TimelineModel::groupSizeFor(m_model->laneCount(), maxRows);
        updateLanesAxis();
        markDirty();
    });
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
    const int rows = std::max(1, (lanes + m_groupSize - 1) / m_groupSize);
    y->setRange(-0.5, rows - 0.5);
    // Grouped rows say so in their tick labels ("0–15"); the label stays short.
    y->setLabel(lanesTitle());  // refitted after layout
    auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    // A label every row while they are far enough apart for the tick font.
    const double rowPx = std::max(1, m_plot->axisRect()->height()) / double(rows);
    const int step = rowPx >= 20 ? 1 : rowPx >= 10 ? 2 : rowPx >= 5 ? 4 : rowPx >= 2.5 ? 8 : 16;
    for (int r = 0; r < rows; r += step) {
        const int first = r * m_groupSize, last = std::min(lanes, first + m_groupSize) - 1;
        ticker->addTick(r, m_groupSize > 1 ? QStringLiteral("%1–%2").arg(first).arg(last) : QString::number(first));
    }
    y->setTicker(ticker);
    y->setSubTicks(false);
}

void TimelineChart::updateGrouping()
{
    bool relayout = fitLegendAndTitles();
    const int lanes = m_model ? m_model->laneCount() : 1;
    const int maxRows = std::max(1, m_plot->axisRect()->height() / kMinRowPx);
    const int group = TimelineModel::groupSizeFor(lanes, maxRows);
    if (group != m_groupSize) {
        m_groupSize = group;
        updateLanesAxis();
        relayout = true;
    }
    // The ticks of this frame were made before we knew: lay out again with the new ones.
    if (relayout)
        layOutAgain(m_plot);
}

bool TimelineChart::fitLegendAndTitles()
{
    // A strip too short for lanes, a time axis and a legend row (the 130 px timeline of a
    // 1024x768 window, whose legend was cut in half) keeps the lanes and the axis: the legend
    // goes, its colours are the comparison's below. Laid out at a size of its own (an export),
    // the chart has it back. Hysteresis of 16 px, so that it does not come and go.
    QCPLegend *legend = m_plot->legend;
    const int legendH = legend->minimumOuterSizeHint().height();
    const QMargins axis = m_plot->axisRect()->margins();
    const int lanesPx = m_plot->viewport().height() - axis.top() - axis.bottom() - (m_legendDropped ? 0 : legendH);
    bool changed = false;
    if (!m_legendDropped && legend->layout() && lanesPx < kMinLanesPx) {
        dropLegend(m_plot);
        m_legendDropped = true;
        changed = true;
    } else if (m_legendDropped && lanesPx - legendH >= kMinLanesPx + 16) {
        placeLegendOnTop(m_plot, 6);
        m_legendDropped = false;
        changed = true;
    }
    // "worker" upright beside lanes shorter than the word is cut: then no title (the lane
    // numbers say what they are).
    changed = fitAxisLabel(m_plot->yAxis, {lanesTitle(), QString()}) || changed;
    return changed;
}

QString TimelineChart::lanesTitle() const
{
    return m_groupSize > 1 ? tr("workers") : tr("worker");
}

double TimelineChart::renderNow()
{
    if (isFollowingLive() && !sharesTimeRange())
        fitAll();
    QElapsedTimer clock;
    clock.start();
    m_plot->replot(QCustomPlot::rpImmediateRefresh);
    return double(clock.nsecsElapsed()) / 1e6;
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
    const double rowCoord = y->pixelToCoord(pos.y());
    const int row = int(std::lround(rowCoord));
    if (row < 0 || row >= rowCount() || std::abs(rowCoord - row) > kBarHalfHeight + 0.05)
        return nullptr;
    const double t = x->pixelToCoord(pos.x()) + timeOrigin();
    const double tolerance = std::abs(x->pixelToCoord(pos.x() + 2) - x->pixelToCoord(pos.x()));
    const std::vector<int> hits = m_model->barsAt(row * m_groupSize, m_groupSize, t, tolerance, monotonicSeconds());
    return hits.empty() ? nullptr : &m_model->bars()[size_t(hits.front())];
}

QString TimelineChart::describeGroup(int row, double t) const
{
    const int first = row * m_groupSize, count = std::min(m_groupSize, laneCount() - first);
    const std::vector<int> hits = m_model->barsAt(first, count, t, 0, monotonicSeconds());
    QSet<int> busy;
    for (int idx : hits)
        busy.insert(m_model->bars()[size_t(idx)].lane);
    return tr("workers %1–%2 at %3 s: %4 of %5 busy")
        .arg(first)
        .arg(first + count - 1)
        .arg(t - timeOrigin(), 0, 'f', 3)
        .arg(busy.size())
        .arg(count);
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
    if (!b)
        return {};
    if (m_groupSize == 1)
        return describe(*b);
    const int row = int(std::lround(m_plot->yAxis->pixelToCoord(pos.y())));
    const double t = m_plot->xAxis->pixelToCoord(pos.x()) + timeOrigin();
    return describeGroup(row, t) + QStringLiteral("\n\n") + describe(*b);
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
