#pragma once
#include <QByteArray>
#include <QString>
#include <QStringList>
#include <chrono>
#include <vector>

namespace lab {

// One time base for everything: CLOCK_MONOTONIC via steady_clock. On Linux it is system-wide,
// so a worker process and the app read the same clock and timestamps compare directly.
inline double monotonicSeconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int currentCpu();               // core the calling thread runs on (sched_getcpu), -1 if unknown
double threadCpuSeconds();      // user+sys of the calling thread
double processCpuSeconds();     // user+sys of this process (all threads)
double processCpuSecondsOf(qint64 pid);  // user+sys of another process (/proc/PID/stat), -1 when gone
long peakRssKb();               // VmHWM of this process
long peakRssKbOf(qint64 pid);   // VmHWM of another process, 0 if gone
long currentRssKb();            // VmRSS of this process
bool resetPeakRss();            // VmHWM := VmRSS (/proc/self/clear_refs "5"); false if refused
int onlineCores();              // every online core of the machine
int usableCores();              // cores in this process's affinity mask (`taskset -c 0`: 1)
QString cpuModel();

// A program shipped with the running executable (worker, HTTP server, CLI): in its own folder (the
// build tree's bin/, an install's bindir) or in the install's private helper folder
// (libexec/concurrency-lab), whichever side the running program is on. Empty when not found.
QString siblingExecutable(const QString &name);

// A direct child of some process, from /proc/<pid>/stat and /proc/<pid>/cmdline.
struct ChildProcess {
    qint64 pid = 0;
    char state = '?';   // 'R', 'S', 'Z' (zombie: exited, not yet reaped), ...
    QByteArray argv0;   // empty when the cmdline cannot be read (zombies have none)
    QList<QByteArray> args;  // the rest of the command line
};

// Every child of `parentPid`, zombies included: an unreaped child is a leak too.
std::vector<ChildProcess> childProcesses(qint64 parentPid);

double median(std::vector<double> values);
double percentile(std::vector<double> values, double p); // p in 0..100, nearest-rank

} // namespace lab
