#pragma once
#include <QHash>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <deque>
#include <optional>
#include <string_view>

namespace lab {

// The app's own CPU time, so its cost is never mistaken for the workload's. Read from
// /proc/self/task: every thread of this process counts except the Runner's thread and the
// threads it starts (those inherit its name, "lab-runner"), and threads named "lab-worker…";
// worker processes are other processes and never count. Precise to the nanosecond where
// /proc/<pid>/task/<tid>/schedstat exists, else to the clock tick of .../stat.
// Lives on the GUI thread.
class AppCpuMeter : public QObject {
    Q_OBJECT
public:
    static constexpr int kUpdateMs = 1000;
    static constexpr double kWindowSeconds = 5.0;

    struct ThreadTimes {
        QByteArray comm;
        double cpuSeconds = 0;  // utime + stime
    };
    // One /proc/<pid>/task/<tid>/stat line; nullopt if it does not parse.
    static std::optional<ThreadTimes> parseTaskStat(std::string_view text, long ticksPerSecond);
    // Whether a thread of this name is the experiment's, not the app's.
    static bool isExperimentThread(const QByteArray &comm);

    explicit AppCpuMeter(QObject *parent = nullptr);

    // CPU seconds the app's own threads used since this meter was created. Never decreases: a
    // thread that ends keeps what it used up to the last read. Reads /proc now.
    double cpuSeconds();
    // The app's share of one core over the last kWindowSeconds (percent, 100 = one core busy);
    // NaN before the second update.
    double percentOfCore() const { return m_percent; }
    bool isRunning() const { return m_timer.isActive(); }
    // Tests: another process's task directory ("/proc/<pid>/task").
    void setTaskDirectory(const QString &path);

public Q_SLOTS:
    void start();  // updates every kUpdateMs
    void stop();
    void update();

Q_SIGNALS:
    void updated(double percentOfCore);

private:
    QTimer m_timer;
    QByteArray m_taskDir = QByteArrayLiteral("/proc/self/task");
    long m_ticks = 100;
    bool m_primed = false;
    QHash<qint64, double> m_last;  // tid -> CPU seconds at the last read
    double m_total = 0;
    std::deque<std::pair<double, double>> m_history;  // (monotonic s, cpuSeconds) of recent updates
    double m_percent;
};

} // namespace lab
