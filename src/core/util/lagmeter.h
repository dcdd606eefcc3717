#pragma once
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace lab {

// Event-loop responsiveness, measured from outside the loop. The watched thread (the one that
// creates the meter, normally the GUI thread) beats each time its event loop wakes
// (QAbstractEventDispatcher::awake) and, when the loop stays asleep or busy for a whole
// interval, from a precise timer that every beat restarts. A watchdog thread wakes at twice
// the interval, turns the longest gap between beats into a lag sample (gap - interval) and,
// while no beat comes at all, knows the stall in progress. So a frozen loop is measured while
// it is frozen, not only when it runs again: stallMs(), currentMs() and endRecording() include
// the stall so far, from any thread.
// While recording (a run) the interval is 10 ms. Otherwise it is 120 ms, longer than the
// 10 Hz CPU sampler's period, so an idle app pays no wake-up of its own for the meter (each
// costs ~150 µs of CPU on a virtual machine); a stall then shows to within 120 ms.
class LagMeter : public QObject {
    Q_OBJECT
public:
    static constexpr int kIntervalMs = 10;       // while recording
    static constexpr int kIdleIntervalMs = 120;  // otherwise
    static constexpr double kWindowSeconds = 10.0;

    explicit LagMeter(QObject *parent = nullptr);
    ~LagMeter() override;

    void start();
    void stop();
    bool isRunning() const { return m_active.load(); }

    // The stall in progress: time since the last heartbeat beyond the interval (ms). Any thread.
    double stallMs() const;
    // Largest lag of the last report period (~250 ms), including a stall in progress.
    double currentMs() const;
    // 99th percentile over the sliding window (~10 s), the stall in progress included.
    double p99Ms() const;
    double maxMs() const;           // maximum over the sliding window (stall in progress included)
    int sampleCount() const;

    // Records every lag sample until endRecording(), which returns their p99 (ms) — the value
    // for RunRecord::ui_lag_p99_ms. A stall in progress (the loop is blocked right now, e.g. by
    // a run on the UI thread) counts too. Returns -1 when nothing was recorded.
    void beginRecording();
    double endRecording();
    bool isRecording() const;
    // The heartbeat interval in effect (kIntervalMs while recording, else kIdleIntervalMs).
    int intervalMs() const { return m_intervalMs.load(); }
    // Beats that came from the meter's own timer (the loop slept or worked a whole interval
    // without waking): what the meter itself costs in wake-ups. Watched thread.
    int timerBeatCount() const { return m_timerBeats; }

Q_SIGNALS:
    void lagUpdated(double currentMs, double p99Ms);  // ~4 Hz, on the watched thread

private:
    struct Sample {
        qint64 atNs;
        double lagMs;
    };
    void beat();
    void watch();
    // Watched thread: a new heartbeat interval; the gap so far is not a lag at either rate.
    void setInterval(int ms);
    void addSampleLocked(qint64 nowNs, double lagMs);
    double pendingLagMs() const;
    qint64 nowNs() const { return m_clock.nsecsElapsed(); }

    QTimer m_timer;
    QElapsedTimer m_clock;          // read from both threads (const, monotonic)
    std::atomic<bool> m_active{false};
    std::atomic<qint64> m_lastBeatNs{0};
    std::atomic<qint64> m_maxGapNs{0};    // longest heartbeat gap since the watchdog last looked
    std::atomic<int> m_intervalMs{kIdleIntervalMs};
    qint64 m_lastReportNs = 0;            // watched thread only
    int m_timerBeats = 0;                 // watched thread only

    mutable std::mutex m_mutex;     // guards everything below
    std::vector<Sample> m_window;   // trimmed to kWindowSeconds
    size_t m_windowStart = 0;
    double m_periodMax = 0;
    double m_lastPeriodMax = 0;
    bool m_recording = false;
    std::vector<double> m_recorded;

    std::mutex m_stopMutex;
    std::condition_variable m_stopCv;
    bool m_stopWatchdog = false;    // guarded by m_stopMutex
    std::thread m_watchdog;
};

} // namespace lab
