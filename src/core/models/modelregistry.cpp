#include "asyncmodel.h"
#include "executionmodel.h"
#include "processpoolmodel.h"
#include "threadpoolmodel.h"
#include "util/sysinfo.h"

#include <algorithm>

namespace lab {

bool ModelInfo::supports(WorkloadKind k) const
{
    return std::find(workloads.begin(), workloads.end(), k) != workloads.end();
}

const std::vector<ModelInfo> &modelRegistry()
{
    static const std::vector<ModelInfo> registry = [] {
        const std::vector<WorkloadKind> both{WorkloadKind::Cpu, WorkloadKind::Io};
        std::vector<ModelInfo> r;
        r.push_back({QStringLiteral("sequential"), QStringLiteral("Sequential"),
                     QStringLiteral("One worker thread runs every task in turn: the baseline."), both, true,
                     [] { return std::make_unique<ThreadPoolModel>(QStringLiteral("sequential"), true); }, {}});
        r.push_back({QStringLiteral("threads"), QStringLiteral("Threads"),
                     QStringLiteral("A pool of native threads sharing one task queue (ThreadPoolExecutor); "
                                    "what a free-threaded Python (PEP 703, python3.13t) promises."),
                     both, false, [] { return std::make_unique<ThreadPoolModel>(QStringLiteral("threads")); }, {}});
        r.push_back({QStringLiteral("processes"), QStringLiteral("Processes"),
                     QStringLiteral("A pool of concurrency-lab-worker child processes fed over pipes "
                                    "(multiprocessing.Pool.map)."),
                     both, false, [] { return std::make_unique<ProcessPoolModel>(); }, [] {
                         return siblingExecutable(ProcessPoolModel::workerName()).isEmpty()
                                    ? QStringLiteral("%1 was not found next to this program").arg(ProcessPoolModel::workerName())
                                    : QString();
                     }});
        r.push_back({QStringLiteral("async"), QStringLiteral("Async"),
                     QStringLiteral("One thread drives up to W transfers at once with curl_multi: what asyncio "
                                    "and aiohttp give Python."),
                     {WorkloadKind::Io}, false, [] { return std::make_unique<AsyncModel>(); }, {}});
        // Further models register here (processes, gil-threads, async, python-*).
        return r;
    }();
    return registry;
}

const ModelInfo *findModel(const QString &id)
{
    for (const ModelInfo &m : modelRegistry())
        if (m.id == id)
            return &m;
    return nullptr;
}

QStringList modelIds()
{
    QStringList ids;
    for (const ModelInfo &m : modelRegistry())
        ids << m.id;
    return ids;
}

QStringList resolveModels(const ExperimentSpec &spec, QString *error)
{
    QStringList out;
    if (spec.models.isEmpty()) {
        for (const ModelInfo &m : modelRegistry())
            if (m.supports(spec.workload) && m.whyUnavailable().isEmpty())
                out << m.id;
        return out;
    }
    for (const QString &id : spec.models) {
        const ModelInfo *m = findModel(id);
        if (!m) {
            *error = QStringLiteral("unknown model \"%1\" (known models: %2)").arg(id, modelIds().join(QStringLiteral(", ")));
            return {};
        }
        if (!m->supports(spec.workload)) {
            *error = QStringLiteral("model \"%1\" cannot run the %2 workload").arg(id, workloadKindName(spec.workload));
            return {};
        }
        if (!out.contains(id))
            out << id;
    }
    return out;
}

} // namespace lab
