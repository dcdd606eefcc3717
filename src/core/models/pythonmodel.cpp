#include "pythonmodel.h"

#include "ipc/workerprocess.h"
#include "util/sysinfo.h"
#include "workloads/cpu/cpuwork.h"
#include "workloads/workload.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lab {

namespace {

constexpr int kPollMs = 20;          // cancel is seen within this
constexpr int kTermGraceMs = 300;    // SIGTERM -> SIGKILL
constexpr int kStartTimeoutMs = 10000;
constexpr qsizetype kMaxStderr = 16 * 1024;

// Copies every embedded script into `dir`: the scripts import their shared module (labcommon.py)
// from their own folder.
bool extractScripts(const QTemporaryDir &dir)
{
    if (!dir.isValid())
        return false;
    const QDir embedded(QStringLiteral(":/python"));
    const QStringList names = embedded.entryList(QDir::Files);
    if (names.isEmpty())
        return false;
    for (const QString &name : names)
        if (!QFile::copy(embedded.filePath(name), dir.filePath(name)))
            return false;
    return true;
}

QString modeName(PythonModel::Mode mode)
{
    switch (mode) {
    case PythonModel::Mode::Sequential:
        return QStringLiteral("sequential");
    case PythonModel::Mode::Threads:
        return QStringLiteral("threads");
    case PythonModel::Mode::Processes:
        return QStringLiteral("processes");
    }
    return {};
}

// The job the script reads on stdin: the same tasks the native models get, in the form the
// workload's Python twin reads, plus how to run them.
// A job's own estimate (a workload whose tasks all run together, the convoy): its estimate_s
// plus estimate_switches GIL switch intervals of the spec. 0: per-task estimates only.
double jobEstimateSeconds(const QJsonObject &job, const ExperimentSpec &spec)
{
    return job.value(QStringLiteral("estimate_s")).toDouble(0)
           + job.value(QStringLiteral("estimate_switches")).toDouble(0) * spec.gil.switchIntervalMs / 1000.0;
}

QJsonObject makeJob(const Workload &workload, const std::vector<TaskSpec> &tasks, const ExperimentSpec &spec,
                    const QString &mode, int workers)
{
    QJsonObject job = workload.pythonJob(tasks, spec.params);
    if (job.contains(QStringLiteral("estimate_switches")))
        job.insert(QStringLiteral("estimate_s"), jobEstimateSeconds(job, spec));
    job.insert(QStringLiteral("mode"), mode);
    job.insert(QStringLiteral("workers"), workers);
    job.insert(QStringLiteral("switch_interval_s"), spec.gil.switchIntervalMs / 1000.0);
    return job;
}

// Kills the interpreter and everything it forked (a multiprocessing pool, the echo peer).
void killGroup(QProcess &p)
{
    const pid_t pid = pid_t(p.processId());
    if (pid <= 0)
        return;
    ::kill(-pid, SIGTERM);
    p.waitForFinished(kTermGraceMs);
    ::kill(-pid, SIGKILL);  // stragglers of the group, or a leader that ignored SIGTERM
    if (p.state() != QProcess::NotRunning)
        p.waitForFinished(2000);
}

QString lastLine(const QByteArray &text)
{
    const QList<QByteArray> lines = text.trimmed().split('\n');
    return lines.isEmpty() ? QString() : QString::fromUtf8(lines.last().trimmed());
}

} // namespace

PythonModel::PythonModel(Mode mode) : m_mode(mode) {}

QString PythonModel::idFor(Mode mode)
{
    return QStringLiteral("python-") + modeName(mode);
}

QString PythonModel::id() const
{
    return idFor(m_mode);
}

QString PythonModel::interpreter()
{
    const QString configured = qEnvironmentVariable("LAB_PYTHON");
    if (!configured.isEmpty()) {
        const QFileInfo fi(configured);
        if (fi.isAbsolute())
            return fi.isFile() && fi.isExecutable() ? fi.absoluteFilePath() : QString();
        return QStandardPaths::findExecutable(configured);
    }
    return QStandardPaths::findExecutable(QStringLiteral("python3"));
}

QString PythonModel::unavailableReason()
{
    if (!interpreter().isEmpty())
        return {};
    const QString configured = qEnvironmentVariable("LAB_PYTHON");
    if (!configured.isEmpty())
        return QStringLiteral("LAB_PYTHON=%1 is not an executable Python interpreter").arg(configured);
    return QStringLiteral("python3 was not found on PATH (set LAB_PYTHON to an interpreter)");
}

QString PythonModel::note()
{
    return QStringLiteral("CPython runs each CPU task once: the spec's repeat factor, which stretches the "
                          "~100x faster C++ loop, is ignored");
}

namespace {

// Orphans of the interpreter (pool workers, the convoy's echo peer) are re-parented to this
// process instead of PID 1, so they are reaped here at once (reapGroup), not left as zombies
// or uncounted CPU. Process-wide and not inherited by children: set once.
void becomeSubreaper()
{
    static const bool done = [] { return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0; }();
    (void)done;
}

// After the group leader (the interpreter) was reaped by QProcess: kills what is left of its
// process group and reaps those members that were re-parented to us. Bounded: members that
// went to another reaper are only waited for up to ~2 s.
void reapGroup(pid_t pgid)
{
    if (pgid <= 0)
        return;
    const double until = monotonicSeconds() + 2.0;
    for (;;) {
        while (::waitpid(-pgid, nullptr, WNOHANG) > 0) {
        }
        if (::kill(-pgid, SIGKILL) == -1 && errno == ESRCH)
            return;
        if (monotonicSeconds() > until)
            return;
        ::usleep(1000);
    }
}

} // namespace

double PythonModel::secondsPerCpuIteration()
{
    return cpuSecondsPerIteration() * kCpythonSlowdown;
}

std::optional<double> PythonModel::taskTimeoutOverride(const ExperimentSpec &spec)
{
    // task_timeout_s: the spec's per-task deadline, shared with the native process pool
    // (a typed, validated field of the spec; extra only for specs built in code).
    if (spec.taskTimeout_s > 0)
        return spec.taskTimeout_s;
    const QJsonValue v = spec.extra.value(QStringLiteral("task_timeout_s"));
    if (v.isDouble() && std::isfinite(v.toDouble()) && v.toDouble() > 0)
        return v.toDouble();
    return std::nullopt;
}

double PythonModel::taskDeadlineSeconds(double estimateSeconds, const ExperimentSpec &spec)
{
    if (const auto fixed = taskTimeoutOverride(spec))
        return *fixed;
    return std::max(kMinDeadlineS, kDeadlineFactor * std::max(0.0, estimateSeconds));
}

double PythonModel::estimatedSequentialSeconds(const ExperimentSpec &spec)
{
    const Workload *w = spec.workloadImpl();
    if (!w || w->pythonScript().isEmpty())
        return 0;
    const QJsonObject job = w->pythonJob(spec.makeTasks(), spec.params);
    if (job.value(QStringLiteral("estimate_s")).isDouble())
        return jobEstimateSeconds(job, spec);
    // Per-task estimates add up only where the native estimate says the work is sequential
    // compute (I/O and waits overlap, and have their own timeouts).
    if (spec.estimatedSequentialSeconds() <= 0)
        return 0;
    double total = 0;
    for (const QJsonValue &t : job.value(QStringLiteral("tasks")).toArray())
        total += std::max(0.0, t.toObject().value(QStringLiteral("estimate_s")).toDouble());
    return total;
}

QString PythonModel::timeGuard(const ExperimentSpec &spec)
{
    constexpr double kLimitS = 3600.0;
    QString error;
    QStringList python;
    for (const QString &m : resolveModels(spec, &error))
        if (m.startsWith(QLatin1String("python-")))
            python << m;
    if (python.isEmpty())
        return {};
    const double est = estimatedSequentialSeconds(spec);
    if (est <= kLimitS)
        return {};
    return QStringLiteral("%1 would take about %2 hours (CPython is ~%3x slower than the C++ loop); the limit is "
                          "1 hour (lower the work, or leave out the python-* models)")
        .arg(python.first())
        .arg(est / 3600.0, 0, 'f', 1)
        .arg(kCpythonSlowdown, 0, 'f', 0);
}

void PythonModel::run(const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record)
{
    const int workers = m_mode == Mode::Sequential ? 1 : std::max(1, ctx.workers);
    record.workers = workers;
    const QString python = interpreter();
    if (python.isEmpty()) {
        record.error = unavailableReason();
        return;
    }
    const Workload *workload = ctx.spec.workloadImpl();
    const QString script = workload ? workload->pythonScript() : QString();
    if (script.isEmpty()) {
        record.error = QStringLiteral("the %1 workload has no CPython twin").arg(ctx.spec.workload);
        return;
    }
    // Removed by its destructor on every way out of run(); a cancel (SIGINT/SIGTERM/SIGHUP of
    // the CLI or the app, a closed window) returns through here too.
    QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/concurrency-lab-XXXXXX"));
    const QString scriptPath = dir.filePath(script);
    if (!extractScripts(dir) || !QFileInfo::exists(scriptPath)) {
        record.error = QStringLiteral("cannot extract the Python script %1 to a temporary folder").arg(script);
        return;
    }
    becomeSubreaper();
    PythonInfo python_{python, script, modeName(m_mode), {}, {}};
    record.note = note();

    // Deadlines: the script's supervisor enforces them in a process pool (it kills the worker
    // and goes on); here they are enforced on the interpreter itself, a grace later when the
    // supervisor has the first say.
    QJsonObject baseJob = makeJob(*workload, tasks, ctx.spec, modeName(m_mode), workers);
    const double jobEstimate = baseJob.value(QStringLiteral("estimate_s")).toDouble(0);
    std::map<int, double> deadline;
    for (const TaskSpec &t : tasks)
        deadline[t.id] = taskDeadlineSeconds(jobEstimate, ctx.spec);
    const bool perTask = baseJob.value(QStringLiteral("tasks")).isArray();
    std::map<int, QJsonObject> jobTasks;
    if (perTask) {
        for (const QJsonValue &v : baseJob.value(QStringLiteral("tasks")).toArray()) {
            QJsonObject t = v.toObject();
            const int id = t.value(QStringLiteral("id")).toInt(-1);
            const double d = taskDeadlineSeconds(t.value(QStringLiteral("estimate_s")).toDouble(jobEstimate), ctx.spec);
            deadline[id] = d;
            t.insert(QStringLiteral("deadline_s"), d);
            jobTasks[id] = t;
        }
    }
    double maxDeadline = kMinDeadlineS;
    for (const auto &[id, d] : deadline)
        maxDeadline = std::max(maxDeadline, d);
    const auto graceFor = [&](double d) { return m_mode == Mode::Processes ? std::max(2.0, 0.25 * d) : 0.0; };

    std::map<int, const TaskSpec *> byId;
    for (const TaskSpec &t : tasks)
        byId[t.id] = &t;
    std::map<int, TaskResult> started;
    std::map<int, double> startedAt;  // monotonic seconds of the start line
    std::map<int, TaskResult> finished;
    double reportedCpu = 0;
    bool reportedDone = false;
    std::vector<double> spawnUs;
    QByteArray errText;
    bool cancelled = false;
    QString failure;         // why the last interpreter ended badly, for the record and missing tasks
    QString failureCategory;

    const auto fail = [&](int id, int worker, double t, const QString &category, const QString &error) {
        if (finished.count(id) || !byId.count(id))
            return;
        TaskResult r = started.count(id) ? started[id] : TaskResult{};
        r.id = id;
        r.worker = worker;
        if (!started.count(id))
            r.start_s = t - ctx.t0;
        r.end_s = t - ctx.t0;
        r.ok = false;
        r.verified = false;
        r.errorCategory = category;
        r.error = error;
        ctx.live.push({LiveEvent::TaskFinished, id, worker, t, false, 0, -1});
        finished[id] = std::move(r);
    };

    for (int attempt = 0;; ++attempt) {
        QJsonObject job = baseJob;
        if (perTask) {
            QJsonArray list;
            for (const auto &[id, t] : jobTasks)
                if (!finished.count(id))
                    list.append(t);
            if (list.isEmpty())
                break;
            job.insert(QStringLiteral("tasks"), list);
        }
        started.clear();
        startedAt.clear();
        const double startedRunAt = monotonicSeconds();
        double lastLineAt = startedRunAt;

        QProcess proc;
        proc.setProgram(python);
        proc.setArguments({QStringLiteral("-u"), scriptPath});
        // multiprocessing's own temporary folders (pymp-*, the forkserver's socket) go into ours,
        // so they are removed with it even when the interpreter is killed before it cleans up.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TMPDIR"), dir.path());
        proc.setProcessEnvironment(env);
        proc.setChildProcessModifier([] {
            ::setpgid(0, 0);                    // one group: cancel kills the pool too
            ::prctl(PR_SET_PDEATHSIG, SIGKILL); // and the interpreter dies with us
        });
        proc.start();
        if (!proc.waitForStarted(kStartTimeoutMs)) {
            failure = QStringLiteral("cannot start %1: %2").arg(python, proc.errorString());
            failureCategory = QStringLiteral("worker-died");
            break;
        }
        const pid_t pgid = pid_t(proc.processId());
        proc.write(QJsonDocument(job).toJson(QJsonDocument::Compact));
        proc.closeWriteChannel();

        auto handle = [&](const QByteArray &line) {
            const QJsonObject e = QJsonDocument::fromJson(line).object();
            const QString event = e.value(QStringLiteral("event")).toString();
            const int id = e.value(QStringLiteral("task")).toInt(-1);
            const int worker = e.value(QStringLiteral("worker")).toInt();
            const double t = e.value(QStringLiteral("t")).toDouble();
            if (event == QLatin1String("hello")) {
                spawnUs.push_back((t - startedRunAt) * 1e6);
                python_.version = e.value(QStringLiteral("python")).toString();
                if (e.value(QStringLiteral("pid")).isDouble())
                    python_.pid = qint64(e.value(QStringLiteral("pid")).toDouble());
            } else if (event == QLatin1String("start") && byId.count(id) && !finished.count(id)) {
                TaskResult &r = started[id];
                r.id = id;
                r.worker = worker;
                r.start_s = t - ctx.t0;
                startedAt[id] = monotonicSeconds();
                ctx.live.push({LiveEvent::TaskStarted, id, worker, t, false, 0, -1});
            } else if (event == QLatin1String("finish") && byId.count(id) && !finished.count(id)) {
                TaskResult r = started.count(id) ? started[id] : TaskResult{};
                r.id = id;
                r.worker = worker;
                if (!started.count(id))
                    r.start_s = e.value(QStringLiteral("t0")).toDouble() - ctx.t0;
                r.end_s = t - ctx.t0;
                r.compute_s = t - e.value(QStringLiteral("t0")).toDouble(t);
                r.cpuTime_s = e.value(QStringLiteral("cpu_s")).toDouble();
                r.value = e.value(QStringLiteral("value")).toString();
                workload->judgePython(*byId[id], e, r);
                // A twin's thread-state trace: time.monotonic() is the same clock (the Runner rebases).
                if (e.value(QStringLiteral("trace")).isObject()) {
                    auto trace = std::make_shared<TaskTrace>();
                    QString traceError;
                    if (TaskTrace::fromJson(e.value(QStringLiteral("trace")).toObject(), trace.get(), &traceError))
                        r.trace = std::move(trace);
                    else if (r.ok) {
                        r.ok = false;
                        r.error = QStringLiteral("the CPython script sent a malformed trace: %1").arg(traceError);
                    }
                }
                ctx.live.push({LiveEvent::TaskFinished, id, worker, t, r.ok, r.bytes, -1});
                finished[id] = std::move(r);
            } else if (event == QLatin1String("failed") && byId.count(id)) {
                // The pool supervisor lost this task's worker (killed, or past its deadline).
                ++record.worker_restarts;
                fail(id, worker, t, e.value(QStringLiteral("category")).toString(QStringLiteral("worker-died")),
                     e.value(QStringLiteral("error")).toString());
            } else if (event == QLatin1String("done")) {
                reportedDone = true;
                reportedCpu += e.value(QStringLiteral("cpu_s")).toDouble();
                record.peak_rss_kb = std::max(record.peak_rss_kb, long(e.value(QStringLiteral("maxrss_kb")).toDouble()));
            }
        };
        auto drain = [&] {
            while (proc.canReadLine()) {
                handle(proc.readLine());
                lastLineAt = monotonicSeconds();
            }
            errText += proc.readAllStandardError();
            if (errText.size() > kMaxStderr)
                errText = errText.right(kMaxStderr);
        };

        std::vector<int> missed;  // started tasks past their deadline
        bool stalled = false;     // nothing running, nothing said, for longer than any deadline
        while (proc.state() != QProcess::NotRunning) {
            if (ctx.cancel.load()) {
                cancelled = true;
                killGroup(proc);
                break;
            }
            proc.waitForReadyRead(kPollMs);
            drain();
            const double now = monotonicSeconds();
            for (const auto &[id, at] : startedAt)
                if (!finished.count(id) && now - at > deadline[id] + graceFor(deadline[id]))
                    missed.push_back(id);
            bool running = false;
            for (const auto &[id, at] : startedAt)
                running = running || !finished.count(id);
            stalled = !running && now - lastLineAt > maxDeadline + graceFor(maxDeadline);
            if (!missed.empty() || stalled) {
                killGroup(proc);
                break;
            }
        }
        proc.waitForFinished(1000);
        drain();
        if (!cancelled && !proc.atEnd())
            handle(proc.readAll());  // a last line without its newline
        reapGroup(pgid);
        if (cancelled)
            break;
        const double now = monotonicSeconds();
        if (!missed.empty()) {
            // The interpreter is the worker of sequential and threaded runs: killed with its
            // hung task, and replaced for the tasks that did not finish.
            for (int id : missed)
                fail(id, started[id].worker, now, QStringLiteral("timed-out"),
                     QStringLiteral("task %1 missed its deadline of %2 s; %3 (pid %4) was killed")
                         .arg(id)
                         .arg(deadline[id], 0, 'g', 3)
                         .arg(QFileInfo(python).fileName())
                         .arg(pgid));
            ++record.worker_restarts;
            failure.clear();
            if (perTask && attempt < int(tasks.size()))
                continue;
            failure = QStringLiteral("the interpreter was killed after task %1 missed its deadline").arg(missed.front());
            failureCategory = QStringLiteral("timed-out");
            break;
        }
        if (stalled) {
            failure = QStringLiteral("%1 (pid %2) said nothing for %3 s with tasks left and was killed")
                          .arg(QFileInfo(python).fileName())
                          .arg(pgid)
                          .arg(maxDeadline, 0, 'g', 3);
            failureCategory = QStringLiteral("timed-out");
            break;
        }
        if (proc.exitStatus() == QProcess::CrashExit || proc.exitCode() != 0) {
            const QString why = lastLine(errText);
            failure = QStringLiteral("%1 %2%3")
                          .arg(QFileInfo(python).fileName(),
                               ipc::describeExit(proc.exitCode(), proc.exitStatus() == QProcess::CrashExit),
                               why.isEmpty() ? QString() : QStringLiteral(": ") + why);
            failureCategory = proc.exitStatus() == QProcess::CrashExit ? QStringLiteral("worker-died")
                                                                        : QStringLiteral("interpreter-failed");
        } else if (!reportedDone) {
            failure = QStringLiteral("%1 ended without reporting its results (is it Python 3?)")
                          .arg(QFileInfo(python).fileName());
            failureCategory = QStringLiteral("interpreter-failed");
        }
        break;
    }

    // Every task is accounted for: one that never produced a line failed with the interpreter.
    if (!cancelled && !failure.isEmpty()) {
        const double now = monotonicSeconds();
        for (const TaskSpec &t : tasks)
            fail(t.id, -1, now, failureCategory, failure);
        record.error = failure;
    }
    record.tasks.clear();
    for (auto &[id, r] : finished)
        record.tasks.push_back(std::move(r));
    record.cpu_s = 0;
    if (reportedDone) {
        record.cpu_s = reportedCpu;
    } else {
        for (const TaskResult &r : record.tasks)
            record.cpu_s += r.cpuTime_s;
    }
    record.spawn_us_median = spawnUs.empty() ? -1 : median(spawnUs);
    record.spawnWhat = QStringLiteral("interpreter start-up (process start to the script's first line)");
    record.python = python_;
}

} // namespace lab
