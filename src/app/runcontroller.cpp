#include "runcontroller.h"

#include "chartmodels/appcpumeter.h"
#include "models/executionmodel.h"
#include "sampling/foreignload.h"
#include "util/lagmeter.h"
#include "util/sysinfo.h"

#include <QDateTime>
#include <QDeadlineTimer>

namespace lab {

namespace {
constexpr int kPollMs = 50;               // 20 Hz: live events, throughput, progress
constexpr double kRateWindowS = 1.0;      // live throughput = finished tasks in the last second
const QString kSequential = QStringLiteral("sequential");
} // namespace

RunController::RunController(QObject *parent)
    : QObject(parent), m_lag(new LagMeter(this)), m_appCpu(new AppCpuMeter(this))
{
    m_runner = new Runner;  // registers the metatypes the queued signals below need
    m_runner->moveToThread(&m_thread);
    m_thread.setObjectName(QStringLiteral("lab-runner"));
    connect(m_runner, &Runner::experimentStarted, this, &RunController::onExperimentStarted);
    connect(m_runner, &Runner::runStarted, this, &RunController::onRunStarted);
    connect(m_runner, &Runner::runFinished, this, &RunController::onRunFinished);
    connect(m_runner, &Runner::experimentFinished, this, &RunController::onExperimentFinished);
    m_thread.start();

    // The UI-thread demo's Runner lives here; its signals arrive synchronously inside run().
    m_uiRunner = new Runner(this);
    connect(m_uiRunner, &Runner::runStarted, this,
            [this](quint64, int, const QString &model, int workers, double t0) {
                m_uiRunStarted = true;
                m_currentRun = 0;
                m_appCpuAtRunStart = m_appCpu->cpuSeconds();
                Q_EMIT runStarted(0, model, workers, t0);
                m_lag->beginRecording();
                beginForeignMeasure();
            });

    m_pollTimer.setInterval(kPollMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &RunController::poll);
}

RunController::~RunController()
{
    shutdown();
}

void RunController::start(const ExperimentSpec &spec, bool sequentialOnUiThread)
{
    Q_ASSERT(QThread::currentThread() == thread());
    if (m_running || !m_runner)
        return;
    m_running = true;
    m_stopRequested = false;
    m_spec = spec;
    m_result = ExperimentResult{};
    m_result.experimentId = ExperimentResult::newExperimentId();
    m_result.startedAt = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    m_result.t0 = monotonicSeconds();
    m_result.spec = spec;
    m_result.machine = MachineInfo::current();
    m_foreignBefore = m_foreign ? m_foreign->latestCores() : -1;
    m_runOffset = 0;
    m_tasksDoneInFinishedRuns = 0;
    m_currentRun = -1;
    m_tasksPerRun = int(spec.makeTasks().size());
    QString why;
    QStringList models = resolveModels(spec, &why);
    m_runCount = int(models.size()) * spec.repetitions;
    m_clock.start();
    m_pollTimer.start();
    Q_EMIT experimentStarted(spec, m_runCount, m_tasksPerRun);

    if (sequentialOnUiThread && models.contains(kSequential)) {
        ExperimentSpec rest = spec;
        models.removeAll(kSequential);
        rest.models = models;
        m_runOffset = 1;
        m_runCount = 1 + int(models.size()) * spec.repetitions;
        // Let the window paint "running" first; then the event loop stops for the whole run.
        QTimer::singleShot(100, this, [this, spec, rest] { runSequentialOnUiThread(spec, rest); });
        return;
    }
    startOnRunner(spec);
}

void RunController::startOnRunner(const ExperimentSpec &spec)
{
    m_generation = ++m_requested;  // the Runner bumps its counter once per start()
    m_runnerStarted = false;
    m_cursor = 0;
    m_pending.clear();
    m_runs.clear();
    Runner *runner = m_runner;
    auto shutdown = m_shutdown;
    QMetaObject::invokeMethod(
        runner,
        [runner, spec, shutdown] {
            if (!shutdown->load())
                runner->start(spec);
        },
        Qt::QueuedConnection);
}

void RunController::runSequentialOnUiThread(ExperimentSpec spec, ExperimentSpec rest)
{
    if (!m_running)
        return;
    if (m_stopRequested) {
        finishLocally();
        return;
    }
    // The same Runner loop as every other run, called on the GUI thread: run() blocks, so
    // no event is processed until every task is done (the point of the demo). The lag meter
    // measures the freeze from its own thread.
    ExperimentSpec sequential = spec;
    sequential.models = {kSequential};
    sequential.repetitions = 1;
    m_uiRunStarted = false;
    const ExperimentResult local = m_uiRunner->run(sequential);
    if (local.runs.empty()) {
        m_result.error = local.error.isEmpty() ? QStringLiteral("the sequential run did not start") : local.error;
        if (m_uiRunStarted)
            m_lag->endRecording();
        finishLocally();
        return;
    }
    RunRecord rec = local.runs.front();
    rec.ranOnUiThread = true;
    rec.foreign_busy_cores = endForeignMeasure();
    // The GUI thread ran the tasks itself: the app's share is what it did besides them.
    rec.app_cpu_s = std::max(0.0, m_appCpu->cpuSeconds() - m_appCpuAtRunStart - rec.cpu_s);

    // The lag meter's timer only notices the freeze when it fires late, after control returns
    // to the event loop: close the recording a few timer periods later.
    QTimer::singleShot(150, this, [this, rec, rest]() mutable {
        if (!m_running)
            return;
        rec.ui_lag_p99_ms = m_lag->endRecording();
        m_tasksDoneInFinishedRuns += int(rec.tasks.size());
        m_currentRun = -1;
        appendRun(std::move(rec));
        if (!rest.models.isEmpty() && !m_stopRequested)
            startOnRunner(rest);
        else
            finishLocally();
    });
}

void RunController::beginForeignMeasure()
{
    m_loadAtRunStart = readLoadSnapshot();
}

std::optional<double> RunController::endForeignMeasure()
{
    const double injected = m_foreign ? m_foreign->overrideCores() : -1;
    std::optional<double> cores = foreignBusyCores(m_loadAtRunStart, readLoadSnapshot());
    if (injected >= 0)
        cores = injected;
    m_loadAtRunStart.reset();
    return cores;
}

void RunController::finishLocally()
{
    m_result.warnings.clear();
    const QString before = foreignLoadWarning(m_foreignBefore);
    if (!before.isEmpty())
        m_result.warnings << QStringLiteral("before the experiment: %1").arg(before);
    for (const RunRecord &r : m_result.runs) {
        const QString during = r.foreign_busy_cores ? foreignLoadWarning(*r.foreign_busy_cores) : QString();
        if (!during.isEmpty()) {
            const ModelInfo *m = findModel(r.model);
            m_result.warnings << QStringLiteral("during the %1 run: %2").arg(m ? m->label : r.model, during);
        }
    }
    m_result.cancelled = m_stopRequested;
    m_result.computeSpeedups();
    m_running = false;
    m_pollTimer.stop();
    Q_EMIT progressChanged(m_tasksDoneInFinishedRuns, std::max(1, m_runCount * m_tasksPerRun),
                           m_clock.elapsed() / 1000.0, 0);
    Q_EMIT experimentFinished(m_result);
}

void RunController::stop()
{
    if (!m_running)
        return;
    m_stopRequested = true;
    if (m_runner)
        m_runner->requestCancel();
}

void RunController::shutdown()
{
    if (!m_runner)
        return;
    m_shutdown->store(true);
    m_stopRequested = true;
    m_pollTimer.stop();
    m_runner->requestCancel();
    m_thread.quit();
    // A start() already past the shutdown check may reset the cancel flag as it begins:
    // keep asking until the thread is gone. Models return within ~100 ms of a cancel.
    while (!m_thread.wait(QDeadlineTimer(50)))
        m_runner->requestCancel();
    delete m_runner;
    m_runner = nullptr;
    m_running = false;
}

void RunController::onExperimentStarted(quint64 gen, int runCount, int tasksPerRun)
{
    if (gen != m_generation || !m_running)
        return;
    m_runnerStarted = true;
    m_runCount = m_runOffset + runCount;
    m_tasksPerRun = tasksPerRun;
    if (m_stopRequested)
        m_runner->requestCancel();  // a Stop that came before the Runner reset its flag
}

void RunController::onRunStarted(quint64 gen, int index, const QString &model, int workers, double t0)
{
    if (gen != m_generation || !m_running)
        return;
    if (m_stopRequested)
        m_runner->requestCancel();
    m_runs.insert(index, {model, t0});
    m_currentRun = m_runOffset + index;
    m_recentDone.clear();
    m_lag->beginRecording();
    beginForeignMeasure();
    m_appCpuAtRunStart = m_appCpu->cpuSeconds();
    Q_EMIT runStarted(m_runOffset + index, model, workers, t0);
    poll();
}

void RunController::onRunFinished(quint64 gen, RunRecord record)
{
    if (gen != m_generation || !m_running)
        return;
    poll();
    record.ui_lag_p99_ms = m_lag->endRecording();
    record.foreign_busy_cores = endForeignMeasure();
    record.app_cpu_s = std::max(0.0, m_appCpu->cpuSeconds() - m_appCpuAtRunStart);
    m_tasksDoneInFinishedRuns += m_tasksPerRun;
    m_currentRun = -1;
    appendRun(std::move(record));
}

void RunController::appendRun(RunRecord record)
{
    // Runs of both Runners (the UI-thread baseline and the rest) belong to one experiment: its
    // ids, and one speedup rule for all of them.
    record.runId = ExperimentResult::runIdFor(m_result.experimentId, int(m_result.runs.size()));
    m_result.runs.push_back(std::move(record));
    applySpeedups(m_result.runs);
    Q_EMIT runFinished(m_result.runs.back());
}

void RunController::onExperimentFinished(quint64 gen, ExperimentResult result)
{
    if (gen != m_generation || !m_running)
        return;
    poll();
    m_result.machine = result.machine;
    if (!result.error.isEmpty())
        m_result.error = result.error;
    m_stopRequested = m_stopRequested || result.cancelled;
    finishLocally();
}

void RunController::poll()
{
    if (!m_running || !m_runner)
        return;
    const double now = monotonicSeconds();
    int doneInRun = 0;
    if (m_runnerStarted) {
        // The Runner clears its LiveLog before experimentStarted, so reading starts only after it.
        std::vector<LiveEvent> fresh = m_runner->live().since(&m_cursor);
        m_pending.insert(m_pending.end(), fresh.begin(), fresh.end());
        size_t kept = 0;
        size_t i = 0;
        while (i < m_pending.size()) {
            const int run = m_pending[i].run;
            size_t j = i;
            while (j < m_pending.size() && m_pending[j].run == run)
                ++j;
            const auto it = m_runs.constFind(run);
            if (it == m_runs.constEnd()) {
                // runStarted not delivered yet: keep these for the next poll.
                for (size_t k = i; k < j; ++k)
                    m_pending[kept++] = m_pending[k];
            } else {
                std::vector<LiveEvent> batch(m_pending.begin() + qsizetype(i), m_pending.begin() + qsizetype(j));
                // The run's index in the whole experiment (the UI-thread run came first).
                for (LiveEvent &e : batch)
                    e.run += m_runOffset;
                if (m_runOffset + run == m_currentRun)
                    for (const LiveEvent &e : batch)
                        if (e.type == LiveEvent::TaskFinished && e.ok)
                            m_recentDone.emplace_back(e.t, e.bytes);
                Q_EMIT liveEventsArrived(it->model, it->t0, batch);
            }
            i = j;
        }
        m_pending.resize(kept);
        if (m_currentRun >= m_runOffset)
            doneInRun = m_runner->live().finishedCount();
    }

    const auto cur = m_runs.constFind(m_currentRun - m_runOffset);
    if (m_currentRun >= m_runOffset && cur != m_runs.constEnd()) {
        const double window = std::min(kRateWindowS, now - cur->t0);
        std::erase_if(m_recentDone, [&](const auto &p) { return p.first < now - kRateWindowS; });
        if (window > 0.05) {
            double bytes = 0;
            for (const auto &p : m_recentDone)
                bytes += double(p.second);
            Q_EMIT liveThroughput(cur->model, now - cur->t0, double(m_recentDone.size()) / window,
                                  bytes / window / 1e6);
        }
    }

    const int total = std::max(1, m_runCount * m_tasksPerRun);
    const int done = std::min(total, m_tasksDoneInFinishedRuns + doneInRun);
    const double elapsed = m_clock.elapsed() / 1000.0;
    const double remaining = done > 0 ? elapsed * double(total - done) / double(done) : -1;
    Q_EMIT progressChanged(done, total, elapsed, remaining);
}

} // namespace lab
