#include "redrawclock.h"

#include <QCoreApplication>
#include <QPointer>

#include <algorithm>

namespace lab {

RedrawClock::RedrawClock(int intervalMs, QObject *parent) : QObject(parent)
{
    m_timer.setSingleShot(true);
    m_interval = intervalMs;
    connect(&m_timer, &QTimer::timeout, this, [this] {
        m_sinceTick.start();
        ++m_ticks;
        Q_EMIT tick();
    });
}

RedrawClock *RedrawClock::shared()
{
    // Owned by the application object, so it goes away with it (charts hold no pointer past that).
    static QPointer<RedrawClock> clock;
    if (!clock)
        clock = new RedrawClock(kDefaultIntervalMs, QCoreApplication::instance());
    return clock;
}

void RedrawClock::arm()
{
    if (m_timer.isActive())
        return;
    // Leading edge: data after a quiet interval is drawn as soon as this event is handled, in
    // the same wake-up of the loop (a 40 ms delay would cost a wake-up of its own per sample);
    // data that follows a tick closely waits for the rest of the interval.
    const qint64 since = m_sinceTick.isValid() ? m_sinceTick.elapsed() : m_interval;
    m_timer.start(int(std::max<qint64>(0, m_interval - since)));
}

} // namespace lab
