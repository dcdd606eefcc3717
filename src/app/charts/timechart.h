#pragma once
#include "chartwidget.h"

#include <QList>
#include <QPointer>

class QCPAxis;
class QCPItemStraightLine;
class QCPItemText;
class QCPRange;
class QMouseEvent;

namespace lab {

class CpuChart;
class TimelineChart;

// Common time-axis behaviour of CpuChart and TimelineChart: x in seconds relative to a time
// origin (monotonic seconds, normally app start), live follow until the user zooms or pans
// (wheel/drag), double-click back to live, a hover cursor, and linking of two charts.
class TimeChart : public ChartWidget {
    Q_OBJECT
public:
    explicit TimeChart(QWidget *parent = nullptr);

    void setTimeOrigin(double monotonicSeconds);
    double timeOrigin() const { return m_origin; }
    bool isFollowingLive() const { return m_follow; }
    double cursorTime() const { return m_cursorTime; }  // NaN when hidden
    double timeLower() const;
    double timeUpper() const;

    // Connects zoom/pan, hover cursor, live follow and time origin of both charts.
    // Programmatic changes never re-emit, so there is no feedback loop.
    static void linkTimeAxes(CpuChart *cpu, TimelineChart *timeline);

public Q_SLOTS:
    // Shows [lower, upper] (seconds since the origin) and leaves live follow. Does not emit
    // timeRangeChanged (that is for user zoom/pan only).
    void setTimeRange(double lower, double upper);
    // Vertical cursor line at t (seconds since the origin); NaN hides it. Does not emit.
    void setCursorTime(double t);
    void setLiveFollow(bool follow);
    // Range set by a linked live chart: applied only while this chart follows live.
    void followRange(double lower, double upper);

Q_SIGNALS:
    void timeRangeChanged(double lower, double upper);  // user zoom/pan
    void cursorMoved(double t);                         // user hover; NaN when the mouse leaves
    void liveFollowChanged(bool following);
    void liveRangeChanged(double lower, double upper);  // range moved by live follow
    void timeOriginChanged(double monotonicSeconds);

protected:
    // Axes showing time; cursor lines are created for their axis rects.
    void registerTimeAxis(QCPAxis *axis);
    void unregisterTimeAxes();
    // Sets the range of every time axis without treating it as a user action.
    void applyTimeRange(double lower, double upper);
    bool eventFilter(QObject *watched, QEvent *event) override;
    void updateCursorColors(bool dark);
    virtual void timeOriginApplied() {}
    // The view changed (range, origin): redraw soon. Default: a queued replot.
    virtual void scheduleRedraw();
    // Live follow was switched on: the derived chart moves its range to the newest data.
    virtual void liveFollowResumed() {}

    bool m_linked = false;

private:
    void onAxisRangeChanged(const QCPRange &range);
    void onMouseMove(QMouseEvent *event);
    void placeCursor(double t);

    double m_origin = 0;
    bool m_follow = true;
    bool m_applying = false;
    double m_cursorTime;
    QList<QPointer<QCPAxis>> m_timeAxes;
    QList<QCPItemStraightLine *> m_cursorLines;
    QCPItemText *m_cursorLabel = nullptr;
};

} // namespace lab
