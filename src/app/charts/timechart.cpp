#include "timechart.h"

#include "chartstyle.h"
#include "chartmodels/timerange.h"
#include "util/sysinfo.h"

#include <QMouseEvent>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

TimeChart::TimeChart(QWidget *parent) : ChartWidget(parent), m_range(new TimeRange(this))
{
    m_range->setOrigin(monotonicSeconds());
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setMouseTracking(true);
    if (QCPLayer *overlay = m_plot->layer(QStringLiteral("overlay")))
        overlay->setMode(QCPLayer::lmBuffered);  // cursor moves repaint only this layer
    connect(m_plot, &QCustomPlot::mouseMove, this, &TimeChart::onMouseMove);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent *) { setLiveFollow(true); });
    connectRange();
}

void TimeChart::setTimeRangeObject(TimeRange *range)
{
    if (!range || range == m_range)
        return;
    disconnect(m_range, nullptr, this, nullptr);
    if (m_range && m_range->parent() == this)
        m_range->deleteLater();
    m_range = range;
    connectRange();
    applyTimeRange(m_range->lower(), m_range->upper());
    timeOriginApplied();
    placeCursor(m_range->cursor());
    markDirty();
}

bool TimeChart::sharesTimeRange() const
{
    return m_range && m_range->parent() != this;
}

void TimeChart::connectRange()
{
    connect(m_range, &TimeRange::rangeChanged, this, [this](double lower, double upper) {
        applyTimeRange(lower, upper);
        markDirty();
    });
    connect(m_range, &TimeRange::originChanged, this, [this] {
        timeOriginApplied();
        markDirty();
    });
    connect(m_range, &TimeRange::followLiveChanged, this, [this](bool follow) {
        if (follow)
            liveFollowResumed();
        markDirty();
    });
    connect(m_range, &TimeRange::cursorChanged, this, &TimeChart::placeCursor);
}

void TimeChart::setTimeOrigin(double monotonicSeconds)
{
    m_range->setOrigin(monotonicSeconds);
}

double TimeChart::timeOrigin() const
{
    return m_range->origin();
}

bool TimeChart::isFollowingLive() const
{
    return m_range->followsLive();
}

double TimeChart::cursorTime() const
{
    return m_range->cursor();
}

double TimeChart::timeLower() const
{
    return m_range->lower();
}

double TimeChart::timeUpper() const
{
    return m_range->upper();
}

void TimeChart::setTimeRange(double lower, double upper)
{
    m_range->setRange(lower, upper);
}

void TimeChart::setCursorTime(double t)
{
    m_range->setCursor(t);
}

void TimeChart::setLiveFollow(bool follow)
{
    m_range->setFollowLive(follow);
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
    // A user zoom or pan on one of our axes: the shared range moves every chart that follows it.
    m_range->setRange(range.lower, range.upper);
}

void TimeChart::onMouseMove(QMouseEvent *event)
{
    const QPointF pos = event->position();
    for (const QPointer<QCPAxis> &axis : std::as_const(m_timeAxes)) {
        if (axis && axis->axisRect()->rect().contains(pos.toPoint())) {
            m_range->setCursor(axis->pixelToCoord(pos.x()));
            return;
        }
    }
    m_range->setCursor(qQNaN());
}

bool TimeChart::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_plot && event->type() == QEvent::Leave)
        m_range->setCursor(qQNaN());
    return ChartWidget::eventFilter(watched, event);
}

bool TimeChart::readyToRedraw() const
{
    return !window()->isMinimized();
}

void TimeChart::placeCursor(double t)
{
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
    if (QCPLayer *overlay = m_plot->layer(QStringLiteral("overlay")); overlay && m_plot->isVisible())
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
