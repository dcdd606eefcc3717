#include "redrawclock.h"

#include <QCoreApplication>
#include <QPointer>

namespace lab {

RedrawClock::RedrawClock(int intervalMs, QObject *parent) : QObject(parent)
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, [this] {
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
    if (!m_timer.isActive())
        m_timer.start();
}

} // namespace lab
