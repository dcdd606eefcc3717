#include "timechart.h"

#include "chartstyle.h"
#include "cpuchart.h"
#include "timelinechart.h"
#include "util/sysinfo.h"

#include <QMouseEvent>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

TimeChart::TimeChart(QWidget *parent)
    : ChartWidget(parent), m_origin(monotonicSeconds()), m_cursorTime(qQNaN())
{
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setMouseTracking(true);
    if (QCPLayer *overlay = m_plot->layer(QStringLiteral("overlay")))
        overlay->setMode(QCPLayer::lmBuffered);  // cursor moves repaint only this layer
    connect(m_plot, &QCustomPlot::mouseMove, this, &TimeChart::onMouseMove);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent *) { setLiveFollow(true); });
}

void TimeChart::setTimeOrigin(double monotonicSeconds)
{
    if (monotonicSeconds == m_origin)
        return;
    const double shift = m_origin - monotonicSeconds;
    m_origin = monotonicSeconds;
    // Keep showing the same moment in time.
    applyTimeRange(timeLower() + shift, timeUpper() + shift);
    timeOriginApplied();
    scheduleRedraw();
    Q_EMIT timeOriginChanged(m_origin);
}

double TimeChart::timeLower() const
{
    return m_timeAxes.isEmpty() || !m_timeAxes.first() ? 0 : m_timeAxes.first()->range().lower;
}

double TimeChart::timeUpper() const
{
    return m_timeAxes.isEmpty() || !m_timeAxes.first() ? 0 : m_timeAxes.first()->range().upper;
}

void TimeChart::linkTimeAxes(CpuChart *cpu, TimelineChart *timeline)
{
    if (!cpu || !timeline)
        return;
    timeline->setTimeOrigin(cpu->timeOrigin());
    timeline->m_linked = true;
    timeline->applyTimeRange(cpu->timeLower(), cpu->timeUpper());
    timeline->setLiveFollow(cpu->isFollowingLive());
    connect(cpu, &TimeChart::timeRangeChanged, timeline, &TimeChart::setTimeRange);
    connect(timeline, &TimeChart::timeRangeChanged, cpu, &TimeChart::setTimeRange);
    connect(cpu, &TimeChart::cursorMoved, timeline, &TimeChart::setCursorTime);
    connect(timeline, &TimeChart::cursorMoved, cpu, &TimeChart::setCursorTime);
    connect(cpu, &TimeChart::liveRangeChanged, timeline, &TimeChart::followRange);
    connect(cpu, &TimeChart::liveFollowChanged, timeline, &TimeChart::setLiveFollow);
    connect(timeline, &TimeChart::liveFollowChanged, cpu, &TimeChart::setLiveFollow);
    connect(cpu, &TimeChart::timeOriginChanged, timeline, &TimeChart::setTimeOrigin);
    connect(timeline, &TimeChart::timeOriginChanged, cpu, &TimeChart::setTimeOrigin);
}

void TimeChart::setTimeRange(double lower, double upper)
{
    if (!std::isfinite(lower) || !std::isfinite(upper) || upper <= lower)
        return;
    setLiveFollow(false);
    applyTimeRange(lower, upper);
    scheduleRedraw();
}

void TimeChart::setCursorTime(double t)
{
    placeCursor(t);
}

void TimeChart::setLiveFollow(bool follow)
{
    if (follow == m_follow)
        return;
    m_follow = follow;
    if (m_follow)
        liveFollowResumed();
    Q_EMIT liveFollowChanged(m_follow);
}

void TimeChart::followRange(double lower, double upper)
{
    if (!m_follow || upper <= lower)
        return;
    applyTimeRange(lower, upper);
    scheduleRedraw();
}

void TimeChart::scheduleRedraw()
{
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void TimeChart::registerTimeAxis(QCPAxis *axis)
{
    m_timeAxes.append(axis);
    QCPAxisRect *rect = axis->axisRect();
    rect->setRangeDrag(Qt::Horizontal);
    rect->setRangeZoom(Qt::Horizontal);
    rect->setRangeDragAxes(axis, nullptr);
    rect->setRangeZoomAxes(axis, nullptr);
    connect(axis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, &TimeChart::onAxisRangeChanged);

    // Two lines per rect: a wide halo in the background colour under a dashed line in the
    // foreground colour, visible over any content (white areas, heatmaps, bars).
    for (int i = 0; i < 2; ++i) {
        auto *line = new QCPItemStraightLine(m_plot);
        line->setLayer(QStringLiteral("overlay"));
        line->setClipAxisRect(rect);
        line->setSelectable(false);
        for (QCPItemPosition *p : {line->point1, line->point2}) {
            p->setTypeX(QCPItemPosition::ptPlotCoords);
            p->setTypeY(QCPItemPosition::ptAxisRectRatio);
            p->setAxes(axis, rect->axis(QCPAxis::atLeft));
            p->setAxisRect(rect);
        }
        line->point1->setCoords(0, 0);
        line->point2->setCoords(0, 1);
        line->setVisible(false);
        line->setProperty("labHalo", i == 0);
        m_cursorLines.append(line);
    }
    if (!m_cursorLabel) {
        m_cursorLabel = new QCPItemText(m_plot);
        m_cursorLabel->setLayer(QStringLiteral("overlay"));
        m_cursorLabel->setClipAxisRect(rect);
        m_cursorLabel->setSelectable(false);
        m_cursorLabel->position->setTypeX(QCPItemPosition::ptPlotCoords);
        m_cursorLabel->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        m_cursorLabel->position->setAxes(axis, rect->axis(QCPAxis::atLeft));
        m_cursorLabel->position->setAxisRect(rect);
        m_cursorLabel->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);  // span labels are at the top
        m_cursorLabel->setPadding(QMargins(4, 2, 4, 2));
        m_cursorLabel->setProperty("labKeepColor", true);
        QFont f = m_plot->font();
        f.setPointSizeF(kTickFontPt);
        m_cursorLabel->setFont(f);
        m_cursorLabel->setVisible(false);
    }
    updateCursorColors(isDark());
}

void TimeChart::unregisterTimeAxes()
{
    for (const QPointer<QCPAxis> &axis : std::as_const(m_timeAxes)) {
        if (axis)
            disconnect(axis, nullptr, this, nullptr);
    }
    m_timeAxes.clear();
    for (QCPItemStraightLine *line : std::as_const(m_cursorLines))
        m_plot->removeItem(line);
    m_cursorLines.clear();
    if (m_cursorLabel)
        m_plot->removeItem(m_cursorLabel);
    m_cursorLabel = nullptr;
}

void TimeChart::applyTimeRange(double lower, double upper)
{
    m_applying = true;
    for (const QPointer<QCPAxis> &axis : std::as_const(m_timeAxes)) {
        if (axis)
            axis->setRange(lower, upper);
    }
    m_applying = false;
}

void TimeChart::onAxisRangeChanged(const QCPRange &range)
{
    if (m_applying)
        return;
    // A user zoom or pan on one of our axes: keep the others in step and tell linked charts.
    applyTimeRange(range.lower, range.upper);
    setLiveFollow(false);
    Q_EMIT timeRangeChanged(range.lower, range.upper);
}

void TimeChart::onMouseMove(QMouseEvent *event)
{
    const QPointF pos = event->position();
    for (const QPointer<QCPAxis> &axis : std::as_const(m_timeAxes)) {
        if (axis && axis->axisRect()->rect().contains(pos.toPoint())) {
            const double t = axis->pixelToCoord(pos.x());
            placeCursor(t);
            Q_EMIT cursorMoved(t);
            return;
        }
    }
    if (std::isfinite(m_cursorTime)) {
        placeCursor(qQNaN());
        Q_EMIT cursorMoved(qQNaN());
    }
}

bool TimeChart::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_plot && event->type() == QEvent::Leave && std::isfinite(m_cursorTime)) {
        placeCursor(qQNaN());
        Q_EMIT cursorMoved(qQNaN());
    }
    return ChartWidget::eventFilter(watched, event);
}

void TimeChart::placeCursor(double t)
{
    m_cursorTime = std::isfinite(t) ? t : qQNaN();
    const bool visible = std::isfinite(t);
    for (QCPItemStraightLine *line : std::as_const(m_cursorLines)) {
        line->setVisible(visible);
        if (visible) {
            line->point1->setCoords(t, 0);
            line->point2->setCoords(t, 1);
        }
    }
    if (m_cursorLabel) {
        m_cursorLabel->setVisible(visible);
        if (visible) {
            m_cursorLabel->position->setCoords(t, 1.0);
            m_cursorLabel->setText(QString::number(t, 'f', 2) + QStringLiteral(" s"));
        }
    }
    if (QCPLayer *overlay = m_plot->layer(QStringLiteral("overlay")))
        overlay->replot();
}

void TimeChart::updateCursorColors(bool dark)
{
    const ChartPalette p = chartPalette(dark);
    QColor halo = p.background;
    halo.setAlpha(200);
    for (QCPItemStraightLine *line : std::as_const(m_cursorLines)) {
        line->setAntialiased(false);
        line->setPen(line->property("labHalo").toBool() ? QPen(halo, 5) : QPen(p.foreground, 2, Qt::DashLine));
    }
    if (m_cursorLabel) {
        m_cursorLabel->setColor(p.foreground);
        m_cursorLabel->setBrush(p.legendBackground);
    }
}

} // namespace lab
