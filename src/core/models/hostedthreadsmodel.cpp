#include "hostedthreadsmodel.h"

#include "ipc/protocol.h"
#include "ipc/workerprocess.h"
#include "processpoolmodel.h"
#include "sampling/smapsrollup.h"
#include "util/sysinfo.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

#include <algorithm>
#include <csignal>
#include <set>

#include <sys/prctl.h>
#include <unistd.h>

namespace lab {

namespace {

constexpr int kPollMs = 10;              // cancel is seen within this
constexpr int kSampleEveryPolls = 10;    // /proc sampling of the host every 100 ms
constexpr double kHandshakeTimeoutS = 10;
constexpr int kGraceMs = 1000;           // bye -> SIGKILL of the group
constexpr size_t kTasksPerFrame = 256;
constexpr double kDeadlineFloorS = 30;   // as the process pool: no progress for this long,
constexpr double kDeadlineFactor = 3;    // or this many times the sequential estimate

// The host and anything it started share its process group (setpgid in the child).
void killGroup(qint64 pgid)
{
    if (pgid > 0)
        ::kill(pid_t(-pgid), SIGKILL);
}

} // namespace

HostedThreadsModel::HostedThreadsModel() : m_program(siblingExecutable(ProcessPoolModel::workerName())) {}

void HostedThreadsModel::run(const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record)
{
    const int workers = std::max(1, ctx.workers);
    record.workers = workers;
    record.spawnWhat = QStringLiteral("host process start to handshake");
    const QFileInfo fi(m_program);
    if (m_program.isEmpty() || !fi.isFile() || !fi.isExecutable()) {
        record.error = m_program.isEmpty()
                           ? QStringLiteral("the host program %1 was not found next to this program or in the build tree")
                                 .arg(ProcessPoolModel::workerName())
                           : QStringLiteral("the host program %1 is missing or not executable").arg(m_program);
        return;
    }
    if (!QCoreApplication::instance()) {
        record.error = QStringLiteral("the threads-hosted model needs a QCoreApplication (QProcess)");
        return;
    }
    if (tasks.empty() || ctx.cancel.load())
        return;
    const double deadline_s = ctx.spec.taskTimeout_s > 0
                                  ? ctx.spec.taskTimeout_s
                                  : std::max(kDeadlineFloorS, kDeadlineFactor * ctx.spec.estimatedSequentialSeconds());

    QHash<int, size_t> indexOf;
    for (size_t i = 0; i < tasks.size(); ++i)
        indexOf.insert(tasks[i].id, i);
    std::vector<char> settled(tasks.size(), 0);
    size_t settledCount = 0;
    std::set<int> running;  // "started" seen, no result yet
    std::vector<TaskResult> results;
    results.reserve(tasks.size());

    QProcess proc;
    proc.setProgram(m_program);
    proc.setArguments({QStringLiteral("--host"), QStringLiteral("--parent"), QString::number(::getpid())});
    proc.setProcessChannelMode(QProcess::SeparateChannels);
    proc.setChildProcessModifier([] {
        ::setpgid(0, 0);                     // its own group: cancel and deadlines kill it whole
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // and it dies with this thread
    });
    const double startAt = monotonicSeconds();
    proc.start(QIODevice::ReadWrite);
    if (!proc.waitForStarted(int(kHandshakeTimeoutS * 1000))) {
        record.error = QStringLiteral("cannot start %1: %2").arg(m_program, proc.errorString());
        return;
    }
    const qint64 pid = proc.processId();

    ipc::FrameDecoder decoder;
    ipc::ResultsMessage scratch;
    QByteArray stderrTail;
    QString failure;          // the host broke the protocol (we killed it)
    bool helloSeen = false;
    bool cancelled = false;
    bool timedOut = false;
    bool graceful = false;
    double jobSentAt = -1, lastResultAt = -1, progressAt = startAt;
    double reportedCpu = 0, sampledCpu = 0, computeSum = 0;
    long peakRss = 0, peakPss = -1;
    int polls = 0;

    auto sendJob = [&] {
        QByteArray out = ipc::encodeFrame(ipc::encodeHost(
            {QJsonDocument(ctx.spec.toJson()).toJson(QJsonDocument::Compact), workers, int(tasks.size())}));
        std::vector<int> ids;
        std::vector<QByteArray> params;
        for (size_t i = 0; i < tasks.size();) {
            ids.clear();
            params.clear();
            const QString &workload = tasks[i].workload;
            while (i < tasks.size() && ids.size() < kTasksPerFrame && tasks[i].workload == workload) {
                ids.push_back(tasks[i].id);
                params.push_back(ipc::encodeParams(tasks[i].params));
                ++i;
            }
            ipc::appendTasksFrame(out, workload, ids, params);
        }
        proc.write(out);
        jobSentAt = progressAt = monotonicSeconds();
    };
    auto fail = [&](const QString &why) {
        if (failure.isEmpty())
            failure = why;
        killGroup(pid);
    };
    auto handle = [&](const QByteArray &payload) {
        QString error;
        const ipc::MessageType type = ipc::peekMessageType(payload);
        if (!helloSeen) {
            const std::optional<QCborMap> m = ipc::decodeMessage(payload, &error);
            ipc::Hello hello;
            QString why;
            if (!ipc::acceptHello(m, &hello, &why, nullptr, error))
                return fail(why);
            helloSeen = true;
            record.spawn_us_median = (monotonicSeconds() - startAt) * 1e6;
            sendJob();
            return;
        }
        if (type == ipc::MessageType::Started) {
            ipc::Started st;
            if (!ipc::decodeStartedPayload(payload, &st, &error))
                return fail(error);
            const auto it = indexOf.constFind(st.id);
            if (it == indexOf.constEnd())
                return fail(QStringLiteral("started task %1, which it does not hold").arg(st.id));
            // "started" is sampled by the host's main thread: it may come after the result.
            if (!settled[*it])
                running.insert(st.id);
            progressAt = monotonicSeconds();
            return;
        }
        if (type != ipc::MessageType::Results)
            return fail(QStringLiteral("sent an unexpected \"%1\" message").arg(ipc::messageTypeName(type)));
        if (!ipc::decodeResults(payload, &scratch, &error, tasks.size() - settledCount))
            return fail(error);
        reportedCpu = std::max(reportedCpu, scratch.workerCpu_s);
        peakRss = std::max(peakRss, scratch.workerPeakRssKb);
        const double now = monotonicSeconds();
        progressAt = now;
        for (TaskResult &r : scratch.results) {
            const auto it = indexOf.constFind(r.id);
            if (it == indexOf.constEnd() || settled[*it])
                return fail(QStringLiteral("sent a result for task %1, which it does not hold").arg(r.id));
            settled[*it] = 1;
            ++settledCount;
            running.erase(r.id);
            lastResultAt = now;
            computeSum += r.compute_s;
            ctx.live.push({LiveEvent::TaskStarted, r.id, r.worker, r.start_s, false, 0, r.cpu_start});
            ctx.live.push({LiveEvent::TaskFinished, r.id, r.worker, r.end_s, r.ok, r.bytes, r.cpu_end});
            r.start_s -= ctx.t0;
            r.end_s -= ctx.t0;
            results.push_back(std::move(r));
        }
    };
    auto pump = [&] {
        decoder.feed(proc.readAllStandardOutput());
        while (failure.isEmpty()) {
            const std::optional<QByteArray> payload = decoder.nextPayload();
            if (!payload)
                break;
            handle(*payload);
        }
        if (decoder.hasError())
            fail(QStringLiteral("protocol error: %1").arg(decoder.errorString()));
        stderrTail.append(proc.readAllStandardError());
        if (stderrTail.size() > 2048)
            stderrTail = stderrTail.right(2048);
    };
    auto sample = [&](bool withPss) {
        if (proc.state() == QProcess::NotRunning)
            return;
        sampledCpu = std::max(sampledCpu, processCpuSecondsOf(pid));
        peakRss = std::max(peakRss, peakRssKbOf(pid));
        if (withPss)
            peakPss = std::max(peakPss, pssKbOf(pid));
    };

    while (proc.state() != QProcess::NotRunning && failure.isEmpty()) {
        if (ctx.cancel.load()) {
            cancelled = true;
            killGroup(pid);
            break;
        }
        proc.waitForReadyRead(kPollMs);
        pump();
        const double now = monotonicSeconds();
        if (settledCount == tasks.size()) {
            sample(true);
            proc.write(ipc::encodeFrame(ipc::encodeBye()));
            proc.closeWriteChannel();
            graceful = true;
            break;
        }
        if (++polls % kSampleEveryPolls == 0)
            sample(polls % (kSampleEveryPolls * 10) == 0);
        if (!helloSeen && now - startAt > kHandshakeTimeoutS) {
            fail(QStringLiteral("sent no handshake within %1 s").arg(kHandshakeTimeoutS));
            break;
        }
        if (helloSeen && now - progressAt > deadline_s) {
            // A hung thread cannot be stopped on its own: the whole host goes.
            timedOut = true;
            killGroup(pid);
            break;
        }
    }
    if (proc.state() != QProcess::NotRunning && !proc.waitForFinished(graceful ? kGraceMs : 2000)) {
        killGroup(pid);
        proc.waitForFinished(2000);
    }
    // Results may be in the pipe behind the exit: every task the host finished is kept.
    if (failure.isEmpty())
        pump();
    killGroup(pid);  // nothing of the group may outlive the run (ESRCH when it is all gone)

    const double now = monotonicSeconds();
    const size_t lost = tasks.size() - settledCount;
    QString how;    // how the host ended, for the tasks it lost and the run's "host" section
    QString signal;
    if (!failure.isEmpty()) {
        how = QStringLiteral("the host process %1 and was killed").arg(failure);
        record.error = QStringLiteral("%1 (pid %2) %3").arg(QFileInfo(m_program).fileName()).arg(pid).arg(failure);
    } else if (timedOut) {
        how = QStringLiteral("no task finished for %1 s, and a hung thread cannot be stopped on its own, so the "
                             "host process was killed")
                  .arg(deadline_s, 0, 'g', 3);
    } else if (proc.exitStatus() == QProcess::CrashExit) {
        signal = ipc::signalAbbrev(proc.exitCode());
        how = QStringLiteral("the host process died of %1").arg(signal);
    } else if (!graceful) {
        how = QStringLiteral("the host process exited with code %1").arg(proc.exitCode());
    }
    const QString tail = QString::fromLocal8Bit(stderrTail).trimmed().split(QLatin1Char('\n')).constLast();
    if (!tail.isEmpty() && !how.isEmpty() && !timedOut)
        how += QStringLiteral(" (stderr: %1)").arg(tail);

    if (!cancelled && lost > 0) {
        // Everything the host had not reported went down with it.
        const QString words = QStringLiteral("all %1 unfinished task%2 lost: %3")
                                  .arg(lost)
                                  .arg(lost == 1 ? QString() : QStringLiteral("s"))
                                  .arg(how.isEmpty() ? QStringLiteral("the host process ended early") : how);
        for (size_t i = 0; i < tasks.size(); ++i) {
            if (settled[i])
                continue;
            TaskResult r;
            r.id = tasks[i].id;
            r.start_s = (lastResultAt > 0 ? lastResultAt : jobSentAt > 0 ? jobSentAt : startAt) - ctx.t0;
            r.end_s = now - ctx.t0;
            const bool wasRunning = running.count(r.id) > 0;
            r.errorCategory = timedOut && wasRunning ? QStringLiteral("timed-out") : QStringLiteral("host-died");
            r.error = wasRunning ? QStringLiteral("task %1 was running; %2").arg(r.id).arg(words) : words;
            ctx.live.push({LiveEvent::TaskStarted, r.id, -1, ctx.t0 + r.start_s, false, 0, -1});
            ctx.live.push({LiveEvent::TaskFinished, r.id, -1, now, false, 0, -1});
            results.push_back(std::move(r));
        }
    }
    std::sort(results.begin(), results.end(), [](const TaskResult &a, const TaskResult &b) { return a.id < b.id; });
    record.tasks = std::move(results);
    record.cpu_s = std::max(reportedCpu, sampledCpu);
    record.peak_rss_kb = peakRss;
    record.pss_kb = peakPss;
    record.worker_restarts = 0;
    record.dispatch_us_per_task =
        settledCount > 0 && lastResultAt > jobSentAt && jobSentAt > 0
            ? std::max(0.0, (lastResultAt - jobSentAt) - computeSum / double(workers)) / double(settledCount) * 1e6
            : -1.0;
    QJsonObject host{{QStringLiteral("pid"), pid},
                     {QStringLiteral("ended"), cancelled ? QStringLiteral("cancelled")
                                                : graceful ? QStringLiteral("finished")
                                                : timedOut ? QStringLiteral("killed after the task deadline")
                                                           : how},
                     {QStringLiteral("signal"), signal.isEmpty() ? QJsonValue() : QJsonValue(signal)},
                     {QStringLiteral("lost"), cancelled ? 0 : qint64(lost)},
                     {QStringLiteral("task_timeout_s"), deadline_s}};
    record.extra.insert(QStringLiteral("host"), host);
}

} // namespace lab
