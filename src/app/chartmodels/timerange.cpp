#include "timerange.h"

#include <QtNumeric>
#include <cmath>

namespace lab {

TimeRange::TimeRange(QObject *parent) : QObject(parent), m_cursor(qQNaN()) {}

void TimeRange::setOrigin(double monotonicSeconds)
{
    if (!std::isfinite(monotonicSeconds) || monotonicSeconds == m_origin)
        return;
    const double shift = m_origin - monotonicSeconds;
    m_origin = monotonicSeconds;
    Q_EMIT originChanged(m_origin);
    apply(m_lower + shift, m_upper + shift);
}

void TimeRange::setRange(double lower, double upper)
{
    if (!std::isfinite(lower) || !std::isfinite(upper) || upper <= lower)
        return;
    setFollowLive(false);
    apply(lower, upper);
}

void TimeRange::setLiveRange(double lower, double upper)
{
    if (!m_follow || !std::isfinite(lower) || !std::isfinite(upper) || upper <= lower)
        return;
    apply(lower, upper);
}

void TimeRange::setFollowLive(bool follow)
{
    if (follow == m_follow)
        return;
    m_follow = follow;
    Q_EMIT followLiveChanged(follow);
}

void TimeRange::setCursor(double t)
{
    const double c = std::isfinite(t) ? t : qQNaN();
    if (std::isnan(c) && std::isnan(m_cursor))
        return;
    if (c == m_cursor)
        return;
    m_cursor = c;
    Q_EMIT cursorChanged(c);
}

void TimeRange::apply(double lower, double upper)
{
    if (lower == m_lower && upper == m_upper)
        return;
    m_lower = lower;
    m_upper = upper;
    Q_EMIT rangeChanged(lower, upper);
}

} // namespace lab
