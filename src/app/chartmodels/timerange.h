#pragma once
#include <QObject>

namespace lab {

// The time axis that several charts share: an origin (monotonic seconds shown as 0), the
// visible range (seconds since the origin), whether the view follows live data, and the hover
// cursor. Charts follow it and write user zoom/pan into it; no chart knows another.
class TimeRange : public QObject {
    Q_OBJECT
public:
    explicit TimeRange(QObject *parent = nullptr);

    double origin() const { return m_origin; }
    double lower() const { return m_lower; }
    double upper() const { return m_upper; }
    bool followsLive() const { return m_follow; }
    double cursor() const { return m_cursor; }  // NaN: hidden

    // Keeps showing the same moments (the range shifts with the origin).
    void setOrigin(double monotonicSeconds);
    // A chosen range (user zoom/pan, "zoom to run", a script): leaves live follow.
    void setRange(double lower, double upper);
    // A range moved by live data: applied only while following live.
    void setLiveRange(double lower, double upper);
    void setFollowLive(bool follow);
    void setCursor(double t);

Q_SIGNALS:
    void rangeChanged(double lower, double upper);
    void followLiveChanged(bool follow);
    void originChanged(double origin);
    void cursorChanged(double t);

private:
    void apply(double lower, double upper);

    double m_origin = 0;
    double m_lower = -30;
    double m_upper = 0;
    bool m_follow = true;
    double m_cursor;
};

} // namespace lab
