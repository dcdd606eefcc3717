#include "deadlockworkload.h"

#include "experiment/runrecord.h"
#include "models/executionmodel.h"
#include "sync/shmsegment.h"
#include "sync/startgate.h"
#include "sync/tracedlock.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <algorithm>
#include <new>
#include <thread>

namespace lab {

namespace {

const QString kTasks = QStringLiteral("tasks");
const QString kHoldMs = QStringLiteral("hold_ms");
const QString kTimeoutMs = QStringLiteral("timeout_ms");
const QString kOrder = QStringLiteral("order");
const QString kShm = QStringLiteral("shm");
const QString kKey = QStringLiteral("deadlock");
const QString kCategory = QStringLiteral("deadlock");
constexpr int kMax = DeadlockWorkload::kMaxTasks;
constexpr qint64 kGateTimeoutNs = 2000000000;
constexpr auto kWatchdogPoll = std::chrono::milliseconds(2);

QString lockName(int i)
{
    return QStringLiteral("lock %1").arg(QChar(QLatin1Char(char('A' + i))));
}

struct CycleRecord {
    std::atomic<int> length{0};  // written last (release): the arrays are complete when > 0
    int tasks[kMax] = {};
    int locks[kMax] = {};
    std::atomic<qint64> detectedAtNs{0};
    std::atomic<qint64> firstWaitNs{0};
};

// Everything the tasks of one run share, in one segment (threads use it too, except the locks).
struct DeadlockShared {
    alignas(64) StartGate gate;
    alignas(64) std::atomic<bool> giveUp{false};  // set by the watchdog: every wait gives up
    CycleRecord cycle;
    SharedMutex locks[kMax];
};

// The wait-for graph of one set of locks: task t waits for the lock whose waiter mask has bit
// t, held by its holder. Every task waits for at most one lock, so following "waits for a lock
// held by" from each task finds any cycle in at most n steps.
bool findCycle(LockInfo *const *infos, int n, std::vector<int> *tasks, std::vector<int> *locks)
{
    int waitsFor[kMax];
    int heldBy[kMax];
    for (int t = 0; t < kMax; ++t)
        waitsFor[t] = -1;
    for (int l = 0; l < n; ++l) {
        heldBy[l] = infos[l]->holder.load();
        const quint64 mask = infos[l]->waiterMask.load();
        for (int t = 0; t < kMax; ++t)
            if (mask & (quint64(1) << t))
                waitsFor[t] = l;
    }
    for (int start = 0; start < kMax; ++start) {
        int t = start;
        std::vector<int> path;
        for (int step = 0; step <= kMax && t >= 0 && t < kMax && waitsFor[t] >= 0; ++step) {
            const auto seen = std::find(path.begin(), path.end(), t);
            if (seen != path.end()) {
                // The cycle is the path from `seen`; start it at its smallest task.
                std::vector<int> cyc(seen, path.end());
                std::rotate(cyc.begin(), std::min_element(cyc.begin(), cyc.end()), cyc.end());
                tasks->clear();
                locks->clear();
                for (int c : cyc) {
                    tasks->push_back(c);
                    locks->push_back(waitsFor[c]);
                }
                return true;
            }
            path.push_back(t);
            t = heldBy[waitsFor[t]];
        }
    }
    return false;
}

class DeadlockState : public WorkloadState {
public:
    ShmSegment segment;
    DeadlockShared *shared = nullptr;
    TracedTimedMutex local[kMax];  // the threads' locks (std::timed_mutex)
    int n = 2;
    int lockReady = 0;
    std::atomic<bool> stop{false};
    std::thread watchdog;

    ~DeadlockState() override
    {
        stop.store(true);
        if (watchdog.joinable())
            watchdog.join();
        if (shared) {
            for (int i = 0; i < lockReady; ++i)
                shared->locks[i].destroy();
            shared->~DeadlockShared();
        }
    }

    // Polls both sets of locks (the run uses one of them: in-process or in shared memory). A
    // cycle counts when two polls in a row see it, so a holder field read mid-handover cannot
    // raise a false alarm; a real deadlock stays put.
    void watch()
    {
        LockInfo *inProcess[kMax];
        LockInfo *crossProcess[kMax];
        for (int i = 0; i < n; ++i) {
            inProcess[i] = &local[i].info();
            crossProcess[i] = &shared->locks[i].info();
        }
        std::vector<int> lastTasks, lastLocks;
        while (!stop.load()) {
            std::this_thread::sleep_for(kWatchdogPoll);
            std::vector<int> tasks, locks;
            if (!findCycle(inProcess, n, &tasks, &locks) && !findCycle(crossProcess, n, &tasks, &locks)) {
                lastTasks.clear();
                continue;
            }
            if (tasks != lastTasks || locks != lastLocks) {
                lastTasks = tasks;
                lastLocks = locks;
                continue;
            }
            CycleRecord &c = shared->cycle;
            for (size_t i = 0; i < tasks.size(); ++i) {
                c.tasks[i] = tasks[i];
                c.locks[i] = locks[i];
            }
            c.detectedAtNs.store(monotonicNs());
            c.length.store(int(tasks.size()), std::memory_order_release);
            shared->giveUp.store(true);
            return;  // one deadlock per run: every wait now gives up
        }
    }
};

QJsonObject cycleJson(const std::vector<int> &tasks, const std::vector<int> &locks, const QString &by)
{
    QJsonArray t, l;
    for (int x : tasks)
        t.append(x);
    for (int x : locks)
        l.append(lockName(x));
    return {{QStringLiteral("cycle_tasks"), t}, {QStringLiteral("cycle_locks"), l}, {QStringLiteral("by"), by}};
}

bool sleepChecked(double ms, const std::atomic<bool> &cancel)
{
    const qint64 end = monotonicNs() + qint64(ms * 1e6);
    for (qint64 now = monotonicNs(); now < end; now = monotonicNs()) {
        if (cancel.load())
            return false;
        std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<qint64>(end - now, 1000000)));
    }
    return !cancel.load();
}

void setCancelled(TaskResult &r)
{
    r.cancelled = true;
    r.error = QStringLiteral("cancelled");
    r.errorCategory = QStringLiteral("cancelled");
}

} // namespace

// ---- DeadlockSummary ----

QString deadlockCycleWords(const std::vector<int> &tasks, const QStringList &locks)
{
    if (tasks.empty() || int(tasks.size()) != locks.size())
        return {};
    QString s = QStringLiteral("task %1 holds %2 and waits for %3").arg(tasks[0]).arg(locks.last(), locks[0]);
    for (size_t i = 1; i < tasks.size(); ++i)
        s += QStringLiteral(" held by task %1, which waits for %2").arg(tasks[i]).arg(locks[qsizetype(i)]);
    return s;
}

QString DeadlockSummary::words() const
{
    return deadlockCycleWords(cycleTasks, cycleLocks);
}

std::shared_ptr<DeadlockSummary> DeadlockSummary::fromJson(const QJsonObject &run)
{
    const QJsonValue v = run.value(kKey);
    if (!v.isObject())
        return nullptr;
    const QJsonObject o = v.toObject();
    auto s = std::make_shared<DeadlockSummary>();
    s->order = o.value(kOrder).toString();
    s->tasks = o.value(kTasks).toInt();
    s->finished = o.value(QStringLiteral("finished")).toInt();
    s->detected = o.value(QStringLiteral("detected")).toBool();
    s->detectedBy = o.value(QStringLiteral("detected_by")).toString();
    for (const QJsonValue &t : o.value(QStringLiteral("cycle_tasks")).toArray())
        s->cycleTasks.push_back(t.toInt());
    for (const QJsonValue &l : o.value(QStringLiteral("cycle_locks")).toArray())
        s->cycleLocks << l.toString();
    s->detectMs = optionalDouble(o.value(QStringLiteral("detect_ms")));
    return s;
}

void DeadlockSummary::writeJson(QJsonObject &run) const
{
    QJsonArray t;
    for (int x : cycleTasks)
        t.append(x);
    run.insert(kKey, QJsonObject{{kOrder, order},
                                 {kTasks, tasks},
                                 {QStringLiteral("finished"), finished},
                                 {QStringLiteral("detected"), detected},
                                 {QStringLiteral("detected_by"), detectedBy.isEmpty() ? QJsonValue() : QJsonValue(detectedBy)},
                                 {QStringLiteral("cycle_tasks"), t},
                                 {QStringLiteral("cycle_locks"), QJsonArray::fromStringList(cycleLocks)},
                                 {QStringLiteral("cycle"), detected ? QJsonValue(words()) : QJsonValue()},
                                 {QStringLiteral("detect_ms"), detectMs ? roundedJson(*detectMs, 2) : QJsonValue()}});
}

std::vector<Figure> DeadlockSummary::figures() const
{
    return {
        {QStringLiteral("finished"), QStringLiteral("finished"), double(finished), {}, 0,
         QStringLiteral("tasks that took both their locks and finished")},
        {QStringLiteral("cycle_length"), QStringLiteral("cycle"), detected ? std::optional<double>(double(cycleTasks.size())) : std::nullopt,
         QStringLiteral("tasks"), 0, QStringLiteral("tasks in the wait-for cycle that was found")},
        {QStringLiteral("detect_ms"), QStringLiteral("found after"), detectMs, QStringLiteral("ms"), 1,
         QStringLiteral("from the first task blocking on a lock to the watchdog finding the cycle")},
    };
}

std::optional<VariantOutcome> DeadlockSummary::outcome() const
{
    VariantOutcome o;
    o.expected = QStringLiteral("%1 of %1 tasks finish").arg(tasks);
    o.actual = QStringLiteral("%1 of %2 tasks finish").arg(finished).arg(tasks);
    o.ok = finished == tasks && !detected;
    o.failsByDesign = order == QLatin1String("opposite");
    if (detected) {
        o.actual = QStringLiteral("deadlock");
        o.words = QStringLiteral("deadlock: %1").arg(words());
        if (detectedBy == QLatin1String("watchdog"))
            o.words += QStringLiteral("; the watchdog found the cycle and made the waits give up");
        else if (detectedBy == QLatin1String("timeout"))
            o.words += QStringLiteral("; a wait gave up after its timeout");
    } else if (o.ok) {
        o.words = order == QLatin1String("ordered")
                      ? QStringLiteral("all %1 tasks finished: taking the locks in one order leaves no cycle").arg(tasks)
                      : QStringLiteral("all %1 tasks finished this time: they never held their first locks at once").arg(tasks);
    } else {
        o.words = QStringLiteral("%1 of %2 tasks finished, with no deadlock found").arg(finished).arg(tasks);
    }
    return o;
}

// ---- DeadlockWorkload ----

QString DeadlockWorkload::label() const
{
    return QStringLiteral("Deadlock (two locks, opposite order)");
}

QString DeadlockWorkload::description() const
{
    return QStringLiteral("Tasks take two locks in opposite order and wait for each other for ever; a watchdog finds "
                          "the cycle and breaks it. Taking the locks in one order is the fix.");
}

std::vector<ParamInfo> DeadlockWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {kTasks, QStringLiteral("Tasks"), T::Int, 2, kMax, 2, {},
         QStringLiteral("tasks in the ring: task i takes lock i, then lock i+1")},
        {kHoldMs, QStringLiteral("Hold"), T::Number, 0, 10000, 50, QStringLiteral("ms"),
         QStringLiteral("how long a task holds its first lock before asking for the second")},
        {kTimeoutMs, QStringLiteral("Give up after"), T::Number, 10, 600000, 5000, QStringLiteral("ms"),
         QStringLiteral("a lock wait gives up after this long even when no cycle was found")},
        {kOrder, QStringLiteral("Order"), T::String, 0, 0, QStringLiteral("opposite"), {},
         QStringLiteral("opposite (each task its own first lock) or ordered (one global order); the variants set it")},
    };
}

QString DeadlockWorkload::validate(const QJsonObject &params) const
{
    const QString order = params.value(kOrder).toString();
    if (order != QLatin1String("opposite") && order != QLatin1String("ordered"))
        return QStringLiteral("workload.order = \"%1\" is not an order (opposite, ordered)").arg(order);
    return {};
}

int DeadlockWorkload::defaultWorkers(const QJsonObject &params) const
{
    return params.value(kTasks).toInt(2);
}

QString DeadlockWorkload::autoWorkersText() const
{
    return QStringLiteral("auto (1 per task)");
}

qint64 DeadlockWorkload::taskCount(const QJsonObject &params) const
{
    return params.value(kTasks).toInt(2);
}

double DeadlockWorkload::estimatedSequentialSeconds(const QJsonObject &params) const
{
    // Each task holds its first lock, then at worst waits out its timeout.
    return params.value(kTasks).toInt(2) * (params.value(kHoldMs).toDouble() + params.value(kTimeoutMs).toDouble()) / 1000.0;
}

std::vector<Variant> DeadlockWorkload::variants(const QJsonObject &) const
{
    return {Variant{QStringLiteral("opposite"), QStringLiteral("Opposite order"), QJsonObject{{kOrder, QStringLiteral("opposite")}}},
            Variant{QStringLiteral("ordered"), QStringLiteral("One order (the fix)"), QJsonObject{{kOrder, QStringLiteral("ordered")}}}};
}

std::vector<PrimitiveInfo> DeadlockWorkload::primitives(const QJsonObject &params) const
{
    std::vector<PrimitiveInfo> out;
    for (int i = 0; i < params.value(kTasks).toInt(2); ++i)
        out.push_back({lockName(i), QStringLiteral("mutex"), 0});
    return out;
}

std::unique_ptr<WorkloadState> DeadlockWorkload::setUp(const QJsonObject &params, QString *error) const
{
    auto state = std::make_unique<DeadlockState>();
    state->n = std::clamp(params.value(kTasks).toInt(2), 2, kMax);
    state->segment = ShmSegment::create(sizeof(DeadlockShared), error);
    if (!state->segment.isValid())
        return nullptr;
    state->shared = new (state->segment.data()) DeadlockShared;
    for (int i = 0; i < state->n; ++i) {
        if (!state->shared->locks[i].init(error))
            return nullptr;
        state->lockReady = i + 1;
    }
    DeadlockState *s = state.get();
    state->watchdog = std::thread([s] { s->watch(); });
    return state;
}

std::vector<TaskSpec> DeadlockWorkload::makeTasks(const QJsonObject &params, WorkloadState *state) const
{
    const auto *dl = dynamic_cast<DeadlockState *>(state);
    const int n = params.value(kTasks).toInt(2);
    std::vector<TaskSpec> tasks(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        TaskSpec &t = tasks[size_t(i)];
        t.id = i;
        t.workload = id();
        t.params.insert(kTasks, n);
        t.params.insert(kHoldMs, params.value(kHoldMs).toDouble());
        t.params.insert(kTimeoutMs, params.value(kTimeoutMs).toDouble());
        t.params.insert(kOrder, params.value(kOrder).toString());
        if (dl)
            t.params.insert(kShm, dl->segment.name());
    }
    return tasks;
}

QString DeadlockWorkload::checkTask(const TaskSpec &task) const
{
    const qint64 n = task.integer(QLatin1String("tasks"), -1);
    if (n < 2 || n > kMax)
        return QStringLiteral("tasks = %1 is out of range (2..%2)").arg(n).arg(kMax);
    if (task.id < 0 || task.id >= n)
        return QStringLiteral("task id %1 is out of range (0..%2)").arg(task.id).arg(n - 1);
    const QString order = task.string(QLatin1String("order"));
    if (order != QLatin1String("opposite") && order != QLatin1String("ordered"))
        return QStringLiteral("order \"%1\" is not an order (opposite, ordered)").arg(order);
    return {};
}

void DeadlockWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &r) const
{
    const QString problem = checkTask(task);
    if (!problem.isEmpty()) {
        r.error = problem;
        r.errorCategory = QStringLiteral("bad-task");
        return;
    }
    const int n = int(task.integer(QLatin1String("tasks")));
    const double holdMs = task.real(QLatin1String("hold_ms"));
    const qint64 timeoutNs = qint64(task.real(QLatin1String("timeout_ms")) * 1e6);
    int first = task.id, second = (task.id + 1) % n;
    if (task.string(QLatin1String("order")) == QLatin1String("ordered"))
        std::tie(first, second) = std::pair(std::min(first, second), std::max(first, second));

    auto *state = dynamic_cast<DeadlockState *>(env.state);
    ShmSegment attached;
    DeadlockShared *shared = taskSharedBlock(state ? state->shared : nullptr, task, attached, r,
                                             QStringLiteral("lock segment"));
    if (!shared)
        return;
    // In this process: std::timed_mutex; in a worker process: the robust mutexes in the segment.
    const auto lockUntil = [&](int l, TraceTarget where, qint64 deadline) {
        if (state)
            return state->local[l].lockUntil(task.id, where, deadline, &env.cancel, &shared->giveUp);
        return shared->locks[l].lockUntil(task.id, where, deadline, &env.cancel, &shared->giveUp);
    };
    const auto unlock = [&](int l) {
        if (state)
            state->local[l].unlock(task.id);
        else
            shared->locks[l].unlock(task.id);
    };

    {
        BlockingSection waiting(env.hooks);
        shared->gate.arriveAndWait(n, kGateTimeoutNs, env.cancel);
    }
    TraceRecorder rec(task.id);
    const auto fail = [&](int waitedFor, qint64 waitStart) {
        r.trace = rec.finish();
        if (env.cancel.load()) {
            setCancelled(r);
            return;
        }
        r.errorCategory = kCategory;
        const CycleRecord &c = shared->cycle;
        const int len = c.length.load(std::memory_order_acquire);
        if (shared->giveUp.load() && len > 0) {
            std::vector<int> tasks(c.tasks, c.tasks + len), locks(c.locks, c.locks + len);
            QStringList names;
            for (int l : locks)
                names << lockName(l);
            r.error = QStringLiteral("deadlock: %1").arg(deadlockCycleWords(tasks, names));
            QJsonObject o = cycleJson(tasks, locks, QStringLiteral("watchdog"));
            o.insert(QStringLiteral("detected_at"), double(c.detectedAtNs.load()) / 1e9);
            o.insert(QStringLiteral("wait_start"), double(waitStart) / 1e9);
            r.value = QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
        } else {
            const int holder = state ? state->local[waitedFor].info().holder.load() : shared->locks[waitedFor].info().holder.load();
            r.error = QStringLiteral("gave up waiting for %1 after %2 ms (held by task %3): a deadlock, or a very slow holder")
                          .arg(lockName(waitedFor))
                          .arg(double(timeoutNs) / 1e6)
                          .arg(holder);
            QJsonObject o{{QStringLiteral("by"), QStringLiteral("timeout")},
                          {QStringLiteral("waited_for"), lockName(waitedFor)},
                          {QStringLiteral("holder"), holder},
                          {QStringLiteral("wait_start"), double(waitStart) / 1e9}};
            r.value = QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
        }
    };

    BlockingSection blocking(env.hooks);  // every wait below blocks: under the GIL it is released
    qint64 waitStart = monotonicNs();
    LockResult got = lockUntil(first, TraceTarget{&rec, first}, waitStart + timeoutNs);
    if (got == LockResult::Failed) {
        r.error = QStringLiteral("cannot use %1").arg(lockName(first));
        r.errorCategory = QStringLiteral("lock");
        return;
    }
    if (got == LockResult::TimedOut)
        return fail(first, waitStart);
    if (!sleepChecked(holdMs, env.cancel)) {
        unlock(first);
        r.trace = rec.finish();
        return setCancelled(r);
    }
    waitStart = monotonicNs();
    got = lockUntil(second, TraceTarget{&rec, second}, waitStart + timeoutNs);
    if (got != LockResult::Acquired && got != LockResult::OwnerDied) {
        unlock(first);  // breaks the cycle for the others
        if (got == LockResult::Failed) {
            r.error = QStringLiteral("cannot use %1").arg(lockName(second));
            r.errorCategory = QStringLiteral("lock");
            return;
        }
        return fail(second, waitStart);
    }
    if (shared->giveUp.load()) {
        // The cycle was declared while this task was being handed the lock: every task on it
        // backs off, so the run reports the deadlock whichever victim let go first.
        unlock(second);
        unlock(first);
        return fail(second, waitStart);
    }
    unlock(second);
    unlock(first);
    r.trace = rec.finish();
    r.ok = r.verified = true;
    r.value = QStringLiteral("took %1 then %2").arg(lockName(first), lockName(second));
}

RunSummaryPtr DeadlockWorkload::summarize(const RunRecord &run, WorkloadState *) const
{
    if (run.tasks.empty())
        return nullptr;
    auto s = std::make_shared<DeadlockSummary>();
    s->order = run.variant;
    int n = 0;
    double firstWait = -1, detectedAt = -1;
    for (const TaskResult &t : run.tasks) {
        n = std::max(n, t.id + 1);
        if (t.ok)
            ++s->finished;
        if (t.ok || !t.value.startsWith(QLatin1Char('{')))
            continue;
        const QJsonObject o = QJsonDocument::fromJson(t.value.toUtf8()).object();
        const QString by = o.value(QStringLiteral("by")).toString();
        if (o.value(QStringLiteral("wait_start")).isDouble()) {
            const double w = o.value(QStringLiteral("wait_start")).toDouble();
            firstWait = firstWait < 0 ? w : std::min(firstWait, w);
        }
        if (o.value(QStringLiteral("cycle_tasks")).isArray() && !s->detected) {
            s->detected = true;
            s->detectedBy = by;
            for (const QJsonValue &v : o.value(QStringLiteral("cycle_tasks")).toArray())
                s->cycleTasks.push_back(v.toInt());
            for (const QJsonValue &v : o.value(QStringLiteral("cycle_locks")).toArray())
                s->cycleLocks << v.toString();
            detectedAt = o.value(QStringLiteral("detected_at")).toDouble(-1);
        } else if (by == QLatin1String("timeout") && !s->detected) {
            s->detectedBy = by;
        }
    }
    s->tasks = std::max(n, int(run.tasks.size()));
    if (s->detected && detectedAt > 0 && firstWait > 0 && detectedAt >= firstWait)
        s->detectMs = (detectedAt - firstWait) * 1000.0;
    return s;
}

RunSummaryPtr DeadlockWorkload::summaryFromJson(const QJsonObject &run) const
{
    return DeadlockSummary::fromJson(run);
}

QJsonObject DeadlockWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const
{
    QJsonArray list;
    const double est = (params.value(kHoldMs).toDouble() + params.value(kTimeoutMs).toDouble()) / 1000.0;
    for (const TaskSpec &t : tasks)
        list.append(QJsonObject{{QStringLiteral("id"), t.id}, {QStringLiteral("estimate_s"), est}});
    return {{kOrder, params.value(kOrder).toString()},
            {kHoldMs, params.value(kHoldMs).toDouble()},
            {kTimeoutMs, params.value(kTimeoutMs).toDouble()},
            {QStringLiteral("n"), params.value(kTasks).toInt(2)},
            {QStringLiteral("tasks"), list}};
}

void DeadlockWorkload::judgePython(const TaskSpec &, const QJsonObject &e, TaskResult &r) const
{
    if (e.value(QStringLiteral("ok")).toBool()) {
        r.ok = r.verified = true;
        r.value = e.value(QStringLiteral("took")).toString();
        return;
    }
    r.ok = r.verified = false;
    r.errorCategory = kCategory;
    const QJsonArray t = e.value(QStringLiteral("cycle_tasks")).toArray();
    const QJsonArray l = e.value(QStringLiteral("cycle_locks")).toArray();
    if (!t.isEmpty() && t.size() == l.size()) {
        std::vector<int> tasks;
        QStringList locks;
        for (int i = 0; i < t.size(); ++i) {
            tasks.push_back(t.at(i).toInt());
            locks << l.at(i).toString();
        }
        r.error = QStringLiteral("deadlock: %1").arg(deadlockCycleWords(tasks, locks));
        QJsonObject o{{QStringLiteral("cycle_tasks"), t}, {QStringLiteral("cycle_locks"), l}, {QStringLiteral("by"), QStringLiteral("cpython")}};
        if (e.value(QStringLiteral("wait_start")).isDouble())
            o.insert(QStringLiteral("wait_start"), e.value(QStringLiteral("wait_start")));
        if (e.value(QStringLiteral("detected_at")).isDouble())
            o.insert(QStringLiteral("detected_at"), e.value(QStringLiteral("detected_at")));
        r.value = QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
    } else {
        r.error = e.value(QStringLiteral("error")).toString(QStringLiteral("a lock wait gave up"));
        r.value = QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("by"), QStringLiteral("timeout")}}).toJson(QJsonDocument::Compact));
    }
}

} // namespace lab
