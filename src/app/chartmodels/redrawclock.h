#pragma once
#include <QObject>
#include <QElapsedTimer>
#include <QTimer>

namespace lab {

// The one redraw clock of the live charts (as PlotJuggler does it): new data arms a single-shot
// timer; when it fires, every chart whose model changed and that is visible replots, together.
// Nothing ticks while nothing changes, and ticks are at least intervalMs apart.
class RedrawClock : public QObject {
    Q_OBJECT
public:
    static constexpr int kDefaultIntervalMs = 40;

    explicit RedrawClock(int intervalMs = kDefaultIntervalMs, QObject *parent = nullptr);
    // The application's clock, used by every chart that was not given another.
    static RedrawClock *shared();

    int intervalMs() const { return m_interval; }
    bool isArmed() const { return m_timer.isActive(); }
    int tickCount() const { return m_ticks; }

public Q_SLOTS:
    // Fires tick() once: when control returns to the event loop if the last tick is intervalMs
    // old, else intervalMs after the last tick.
    void arm();

Q_SIGNALS:
    void tick();

private:
    QTimer m_timer;
    QElapsedTimer m_sinceTick;
    int m_interval = kDefaultIntervalMs;
    int m_ticks = 0;
};

} // namespace lab
