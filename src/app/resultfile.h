#pragma once
#include "experiment/runrecord.h"
#include "sampling/cpusampler.h"

#include <QString>
#include <optional>
#include <vector>

namespace lab {

// A saved experiment as the run store takes it: the result and the CPU samples it recorded.
struct LoadedResult {
    ExperimentResult result;
    std::vector<CpuSample> cpuSamples;
    double cpuHz = 0;  // 0: unknown
};

// Reads a results.json written by the app or the CLI (ExperimentResult::fromJson, any schema)
// for --open and File → Open results…; nullopt and one clear message on failure.
std::optional<LoadedResult> readResultFile(const QString &path, QString *error);

} // namespace lab
