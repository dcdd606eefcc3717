#include "processpoolmodel.h"

#include "ipc/workerprocess.h"
#include "ipc/protocol.h"
#include "sampling/smapsrollup.h"
#include "util/sysinfo.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <unistd.h>

namespace lab {

namespace {

constexpr int kMaxAttempts = 2;         // a task that kills this many workers fails
constexpr double kDeadlineFloorS = 30;  // default task deadline: at least this,
constexpr double kDeadlineFactor = 3;   // and this many times the sequential estimate
constexpr double kLongChunkS = 0.02;    // chunks longer than this are sent one at a time
// Else enough chunks in flight per worker to cover this much of its time: a round trip
// through the parent while the parent is busy with the other workers' results or waits for a
// core the workers hold (a pipe round trip is 5-60 us here; on 2 cores a parent woken beside
// two busy workers may wait a scheduler slice, ~1 ms). Pool.map keeps every task queued.
constexpr double kPipelineS = 0.002;
constexpr size_t kMaxChunksInFlight = 4096;
constexpr qsizetype kEarlyWriteBytes = 4096;  // a chunk this big is written on its own
constexpr qsizetype kInputRoom = 128 * 1024;
constexpr int kPollMs = 10;             // cancel is seen within this
constexpr int kSampleEveryPolls = 10;   // /proc sampling of workers every 100 ms
constexpr double kHandshakeTimeoutS = 10;
// Work waits until every first worker has said hello, as Pool.map waits for Pool(): workers
// busy with tasks would leave the fork server a 1/k share of the cores (256 workers: ready in
// ~0.14 s idle, not within a second under load). A pool still starting after this starts
// working with the workers it has.
constexpr double kHoldS = 2;
constexpr int kGraceMs = 1000;          // bye/EOF -> SIGTERM, and SIGTERM -> SIGKILL
// The worker says "started" (with the results before it) for a task that begins this long
// after its last write or after the start of the task before it (workerloop.cpp,
// kFlushEveryS): tasks at least this long are each announced, so the last one announced is
// the one running.
constexpr double kWorkerFlushS = 0.002;

QStringList workerArguments()
{
    return {QStringLiteral("--parent"), QString::number(::getpid())};
}

struct InFlight {
    size_t task = 0;    // index into the task list
    double sent = 0;    // monotonic seconds when its chunk was written
};

struct Slot {
    enum class State { Starting, Ready, Stopping, Dead };
    int index = 0;
    std::unique_ptr<ipc::WorkerProcess> proc;
    std::unique_ptr<QObject> context;   // receiver of this incarnation's connections
    ipc::FrameDecoder decoder;
    QByteArray input;  // the worker's output on its way to the decoder (buffers swapped, not copied)
    State state = State::Dead;
    double startRequested = 0;
    qint64 pid = 0;
    // Tasks sent and not yet answered, in the order the worker runs them: the front is the
    // one it is running (or about to run).
    std::deque<InFlight> inflight;
    double progressAt = 0;              // last frame from it, or when it got work while idle
    double lastResultAt = 0;            // when its previous results arrived
    double firstDispatchAt = -1;        // this incarnation's first task sent
    double lastAnswerAt = -1;           // and its last results received
    // Where the rest of that window went (IpcSplit::startShare...): its first task's start,
    // its last task's end, and the gaps between one message's last task and the next one's first.
    double firstTaskAt = -1;
    double lastTaskEnd = -1;
    double gapsSum = 0;
    bool timedOut = false;              // killed for missing the deadline
    size_t lastStarted = SIZE_MAX;      // task of its last frame when that was a "started"
    double lastStartedAt = 0;           // and when the worker says it started
    double reportedCpu = 0;             // cumulative, from the last results
    double sampledCpu = 0;              // from /proc/<pid>/stat
    long peakRssKb = 0;                 // max over incarnations
    long peakPssKb = -1;                // max over samples of this incarnation
    long retiredPssKb = -1;             // max over earlier incarnations
    QString failure;                    // why we killed it (protocol violation, deadline)
};

// One run of the pool. Lives on the stack of ProcessPoolModel::run(); every QObject it
// creates belongs to the calling thread and is destroyed before run() returns.
class Pool {
public:
    Pool(QString program, const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record)
        : m_program(std::move(program)), m_tasks(tasks), m_ctx(ctx), m_record(record),
          m_deaths(tasks.size(), 0), m_tries(tasks.size(), 0), m_suspect(tasks.size(), 0),
          m_startedSeen(tasks.size(), 0)
    {
    }

    void run(int workers);

private:
    void startWorker(Slot &s);
    void onReadyRead(Slot &s);
    void onFinished(Slot &s, int code, bool crashed);
    void onStartFailed(const QString &why);
    // `readAt`: when the bytes that completed this frame were read from the worker.
    void handleFrame(Slot &s, QByteArrayView payload, double readAt);
    void handleResults(Slot &s, ipc::ResultsMessage &m, double readAt);  // moves the results out
    void violation(Slot &s, const QString &why);
    void dispatch(Slot &s);
    void releaseHold();
    size_t targetInFlight() const;
    void requeueInFlight(Slot &s);
    void retire(Slot &s);
    void settle(size_t task, TaskResult &&r);
    void flushLive();
    void abort(const QString &error);
    void stop();
    void poll();
    void sample(Slot &s, bool withPss);
    void shutdown(bool graceful);
    void drain(Slot &s);
    bool alive(const Slot &s) const { return s.proc && s.proc->isRunning(); }

    const QString m_program;
    const std::vector<TaskSpec> &m_tasks;
    RunContext &m_ctx;
    RunRecord &m_record;

    QEventLoop m_loop;
    // Forks every worker (declared before the slots: it outlives them, and reaps any child
    // it forked for a slot that is already gone).
    ipc::ForkServer m_forkServer;
    bool m_stopRequested = false;
    bool m_shuttingDown = false;
    int m_polls = 0;
    size_t m_chunk = 1;
    double m_deadline_s = 0;
    std::vector<std::unique_ptr<Slot>> m_slots;
    // Finished processes of replaced workers: deleting one inside its own signal is unsafe.
    std::vector<std::unique_ptr<ipc::WorkerProcess>> m_graveyard;
    std::vector<std::unique_ptr<QObject>> m_oldContexts;
    std::deque<size_t> m_pending;
    std::vector<QByteArray> m_params;   // each task's parameters, CBOR-encoded once
    // Each task's id and workload (an index into m_workloads), side by side: the hot paths
    // read them for every task, and a TaskSpec each was a cache miss (~75 ns a task framed).
    std::vector<int> m_taskIds;
    std::vector<int> m_workloadOf;
    std::vector<QString> m_workloads;
    ipc::EncodedTasks m_encoded;        // and the task list as frame items, for whole chunks
    std::vector<int> m_deaths;          // workers that died while running the task (known: it ran alone)
    std::vector<int> m_tries;           // runs of the task in workers that died (it had started)
    // Tasks a worker died with while it held several: short tasks' results go out in bursts,
    // so the parent cannot tell which one it was running (the crash may have come after the
    // front task finished unreported). Each is re-run alone, where a death is its own.
    std::vector<char> m_suspect;
    std::vector<char> m_startedSeen;    // a "started" came for it (else its result says when)
    std::vector<TaskResult> m_results;
    size_t m_settled = 0;               // tasks with a final result (ok, failed, timed out)
    double m_deadCpu = 0;               // CPU of worker incarnations that are gone
    double m_forkServerCpu = -1;        // and of the fork server, at shutdown
    std::vector<double> m_spawnS;
    std::vector<double> m_dispatchS;
    std::vector<double> m_computeS;
    double m_computeSum = 0;
    double m_busySum = 0;               // workers' spans running tasks, bookkeeping included
    double m_windowSum = 0;             // per incarnation: first task sent to last answer
    double m_startLagSum = 0;           // and its parts that were not tasks: to the first start,
    double m_gapsSum = 0;               // between messages,
    double m_endLagSum = 0;             // and from the last end to its answer read
    double m_avgBusy = -1;              // running mean of a task's span in a worker, for the pipeline depth
    double m_estimateEach = -1;         // the workload's own estimate of a task, until one is timed
    double m_firstDispatch = -1;
    double m_lastResult = -1;
    double m_firstStart = -1;
    double m_allReady = -1;
    int m_initialWorkers = 0;
    int m_ready = 0;
    bool m_holding = true;              // no task sent until the first workers are all ready
    // Scratch buffers of the hot path (no allocation per message once warm).
    ipc::ResultsMessage m_scratch;
    std::vector<LiveEvent> m_live;      // a burst's live events, pushed under one lock
    bool m_inBurst = false;             // in handleResults: m_live goes out at its end
    int m_cores = std::max(1, usableCores());
    QByteArray m_out;
    std::vector<int> m_ids;
    std::vector<QByteArray> m_chunkParams;
};

void Pool::run(int workers)
{
    const double parentCpu0 = threadCpuSeconds();
    const ExperimentSpec &spec = m_ctx.spec;
    m_chunk = spec.chunkSize > 0 ? size_t(spec.chunkSize)
                                 : std::max<size_t>(1, (m_tasks.size() + 4 * size_t(workers) - 1) / (4 * size_t(workers)));
    // A task can take at most the whole sequential estimate; three times that, and never less
    // than the floor (I/O waits, estimates of 0, loaded machines), is a deadline only a hung,
    // stopped or deadlocked worker misses.
    m_deadline_s = spec.taskTimeout_s > 0 ? spec.taskTimeout_s
                                          : std::max(kDeadlineFloorS, kDeadlineFactor * spec.estimatedSequentialSeconds());
    const double estimate = spec.estimatedSequentialSeconds();
    if (estimate > 0 && !m_tasks.empty())
        m_estimateEach = estimate / double(m_tasks.size());
    m_params.reserve(m_tasks.size());
    for (const TaskSpec &t : m_tasks)
        m_params.push_back(ipc::encodeParams(t.params));
    for (size_t i = 0; i < m_tasks.size(); ++i)
        m_encoded.append(m_tasks[i].id, m_params[i]);
    m_taskIds.reserve(m_tasks.size());
    m_workloadOf.reserve(m_tasks.size());
    for (const TaskSpec &t : m_tasks) {
        m_taskIds.push_back(t.id);
        auto known = std::find(m_workloads.begin(), m_workloads.end(), t.workload);
        if (known == m_workloads.end())
            known = m_workloads.insert(m_workloads.end(), t.workload);
        m_workloadOf.push_back(int(known - m_workloads.begin()));
    }
    m_results.reserve(m_tasks.size());
    m_dispatchS.reserve(m_tasks.size());
    m_computeS.reserve(m_tasks.size());
    for (size_t i = 0; i < m_tasks.size(); ++i)
        m_pending.push_back(i);
    QTimer poller;
    poller.setInterval(kPollMs);
    QObject::connect(&poller, &QTimer::timeout, &m_loop, [this] { poll(); });
    poller.start();

    m_initialWorkers = workers;
    m_firstStart = monotonicSeconds();
    QString error;
    if (!m_forkServer.start(m_program, workerArguments(), &error))
        abort(QStringLiteral("cannot start %1: %2").arg(m_program, error));
    for (int w = 0; w < workers && !m_stopRequested; ++w) {
        m_slots.push_back(std::make_unique<Slot>());
        m_slots.back()->index = w;
        startWorker(*m_slots.back());
    }
    // While the workers start: room for every result and live event, touched now rather than
    // page by page while results stream in (a fault costs ~1 us here).
    m_results.resize(m_tasks.size());
    m_results.clear();
    m_dispatchS.resize(m_tasks.size());
    m_dispatchS.clear();
    m_computeS.resize(m_tasks.size());
    m_computeS.clear();
    m_ctx.live.reserve(2 * m_tasks.size());
    // And for the largest message a worker can send: the first one decoded into cold memory
    // took 3x the time of the next (0.2 ms for 500 results), with a worker waiting for the core.
    m_scratch.results.resize(std::min(m_tasks.size(), m_chunk * 2));
    m_scratch.results.clear();
    // And the frame buffer for a chunk of tasks, its pages written: the first chunk framed into
    // fresh pages (~5 us a fault here) held each worker's first task back by ~10 us more.
    if (!m_tasks.empty()) {
        const qsizetype perTask = (m_encoded.ids.size() + m_encoded.params.size()) / qsizetype(m_tasks.size()) + 1;
        m_out.fill('\0', std::min<qsizetype>(4 << 20, perTask * qsizetype(std::min(m_chunk, m_tasks.size())) + 256));
        m_out.resize(0);
    }
    if (!m_stopRequested)
        m_loop.exec();
    poller.stop();
    const bool graceful = m_record.error.isEmpty() && !m_ctx.cancel.load() && m_settled == m_tasks.size();
    shutdown(graceful);

    long pss = -1;
    for (const auto &s : m_slots) {
        m_record.peak_rss_kb += s->peakRssKb;
        const long p = std::max(s->peakPssKb, s->retiredPssKb);
        if (p >= 0)
            pss = std::max(0L, pss) + p;
    }
    m_record.pss_kb = pss;
    double cpu = m_deadCpu + std::max(0.0, m_forkServerCpu);
    for (const auto &s : m_slots)
        cpu += std::max(s->reportedCpu, s->sampledCpu);
    m_record.cpu_s = cpu;
    std::sort(m_results.begin(), m_results.end(), [](const TaskResult &a, const TaskResult &b) { return a.id < b.id; });
    const size_t answered = m_results.size();
    m_record.tasks = std::move(m_results);

    m_record.spawnWhat = QStringLiteral("fork (from the pool's fork server) to handshake");
    m_record.spawn_us_median = m_spawnS.empty() ? -1 : median(m_spawnS) * 1e6;
    // As for CPython's Pool.map, (wall - compute / W) / tasks, with each worker's own window
    // (its first task sent to its last answer) so that the workers' staggered start-up, which
    // Pool.map pays before map() is called, is not counted: (sum of windows - compute) / W / tasks.
    m_record.dispatch_us_per_task =
        answered > 0 && m_windowSum > 0
            ? std::max(0.0, m_windowSum - m_computeSum) / double(workers) / double(answered) * 1e6
            : -1.0;
    double dispatchSum = 0;
    for (double d : m_dispatchS)
        dispatchSum += d;
    IpcSplit ipc;
    ipc.dispatchMedian_s = median(m_dispatchS);
    ipc.computeMedian_s = median(m_computeS);
    // The share of the workers' time that was not their tasks: each worker's window (its
    // first task sent to its last answer received) less the spans it spent running tasks.
    // Summed per message instead, a late read of one answer was charged to that message and
    // the next one's negative remainder dropped: every late read counted, no early one did.
    ipc.dispatchShare = m_windowSum > 0 ? std::clamp((m_windowSum - m_busySum) / m_windowSum, 0.0, 1.0)
                        : dispatchSum + m_busySum > 0 ? dispatchSum / (dispatchSum + m_busySum)
                                                      : 0;
    // The same share split where it went (they add up to it): waiting to start, between
    // messages, and the last answer's way back.
    if (m_windowSum > 0) {
        ipc.startShare = m_startLagSum / m_windowSum;
        ipc.gapsShare = m_gapsSum / m_windowSum;
        ipc.endShare = m_endLagSum / m_windowSum;
    }
    ipc.protocolVersion = ipc::kProtocolVersion;
    ipc.spawnMedian_ms = m_spawnS.empty() ? -1 : median(m_spawnS) * 1e3;
    ipc.chunkSize = int(m_chunk);
    ipc.taskTimeout_s = m_deadline_s;
    ipc.readyMs = m_allReady >= 0 ? (m_allReady - m_firstStart) * 1e3 : -1;
    ipc.parentCpu_s = threadCpuSeconds() - parentCpu0;
    m_record.ipc = ipc;
}

void Pool::startWorker(Slot &s)
{
    if (s.proc) {
        QObject::disconnect(s.proc.get(), nullptr, s.context.get(), nullptr);
        m_graveyard.push_back(std::move(s.proc));
        m_oldContexts.push_back(std::move(s.context));
    }
    s.proc = std::make_unique<ipc::WorkerProcess>();
    s.context = std::make_unique<QObject>();
    s.decoder = ipc::FrameDecoder();
    // Room for this worker's messages, touched now: a run's first reads faulted in fresh pages
    // (a 22 KB results read took 23 us of the parent's core, 7 us warm). Not for big pools,
    // where it would cost 384 KiB a worker and each worker's share of the results is small.
    if (m_initialWorkers <= 16) {
        s.proc->reserveInput(kInputRoom);
        s.decoder.reserve(kInputRoom);
        s.input.fill('\0', kInputRoom);
        s.input.resize(0);
    }
    s.state = Slot::State::Starting;
    s.pid = 0;
    s.inflight.clear();
    s.timedOut = false;
    s.lastStarted = SIZE_MAX;
    s.reportedCpu = 0;
    s.sampledCpu = 0;
    s.retiredPssKb = std::max(s.retiredPssKb, s.peakPssKb);
    s.peakPssKb = -1;
    s.failure.clear();

    ipc::WorkerProcess *p = s.proc.get();
    QObject *c = s.context.get();
    Slot *sp = &s;
    QObject::connect(p, &ipc::WorkerProcess::readyRead, c, [this, sp] { onReadyRead(*sp); });
    QObject::connect(p, &ipc::WorkerProcess::finished, c,
                     [this, sp](int code, bool crashed) { onFinished(*sp, code, crashed); });
    QObject::connect(p, &ipc::WorkerProcess::failedToStart, c, [this](const QString &why) { onStartFailed(why); });
    s.startRequested = monotonicSeconds();
    m_forkServer.spawn(p);
}

void Pool::onStartFailed(const QString &why)
{
    abort(QStringLiteral("cannot start a worker: %1 (the pool's fork server, pid %2) %3")
              .arg(m_program)
              .arg(m_forkServer.pid())
              .arg(why));
}

void Pool::onReadyRead(Slot &s)
{
    // An answer counts as received when it is read, not once the answers read with it have
    // been decoded and booked: a worker's window (first task sent to last answer received) is
    // the worker's wait, and the parent's own work on a burst is measured apart (its CPU).
    // Stamped after each decode instead, a worker whose last four answers were read at once
    // was charged ~40 us for each of the three before the last.
    const double readAt = monotonicSeconds();
    s.proc->swapInput(s.input);
    s.decoder.take(s.input);
    bool any = false;
    while (s.failure.isEmpty()) {
        const std::optional<QByteArrayView> payload = s.decoder.nextPayloadView();
        if (!payload)
            break;
        any = true;
        handleFrame(s, *payload, readAt);
    }
    if (s.decoder.hasError() && s.failure.isEmpty())
        violation(s, QStringLiteral("protocol error: %1").arg(s.decoder.errorString()));
    if (any) {
        s.progressAt = monotonicSeconds();
        // One refill per burst of messages: one write for many tasks.
        if (s.failure.isEmpty() && !m_shuttingDown)
            dispatch(s);
    }
}

void Pool::violation(Slot &s, const QString &why)
{
    s.failure = why;
    if (m_shuttingDown)
        return;
    // onFinished() takes it from here (replace, retry or abort).
    s.proc->kill();
}

void Pool::handleFrame(Slot &s, QByteArrayView payload, double readAt)
{
    QString error;
    const ipc::MessageType type = ipc::peekMessageType(payload);
    if (s.state == Slot::State::Starting) {
        const std::optional<QCborMap> m = ipc::decodeMessage(payload.toByteArray(), &error);
        ipc::Hello hello;
        QString why;
        bool otherBuild = false;
        if (!ipc::acceptHello(m, &hello, &why, &otherBuild, error)) {
            if (!otherBuild)
                return violation(s, why);
            s.failure = why;
            abort(QStringLiteral("%1 %2").arg(m_program, why));
            return;
        }
        const double now = monotonicSeconds();
        m_spawnS.push_back(now - s.startRequested);
        s.pid = s.proc->pid() > 0 ? s.proc->pid() : hello.pid;
        s.state = Slot::State::Ready;
        s.lastResultAt = now;
        if (++m_ready == m_initialWorkers) {
            m_allReady = now;
            releaseHold();
        }
        return;  // onReadyRead() dispatches
    }
    switch (type) {
    case ipc::MessageType::Results: {
        if (!ipc::decodeResults(payload, &m_scratch, &error, s.inflight.size()))
            return violation(s, error);
        handleResults(s, m_scratch, readAt);
        return;
    }
    case ipc::MessageType::Started: {
        ipc::Started st;
        if (!ipc::decodeStartedPayload(payload, &st, &error))
            return violation(s, error);
        for (const InFlight &f : s.inflight)
            if (m_taskIds[f.task] == st.id) {
                s.lastStarted = f.task;
                s.lastStartedAt = st.t;
                if (!m_startedSeen[f.task]) {
                    m_startedSeen[f.task] = 1;
                    m_ctx.live.push({LiveEvent::TaskStarted, st.id, s.index, st.t, false, 0, st.cpu});
                }
                return;
            }
        return violation(s, QStringLiteral("started task %1, which it was not given").arg(st.id));
    }
    default:
        return violation(s, QStringLiteral("unexpected \"%1\" message").arg(ipc::messageTypeName(type)));
    }
}

void Pool::handleResults(Slot &s, ipc::ResultsMessage &m, double readAt)
{
    s.reportedCpu = std::max(s.reportedCpu, m.workerCpu_s);
    s.peakRssKb = std::max(s.peakRssKb, m.workerPeakRssKb);
    if (m.results.empty())
        return;
    m_inBurst = true;
    const auto burstDone = qScopeGuard([this] {
        m_inBurst = false;
        flushLive();
    });
    s.lastStarted = SIZE_MAX;
    const double now = readAt;
    // What these results cost beyond the worker's own work on them: from when the worker
    // could start on them (sent, or its previous answer) to when they were read, minus the
    // span the worker spent running them (first start to last end, its per-task bookkeeping
    // included): pipes, the parent and waiting. That time, split over the tasks, is their
    // dispatch (IPC) time.
    double compute = 0;
    for (const TaskResult &r : m.results)
        compute += r.compute_s;
    const double busy = std::max(compute, m.results.back().end_s - m.results.front().start_s);
    const double since = std::max(s.lastResultAt, s.inflight.front().sent);
    const double dispatchEach = std::max(0.0, (now - since) - busy) / double(m.results.size());
    m_busySum += busy;
    if (s.firstTaskAt < 0)
        s.firstTaskAt = m.results.front().start_s;
    else
        s.gapsSum += std::max(0.0, m.results.front().start_s - s.lastTaskEnd);
    s.lastTaskEnd = m.results.back().end_s;
    const double busyEach = busy / double(m.results.size());
    m_avgBusy = m_avgBusy < 0 ? busyEach : 0.8 * m_avgBusy + 0.2 * busyEach;
    s.lastResultAt = now;
    s.lastAnswerAt = now;
    m_lastResult = now;
    for (TaskResult &in : m.results) {
        const InFlight f = s.inflight.front();
        if (in.id != m_taskIds[f.task])
            return violation(s, QStringLiteral("result for task %1, which it was not running (expected %2)")
                                    .arg(in.id)
                                    .arg(m_taskIds[f.task]));
        s.inflight.pop_front();
        TaskResult &r = in;  // moved once, into the results, by settle()
        r.start_s -= m_ctx.t0;
        r.end_s -= m_ctx.t0;
        if (!m_startedSeen[f.task]) {
            m_startedSeen[f.task] = 1;
            m_live.push_back({LiveEvent::TaskStarted, r.id, s.index, m_ctx.t0 + r.start_s, false, 0, r.cpu_start});
        }
        if (r.cancelled) {
            // An unfinished task is not a result (as in the thread pool).
            m_live.push_back({LiveEvent::TaskFinished, r.id, s.index, m_ctx.t0 + r.end_s, false, 0, r.cpu_end});
            continue;
        }
        r.dispatch_s = dispatchEach;
        m_dispatchS.push_back(dispatchEach);
        m_computeS.push_back(r.compute_s);
        m_computeSum += r.compute_s;
        r.worker = s.index;
        r.attempts = m_tries[f.task] + 1;
        settle(f.task, std::move(r));
    }
}

void Pool::flushLive()
{
    if (!m_live.empty())
        m_ctx.live.push(m_live.data(), m_live.size());
    m_live.clear();
}

void Pool::settle(size_t task, TaskResult &&r)
{
    Q_UNUSED(task);
    m_live.push_back({LiveEvent::TaskFinished, r.id, r.worker, m_ctx.t0 + r.end_s, r.ok, r.bytes, r.cpu_end});
    m_results.push_back(std::move(r));
    if (!m_inBurst)
        flushLive();
    ++m_settled;
    if (m_settled == m_tasks.size())
        stop();
}

// Enough work queued in each worker that it never waits for the parent: for short tasks a
// deep pipeline (kPipelineS of its work), for long ones a single chunk (so the last chunks
// still balance).
size_t Pool::targetInFlight() const
{
    // The workload's estimate (compute only) stands in until a task has been timed; without
    // one: two chunks where there are at least four per worker (automatic chunks make exactly
    // four), so the worker has the next one while its first answer travels; one where fewer
    // chunks must still balance across the workers.
    const double each = m_avgBusy >= 0 ? m_avgBusy : m_estimateEach;
    if (each < 0)
        return m_tasks.size() >= 4 * m_slots.size() * m_chunk ? 2 * m_chunk : m_chunk;
    const double chunkSeconds = each * double(m_chunk);
    if (chunkSeconds >= kLongChunkS)
        return m_chunk;
    const double wanted = std::ceil(kPipelineS / std::max(chunkSeconds, 1e-9));
    const size_t chunks = size_t(std::clamp(wanted, 2.0, double(kMaxChunksInFlight)));
    return m_chunk * chunks;
}

void Pool::releaseHold()
{
    if (!m_holding)
        return;
    m_holding = false;
    const double now = monotonicSeconds();
    for (const auto &s : m_slots)
        if (s->state == Slot::State::Ready && s->inflight.empty()) {
            s->lastResultAt = now;  // its wait for the others is not dispatch time
            dispatch(*s);
        }
}

void Pool::dispatch(Slot &s)
{
    if (m_holding || m_stopRequested || m_pending.empty() || s.state != Slot::State::Ready)
        return;
    // A suspect (see m_suspect) runs alone: nothing goes with it or behind it.
    if (!s.inflight.empty() && m_suspect[s.inflight.front().task])
        return;
    // As deep as the pipeline wants, but no more than this worker's share of the work left
    // (whole chunks), so that the others are not left idle.
    size_t held = 0;
    for (const auto &o : m_slots)
        held += o->inflight.size();
    const size_t chunksLeft = (m_pending.size() + held + m_chunk - 1) / m_chunk;
    const size_t fair = m_chunk * std::max<size_t>(1, (chunksLeft + m_slots.size() - 1) / m_slots.size());
    const size_t target = std::min(targetInFlight(), fair);
    if (s.inflight.size() >= target)
        return;
    const double now = monotonicSeconds();
    if (s.inflight.empty())
        s.progressAt = now;
    if (m_firstDispatch < 0)
        m_firstDispatch = now;
    if (s.firstDispatchAt < 0)
        s.firstDispatchAt = now;
    m_out.resize(0);
    // Big chunks go out as soon as each is framed, so that an idle worker starts on the first
    // while the next are framed (four at once kept it waiting 0.1-0.2 ms more) - if a core is
    // free for it. When the other workers hold every core but this thread's, a pipe write
    // wakes the worker onto this thread's core, where it would wait for the framing: then its
    // chunks go in one write once framed, and this thread leaves the core to it at once
    // (cpu-tiny, 2 workers on 2 cores, 40 interleaved runs each: IPC share median 37.2 -> 35.7 %,
    // its start part 19.6 -> 17.0 %).
    // Small chunks (one task a message) always go together, one write for many.
    bool earlyWrites = s.inflight.empty();
    if (earlyWrites) {
        int busyElsewhere = 0;
        for (const auto &o : m_slots)
            busyElsewhere += o.get() != &s && !o->inflight.empty();
        earlyWrites = busyElsewhere + 1 < m_cores;
    }
    while (s.inflight.size() < target && !m_pending.empty()) {
        m_ids.clear();
        m_chunkParams.clear();
        const bool suspect = m_suspect[m_pending.front()];
        if (suspect && !s.inflight.empty())
            break;
        const size_t chunk = suspect ? 1 : m_chunk;
        const int workload = m_workloadOf[m_pending.front()];
        const size_t first = m_pending.front();
        bool consecutive = true;  // tasks first, first + 1, ...: framed from m_encoded
        while (m_ids.size() < chunk && !m_pending.empty() && m_workloadOf[m_pending.front()] == workload
               && (suspect || !m_suspect[m_pending.front()])) {
            const size_t t = m_pending.front();
            m_pending.pop_front();
            consecutive = consecutive && t == first + m_ids.size();
            m_ids.push_back(m_taskIds[t]);
            s.inflight.push_back({t, now});
        }
        if (consecutive) {
            ipc::appendTasksFrame(m_out, m_workloads[size_t(workload)], m_encoded, first, m_ids.size());
        } else {  // retried tasks among the others
            for (auto it = s.inflight.end() - qsizetype(m_ids.size()); it != s.inflight.end(); ++it)
                m_chunkParams.push_back(m_params[it->task]);
            ipc::appendTasksFrame(m_out, m_workloads[size_t(workload)], m_ids, m_chunkParams);
        }
        if (earlyWrites && m_out.size() >= kEarlyWriteBytes) {
            s.proc->write(m_out);
            m_out.resize(0);
        }
        if (suspect)
            break;
    }
    if (!m_out.isEmpty())
        s.proc->write(m_out);
}

// The worker is gone: its unanswered tasks go back to the front of the queue, in order.
void Pool::requeueInFlight(Slot &s)
{
    for (auto it = s.inflight.rbegin(); it != s.inflight.rend(); ++it) {
        m_pending.push_front(it->task);
        m_startedSeen[it->task] = 0;  // it starts again, in another worker
    }
    s.inflight.clear();
}

void Pool::onFinished(Slot &s, int code, bool crashed)
{
    // Results may be in the pipe behind the exit notification.
    if (s.failure.isEmpty())
        onReadyRead(s);
    retire(s);
    if (m_shuttingDown || m_stopRequested)
        return;
    QString why = s.failure.isEmpty() ? ipc::describeExit(code, crashed) : s.failure;
    const QString tail = s.proc->lastStderrLine();
    if (!tail.isEmpty() && !s.timedOut)
        why += QStringLiteral(" (stderr: %1)").arg(tail);
    const QString who = QStringLiteral("worker %1 (pid %2)").arg(s.index).arg(s.proc->pid());

    if (s.state == Slot::State::Starting) {
        abort(QStringLiteral("worker %1 failed before its handshake: %2").arg(m_program, why));
        return;
    }
    // Which task it was running: the only one it held, or the last one it announced when
    // tasks are long enough to be announced each. Otherwise short tasks' results were still
    // in its buffer and the crash may have come after the front one finished.
    // Before any result, the announced task's own run so far stands in for the tasks' length.
    const bool known = s.inflight.size() == 1
                       || (s.lastStarted == s.inflight.front().task
                           && (m_avgBusy >= 0 ? m_avgBusy : monotonicSeconds() - s.lastStartedAt) >= kWorkerFlushS);
    if (!known && !s.inflight.empty()) {
        // None is charged; each re-runs alone, where a death is its own.
        const InFlight f = s.inflight.front();
        if (m_startedSeen[f.task])
            ++m_tries[f.task];
        for (const InFlight &g : s.inflight)
            m_suspect[g.task] = 1;
        requeueInFlight(s);
    } else if (!s.inflight.empty()) {
        const InFlight f = s.inflight.front();
        s.inflight.pop_front();
        ++m_tries[f.task];
        TaskResult r;
        r.id = m_tasks[f.task].id;
        r.worker = s.index;
        r.start_s = std::max(f.sent, s.lastResultAt) - m_ctx.t0;
        r.end_s = monotonicSeconds() - m_ctx.t0;
        if (s.timedOut) {
            r.attempts = m_tries[f.task];
            r.error = QStringLiteral("task %1 ran past its %2 s deadline; %3 was killed and replaced")
                          .arg(r.id)
                          .arg(m_deadline_s, 0, 'g', 3)
                          .arg(who);
            r.errorCategory = QStringLiteral("timed-out");
            settle(f.task, std::move(r));
        } else if (++m_deaths[f.task] < kMaxAttempts) {
            s.inflight.push_front(f);
        } else {
            r.attempts = m_tries[f.task];
            r.error = QStringLiteral("task %1 was running in %2 workers that died; the last, %3, %4")
                          .arg(r.id)
                          .arg(m_deaths[f.task])
                          .arg(who, why);
            r.errorCategory = QStringLiteral("worker-died");
            settle(f.task, std::move(r));
        }
        requeueInFlight(s);
    }
    s.state = Slot::State::Dead;
    if (m_stopRequested || m_pending.empty())
        return;
    // A bounded number of replacements: each task can kill at most kMaxAttempts workers alone.
    // (Plus the deaths with several tasks held, each of which makes at least two suspects.)
    if (m_record.worker_restarts >= int(m_tasks.size()) * (kMaxAttempts + 1) + int(m_slots.size())) {
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
    if (s.firstDispatchAt >= 0 && s.lastAnswerAt >= s.firstDispatchAt) {
        m_windowSum += s.lastAnswerAt - s.firstDispatchAt;
        if (s.firstTaskAt >= 0) {
            m_startLagSum += std::max(0.0, s.firstTaskAt - s.firstDispatchAt);
            m_gapsSum += s.gapsSum;
            m_endLagSum += std::max(0.0, s.lastAnswerAt - s.lastTaskEnd);
        }
    }
    s.firstDispatchAt = s.lastAnswerAt = s.firstTaskAt = s.lastTaskEnd = -1;
    s.gapsSum = 0;
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

void Pool::sample(Slot &s, bool withPss)
{
    if (!alive(s) || s.pid <= 0)
        return;
    const double cpu = processCpuSecondsOf(s.pid);
    if (cpu >= 0)
        s.sampledCpu = std::max(s.sampledCpu, cpu);
    s.peakRssKb = std::max(s.peakRssKb, peakRssKbOf(s.pid));
    if (withPss)
        s.peakPssKb = std::max(s.peakPssKb, pssKbOf(s.pid));
}

void Pool::poll()
{
    if (m_ctx.cancel.load()) {
        stop();
        return;
    }
    const double now = monotonicSeconds();
    if (m_holding && now - m_firstStart > kHoldS)
        releaseHold();
    ++m_polls;
    // /proc reads cost ~20-50 us each: fewer of them when there are many workers.
    const int every = m_slots.size() > 16 ? kSampleEveryPolls * 5 : kSampleEveryPolls;
    const bool sampleNow = m_polls % every == 0;
    const bool pssNow = m_polls % (every * 10) == 0;
    for (const auto &s : m_slots) {
        if (sampleNow)
            sample(*s, pssNow);
        if (s->state == Slot::State::Starting && now - s->startRequested > kHandshakeTimeoutS) {
            abort(QStringLiteral("%1 sent no handshake within %2 s").arg(m_program).arg(kHandshakeTimeoutS));
            return;
        }
        if (s->state == Slot::State::Ready && !s->inflight.empty() && !s->timedOut && s->failure.isEmpty() &&
            now - s->progressAt > m_deadline_s) {
            // Hung, stopped or deadlocked: SIGKILL works on a stopped process too; onFinished()
            // reports its task and replaces it.
            s->timedOut = true;
            s->failure = QStringLiteral("missed its %1 s task deadline").arg(m_deadline_s, 0, 'g', 3);
            s->proc->kill();
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
    m_forkServerCpu = m_forkServer.cpuSeconds();
    std::vector<Slot *> live;
    for (const auto &s : m_slots) {
        if (!s->proc)
            continue;
        // The last look at a live worker: its memory after the work, shared pages counted once.
        sample(*s, true);
        // From here on the loop below owns the processes; their signals are not wanted.
        QObject::disconnect(s->proc.get(), nullptr, s->context.get(), nullptr);
        if (!alive(*s))
            continue;
        if (graceful)
            s->proc->write(ipc::encodeFrame(ipc::encodeBye()));
        else if (!s->inflight.empty())
            s->proc->write(ipc::encodeFrame(ipc::encodeCancel(-1)));
        s->proc->closeWriteChannel();
        live.push_back(s.get());
    }
    // Workers still being forked get theirs now (their bye is already in their socket), or
    // fail; then the server goes.
    m_forkServer.close(graceful ? kGraceMs : 150, kGraceMs);
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
        record.error = QStringLiteral("the processes model needs a QCoreApplication (its workers are watched from an event loop)");
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
    if (!ipc::acceptHello(hello, &h, &why, nullptr, decoder.errorString()))
        *error = QStringLiteral("%1 sent no valid handshake: %2").arg(program, why);
    p.write(ipc::encodeFrame(ipc::encodeBye()));
    p.closeWriteChannel();
    if (!p.waitForFinished(kGraceMs)) {
        p.kill();
        p.waitForFinished(kGraceMs);
    }
    return error->isEmpty() ? t : -1;
}

} // namespace lab
