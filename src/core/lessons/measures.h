#pragma once
#include "experiment/runrecord.h"

#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace lab {

// A figure of one run that lessons and call-outs quote, computed from the typed record (never
// from JSON keys). Null where it does not apply (no baseline, no GIL, not a convoy run).
enum class Measure {
    Speedup,            // x, against the model's own sequential baseline
    WallS,              // s
    Efficiency,         // %, speedup / workers
    BusyCores,          // cores
    TasksPerS,          // tasks finished per second of wall time
    Workers,
    GilSwitchesPerS,    // switches of the emulated GIL per second
    GilTenureMs,        // median time one thread held the GIL (ms)
    LatencyP50BesideMs, // convoy: round trip beside the CPU threads
    LatencyP99BesideMs,
    LatencyP50AloneMs,  // convoy: round trip alone
    LatencyP99AloneMs,
    LatencyMultiplier,  // convoy: p50 beside / p50 alone
    TasksOk,            // tasks that finished and were verified
    TasksFailed,        // tasks that failed (lost with a crashed worker or host, timed out, ...)
    UsPerOp,            // a variant's outcome: µs per operation (ipc-cost round trip, startup-cost median)
    GbPerS,             // a variant's outcome: GB/s (ipc-cost bulk payloads)
    NsPerOp,            // a variant's outcome: ns per operation (race-counter increments, lock-contention)
};

std::optional<Measure> measureFromName(const QString &name);
QString measureName(Measure m);
QStringList measureNames();
QString measureUnit(Measure m);  // "x", "s", "%", " ms", "/s", "" ...
int measureDecimals(Measure m);
std::optional<double> measureOf(Measure m, const RunRecord &run);
// "0.97x", "5.20 ms", "191/s"; "–" for a figure that was not measured.
QString formatMeasure(Measure m, std::optional<double> value);
// The same for any figure: the value with `decimals` and `unit` appended ("12 %"), or "–".
QString formatFigure(std::optional<double> value, const QString &unit, int decimals);
// One of the figures a run's workload summary reports (Figure::key, e.g. race-counter's "lost"):
// nullopt when the run failed or the figure was not measured.
std::optional<double> workloadFigureOf(const QString &key, const RunRecord &run);

// The runs a lesson or a call-out speaks about: the median good repetition of each model, with
// speedups against their baselines (RunStore::medianRuns). Cancelled and failed runs are left out.
std::vector<RunRecord> representativeRuns(const ExperimentResult &result);
const RunRecord *runOfModel(const std::vector<RunRecord> &runs, const QString &model);
// The model's label from the model registry (the id when unknown).
QString modelDisplayName(const QString &model);

} // namespace lab
