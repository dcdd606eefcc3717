#pragma once
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <vector>

namespace lab {

// Event-loop responsiveness: a 10 ms precise single-shot timer is re-armed on every timeout;
// lag = actual delay - expected delay. A blocked loop shows up as one large lag sample when it
// resumes. Lives in (and measures) the thread that creates it; starts immediately.
class LagMeter : public QObject {
    Q_OBJECT
public:
    static constexpr int kIntervalMs = 10;
    static constexpr double kWindowSeconds = 10.0;

    explicit LagMeter(QObject *parent = nullptr);

    void start();
    void stop();
    bool isRunning() const { return m_timer.isActive(); }

    // Largest lag of the last report period (~250 ms), including a delay still in progress.
    double currentMs() const;
    // 99th percentile over the sliding window (~10 s).
    double p99Ms() const;
    double maxMs() const;           // maximum over the sliding window
    int sampleCount() const { return int(m_window.size()); }

    // Records every lag sample until endRecording(), which returns their p99 (ms) — the value
    // for RunRecord::ui_lag_p99_ms. A delay in progress (the loop is blocked right now, e.g. by
    // a run on the UI thread) counts too. Returns -1 when nothing was recorded.
    void beginRecording();
    double endRecording();
    bool isRecording() const { return m_recording; }

Q_SIGNALS:
    void lagUpdated(double currentMs, double p99Ms);  // ~4 Hz

private:
    struct Sample {
        qint64 atNs;
        double lagMs;
    };
    void onTimeout();
    void addSample(double lagMs);
    void trimWindow(qint64 nowNs);
    double pendingLagMs() const;

    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_armedNs = 0;
    qint64 m_lastReportNs = 0;
    std::vector<Sample> m_window;   // ring-like: trimmed to kWindowSeconds
    size_t m_windowStart = 0;
    double m_periodMax = 0;
    double m_lastPeriodMax = 0;
    bool m_recording = false;
    std::vector<double> m_recorded;
};

} // namespace lab
