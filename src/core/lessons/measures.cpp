#include "measures.h"

#include "models/executionmodel.h"
#include "store/runstore.h"
#include "util/sysinfo.h"
#include "workloads/convoy/convoyworkload.h"

#include <array>
#include <cmath>

namespace lab {

namespace {
struct MeasureInfo {
    Measure measure;
    const char *name;
    const char *unit;
    int decimals;
};
constexpr std::array<MeasureInfo, 18> kMeasures{{
    {Measure::Speedup, "speedup", "x", 2},
    {Measure::WallS, "wall_s", " s", 2},
    {Measure::Efficiency, "efficiency", " %", 0},
    {Measure::BusyCores, "busy_cores", " cores", 2},
    {Measure::TasksPerS, "tasks_per_s", " tasks/s", 1},
    {Measure::Workers, "workers", "", 0},
    {Measure::GilSwitchesPerS, "gil_switches_per_s", " switches/s", 0},
    {Measure::GilTenureMs, "gil_tenure_ms", " ms", 2},
    {Measure::LatencyP50BesideMs, "latency_p50_beside_ms", " ms", 2},
    {Measure::LatencyP99BesideMs, "latency_p99_beside_ms", " ms", 2},
    {Measure::LatencyP50AloneMs, "latency_p50_alone_ms", " ms", 3},
    {Measure::LatencyP99AloneMs, "latency_p99_alone_ms", " ms", 3},
    {Measure::LatencyMultiplier, "latency_multiplier", "x", 0},
    {Measure::TasksOk, "tasks_ok", " tasks", 0},
    {Measure::TasksFailed, "tasks_failed", " tasks", 0},
    {Measure::UsPerOp, "us_per_op", " µs", 1},
    {Measure::GbPerS, "gb_per_s", " GB/s", 2},
    {Measure::NsPerOp, "ns_per_op", " ns", 1},
}};
// One row per Measure (the last enumerator is NsPerOp): a missing row would read as zeros.
static_assert(kMeasures.size() == size_t(Measure::NsPerOp) + 1);

const MeasureInfo &info(Measure m)
{
    for (const MeasureInfo &i : kMeasures)
        if (i.measure == m)
            return i;
    return kMeasures[0];
}

std::optional<double> positive(double v)
{
    return (std::isfinite(v) && v >= 0) ? std::optional<double>(v) : std::nullopt;
}

std::optional<double> usToMs(const std::optional<double> &us)
{
    return us ? std::optional<double>(*us / 1000.0) : std::nullopt;
}

std::optional<double> gilTenureMs(const GilStats &g)
{
    std::vector<double> tenures;
    tenures.reserve(g.spans.size());
    for (const GilStats::Span &s : g.spans)
        if (s.end_s > s.start_s)
            tenures.push_back((s.end_s - s.start_s) * 1000.0);
    if (!tenures.empty())
        return median(std::move(tenures));
    // No spans kept: the mean tenure from the per-thread totals.
    double held = 0;
    qint64 acquisitions = 0;
    for (const GilStats::Thread &t : g.threads) {
        held += t.held_s;
        acquisitions += t.acquisitions;
    }
    return acquisitions > 0 ? std::optional<double>(held * 1000.0 / double(acquisitions)) : std::nullopt;
}
} // namespace

std::optional<Measure> measureFromName(const QString &name)
{
    for (const MeasureInfo &i : kMeasures)
        if (name == QLatin1String(i.name))
            return i.measure;
    return std::nullopt;
}

QString measureName(Measure m)
{
    return QString::fromLatin1(info(m).name);
}

QStringList measureNames()
{
    QStringList names;
    for (const MeasureInfo &i : kMeasures)
        names << QString::fromLatin1(i.name);
    return names;
}

QString measureUnit(Measure m)
{
    return QString::fromUtf8(info(m).unit);
}

int measureDecimals(Measure m)
{
    return info(m).decimals;
}

std::optional<double> measureOf(Measure m, const RunRecord &run)
{
    if (!run.error.isEmpty() || run.cancelled)
        return std::nullopt;
    const auto *convoy = dynamic_cast<const ConvoySummary *>(run.workloadSummary.get());
    const std::optional<VariantOutcome> outcome =
        run.workloadSummary ? run.workloadSummary->outcome() : std::optional<VariantOutcome>();
    switch (m) {
    case Measure::Speedup: return run.speedup > 0 ? positive(run.speedup) : std::nullopt;
    case Measure::WallS: return run.wall_s > 0 ? positive(run.wall_s) : std::nullopt;
    case Measure::Efficiency: return run.efficiency > 0 ? positive(run.efficiency * 100.0) : std::nullopt;
    case Measure::BusyCores: return run.wall_s > 0 ? positive(run.busy_cores) : std::nullopt;
    case Measure::TasksPerS:
        return run.wall_s > 0 ? std::optional<double>(run.tasks_ok / run.wall_s) : std::nullopt;
    case Measure::Workers: return run.workers > 0 ? std::optional<double>(run.workers) : std::nullopt;
    case Measure::GilSwitchesPerS: return run.gil ? positive(run.gil->switchesPerS) : std::nullopt;
    case Measure::GilTenureMs: return run.gil ? gilTenureMs(*run.gil) : std::nullopt;
    case Measure::LatencyP50BesideMs: return convoy ? usToMs(convoy->besideP50Us) : std::nullopt;
    case Measure::LatencyP99BesideMs: return convoy ? usToMs(convoy->besideP99Us) : std::nullopt;
    case Measure::LatencyP50AloneMs: return convoy ? usToMs(convoy->aloneP50Us) : std::nullopt;
    case Measure::LatencyP99AloneMs: return convoy ? usToMs(convoy->aloneP99Us) : std::nullopt;
    case Measure::LatencyMultiplier: return convoy ? convoy->multiplierP50 : std::nullopt;
    case Measure::TasksOk: return run.tasks_total > 0 ? std::optional<double>(run.tasks_ok) : std::nullopt;
    case Measure::TasksFailed: return run.tasks_total > 0 ? std::optional<double>(run.tasks_failed) : std::nullopt;
    case Measure::UsPerOp: return outcome && outcome->ok ? outcome->usPerOp : std::nullopt;
    case Measure::GbPerS: return outcome && outcome->ok ? outcome->gbPerS : std::nullopt;
    case Measure::NsPerOp: return outcome && outcome->ok ? outcome->nsPerOp : std::nullopt;
    }
    return std::nullopt;
}

QString formatMeasure(Measure m, std::optional<double> value)
{
    if (!value || !std::isfinite(*value))
        return QStringLiteral("–");
    // Sub-millisecond times read better in µs ("29 µs", not "0.029 ms").
    if (measureUnit(m) == QLatin1String(" ms") && *value < 1.0)
        return QStringLiteral("%1 µs").arg(*value * 1000.0, 0, 'f', *value < 0.01 ? 1 : 0);
    return formatFigure(value, measureUnit(m), measureDecimals(m));
}

QString formatFigure(std::optional<double> value, const QString &unit, int decimals)
{
    if (!value || !std::isfinite(*value))
        return QStringLiteral("–");
    return QString::number(*value, 'f', decimals) + unit;
}

std::optional<double> workloadFigureOf(const QString &key, const RunRecord &run)
{
    if (!run.error.isEmpty() || run.cancelled || !run.workloadSummary)
        return std::nullopt;
    for (const Figure &f : run.workloadSummary->figures())
        if (f.key == key)
            return f.value && std::isfinite(*f.value) ? f.value : std::nullopt;
    return std::nullopt;
}

std::vector<RunRecord> representativeRuns(const ExperimentResult &result)
{
    std::vector<RunRecord> good;
    for (const RunRecord &r : result.runs)
        if (!r.cancelled && r.error.isEmpty())
            good.push_back(r);
    std::vector<RunRecord> runs = RunStore::medianRuns(good);
    applySpeedups(runs);
    return runs;
}

const RunRecord *runOfModel(const std::vector<RunRecord> &runs, const QString &model)
{
    for (const RunRecord &r : runs)
        if (r.model == model)
            return &r;
    return nullptr;
}

QString modelDisplayName(const QString &model)
{
    const ModelInfo *m = findModel(model);
    return m ? m->label : model;
}

} // namespace lab
