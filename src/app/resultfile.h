#pragma once
#include "experiment/runrecord.h"
#include "sampling/cpusampler.h"

#include <QHash>
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
// Runs whose summary gives no outcome take the one of the file's "variants" table (by run id),
// so a file draws its variants even where this build cannot read the workload's summary.
std::optional<LoadedResult> readResultFile(const QString &path, QString *error);
void attachFileOutcomes(ExperimentResult &result, const QHash<QString, VariantOutcome> &outcomes);

} // namespace lab
