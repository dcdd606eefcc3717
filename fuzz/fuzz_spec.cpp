// Spec files (ExperimentSpec::fromJson): any bytes give a spec or a one-line error, never a
// crash; an accepted spec survives its own JSON round trip unchanged and within the caps.
#include "experiment/experimentspec.h"
#include "fuzzcheck.h"

#include <QJsonDocument>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray json = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    const std::optional<lab::ExperimentSpec> spec = lab::ExperimentSpec::fromJson(json, &error);
    if (!spec) {
        LAB_FUZZ_CHECK(!error.isEmpty() && !error.contains(QLatin1Char('\n')));
        return 0;
    }
    // validate() may refuse what reading accepted (the CPython time guard runs there only),
    // but in one line.
    LAB_FUZZ_CHECK(!spec->validate().contains(QLatin1Char('\n')));
    const QJsonObject once = spec->toJson();
    const std::optional<lab::ExperimentSpec> again = lab::ExperimentSpec::fromJsonObject(once, &error);
    LAB_FUZZ_CHECK(again.has_value());
    LAB_FUZZ_CHECK(again->toJson() == once);
    const qint64 tasks = spec->taskCount();
    LAB_FUZZ_CHECK(tasks >= 1 && tasks <= lab::Workload::kMaxTasks);
    LAB_FUZZ_CHECK(spec->estimatedResultBytes() <= lab::ExperimentSpec::kMaxResultBytes);
    if (tasks <= 64)  // building tasks is linear; small specs keep the fuzzer fast
        LAB_FUZZ_CHECK(qint64(spec->makeTasks().size()) == tasks);
    return 0;
}
