#include "racecounterworkload.h"

#include "experiment/runrecord.h"
#include "models/executionmodel.h"
#include "sync/shmsegment.h"
#include "sync/startgate.h"
#include "sync/tracedlock.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <algorithm>
#include <new>

namespace lab {

namespace {

const QString kTasks = QStringLiteral("tasks");
const QString kIncrements = QStringLiteral("increments");
const QString kPythonIncrements = QStringLiteral("python_increments");
const QString kMethod = QStringLiteral("method");
const QString kShm = QStringLiteral("shm");
const QString kKey = QStringLiteral("race_counter");

const QStringList &methods()
{
    static const QStringList m{QStringLiteral("unsynchronised"), QStringLiteral("mutex"), QStringLiteral("atomic"),
                               QStringLiteral("local-sums")};
    return m;
}

enum class Method { Unsynchronised, Mutex, Atomic, LocalSums };

Method methodOf(const QString &name)
{
    return Method(std::max<qsizetype>(0, methods().indexOf(name)));
}

// Native cost per increment, for the one-hour guard and the task deadline (a mutex under
// contention on a loaded machine: ~100 ns; the others are cheaper).
constexpr double kNativeSecondsPerIncrement = 100e-9;
// CPython: `with v.get_lock(): v.value += 1` between two processes is the slowest, ~11 µs
// measured on 2 cores (threading.Lock between two threads: ~4 µs); with room for a busy machine.
constexpr double kPythonSecondsPerIncrement = 20e-6;
constexpr qint64 kGateTimeoutNs = 2000000000;   // processes start tens of ms apart; sequential never gathers
constexpr qint64 kCheckEvery = 1024;            // increments between GIL checkpoints and cancel checks

// The counter, its process-shared lock and the start line, in one segment.
struct RaceShared {
    alignas(64) std::atomic<qint64> counter{0};
    alignas(64) StartGate gate;
    alignas(64) SharedMutex lock;
};

class RaceState : public WorkloadState {
public:
    ShmSegment segment;
    RaceShared *shared = nullptr;
    TracedMutex mutex;  // the in-process variant's lock (std::mutex)
    bool lockReady = false;

    ~RaceState() override
    {
        if (shared) {
            if (lockReady)
                shared->lock.destroy();
            shared->~RaceShared();
        }
    }
};

QString grouped(qint64 v)
{
    return QLocale(QLocale::English).toString(v);
}

struct Loop {
    qint64 done = 0;
    qint64 local = 0;
    qint64 t0Ns = 0;
    qint64 t1Ns = 0;
    bool cancelled = false;
};

// The counting loop, the same for every method: `step` is one increment. Every kCheckEvery steps
// the GIL may switch (gil-threads; after a whole increment, as CPython's eval breaker does at
// the loop's backward jump) and a cancel is seen.
template <class Step>
Loop countLoop(qint64 k, TaskEnv &env, Step step)
{
    Loop l;
    l.t0Ns = monotonicNs();
    qint64 i = 0;
    while (i < k) {
        const qint64 stop = std::min(k, i + kCheckEvery);
        for (; i < stop; ++i)
            step();
        env.hooks.checkpoint();
        if (env.cancel.load(std::memory_order_relaxed)) {
            l.cancelled = true;
            break;
        }
    }
    l.t1Ns = monotonicNs();
    l.done = i;
    return l;
}

QString valueJson(qint64 done, qint64 local, qint64 after, double t0, double t1)
{
    const QJsonObject o{{QStringLiteral("done"), double(done)},
                        {QStringLiteral("local"), double(local)},
                        {QStringLiteral("after"), double(after)},
                        {QStringLiteral("t0"), t0},
                        {QStringLiteral("t1"), t1}};
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

void judge(qint64 k, Method method, qint64 done, qint64 local, TaskResult &r)
{
    r.verified = done == k && (method != Method::LocalSums || local == k);
    r.ok = r.verified;
    if (!r.ok) {
        r.error = method == Method::LocalSums && done == k
                      ? QStringLiteral("the private sum is %1, not %2").arg(grouped(local), grouped(k))
                      : QStringLiteral("did %1 of %2 increments").arg(grouped(done), grouped(k));
        r.errorCategory = QStringLiteral("wrong-result");
    }
}

struct TaskLoop {
    double t0 = 0, t1 = 0;
    qint64 local = 0, after = 0;
    bool ok = false;
};

std::vector<TaskLoop> loopsOf(const RunRecord &run)
{
    std::vector<TaskLoop> out;
    for (const TaskResult &t : run.tasks) {
        if (!t.ok || !t.value.startsWith(QLatin1Char('{')))
            continue;
        const QJsonObject o = QJsonDocument::fromJson(t.value.toUtf8()).object();
        TaskLoop l;
        l.t0 = o.value(QStringLiteral("t0")).toDouble();
        l.t1 = o.value(QStringLiteral("t1")).toDouble();
        l.local = qint64(o.value(QStringLiteral("local")).toDouble());
        l.after = qint64(o.value(QStringLiteral("after")).toDouble());
        l.ok = true;
        out.push_back(l);
    }
    return out;
}

// Share of [first start, last end] during which two or more loops ran at once.
std::optional<double> overlapOf(const std::vector<TaskLoop> &loops)
{
    if (loops.size() < 2)
        return std::nullopt;
    std::vector<std::pair<double, int>> edges;
    double first = loops.front().t0, last = loops.front().t1;
    for (const TaskLoop &l : loops) {
        edges.push_back({l.t0, +1});
        edges.push_back({l.t1, -1});
        first = std::min(first, l.t0);
        last = std::max(last, l.t1);
    }
    if (!(last > first))
        return std::nullopt;
    std::sort(edges.begin(), edges.end());
    double overlapped = 0;
    int running = 0;
    double prev = first;
    for (const auto &[t, d] : edges) {
        if (running >= 2)
            overlapped += t - prev;
        running += d;
        prev = t;
    }
    return overlapped / (last - first);
}

} // namespace

// ---- RaceCounterSummary ----

std::shared_ptr<RaceCounterSummary> RaceCounterSummary::fromJson(const QJsonObject &run)
{
    const QJsonValue v = run.value(kKey);
    if (!v.isObject())
        return nullptr;
    const QJsonObject o = v.toObject();
    auto s = std::make_shared<RaceCounterSummary>();
    s->method = o.value(kMethod).toString();
    s->tasks = o.value(kTasks).toInt();
    s->increments = qint64(o.value(kIncrements).toDouble());
    s->expected = qint64(o.value(QStringLiteral("expected")).toDouble());
    if (o.value(QStringLiteral("actual")).isDouble())
        s->actual = qint64(o.value(QStringLiteral("actual")).toDouble());
    s->nsPerIncrement = optionalDouble(o.value(QStringLiteral("ns_per_increment")));
    s->overlapShare = optionalDouble(o.value(QStringLiteral("overlap")));
    s->cpython = o.value(QStringLiteral("cpython")).toBool();
    return s;
}

void RaceCounterSummary::writeJson(QJsonObject &run) const
{
    QJsonObject o{{kMethod, method},
                  {kTasks, tasks},
                  {kIncrements, double(increments)},
                  {QStringLiteral("expected"), double(expected)},
                  {QStringLiteral("actual"), actual ? QJsonValue(double(*actual)) : QJsonValue()},
                  {QStringLiteral("lost"), lost() ? QJsonValue(double(*lost())) : QJsonValue()},
                  {QStringLiteral("ns_per_increment"), nsPerIncrement ? roundedJson(*nsPerIncrement, 2) : QJsonValue()},
                  {QStringLiteral("overlap"), overlapShare ? roundedJson(*overlapShare, 4) : QJsonValue()}};
    if (cpython)
        o.insert(QStringLiteral("cpython"), true);
    run.insert(kKey, o);
}

std::vector<Figure> RaceCounterSummary::figures() const
{
    const auto opt = [](const std::optional<qint64> &v) { return v ? std::optional<double>(double(*v)) : std::nullopt; };
    std::optional<double> lostPct;
    if (lost() && expected > 0)
        lostPct = 100.0 * double(*lost()) / double(expected);
    return {
        {QStringLiteral("expected"), QStringLiteral("expected"), double(expected), {}, 0,
         QStringLiteral("tasks x increments: what the counter should hold")},
        {QStringLiteral("actual"), QStringLiteral("counted"), opt(actual), {}, 0,
         QStringLiteral("what the counter holds after the run (local sums: the private sums added up)")},
        {QStringLiteral("lost"), QStringLiteral("lost updates"), opt(lost()), {}, 0,
         QStringLiteral("increments overwritten by another task's store")},
        {QStringLiteral("lost_pct"), QStringLiteral("lost"), lostPct, QStringLiteral("%"), 1, {}},
        {QStringLiteral("ns_per_increment"), QStringLiteral("per increment"), nsPerIncrement, QStringLiteral("ns"), 2,
         QStringLiteral("from the first task's loop start to the last one's end, over all increments")},
        {QStringLiteral("overlap_pct"), QStringLiteral("overlap"),
         overlapShare ? std::optional<double>(*overlapShare * 100.0) : std::nullopt, QStringLiteral("%"), 1,
         QStringLiteral("share of that time in which two or more tasks were counting at once")},
    };
}

std::optional<VariantOutcome> RaceCounterSummary::outcome() const
{
    VariantOutcome o;
    o.expected = QString::number(expected);
    o.actual = actual ? QString::number(*actual) : QString();
    o.ok = actual && *actual == expected;
    o.failsByDesign = method == QLatin1String("unsynchronised");
    o.nsPerOp = nsPerIncrement;
    if (!actual) {
        o.words = QStringLiteral("no count: the run produced no result");
    } else if (*actual == expected) {
        o.words = QStringLiteral("all %1 updates counted").arg(grouped(expected));
        if (o.failsByDesign)
            o.words += cpython ? QStringLiteral(" this time: CPython's GIL switched threads only between increments, "
                                                "never inside one, so the race did not strike")
                               : QStringLiteral(" this time: the tasks hardly overlapped, so the race did not strike");
    } else {
        const qint64 l = expected - *actual;
        o.words = QStringLiteral("lost %1 of %2 updates (%3 %)")
                      .arg(grouped(l), grouped(expected), QString::number(100.0 * double(l) / double(expected), 'f', 1));
        if (!o.failsByDesign)
            o.words += QStringLiteral(": this synchronised counter is wrong");
    }
    return o;
}

// ---- RaceCounterWorkload ----

QString RaceCounterWorkload::label() const
{
    return QStringLiteral("Race on a shared counter");
}

QString RaceCounterWorkload::description() const
{
    return QStringLiteral("Tasks add 1 to one shared counter many times: without synchronisation updates get lost; "
                          "a mutex, an atomic add or private sums make it exact, at different costs.");
}

std::vector<ParamInfo> RaceCounterWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {kTasks, QStringLiteral("Tasks"), T::Int, 1, 64, 2, {}, QStringLiteral("how many tasks share the counter")},
        {kIncrements, QStringLiteral("Increments"), T::Int, 1, 100000000, 1000000, {},
         QStringLiteral("how many times each task adds 1 to the counter")},
        {kPythonIncrements, QStringLiteral("Increments in CPython"), T::Int, 1, 10000000, 100000, {},
         QStringLiteral("the same for the CPython twin, whose locked increment costs microseconds")},
        {kMethod, QStringLiteral("Method"), T::String, 0, 0, QStringLiteral("mutex"), {},
         QStringLiteral("unsynchronised, mutex, atomic or local-sums (each variant sets its own)")},
    };
}

QString RaceCounterWorkload::validate(const QJsonObject &params) const
{
    if (!methods().contains(params.value(kMethod).toString()))
        return QStringLiteral("workload.method = \"%1\" is not a method (%2)")
            .arg(params.value(kMethod).toString(), methods().join(QStringLiteral(", ")));
    return {};
}

int RaceCounterWorkload::defaultWorkers(const QJsonObject &params) const
{
    return std::clamp(params.value(kTasks).toInt(1), 1, 256);
}

QString RaceCounterWorkload::autoWorkersText() const
{
    return QStringLiteral("auto (1 per task)");
}

qint64 RaceCounterWorkload::taskCount(const QJsonObject &params) const
{
    return params.value(kTasks).toInt(1);
}

double RaceCounterWorkload::estimatedSequentialSeconds(const QJsonObject &params) const
{
    return double(params.value(kTasks).toInt(1)) * params.value(kIncrements).toDouble() * kNativeSecondsPerIncrement;
}

QString RaceCounterWorkload::whyNotOnVariant(const ModelInfo &model, const QJsonObject &variantParams) const
{
    if (model.family == ModelFamily::CPython && variantParams.value(kMethod).toString() == QLatin1String("atomic"))
        return QStringLiteral("CPython has no atomic integer add: a counter is either guarded by a lock or racy");
    return whyNotOn(model);
}

std::vector<Variant> RaceCounterWorkload::variants(const QJsonObject &) const
{
    const auto v = [](const QString &name, const QString &label) {
        return Variant{name, label, QJsonObject{{kMethod, name}}};
    };
    return {v(QStringLiteral("unsynchronised"), QStringLiteral("Unsynchronised")),
            v(QStringLiteral("mutex"), QStringLiteral("Mutex")),
            v(QStringLiteral("atomic"), QStringLiteral("Atomic add")),
            v(QStringLiteral("local-sums"), QStringLiteral("Local sums"))};
}

std::vector<PrimitiveInfo> RaceCounterWorkload::primitives(const QJsonObject &params) const
{
    if (params.value(kMethod).toString() == QLatin1String("mutex"))
        return {{QStringLiteral("counter lock"), QStringLiteral("mutex"), 0}};
    return {};
}

std::unique_ptr<WorkloadState> RaceCounterWorkload::setUp(const QJsonObject &, QString *error) const
{
    auto state = std::make_unique<RaceState>();
    state->segment = ShmSegment::create(sizeof(RaceShared), error);
    if (!state->segment.isValid())
        return nullptr;
    state->shared = new (state->segment.data()) RaceShared;
    state->lockReady = state->shared->lock.init(error);
    if (!state->lockReady)
        return nullptr;
    return state;
}

std::vector<TaskSpec> RaceCounterWorkload::makeTasks(const QJsonObject &params, WorkloadState *state) const
{
    const auto *race = dynamic_cast<RaceState *>(state);
    const int n = params.value(kTasks).toInt(1);
    std::vector<TaskSpec> tasks(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        TaskSpec &t = tasks[size_t(i)];
        t.id = i;
        t.workload = id();
        t.params.insert(kTasks, n);
        t.params.insert(kIncrements, qint64(params.value(kIncrements).toDouble()));
        t.params.insert(kPythonIncrements, qint64(params.value(kPythonIncrements).toDouble()));
        t.params.insert(kMethod, params.value(kMethod).toString());
        if (race)
            t.params.insert(kShm, race->segment.name());
    }
    return tasks;
}

QString RaceCounterWorkload::checkTask(const TaskSpec &task) const
{
    if (!methods().contains(task.string(QLatin1String("method"))))
        return QStringLiteral("method \"%1\" is not a method").arg(task.string(QLatin1String("method")));
    const qint64 k = task.integer(QLatin1String("increments"), -1);
    if (k < 1 || k > 100000000)
        return QStringLiteral("increments = %1 is out of range (1..100000000)").arg(k);
    const qint64 w = task.integer(QLatin1String("tasks"), -1);
    if (w < 1 || w > 64)
        return QStringLiteral("tasks = %1 is out of range (1..64)").arg(w);
    return {};
}

void RaceCounterWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &r) const
{
    const QString problem = checkTask(task);
    if (!problem.isEmpty()) {
        r.error = problem;
        r.errorCategory = QStringLiteral("bad-task");
        return;
    }
    const qint64 k = task.integer(QLatin1String("increments"));
    const int w = int(task.integer(QLatin1String("tasks")));
    const Method method = methodOf(task.string(QLatin1String("method")));

    // In this process the state is at hand; a worker process maps the segment by name.
    auto *state = dynamic_cast<RaceState *>(env.state);
    ShmSegment attached;
    RaceShared *shared = taskSharedBlock(state ? state->shared : nullptr, task, attached, r,
                                         QStringLiteral("shared-counter segment"));
    if (!shared)
        return;

    const OwnCore core(task.id);  // racers on cores of their own, or they may take turns on one
    {
        BlockingSection waiting(env.hooks);  // under the GIL a waiting racer must let the others in
        shared->gate.arriveAndWait(w, kGateTimeoutNs, env.cancel);
    }
    if (env.cancel.load()) {
        r.cancelled = true;
        r.error = QStringLiteral("cancelled");
        r.errorCategory = QStringLiteral("cancelled");
        return;
    }

    std::atomic<qint64> &counter = shared->counter;
    TraceRecorder rec(task.id);
    const TraceTarget where{&rec, 0};
    Loop loop;
    bool ownerDied = false;
    switch (method) {
    case Method::Unsynchronised:
        // A real lost update without undefined behaviour: another task's store can land between
        // this load and this store, and one of the two increments vanishes.
        loop = countLoop(k, env, [&] { counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); });
        break;
    case Method::Mutex:
        if (state) {
            loop = countLoop(k, env, [&] {
                state->mutex.lock(task.id, where);
                counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
                state->mutex.unlock(task.id);
            });
        } else {
            loop = countLoop(k, env, [&] {
                if (shared->lock.lock(task.id, where) == LockResult::OwnerDied)
                    ownerDied = true;
                counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
                shared->lock.unlock(task.id);
            });
        }
        break;
    case Method::Atomic:
        loop = countLoop(k, env, [&] { counter.fetch_add(1, std::memory_order_relaxed); });
        break;
    case Method::LocalSums: {
        // The private sum must really be summed in memory, once per step, not folded to k by the
        // compiler: a volatile store keeps each add.
        volatile qint64 local = 0;
        loop = countLoop(k, env, [&] { local = local + 1; });
        loop.local = local;
        break;
    }
    }
    if (loop.cancelled) {
        r.cancelled = true;
        r.error = QStringLiteral("cancelled");
        r.errorCategory = QStringLiteral("cancelled");
        return;
    }
    r.trace = rec.finish();
    r.value = valueJson(loop.done, loop.local, counter.load(), double(loop.t0Ns) / 1e9, double(loop.t1Ns) / 1e9);
    judge(k, method, loop.done, method == Method::LocalSums ? loop.local : loop.done, r);
    if (ownerDied && r.ok)
        r.error = QStringLiteral("a process died holding the counter lock; the count may be short");
}

RunSummaryPtr RaceCounterWorkload::summarize(const RunRecord &run, WorkloadState *state) const
{
    auto s = std::make_shared<RaceCounterSummary>();
    const ModelInfo *model = findModel(run.model);
    s->cpython = model && model->family == ModelFamily::CPython;
    const std::vector<TaskLoop> loops = loopsOf(run);
    if (run.tasks.empty())
        return nullptr;
    // The run's parameters are those of its variant; the tasks carry them too.
    s->method = run.variant;
    const auto *race = dynamic_cast<RaceState *>(state);
    int tasks = 0;
    qint64 k = 0;
    for (const TaskResult &t : run.tasks)
        tasks = std::max(tasks, t.id + 1);
    s->tasks = std::max(tasks, int(run.tasks.size()));
    // K from any task that reported: done == K for every verified task.
    for (const TaskResult &t : run.tasks)
        if (t.ok && t.value.startsWith(QLatin1Char('{'))) {
            k = qint64(QJsonDocument::fromJson(t.value.toUtf8()).object().value(QStringLiteral("done")).toDouble());
            break;
        }
    s->increments = k;
    s->expected = qint64(s->tasks) * k;
    const bool everyTaskOk = run.tasks_ok == s->tasks && int(loops.size()) == s->tasks && k > 0;
    if (everyTaskOk) {
        if (s->method == QLatin1String("local-sums")) {
            // The reduction: each task's private sum came back in its result (over the pool's pipe
            // for processes, in the finish line for CPython).
            qint64 total = 0;
            for (const TaskLoop &l : loops)
                total += l.local;
            s->actual = total;
        } else if (race && !s->cpython) {
            s->actual = race->shared->counter.load();
        } else {
            // CPython's counter lives in its own process: the last task to finish read it after
            // every other loop had ended.
            const auto last = std::max_element(loops.begin(), loops.end(),
                                               [](const TaskLoop &a, const TaskLoop &b) { return a.t1 < b.t1; });
            s->actual = last->after;
        }
        double t0 = loops.front().t0, t1 = loops.front().t1;
        for (const TaskLoop &l : loops) {
            t0 = std::min(t0, l.t0);
            t1 = std::max(t1, l.t1);
        }
        if (t1 > t0)
            s->nsPerIncrement = (t1 - t0) * 1e9 / double(s->expected);
        s->overlapShare = overlapOf(loops);
    }
    return s;
}

RunSummaryPtr RaceCounterWorkload::summaryFromJson(const QJsonObject &run) const
{
    return RaceCounterSummary::fromJson(run);
}

QJsonObject RaceCounterWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const
{
    const qint64 k = qint64(params.value(kPythonIncrements).toDouble());
    QJsonArray list;
    for (const TaskSpec &t : tasks)
        list.append(QJsonObject{{QStringLiteral("id"), t.id},
                                {QStringLiteral("estimate_s"), double(k) * kPythonSecondsPerIncrement}});
    return {{kMethod, params.value(kMethod).toString()},
            {kIncrements, double(k)},
            {QStringLiteral("racers"), params.value(kTasks).toInt(1)},
            {QStringLiteral("tasks"), list}};
}

void RaceCounterWorkload::judgePython(const TaskSpec &task, const QJsonObject &e, TaskResult &r) const
{
    const qint64 k = task.integer(QLatin1String("python_increments"));
    const qint64 done = qint64(e.value(QStringLiteral("done")).toDouble(-1));
    const qint64 local = qint64(e.value(QStringLiteral("local")).toDouble(-1));
    const Method method = methodOf(task.string(QLatin1String("method")));
    r.value = valueJson(done, local, qint64(e.value(QStringLiteral("after")).toDouble(-1)),
                        e.value(QStringLiteral("loop_t0")).toDouble(), e.value(QStringLiteral("loop_t1")).toDouble());
    judge(k, method, done, method == Method::LocalSums ? local : done, r);
}

} // namespace lab
