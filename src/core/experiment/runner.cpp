#include "runner.h"

#include "models/executionmodel.h"
#include "sampling/smapsrollup.h"
#include "util/sysinfo.h"
#include "workloads/workload.h"

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
        error = QStringLiteral("no model can run the %1 workload").arg(spec.workload);
    const Workload *workload = spec.workloadImpl();
    if (!workload && error.isEmpty())
        error = QStringLiteral("unknown workload \"%1\"").arg(spec.workload);
    if (!error.isEmpty()) {
        result.error = error;
        Q_EMIT experimentFinished(gen, result);
        return result;
    }
    // One repetition: every variant, its baselines first, then the models that fit it.
    const std::vector<ExperimentSpec::PlannedRun> plan = spec.plan(models);
    if (plan.empty()) {
        result.error = QStringLiteral("none of the selected models can run the selected variants of the %1 workload")
                           .arg(spec.workload);
        Q_EMIT experimentFinished(gen, result);
        return result;
    }
    const int tasksPerRun = int(spec.makeTasks().size());
    const int runCount = int(plan.size()) * spec.repetitions;
    Q_EMIT experimentStarted(gen, runCount, tasksPerRun);

    int index = 0;
    for (int rep = 0; rep < spec.repetitions && !m_cancel.load(); ++rep) {
        for (const ExperimentSpec::PlannedRun &planned : plan) {
            if (m_cancel.load())
                break;
            const QString &id = planned.model;
            // The variant's runs see the spec with its overrides, as if it had been written so.
            ExperimentSpec variantSpec = spec;
            variantSpec.params = withVariant(spec.params, planned.variant);
            const ModelInfo *info = findModel(id);
            RunRecord rec;
            rec.runId = ExperimentResult::runIdFor(result.experimentId, index);
            rec.model = id;
            rec.variant = planned.variant.name;
            rec.primitives = workload->primitives(variantSpec.params);
            rec.repetition = rep;
            rec.workers = info->fixedSingleWorker ? 1 : variantSpec.effectiveWorkers();
            // New runs always carry these keys: null unless the model measures them.
            rec.dispatch_us_per_task = -1.0;
            rec.pss_kb = -1L;
            const QString unavailable = info->whyUnavailable();
            m_live.setCurrentRun(index);
            // The workload's shared state is set up before the run's clock starts and torn down
            // after it stops; the tasks are made against it (e.g. the local server's port).
            QString setupError;
            std::unique_ptr<WorkloadState> state =
                unavailable.isEmpty() ? workload->setUp(variantSpec.params, &setupError) : nullptr;
            const std::vector<TaskSpec> tasks = variantSpec.makeTasks(state.get());
            // Peak RSS per run: in-process models run in this process, so its high-water mark is
            // reset here and read after the run (includes the app's own footprint, as the
            // threads share it); where the kernel refuses the reset, the RSS at the end stands
            // in. Process models report their workers' peaks instead: the app is not counted.
            const bool peakReset = resetPeakRss();
            rec.t0 = monotonicSeconds();
            Q_EMIT runStarted(gen, index, id, rec.workers, rec.t0);
            if (!unavailable.isEmpty()) {
                rec.error = unavailable;
            } else if (!setupError.isEmpty()) {
                rec.error = setupError;
            } else {
                RunContext ctx{variantSpec, rec.workers, m_cancel, m_live, rec.t0, state.get()};
                std::unique_ptr<ExecutionModel> model = info->create();
                model->run(tasks, ctx, rec);
            }
            rec.wall_s = monotonicSeconds() - rec.t0;
            // Traces were recorded on the shared monotonic clock (here, in workers, in CPython):
            // from now on they are relative to the run's start, like every other time.
            for (TaskResult &t : rec.tasks)
                if (t.trace) {
                    auto rebased = std::make_shared<TaskTrace>(*t.trace);
                    rebased->shift(-rec.t0);
                    t.trace = std::move(rebased);
                }
            rec.cancelled = m_cancel.load();
            if (!unavailable.isEmpty())
                rec.peak_rss_kb = -1;
            else if (rec.peak_rss_kb <= 0)
                rec.peak_rss_kb = peakReset ? peakRssKb() : currentRssKb();
            // PSS of the app after the run; for in-process models it is also what ran the tasks.
            rec.app_pss_kb = pssKbOf();
            if (unavailable.isEmpty() && (info->family == ModelFamily::InProcess || info->family == ModelFamily::Async))
                rec.pss_kb = *rec.app_pss_kb;
            if (rec.python && !rec.python->version.isEmpty())
                result.machine.pythonVersion = rec.python->version;
            const int missing = int(tasks.size()) - int(rec.tasks.size());
            if (missing > 0 && !rec.cancelled && rec.error.isEmpty())
                rec.error = QStringLiteral("%1 of %2 tasks produced no result").arg(missing).arg(tasks.size());
            rec.finalize(int(tasks.size()));
            if (rec.error.isEmpty() || !rec.tasks.empty())
                rec.workloadSummary = workload->summarize(rec, state.get());
            state.reset();
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
