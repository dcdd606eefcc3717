#include "comparisonmodel.h"

#include "sampling/foreignload.h"
#include "store/runstore.h"
#include "util/sysinfo.h"

#include <algorithm>
#include <cmath>

namespace lab {

ComparisonModel::ComparisonModel(QObject *parent) : QObject(parent), m_machineCores(std::max(1, onlineCores())) {}

std::optional<double> ComparisonModel::value(Panel panel, const RunRecord &r)
{
    if (!r.error.isEmpty())
        return std::nullopt;
    double v = -1;
    switch (panel) {
    case WallTime: v = r.wall_s; break;
    case Speedup: v = r.speedup; break;
    case Efficiency: v = r.efficiency < 0 ? -1 : r.efficiency * 100.0; break;
    case BusyCores: v = r.busy_cores; break;
    case PanelCount: break;
    }
    if (v < 0 || !std::isfinite(v))
        return std::nullopt;
    return v;
}

void ComparisonModel::setRuns(const std::vector<RunRecord> &runs)
{
    setRunsWithSpread(runs, {});
}

void ComparisonModel::setRunsWithSpread(const std::vector<RunRecord> &runs, const QHash<QString, Spread> &spread)
{
    m_runs = runs;
    m_spread = spread;
    layout();
    Q_EMIT changed();
}

void ComparisonModel::setTitle(const QString &title)
{
    if (title == m_title)
        return;
    m_title = title;
    Q_EMIT changed();
}

int ComparisonModel::maxRepetitions() const
{
    int n = 1;
    for (const Bar &b : m_bars)
        n = std::max(n, b.repetitions);
    return n;
}

void ComparisonModel::setMachineCores(int cores)
{
    m_machineCores = std::max(1, cores);
    Q_EMIT changed();
}

void ComparisonModel::clear()
{
    setRuns({});
}

int ComparisonModel::idealSpeedup(int group) const
{
    int workers = 0;
    for (const RunRecord &r : m_runs)
        if (r.model == m_models.value(group))
            workers = std::max(workers, r.workers);
    return workers;
}

bool ComparisonModel::hasBaseline(const QString &model) const
{
    const QString base = baselineModel(model);
    return std::any_of(m_runs.begin(), m_runs.end(), [&](const RunRecord &r) { return r.model == base; });
}

void ComparisonModel::layout()
{
    m_models.clear();
    m_bars.clear();
    for (const RunRecord &r : m_runs)
        if (!m_models.contains(r.model))
            m_models << r.model;
    // Runs of a model side by side inside its group.
    constexpr double groupWidth = 0.8;
    for (int m = 0; m < int(m_models.size()); ++m) {
        std::vector<const RunRecord *> runs;
        for (const RunRecord &r : m_runs)
            if (r.model == m_models[m])
                runs.push_back(&r);
        const double w = groupWidth / double(runs.size());
        for (int i = 0; i < int(runs.size()); ++i) {
            Bar b;
            b.model = m_models[m];
            b.group = m;
            b.key = m - groupWidth / 2 + w * (i + 0.5);
            b.width = w * 0.9;
            for (int p = 0; p < PanelCount; ++p)
                b.value[p] = value(Panel(p), *runs[size_t(i)]);
            const RunRecord &r = *runs[size_t(i)];
            b.failed = !r.error.isEmpty();
            b.cancelled = r.cancelled;
            b.tasksFailed = r.tasks_failed;
            b.tasksTotal = r.tasks_total;
            b.disturbed = r.foreign_busy_cores && *r.foreign_busy_cores > kForeignLoadLimit;
            const auto sp = m_spread.constFind(RunStore::comparisonKey(r));
            if (sp != m_spread.constEnd() && sp->runs > 1 && runs.size() == 1) {
                b.repetitions = sp->runs;
                b.minWall = sp->minWall;
                b.maxWall = sp->maxWall;
            }
            m_bars.push_back(b);
        }
    }
}

} // namespace lab
