#include "resultfile.h"

#include "export/resultwriter.h"

namespace lab {

std::optional<LoadedResult> readResultFile(const QString &path, QString *error)
{
    std::optional<ExperimentResult> result = loadResultFile(path, error);
    if (!result)
        return std::nullopt;
    LoadedResult loaded;
    if (result->cpu) {
        loaded.cpuSamples = result->cpu->samples;
        loaded.cpuHz = result->cpu->hz;
    }
    loaded.result = std::move(*result);
    return loaded;
}

} // namespace lab
