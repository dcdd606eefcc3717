// Result files (ExperimentResult::fromJson, what `show`, the app's Open and loadResultFile
// read): any bytes give a result or a one-line error, never a crash; an accepted result
// writes back to JSON that reads again.
#include "experiment/runrecord.h"
#include "export/resultwriter.h"
#include "fuzzcheck.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray json = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    const std::optional<lab::ExperimentResult> result = lab::ExperimentResult::fromJson(json, &error);
    if (!result) {
        LAB_FUZZ_CHECK(!error.isEmpty() && !error.contains(QLatin1Char('\n')));
        return 0;
    }
    const QByteArray saved = lab::resultToJson(*result);
    const std::optional<lab::ExperimentResult> again = lab::ExperimentResult::fromJson(saved, &error);
    LAB_FUZZ_CHECK(again.has_value());
    LAB_FUZZ_CHECK(again->runs.size() == result->runs.size());
    return 0;
}
