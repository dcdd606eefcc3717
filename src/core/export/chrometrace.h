#pragma once
#include "experiment/runrecord.h"
#include "sampling/cpusampler.h"

#include <QByteArray>
#include <vector>

namespace lab {

// Trace Event Format (the JSON that chrome://tracing and ui.perfetto.dev open).
// One process per run ("model #index"), one thread per worker with a complete event ("X")
// per task, a separate "GIL" thread per worker for run.gil->spans (spans may cross
// task boundaries, so they would break the X nesting rule on the task thread), and a
// "Machine" process holding per-core CPU counters ("C") from `samples` (default: result.cpu)
// that fall inside the experiment (plus one second either side). Timestamps are microseconds from the first run's t0.
QByteArray chromeTraceJson(const ExperimentResult &result, const std::vector<CpuSample> &samples = {});

} // namespace lab
