#pragma once
#include "procfile.h"
#include "procstat.h"

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QTimer>
#include <atomic>
#include <vector>

namespace lab {

struct CpuSample {
    double t = 0;                  // monotonic seconds (lab::monotonicSeconds)
    double total = 0;              // percent 0..100
    std::vector<double> perCore;   // percent 0..100, NaN when offline
};

// Reads /proc/stat at a fixed rate (10 Hz default, 1..50 Hz) and emits usage deltas.
// Samples in the thread it lives in (the app moves it to a thread of its own, so a frozen GUI
// does not stop the sampling); one pread(2) of the file kept open + parse per tick. setRateHz, start, stop,
// rateHz and coreCount may be called from any thread.
class CpuSampler : public QObject {
    Q_OBJECT
public:
    explicit CpuSampler(QObject *parent = nullptr);

    void setRateHz(double hz);     // clamped to 1..50
    double rateHz() const { return m_rateHz.load(); }
    void setSourcePath(const QString &path);  // tests: a fixture instead of /proc/stat
    int coreCount() const { return m_coreCount.load(); }
    bool isRunning() const { return m_running.load(); }

public Q_SLOTS:
    void start();
    void stop();
    void sampleNow();              // one read, emits sampleTaken if a previous read exists

Q_SIGNALS:
    void sampleTaken(const lab::CpuSample &sample);
    void coreCountChanged(int cores);
    void readFailed(const QString &message);

private:
    void applyRate();

    QTimer m_timer;
    QString m_path = QStringLiteral("/proc/stat");
    ProcFile m_file{"/proc/stat"};  // kept open: re-read from its start at each tick
    std::atomic<double> m_rateHz{10.0};
    std::atomic<int> m_coreCount{0};
    std::atomic<bool> m_running{false};
    std::optional<ProcStatSnapshot> m_previous;
};

} // namespace lab

Q_DECLARE_METATYPE(lab::CpuSample)
