#include "runner.h"

#include "gil/convoywork.h"
#include "models/executionmodel.h"
#include "util/sysinfo.h"
#include "workloads/iowork.h"
#include "workloads/localserver.h"

#include <QDateTime>

namespace lab {

void registerMetaTypes()
{
    qRegisterMetaType<lab::ExperimentSpec>();
    qRegisterMetaType<lab::RunRecord>();
    qRegisterMetaType<lab::ExperimentResult>();
    qRegisterMetaType<lab::TaskResult>();
}

Runner::Runner(QObject *parent) : QObject(parent)
{
    registerMetaTypes();
}

void Runner::requestCancel()
{
    m_cancel.store(true);
}

void Runner::start(const ExperimentSpec &spec)
{
    run(spec);
}

ExperimentResult Runner::run(const ExperimentSpec &spec)
{
    const quint64 gen = ++m_generation;
    m_cancel.store(false);
    m_live.clear();

    ExperimentResult result;
    result.experimentId = ExperimentResult::newExperimentId();
    result.startedAt = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    result.t0 = monotonicSeconds();
    result.spec = spec;
    result.machine = MachineInfo::current();

    QString error;
    QStringList models = resolveModels(spec, &error);
    if (models.isEmpty() && error.isEmpty())
        error = QStringLiteral("no model can run the %1 workload").arg(workloadKindName(spec.workload));
    if (!error.isEmpty()) {
        result.error = error;
        Q_EMIT experimentFinished(gen, result);
        return result;
    }
    // Baselines first: every later run gets its speedup at once (see baselineModel()).
    for (const QString &base : {QStringLiteral("python-sequential"), QStringLiteral("sequential")})
        if (models.removeAll(base) > 0)
            models.prepend(base);

    LocalServer server;
    QString hostPort;
    if (spec.workload == WorkloadKind::Io && spec.io.usesLocalServer()) {
        if (!server.start(&error)) {
            result.error = QStringLiteral("cannot start the local HTTP server: %1").arg(error);
            Q_EMIT experimentFinished(gen, result);
            return result;
        }
        hostPort = server.hostPort();
    }
    const std::vector<TaskSpec> tasks = spec.makeTasks(hostPort);
    const int runCount = int(models.size()) * spec.repetitions;
    Q_EMIT experimentStarted(gen, runCount, int(tasks.size()));

    int index = 0;
    for (int rep = 0; rep < spec.repetitions && !m_cancel.load(); ++rep) {
        for (const QString &id : std::as_const(models)) {
            if (m_cancel.load())
                break;
            const ModelInfo *info = findModel(id);
            RunRecord rec;
            rec.runId = ExperimentResult::runIdFor(result.experimentId, index);
            rec.model = id;
            rec.repetition = rep;
            rec.workers = info->fixedSingleWorker ? 1 : spec.effectiveWorkers();
            const QString unavailable = info->whyUnavailable();
            m_live.setCurrentRun(index);
            // Peak RSS per run: in-process models run in this process, so its high-water mark is
            // reset here and read after the run (includes the app's own footprint, as the
            // threads share it); where the kernel refuses the reset, the RSS at the end stands
            // in. Process models report their workers' peaks instead: the app is not counted.
            const bool peakReset = resetPeakRss();
            rec.t0 = monotonicSeconds();
            Q_EMIT runStarted(gen, index, id, rec.workers, rec.t0);
            const double serverCpu0 = server.isRunning() ? server.cpuSeconds() : 0;
            if (!unavailable.isEmpty()) {
                rec.error = unavailable;
            } else {
                RunContext ctx{spec, rec.workers, m_cancel, m_live, rec.t0};
                std::unique_ptr<ExecutionModel> model = info->create();
                model->run(tasks, ctx, rec);
            }
            rec.wall_s = monotonicSeconds() - rec.t0;
            rec.cancelled = m_cancel.load();
            if (!unavailable.isEmpty())
                rec.peak_rss_kb = -1;
            else if (rec.peak_rss_kb <= 0)
                rec.peak_rss_kb = peakReset ? peakRssKb() : currentRssKb();
            if (rec.python && !rec.python->version.isEmpty())
                result.machine.pythonVersion = rec.python->version;
            const double serverCpu = server.isRunning() ? server.cpuSeconds() - serverCpu0 : -1;
            if (serverCpu >= 0)
                rec.extra.insert(QStringLiteral("server_cpu_s"), serverCpu);
            if (spec.workload == WorkloadKind::Io)
                insertIoMeasurements(rec.extra, rec.tasks, rec.wall_s, rec.cpu_s, serverCpu);
            // Every model of the convoy experiment reports the same latency summary, so native
            // threads stand beside the GIL models (models may have filled it already).
            if (spec.workload == WorkloadKind::Convoy && !rec.extra.contains(QStringLiteral("convoy"))) {
                const QJsonObject convoy = convoySummary(rec.tasks);
                if (!convoy.isEmpty())
                    rec.extra.insert(QStringLiteral("convoy"), convoy);
            }
            const int missing = int(tasks.size()) - int(rec.tasks.size());
            if (missing > 0 && !rec.cancelled && rec.error.isEmpty())
                rec.error = QStringLiteral("%1 of %2 tasks produced no result").arg(missing).arg(tasks.size());
            rec.finalize(int(tasks.size()));
            result.runs.push_back(rec);
            applySpeedups(result.runs);
            Q_EMIT runFinished(gen, result.runs.back());
            ++index;
        }
    }
    result.cancelled = m_cancel.load();
    Q_EMIT experimentFinished(gen, result);
    return result;
}

} // namespace lab
