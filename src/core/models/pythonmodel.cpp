#include "pythonmodel.h"

#include "util/sysinfo.h"
#include "workloads/workload.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <map>
#include <signal.h>
#include <sys/prctl.h>
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
QJsonObject makeJob(const Workload &workload, const std::vector<TaskSpec> &tasks, const ExperimentSpec &spec,
                    const QString &mode, int workers)
{
    QJsonObject job = workload.pythonJob(tasks, spec.params);
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
    QTemporaryDir dir;
    const QString scriptPath = dir.filePath(script);
    if (!extractScripts(dir) || !QFileInfo::exists(scriptPath)) {
        record.error = QStringLiteral("cannot extract the Python script %1 to a temporary folder").arg(script);
        return;
    }
    PythonInfo python_{python, script, modeName(m_mode), {}, {}};
    record.note = note();

    std::map<int, const TaskSpec *> byId;
    for (const TaskSpec &t : tasks)
        byId[t.id] = &t;
    std::map<int, TaskResult> started;
    std::vector<TaskResult> finished;
    double reportedCpu = -1;
    double startedAt = monotonicSeconds();
    std::vector<double> spawnUs;

    QProcess proc;
    proc.setProgram(python);
    proc.setArguments({QStringLiteral("-u"), scriptPath});
    proc.setChildProcessModifier([] {
        ::setpgid(0, 0);                    // one group: cancel kills the pool too
        ::prctl(PR_SET_PDEATHSIG, SIGKILL); // and the interpreter dies with us
    });
    proc.start();
    if (!proc.waitForStarted(kStartTimeoutMs)) {
        record.error = QStringLiteral("cannot start %1: %2").arg(python, proc.errorString());
        return;
    }
    proc.write(QJsonDocument(makeJob(*workload, tasks, ctx.spec, modeName(m_mode), workers)).toJson(QJsonDocument::Compact));
    proc.closeWriteChannel();

    QByteArray errText;
    auto handle = [&](const QByteArray &line) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        const QString event = e.value(QStringLiteral("event")).toString();
        const int id = e.value(QStringLiteral("task")).toInt(-1);
        const int worker = e.value(QStringLiteral("worker")).toInt();
        const double t = e.value(QStringLiteral("t")).toDouble();
        if (event == QLatin1String("hello")) {
            spawnUs.push_back((t - startedAt) * 1e6);
            python_.version = e.value(QStringLiteral("python")).toString();
            if (e.value(QStringLiteral("pid")).isDouble())
                python_.pid = qint64(e.value(QStringLiteral("pid")).toDouble());
        } else if (event == QLatin1String("start") && byId.count(id)) {
            TaskResult &r = started[id];
            r.id = id;
            r.worker = worker;
            r.start_s = t - ctx.t0;
            ctx.live.push({LiveEvent::TaskStarted, id, worker, t, false, 0, -1});
        } else if (event == QLatin1String("finish") && byId.count(id)) {
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
            ctx.live.push({LiveEvent::TaskFinished, id, worker, t, r.ok, r.bytes, -1});
            finished.push_back(std::move(r));
        } else if (event == QLatin1String("done")) {
            reportedCpu = e.value(QStringLiteral("cpu_s")).toDouble();
            record.peak_rss_kb += long(e.value(QStringLiteral("maxrss_kb")).toDouble());
        }
    };
    auto drain = [&] {
        while (proc.canReadLine())
            handle(proc.readLine());
        errText += proc.readAllStandardError();
        if (errText.size() > kMaxStderr)
            errText = errText.right(kMaxStderr);
    };

    bool cancelled = false;
    while (proc.state() != QProcess::NotRunning) {
        if (ctx.cancel.load()) {
            cancelled = true;
            killGroup(proc);
            break;
        }
        proc.waitForReadyRead(kPollMs);
        drain();
    }
    proc.waitForFinished(1000);
    drain();
    if (!cancelled && !proc.atEnd())
        handle(proc.readAll());  // a last line without its newline

    std::sort(finished.begin(), finished.end(), [](const TaskResult &a, const TaskResult &b) { return a.id < b.id; });
    record.tasks = std::move(finished);
    record.cpu_s = 0;
    if (reportedCpu >= 0) {
        record.cpu_s = reportedCpu;
    } else {
        for (const TaskResult &r : record.tasks)
            record.cpu_s += r.cpuTime_s;
    }
    record.spawn_us_median = spawnUs.empty() ? -1 : median(spawnUs);
    record.spawnWhat = QStringLiteral("interpreter start-up (process start to the script's first line)");
    record.python = python_;
    if (cancelled)
        return;
    if (proc.exitStatus() == QProcess::CrashExit || proc.exitCode() != 0) {
        const QString why = lastLine(errText);
        record.error = QStringLiteral("%1 %2%3")
                           .arg(QFileInfo(python).fileName(),
                                proc.exitStatus() == QProcess::CrashExit
                                    ? QStringLiteral("crashed")
                                    : QStringLiteral("exited with code %1").arg(proc.exitCode()),
                                why.isEmpty() ? QString() : QStringLiteral(": ") + why);
    } else if (reportedCpu < 0) {
        record.error = QStringLiteral("%1 ended without reporting its results (is it Python 3?)")
                           .arg(QFileInfo(python).fileName());
    }
}

} // namespace lab
