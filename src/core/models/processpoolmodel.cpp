#include "processpoolmodel.h"

#include "ipc/protocol.h"
#include "util/sysinfo.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QProcess>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <string.h>  // sigabbrev_np
#include <unistd.h>

namespace lab {

namespace {

constexpr int kMaxAttempts = 2;         // a task that kills this many workers fails
constexpr int kPollMs = 10;             // cancel is seen within this
constexpr int kSampleEveryPolls = 10;   // /proc sampling of workers every 100 ms
constexpr double kHandshakeTimeoutS = 10;
constexpr int kGraceMs = 1000;          // bye/EOF -> SIGTERM, and SIGTERM -> SIGKILL

QStringList workerArguments()
{
    return {QStringLiteral("--parent"), QString::number(::getpid())};
}

QString signalName(int sig)
{
    const char *abbrev = ::sigabbrev_np(sig);
    return abbrev ? QStringLiteral("signal %1 (SIG%2)").arg(sig).arg(QString::fromLatin1(abbrev))
                  : QStringLiteral("signal %1").arg(sig);
}

QString describeExit(int code, QProcess::ExitStatus status)
{
    // Qt reports the terminating signal as the exit code of a crashed child.
    return status == QProcess::CrashExit ? QStringLiteral("was killed by %1").arg(signalName(code))
                                         : QStringLiteral("exited with code %1").arg(code);
}

// utime+stime of a process from /proc/<pid>/stat, -1 when it is gone.
double procCpuSeconds(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray s = f.readAll();
    const qsizetype close = s.lastIndexOf(')');
    if (close < 0)
        return -1;
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    const QList<QByteArray> fields = s.mid(close + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    static const double tick = double(::sysconf(_SC_CLK_TCK));
    return double(fields.at(11).toLongLong() + fields.at(12).toLongLong()) / tick;
}

struct Slot {
    enum class State { Starting, Idle, Busy, Stopping, Dead };
    int index = 0;
    std::unique_ptr<QProcess> proc;
    std::unique_ptr<QObject> context;   // receiver of this incarnation's connections
    ipc::FrameDecoder decoder;
    State state = State::Dead;
    double startRequested = 0;
    qint64 pid = 0;
    size_t task = 0;                    // index into the task list while Busy
    double taskSent = 0;
    double reportedCpu = 0;             // cumulative, from the last result
    double sampledCpu = 0;              // from /proc/<pid>/stat
    long peakRssKb = 0;                 // max over incarnations
    QByteArray stderrTail;
    QString failure;                    // why we killed it (protocol violation)
};

// One run of the pool. Lives on the stack of ProcessPoolModel::run(); every QObject it
// creates belongs to the calling thread and is destroyed before run() returns.
class Pool {
public:
    Pool(QString program, const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record)
        : m_program(std::move(program)), m_tasks(tasks), m_ctx(ctx), m_record(record),
          m_attempts(tasks.size(), 0)
    {
    }

    void run(int workers);

private:
    void startWorker(Slot &s);
    void onReadyRead(Slot &s);
    void onFinished(Slot &s, int code, QProcess::ExitStatus status);
    void onStartFailed(Slot &s);
    void handleMessage(Slot &s, const QCborMap &m);
    void violation(Slot &s, const QString &why);
    void dispatch(Slot &s);
    void retire(Slot &s);
    void finishTask(Slot &s, TaskResult r);
    void abort(const QString &error);
    void stop();
    void poll();
    void sample(Slot &s);
    void shutdown(bool graceful);
    void drain(Slot &s);
    bool alive(const Slot &s) const { return s.proc && s.proc->state() != QProcess::NotRunning; }

    const QString m_program;
    const std::vector<TaskSpec> &m_tasks;
    RunContext &m_ctx;
    RunRecord &m_record;

    QEventLoop m_loop;
    bool m_stopRequested = false;
    bool m_shuttingDown = false;
    int m_polls = 0;
    std::vector<std::unique_ptr<Slot>> m_slots;
    // Finished QProcess objects of replaced workers: deleting one inside its own signal is unsafe.
    std::vector<std::unique_ptr<QProcess>> m_graveyard;
    std::vector<std::unique_ptr<QObject>> m_oldContexts;
    std::deque<size_t> m_pending;
    std::vector<int> m_attempts;
    std::vector<TaskResult> m_results;
    size_t m_settled = 0;             // tasks with a final result (ok or failed)
    double m_deadCpu = 0;             // CPU of worker incarnations that are gone
    std::vector<double> m_spawnS;
    std::vector<double> m_dispatchS;
    std::vector<double> m_computeS;
};

void Pool::run(int workers)
{
    for (size_t i = 0; i < m_tasks.size(); ++i)
        m_pending.push_back(i);
    QTimer poller;
    poller.setInterval(kPollMs);
    QObject::connect(&poller, &QTimer::timeout, &m_loop, [this] { poll(); });
    poller.start();

    for (int w = 0; w < workers && !m_stopRequested; ++w) {
        m_slots.push_back(std::make_unique<Slot>());
        m_slots.back()->index = w;
        startWorker(*m_slots.back());
    }
    if (!m_stopRequested)
        m_loop.exec();
    poller.stop();
    const bool graceful = m_record.error.isEmpty() && !m_ctx.cancel.load() && m_settled == m_tasks.size();
    shutdown(graceful);

    for (const auto &s : m_slots)
        m_record.peak_rss_kb += s->peakRssKb;
    double cpu = m_deadCpu;
    for (const auto &s : m_slots)
        cpu += std::max(s->reportedCpu, s->sampledCpu);
    m_record.cpu_s = cpu;
    std::sort(m_results.begin(), m_results.end(), [](const TaskResult &a, const TaskResult &b) { return a.id < b.id; });
    m_record.tasks = std::move(m_results);

    m_record.spawnWhat = QStringLiteral("process start to handshake");
    m_record.spawn_us_median = m_spawnS.empty() ? -1 : median(m_spawnS) * 1e6;
    double dispatchSum = 0, computeSum = 0;
    for (double d : m_dispatchS)
        dispatchSum += d;
    for (double c : m_computeS)
        computeSum += c;
    IpcSplit ipc;
    ipc.dispatchMedian_s = median(m_dispatchS);
    ipc.computeMedian_s = median(m_computeS);
    ipc.dispatchShare = dispatchSum + computeSum > 0 ? dispatchSum / (dispatchSum + computeSum) : 0;
    ipc.protocolVersion = ipc::kProtocolVersion;
    ipc.spawnMedian_ms = m_spawnS.empty() ? -1 : median(m_spawnS) * 1e3;
    m_record.ipc = ipc;
}

void Pool::startWorker(Slot &s)
{
    if (s.proc) {
        QObject::disconnect(s.proc.get(), nullptr, s.context.get(), nullptr);
        m_graveyard.push_back(std::move(s.proc));
        m_oldContexts.push_back(std::move(s.context));
    }
    s.proc = std::make_unique<QProcess>();
    s.context = std::make_unique<QObject>();
    s.decoder = ipc::FrameDecoder();
    s.state = Slot::State::Starting;
    s.pid = 0;
    s.reportedCpu = 0;
    s.sampledCpu = 0;
    s.stderrTail.clear();
    s.failure.clear();

    QProcess *p = s.proc.get();
    QObject *c = s.context.get();
    Slot *sp = &s;
    QObject::connect(p, &QProcess::readyReadStandardOutput, c, [this, sp] { onReadyRead(*sp); });
    QObject::connect(p, &QProcess::readyReadStandardError, c, [sp] {
        sp->stderrTail.append(sp->proc->readAllStandardError());
        if (sp->stderrTail.size() > 2048)
            sp->stderrTail = sp->stderrTail.right(2048);
    });
    QObject::connect(p, &QProcess::finished, c,
                     [this, sp](int code, QProcess::ExitStatus status) { onFinished(*sp, code, status); });
    QObject::connect(p, &QProcess::errorOccurred, c, [this, sp](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            onStartFailed(*sp);
    });
    p->setProgram(m_program);
    p->setArguments(workerArguments());
    p->setProcessChannelMode(QProcess::SeparateChannels);
    s.startRequested = monotonicSeconds();
    p->start(QIODevice::ReadWrite);
    s.pid = p->processId();
}

void Pool::onStartFailed(Slot &s)
{
    abort(QStringLiteral("cannot start %1: %2").arg(m_program, s.proc->errorString()));
}

void Pool::onReadyRead(Slot &s)
{
    s.decoder.feed(s.proc->readAllStandardOutput());
    while (s.failure.isEmpty()) {
        const std::optional<QCborMap> m = s.decoder.next();
        if (!m)
            break;
        handleMessage(s, *m);
    }
    if (s.decoder.hasError() && s.failure.isEmpty())
        violation(s, QStringLiteral("protocol error: %1").arg(s.decoder.errorString()));
}

void Pool::violation(Slot &s, const QString &why)
{
    s.failure = why;
    if (m_shuttingDown)
        return;
    // onFinished() takes it from here (replace, retry or abort).
    s.proc->kill();
}

void Pool::handleMessage(Slot &s, const QCborMap &m)
{
    const ipc::MessageType type = ipc::messageType(m);
    QString error;
    if (s.state == Slot::State::Starting) {
        ipc::Hello hello;
        if (type != ipc::MessageType::Hello || !ipc::decodeHello(m, &hello, &error)) {
            violation(s, QStringLiteral("expected a hello handshake, got \"%1\" %2")
                             .arg(m.value(QStringLiteral("type")).toString(), error));
            return;
        }
        if (hello.version != ipc::kProtocolVersion) {
            s.failure = QStringLiteral("speaks protocol version %1, this program speaks version %2 "
                                       "(worker and app are from different builds)")
                            .arg(hello.version)
                            .arg(ipc::kProtocolVersion);
            abort(QStringLiteral("%1 %2").arg(m_program, s.failure));
            return;
        }
        m_spawnS.push_back(monotonicSeconds() - s.startRequested);
        if (s.pid <= 0)
            s.pid = hello.pid;
        s.state = Slot::State::Idle;
        dispatch(s);
        return;
    }
    switch (type) {
    case ipc::MessageType::Started: {
        ipc::Started st;
        if (!ipc::decodeStarted(m, &st, &error))
            return violation(s, error);
        if (s.state == Slot::State::Busy && st.id == m_tasks[s.task].id)
            m_ctx.live.push({LiveEvent::TaskStarted, st.id, s.index, st.t, false, 0, st.cpu});
        return;
    }
    case ipc::MessageType::Result: {
        ipc::ResultMessage rm;
        if (!ipc::decodeResult(m, &rm, &error))
            return violation(s, error);
        if (s.state != Slot::State::Busy || rm.result.id != m_tasks[s.task].id)
            return violation(s, QStringLiteral("result for task %1, which it was not running").arg(rm.result.id));
        s.reportedCpu = std::max(s.reportedCpu, rm.workerCpu_s);
        s.peakRssKb = std::max(s.peakRssKb, rm.workerPeakRssKb);
        TaskResult r = rm.result;
        r.dispatch_s = std::max(0.0, (monotonicSeconds() - s.taskSent) - r.compute_s);
        r.start_s -= m_ctx.t0;
        r.end_s -= m_ctx.t0;
        s.state = m_shuttingDown ? Slot::State::Stopping : Slot::State::Idle;
        if (r.cancelled) {
            // An unfinished task is not a result (as in the thread pool).
            m_ctx.live.push({LiveEvent::TaskFinished, r.id, s.index, m_ctx.t0 + r.end_s, false, 0, r.cpu_end});
            return;
        }
        m_dispatchS.push_back(r.dispatch_s);
        m_computeS.push_back(r.compute_s);
        finishTask(s, std::move(r));
        if (!m_shuttingDown)
            dispatch(s);
        return;
    }
    default:
        return violation(s, QStringLiteral("unexpected \"%1\" message").arg(m.value(QStringLiteral("type")).toString()));
    }
}

void Pool::finishTask(Slot &s, TaskResult r)
{
    r.worker = s.index;
    r.attempts = m_attempts[s.task];
    m_ctx.live.push({LiveEvent::TaskFinished, r.id, s.index, m_ctx.t0 + r.end_s, r.ok, r.bytes, r.cpu_end});
    m_results.push_back(std::move(r));
    ++m_settled;
    if (m_settled == m_tasks.size())
        stop();
}

void Pool::dispatch(Slot &s)
{
    if (m_stopRequested || m_pending.empty() || s.state != Slot::State::Idle)
        return;
    s.task = m_pending.front();
    m_pending.pop_front();
    ++m_attempts[s.task];
    s.state = Slot::State::Busy;
    s.taskSent = monotonicSeconds();
    s.proc->write(ipc::encodeFrame(ipc::encodeTask(m_tasks[s.task])));
}

void Pool::onFinished(Slot &s, int code, QProcess::ExitStatus status)
{
    // A result may be in the pipe behind the exit notification.
    if (s.failure.isEmpty())
        onReadyRead(s);
    retire(s);
    if (m_shuttingDown || m_stopRequested)
        return;
    QString why = s.failure.isEmpty() ? describeExit(code, status) : s.failure;
    const QString tail = QString::fromLocal8Bit(s.stderrTail).trimmed().split(QLatin1Char('\n')).constLast();
    if (!tail.isEmpty())
        why += QStringLiteral(" (stderr: %1)").arg(tail);
    const QString who = QStringLiteral("worker %1 (pid %2)").arg(s.index).arg(s.pid);

    if (s.state == Slot::State::Starting) {
        abort(QStringLiteral("worker %1 failed before its handshake: %2").arg(m_program, why));
        return;
    }
    if (s.state == Slot::State::Busy) {
        const size_t t = s.task;
        if (m_attempts[t] < kMaxAttempts) {
            m_pending.push_front(t);
        } else {
            TaskResult r;
            r.id = m_tasks[t].id;
            r.start_s = s.taskSent - m_ctx.t0;
            r.end_s = monotonicSeconds() - m_ctx.t0;
            r.error = QStringLiteral("task %1 was running in %2 workers that died; the last, %3, %4")
                          .arg(r.id)
                          .arg(m_attempts[t])
                          .arg(who, why);
            r.errorCategory = QStringLiteral("worker-died");
            s.state = Slot::State::Dead;
            finishTask(s, std::move(r));
        }
    }
    s.state = Slot::State::Dead;
    if (m_stopRequested || m_pending.empty())
        return;
    // A bounded number of replacements: each task can kill at most kMaxAttempts workers.
    if (m_record.worker_restarts >= int(m_tasks.size()) * kMaxAttempts + int(m_slots.size())) {
        abort(QStringLiteral("workers keep dying (%1 replaced); the last, %2, %3")
                  .arg(m_record.worker_restarts)
                  .arg(who, why));
        return;
    }
    ++m_record.worker_restarts;
    startWorker(s);
}

// Book-keeping for an incarnation that is gone: its CPU and memory stay counted.
void Pool::retire(Slot &s)
{
    m_deadCpu += std::max(s.reportedCpu, s.sampledCpu);
    s.reportedCpu = 0;
    s.sampledCpu = 0;
}

void Pool::abort(const QString &error)
{
    if (m_record.error.isEmpty())
        m_record.error = error;
    stop();
}

void Pool::stop()
{
    m_stopRequested = true;
    m_loop.quit();
}

void Pool::sample(Slot &s)
{
    if (!alive(s) || s.pid <= 0)
        return;
    const double cpu = procCpuSeconds(s.pid);
    if (cpu >= 0)
        s.sampledCpu = std::max(s.sampledCpu, cpu);
    s.peakRssKb = std::max(s.peakRssKb, peakRssKbOf(s.pid));
}

void Pool::poll()
{
    if (m_ctx.cancel.load()) {
        stop();
        return;
    }
    const double now = monotonicSeconds();
    const bool sampleNow = ++m_polls % kSampleEveryPolls == 0;
    for (const auto &s : m_slots) {
        if (sampleNow)
            sample(*s);
        if (s->state == Slot::State::Starting && now - s->startRequested > kHandshakeTimeoutS) {
            abort(QStringLiteral("%1 sent no handshake within %2 s").arg(m_program).arg(kHandshakeTimeoutS));
            return;
        }
    }
}

// Reads whatever the worker wrote before it exited: a task that finished just as we stopped
// is kept.
void Pool::drain(Slot &s)
{
    if (!s.proc)
        return;
    if (s.failure.isEmpty())
        onReadyRead(s);
}

void Pool::shutdown(bool graceful)
{
    m_shuttingDown = true;
    std::vector<Slot *> live;
    for (const auto &s : m_slots) {
        if (!s->proc)
            continue;
        sample(*s);
        // From here on the loop below owns the processes; their signals are not wanted.
        QObject::disconnect(s->proc.get(), nullptr, s->context.get(), nullptr);
        if (!alive(*s))
            continue;
        if (graceful)
            s->proc->write(ipc::encodeFrame(ipc::encodeBye()));
        else if (s->state == Slot::State::Busy)
            s->proc->write(ipc::encodeFrame(ipc::encodeCancel(m_tasks[s->task].id)));
        s->proc->closeWriteChannel();
        live.push_back(s.get());
    }
    // Stdin EOF ends a worker within milliseconds; escalate only for one that ignores it.
    auto waitAll = [&](int ms) {
        const QDeadlineTimer deadline(ms);
        for (Slot *s : live)
            if (alive(*s))
                s->proc->waitForFinished(int(std::max<qint64>(1, deadline.remainingTime())));
    };
    waitAll(graceful ? kGraceMs : 150);
    bool any = false;
    for (Slot *s : live)
        if (alive(*s)) {
            s->proc->terminate();
            any = true;
        }
    if (any) {
        waitAll(kGraceMs);
        for (Slot *s : live)
            if (alive(*s))
                s->proc->kill();
        waitAll(kGraceMs);
    }
    for (Slot *s : live) {
        drain(*s);
        retire(*s);
    }
}

} // namespace

ProcessPoolModel::ProcessPoolModel() : m_program(siblingExecutable(workerName())) {}

void ProcessPoolModel::run(const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record)
{
    const int workers = std::max(1, ctx.workers);
    record.workers = workers;
    const QFileInfo fi(m_program);
    if (m_program.isEmpty() || !fi.isFile() || !fi.isExecutable()) {
        record.error = m_program.isEmpty()
                           ? QStringLiteral("the worker program %1 was not found next to this program or in the build tree")
                                 .arg(workerName())
                           : QStringLiteral("the worker program %1 is missing or not executable").arg(m_program);
        return;
    }
    if (!QCoreApplication::instance()) {
        record.error = QStringLiteral("the processes model needs a QCoreApplication (QProcess runs on an event loop)");
        return;
    }
    if (tasks.empty() || ctx.cancel.load())
        return;
    Pool pool(m_program, tasks, ctx, record);
    pool.run(workers);
}

double measureWorkerSpawnSeconds(const QString &program, QString *error, int timeoutMs)
{
    QProcess p;
    p.setProgram(program);
    p.setArguments(workerArguments());
    const double t0 = monotonicSeconds();
    p.start(QIODevice::ReadWrite);
    if (!p.waitForStarted(timeoutMs)) {
        *error = QStringLiteral("cannot start %1: %2").arg(program, p.errorString());
        return -1;
    }
    ipc::FrameDecoder decoder;
    std::optional<QCborMap> hello;
    const QDeadlineTimer deadline(timeoutMs);
    while (!hello && !decoder.hasError() && !deadline.hasExpired()) {
        if (!p.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime()))))
            break;
        decoder.feed(p.readAllStandardOutput());
        hello = decoder.next();
    }
    const double t = monotonicSeconds() - t0;
    ipc::Hello h;
    QString why;
    if (!hello || !ipc::decodeHello(*hello, &h, &why) || h.version != ipc::kProtocolVersion)
        *error = QStringLiteral("%1 sent no valid handshake %2").arg(program, decoder.errorString() + why);
    p.write(ipc::encodeFrame(ipc::encodeBye()));
    p.closeWriteChannel();
    if (!p.waitForFinished(kGraceMs)) {
        p.kill();
        p.waitForFinished(kGraceMs);
    }
    return error->isEmpty() ? t : -1;
}

} // namespace lab
