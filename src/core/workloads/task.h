#pragma once
#include "trace/statetrace.h"
#include "util/compactstring.h"

#include <QCborMap>
#include <QCborValue>
#include <QMetaType>
#include <QString>
#include <QtGlobal>

namespace lab {

// One unit of work, as handed to any model and over the wire to a worker process: the id of
// the workload that runs it (workloads/registry.cpp) and that workload's parameters for this
// task. Only the workload reads `params`; everything between spec and task body carries it.
struct TaskSpec {
    int id = 0;
    QString workload;
    QCborMap params;

    qint64 integer(QLatin1String key, qint64 fallback = 0) const
    {
        const QCborValue v = params.value(key);
        return v.isInteger() ? v.toInteger() : fallback;
    }
    double real(QLatin1String key, double fallback = 0) const { return params.value(key).toDouble(fallback); }
    QString string(QLatin1String key) const { return params.value(key).toString(); }
};

// What became of one task. Times are seconds relative to the run's start (RunRecord::t0).
// Kept for every task of every run (100,000 tasks: 100,000 of these per run), so it is packed:
// small integers in 16 bits, and the strings most tasks leave empty (all but I/O and failed
// tasks) as CompactStrings, 8 bytes each. 160 bytes in all (was 232).
struct TaskResult {
    int id = 0;
    int worker = -1;
    double start_s = 0;
    double end_s = 0;
    qint16 cpu_start = -1;
    qint16 cpu_end = -1;
    qint16 attempts = 1;
    qint16 httpStatus = 0;  // I/O
    bool ok = false;
    bool verified = false;
    bool cancelled = false;
    double compute_s = 0;   // time spent computing (inside the worker)
    double dispatch_s = 0;  // process pools: round trip minus compute (IPC + scheduling)
    double cpuTime_s = 0;   // CPU time the task consumed where measurable
    double ttfb_s = 0;      // I/O
    qint64 bytes = 0;       // I/O
    QString value;          // CPU: the sum as a decimal string (every CPU task has one)
    CompactString error;          // human-readable reason when !ok
    CompactString errorCategory;  // machine-readable category (I/O: dns, refused, timeout, http, ...)
    CompactString url;            // I/O
    CompactString checksum;       // I/O
    // Thread-state trace (workloads that own primitives): absolute monotonic times until the
    // Runner rebases the run, then relative to its t0. Null for most tasks.
    TaskTracePtr trace;
};

} // namespace lab

Q_DECLARE_METATYPE(lab::TaskResult)
