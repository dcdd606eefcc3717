#pragma once
#include <QObject>
#include <QString>
#include <QTimer>
#include <QtGlobal>
#include <atomic>
#include <optional>
#include <string_view>
#include <vector>

namespace lab {

// Foreign load: CPU used by other programs while an experiment runs = the machine's busy time
// (/proc/stat) minus this process's and its descendants' CPU time (/proc/<pid>/stat: utime,
// stime and the cutime/cstime of reaped children, which already hold their own reaped
// descendants). Children still running are found through /proc/<pid>/task/<tid>/children and
// walked down, so grandchildren (a python3 started by a worker) count too.

// Above this many cores busy elsewhere the figures of a run are disturbed (a warning is shown).
inline constexpr double kForeignLoadLimit = 0.3;

// The fields of /proc/<pid>/stat this needs, in clock ticks.
struct PidStat {
    qint64 pid = 0;
    qint64 ppid = 0;
    qint64 pgrp = 0;
    char state = '?';
    quint64 utime = 0, stime = 0, cutime = 0, cstime = 0;
    quint64 ownTicks() const { return utime + stime; }
    quint64 treeTicks() const { return utime + stime + cutime + cstime; }
};

// Parses one /proc/<pid>/stat line; the command name may hold spaces and ')' (the fields
// after the last ')' are read). nullopt when malformed.
std::optional<PidStat> parsePidStat(std::string_view text);
// Every process /proc lists right now (zombies included), read with parsePidStat: the one
// reader of pid, state, parent and process group (childProcesses() and the tests' group checks).
std::vector<PidStat> listProcesses(const QString &procRoot = QStringLiteral("/proc"));
// Pids listed in a /proc/<pid>/task/<tid>/children file ("12 34 ").
std::vector<qint64> parseChildrenList(std::string_view text);

// One reading: the machine's counters and this process tree's CPU, in clock ticks.
struct LoadSnapshot {
    quint64 machineBusy = 0;  // all cores ("cpu" line of /proc/stat)
    quint64 machineAll = 0;   // busy + idle, all cores
    int cores = 0;            // per-core lines in /proc/stat
    quint64 own = 0;          // this process + descendants (live ones + reaped ones)
};

// Below this window (in clock ticks of one core: 0.25 s at the usual 100 Hz) the counters'
// one-tick steps swamp the figure: a 6 ms run in which one other process took one tick read as
// "1.7 cores busy elsewhere". Such a window is not measured (nullopt, "–").
inline constexpr double kMinForeignWindowTicks = 25;

// Cores kept busy by other programs between two readings; nullopt when less than the minimum
// window passed or a reading is missing. Never negative (tick rounding can make own time exceed
// machine time).
std::optional<double> foreignBusyCores(const std::optional<LoadSnapshot> &before,
                                       const std::optional<LoadSnapshot> &after);

// Reads a snapshot from procRoot ("/proc", or a fixture folder in tests) for process `pid`
// (0: this process). nullopt when the machine's counters cannot be read.
std::optional<LoadSnapshot> readLoadSnapshot(const QString &procRoot = QStringLiteral("/proc"), qint64 pid = 0);

// The warning shown and saved for a disturbed experiment; empty at or below the limit.
QString foreignLoadWarning(double cores);

// Measures foreign load continuously, over the last ~1 s, at a low rate. Lives in the thread
// that creates it or is moved to (the app keeps it off the GUI thread); latestCores() may be
// read from any thread. A reading can be injected (setOverride) to test the warning paths.
class ForeignLoadMonitor : public QObject {
    Q_OBJECT
public:
    explicit ForeignLoadMonitor(QObject *parent = nullptr);

    // Latest figure (cores), or a negative value when nothing was measured yet. Thread-safe.
    double latestCores() const;
    // Tests: every reading is `cores` from now on (negative: measure again). Thread-safe.
    void setOverride(double cores);
    double overrideCores() const;

public Q_SLOTS:
    void start();
    void stop();
    void measureNow();

Q_SIGNALS:
    void measured(double cores);

private:
    QTimer *m_timer = nullptr;
    std::vector<std::pair<double, LoadSnapshot>> m_history;  // (monotonic s, reading), last ~1.5 s
    std::atomic<double> m_latest{-1};
    std::atomic<double> m_override{-1};
};

} // namespace lab
