#pragma once
#include <QMetaType>
#include <QString>
#include <QtGlobal>

namespace lab {

enum class WorkloadKind { Cpu, Io, Convoy };

QString workloadKindName(WorkloadKind kind);

// One unit of work, as handed to any model (and over the wire to a worker process).
struct TaskSpec {
    int id = 0;
    WorkloadKind kind = WorkloadKind::Cpu;
    // CPU: sum(i*i for i in range(n)), computed `repeat` times.
    quint64 n = 0;
    int repeat = 1;
    // I/O: one HTTP(S) GET.
    QString url;
    qint64 expectedBytes = -1;   // -1: unknown
    QString expectedChecksum;    // empty: unknown
    // Convoy (gil/convoywork.h): roundTrips > 0 is the I/O thread, 0 a CPU thread summing
    // squares in chunks of n; convoyCpuThreads is how many CPU threads the I/O thread expects.
    int roundTrips = 0;
    int convoyCpuThreads = 0;
    int echoUs = 0;              // the echo peer's service time per message
    // I/O limits (from IoParams); the defaults apply where a sender does not carry them.
    int connectTimeoutMs = 5000;
    int timeoutMs = 30000;
    qint64 maxBodyBytes = 64ll * 1024 * 1024;
};

// What became of one task. Times are seconds relative to the run's start (RunRecord::t0).
struct TaskResult {
    int id = 0;
    int worker = -1;
    double start_s = 0;
    double end_s = 0;
    int cpu_start = -1;
    int cpu_end = -1;
    bool ok = false;
    bool verified = false;
    bool cancelled = false;
    QString error;          // human-readable reason when !ok
    QString errorCategory;  // machine-readable category (I/O: dns, refused, timeout, http, ...)
    QString value;          // CPU: the sum as a decimal string
    int attempts = 1;
    double compute_s = 0;   // time spent computing (inside the worker)
    double dispatch_s = 0;  // process pools: round trip minus compute (IPC + scheduling)
    double cpuTime_s = 0;   // CPU time the task consumed where measurable
    // I/O
    QString url;
    qint64 bytes = 0;
    int httpStatus = 0;
    double ttfb_s = 0;
    QString checksum;
};

} // namespace lab

Q_DECLARE_METATYPE(lab::TaskResult)
