#include "asyncmodel.h"
#include "executionmodel.h"
#include "gilthreadsmodel.h"
#include "hostedthreadsmodel.h"
#include "pythonmodel.h"
#include "processpoolmodel.h"
#include "threadpoolmodel.h"
#include "util/sysinfo.h"
#include "workloads/workload.h"

#include <algorithm>

namespace lab {

QString ModelInfo::whyNot(const QString &workload) const
{
    const Workload *w = findWorkload(workload);
    return w ? w->whyNotOn(*this) : QStringLiteral("unknown workload \"%1\"").arg(workload);
}

const std::vector<ModelInfo> &modelRegistry()
{
    static const std::vector<ModelInfo> registry = [] {
        using F = ModelFamily;
        std::vector<ModelInfo> r;
        r.push_back({QStringLiteral("sequential"), QStringLiteral("Sequential"),
                     QStringLiteral("One worker thread runs every task in turn: the baseline."), F::InProcess, true,
                     [] { return std::make_unique<ThreadPoolModel>(QStringLiteral("sequential"), true); }, {}});
        r.push_back({QStringLiteral("threads"), QStringLiteral("Threads"),
                     QStringLiteral("A pool of native threads sharing one task queue (ThreadPoolExecutor); "
                                    "what a free-threaded Python (PEP 703, python3.13t) promises."),
                     F::InProcess, false, [] { return std::make_unique<ThreadPoolModel>(QStringLiteral("threads")); }, {}});
        r.push_back({QStringLiteral("processes"), QStringLiteral("Processes"),
                     QStringLiteral("A pool of concurrency-lab-worker child processes fed over pipes "
                                    "(multiprocessing.Pool.map)."),
                     F::ChildProcesses, false, [] { return std::make_unique<ProcessPoolModel>(); }, [] {
                         return siblingExecutable(ProcessPoolModel::workerName()).isEmpty()
                                    ? QStringLiteral("%1 was not found next to this program").arg(ProcessPoolModel::workerName())
                                    : QString();
                     }});
        r.push_back({QStringLiteral("threads-hosted"), QStringLiteral("Threads (in a host process)"),
                     QStringLiteral("The threads model inside one sacrificial concurrency-lab-worker process: a crash in "
                                    "any task kills the host and every task it had not finished, as it would kill a "
                                    "Python interpreter running a ThreadPoolExecutor."),
                     F::ChildProcesses, false, [] { return std::make_unique<HostedThreadsModel>(); }, [] {
                         return siblingExecutable(ProcessPoolModel::workerName()).isEmpty()
                                    ? QStringLiteral("%1 was not found next to this program").arg(ProcessPoolModel::workerName())
                                    : QString();
                     }});
        r.push_back({QStringLiteral("gil-threads"), QStringLiteral("Threads + GIL"),
                     QStringLiteral("Native threads that must hold an emulated CPython GIL (3.11/3.12 algorithm: "
                                    "switch interval, drop request, forced switching) to compute; blocking waits "
                                    "release it."),
                     F::InProcess, false, [] { return std::make_unique<GilThreadsModel>(); }, {}});
        const auto addPython = [&r](PythonModel::Mode mode, const QString &label, const QString &what) {
            r.push_back({PythonModel::idFor(mode), label,
                         what + QStringLiteral("; ") + PythonModel::note() + QStringLiteral("."), F::CPython,
                         mode == PythonModel::Mode::Sequential, [mode] { return std::make_unique<PythonModel>(mode); },
                         [] { return PythonModel::unavailableReason(); }});
        };
        addPython(PythonModel::Mode::Sequential, QStringLiteral("CPython sequential"),
                  QStringLiteral("The seed's Python script run by a real python3, one task after another"));
        addPython(PythonModel::Mode::Threads, QStringLiteral("CPython threads"),
                  QStringLiteral("The seed's Python script on a ThreadPoolExecutor in a real python3, under its real GIL"));
        addPython(PythonModel::Mode::Processes, QStringLiteral("CPython processes"),
                  QStringLiteral("The seed's Python script on multiprocessing workers (a supervised Pool, one task at a time) in a real python3"));
        r.push_back({QStringLiteral("async"), QStringLiteral("Async"),
                     QStringLiteral("One thread drives up to W transfers at once with curl_multi: what asyncio "
                                    "and aiohttp give Python."),
                     F::Async, false, [] { return std::make_unique<AsyncModel>(); }, {}});
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
        const QString why = m->whyNot(spec.workload);
        if (!why.isEmpty()) {
            *error = QStringLiteral("model \"%1\" cannot run the %2 workload: %3").arg(id, spec.workload, why);
            return {};
        }
        if (!out.contains(id))
            out << id;
    }
    return out;
}

} // namespace lab
