#pragma once
#include "chartmodels/timerange.h"
#include "chartwidget.h"

#include <QList>
#include <QPointer>

class QCPAxis;
class QCPItemStraightLine;
class QCPItemText;
class QCPRange;
class QMouseEvent;

namespace lab {

// A chart whose x axis is time: seconds relative to the origin of a TimeRange (normally app
// start). Charts given the same TimeRange zoom, pan, follow live and show the hover cursor
// together; each chart only talks to the range. Wheel/drag leaves live follow, double-click
// returns to it. Without setTimeRangeObject() a chart has a range of its own.
class TimeChart : public ChartWidget {
    Q_OBJECT
public:
    explicit TimeChart(QWidget *parent = nullptr);

    void setTimeRangeObject(TimeRange *range);
    TimeRange *timeRange() const { return m_range; }
    bool sharesTimeRange() const;

    void setTimeOrigin(double monotonicSeconds);
    double timeOrigin() const;
    bool isFollowingLive() const;
    double cursorTime() const;  // NaN when hidden
    double timeLower() const;
    double timeUpper() const;

public Q_SLOTS:
    // Shows [lower, upper] (seconds since the origin) and leaves live follow.
    void setTimeRange(double lower, double upper);
    // Vertical cursor line at t (seconds since the origin); NaN hides it.
    void setCursorTime(double t);
    void setLiveFollow(bool follow);

protected:
    // Axes showing time; cursor lines are created for their axis rects.
    void registerTimeAxis(QCPAxis *axis);
    void unregisterTimeAxes();
    // Sets the range of every time axis without treating it as a user action.
    void applyTimeRange(double lower, double upper);
    bool eventFilter(QObject *watched, QEvent *event) override;
    // A minimised window draws nothing (it stays dirty and draws when shown again).
    bool readyToRedraw() const override;
    void updateCursorColors(bool dark);
    virtual void timeOriginApplied() {}
    // Live follow was switched on: the derived chart moves the range to the newest data.
    virtual void liveFollowResumed() {}

private:
    void connectRange();
    void onAxisRangeChanged(const QCPRange &range);
    void onMouseMove(QMouseEvent *event);
    void placeCursor(double t);

    QPointer<TimeRange> m_range;
    bool m_applying = false;
    QList<QPointer<QCPAxis>> m_timeAxes;
    QList<QCPItemStraightLine *> m_cursorLines;
    QCPItemText *m_cursorLabel = nullptr;
};

} // namespace lab
