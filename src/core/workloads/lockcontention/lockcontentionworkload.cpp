#include "lockcontentionworkload.h"

#include "experiment/runrecord.h"
#include "models/executionmodel.h"
#include "sync/startgate.h"
#include "sync/tracedlock.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <algorithm>

namespace lab {

namespace {

const QString kContenders = QStringLiteral("contenders");
const QString kOps = QStringLiteral("ops");
const QString kPythonOps = QStringLiteral("python_ops");
const QString kWork = QStringLiteral("work");
const QString kLock = QStringLiteral("lock");
const QString kKey = QStringLiteral("lock_contention");

const QStringList &locks()
{
    static const QStringList l{QStringLiteral("mutex"), QStringLiteral("spinlock"), QStringLiteral("atomic")};
    return l;
}

constexpr double kNativeSecondsPerOp = 200e-9;  // 4 contenders on a mutex, loaded machine
constexpr double kPythonSecondsPerOp = 20e-6;  // 4 CPython threads on one threading.Lock: ~10 µs, more when busy
constexpr qint64 kGateTimeoutNs = 2000000000;
constexpr qint64 kCheckEvery = 256;

class ContentionState : public WorkloadState {
public:
    alignas(64) TracedMutex mutex;
    alignas(64) TracedSpinlock spinlock;
    alignas(64) std::atomic<qint64> counter{0};
    alignas(64) StartGate gate;
};

// The critical section's few nanoseconds of work: dependent multiply-adds the compiler cannot
// fold away (the result goes to a volatile).
inline quint64 work(quint64 x, int rounds)
{
    for (int i = 0; i < rounds; ++i)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
}

QString valueJson(qint64 done, qint64 waitNs, qint64 waits, double t0, double t1)
{
    const QJsonObject o{{QStringLiteral("done"), double(done)},
                        {QStringLiteral("wait_ns"), double(waitNs)},
                        {QStringLiteral("waits"), double(waits)},
                        {QStringLiteral("t0"), t0},
                        {QStringLiteral("t1"), t1}};
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

void judge(qint64 ops, qint64 done, TaskResult &r)
{
    r.verified = done == ops;
    r.ok = r.verified;
    if (!r.ok) {
        r.error = QStringLiteral("did %1 of %2 operations").arg(done).arg(ops);
        r.errorCategory = QStringLiteral("wrong-result");
    }
}

} // namespace

// ---- LockContentionSummary ----

std::shared_ptr<LockContentionSummary> LockContentionSummary::fromJson(const QJsonObject &run)
{
    const QJsonValue v = run.value(kKey);
    if (!v.isObject())
        return nullptr;
    const QJsonObject o = v.toObject();
    auto s = std::make_shared<LockContentionSummary>();
    s->lock = o.value(kLock).toString();
    s->contenders = o.value(kContenders).toInt();
    s->ops = qint64(o.value(kOps).toDouble());
    s->exact = o.value(QStringLiteral("exact")).toBool();
    s->nsPerOp = optionalDouble(o.value(QStringLiteral("ns_per_op")));
    s->waitShare = optionalDouble(o.value(QStringLiteral("wait_share")));
    s->traceWaitShare = optionalDouble(o.value(QStringLiteral("trace_wait_share")));
    s->gilWaitShare = optionalDouble(o.value(QStringLiteral("gil_wait_share")));
    s->waits = qint64(o.value(QStringLiteral("waits")).toDouble());
    return s;
}

void LockContentionSummary::writeJson(QJsonObject &run) const
{
    const auto opt = [](const std::optional<double> &v, int d) { return v ? roundedJson(*v, d) : QJsonValue(); };
    run.insert(kKey, QJsonObject{{kLock, lock},
                                 {kContenders, contenders},
                                 {kOps, double(ops)},
                                 {QStringLiteral("exact"), exact},
                                 {QStringLiteral("ns_per_op"), opt(nsPerOp, 2)},
                                 {QStringLiteral("wait_share"), opt(waitShare, 4)},
                                 {QStringLiteral("trace_wait_share"), opt(traceWaitShare, 4)},
                                 {QStringLiteral("gil_wait_share"), opt(gilWaitShare, 4)},
                                 {QStringLiteral("waits"), double(waits)}});
}

std::vector<Figure> LockContentionSummary::figures() const
{
    const auto pct = [](const std::optional<double> &v) { return v ? std::optional<double>(*v * 100.0) : std::nullopt; };
    return {
        {QStringLiteral("ns_per_op"), QStringLiteral("per operation"), nsPerOp, QStringLiteral("ns"), 2,
         QStringLiteral("from the first contender's start to the last one's end, over all operations")},
        {QStringLiteral("wait_pct"), QStringLiteral("waiting for the lock"), pct(waitShare), QStringLiteral("%"), 1,
         QStringLiteral("time the contenders spent blocked on the lock, of their time together")},
        {QStringLiteral("gil_wait_pct"), QStringLiteral("waiting for the GIL"), pct(gilWaitShare), QStringLiteral("%"), 1,
         QStringLiteral("GIL threads: time spent waiting for the emulated GIL, of the threads' time together")},
        {QStringLiteral("waits"), QStringLiteral("blocked acquisitions"), lock == QLatin1String("atomic") ? std::nullopt : std::optional<double>(double(waits)),
         {}, 0, QStringLiteral("acquisitions that found the lock taken")},
    };
}

std::optional<VariantOutcome> LockContentionSummary::outcome() const
{
    VariantOutcome o;
    const qint64 expected = qint64(contenders) * ops;
    o.expected = QString::number(expected);
    o.actual = exact ? o.expected : QStringLiteral("wrong count");
    o.ok = exact;
    o.nsPerOp = nsPerOp;
    const QLocale en(QLocale::English);
    if (!exact) {
        o.words = QStringLiteral("the guarded counter is wrong: the lock did not exclude");
    } else if (nsPerOp) {
        o.words = QStringLiteral("%1 ns per operation with %2 %3")
                      .arg(QString::number(*nsPerOp, 'f', 1))
                      .arg(contenders)
                      .arg(contenders == 1 ? QStringLiteral("thread") : QStringLiteral("contending threads"));
        if (waitShare && lock != QLatin1String("atomic"))
            o.words += QStringLiteral(", %1 % of the time waiting for the lock").arg(QString::number(*waitShare * 100.0, 'f', 1));
        if (gilWaitShare)
            o.words += QStringLiteral(", %1 % waiting for the GIL").arg(QString::number(*gilWaitShare * 100.0, 'f', 1));
    } else {
        o.words = QStringLiteral("%1 operations counted").arg(en.toString(expected));
    }
    return o;
}

// ---- LockContentionWorkload ----

QString LockContentionWorkload::label() const
{
    return QStringLiteral("Lock contention");
}

QString LockContentionWorkload::description() const
{
    return QStringLiteral("The same tiny critical section under a mutex, a spinlock or an atomic add, with 1, 2 and 4 "
                          "contending threads: the cost of one operation and the time spent waiting.");
}

std::vector<ParamInfo> LockContentionWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {kContenders, QStringLiteral("Contenders"), T::Int, 1, 16, 2, {},
         QStringLiteral("threads taking the lock (each variant sets its own)")},
        {kOps, QStringLiteral("Operations"), T::Int, 1, 100000000, 1000000, {},
         QStringLiteral("how many times each thread takes the lock")},
        {kPythonOps, QStringLiteral("Operations in CPython"), T::Int, 1, 10000000, 100000, {},
         QStringLiteral("the same for the CPython twin, whose locked operation costs microseconds")},
        {kWork, QStringLiteral("Work inside"), T::Int, 0, 1000, 4, {},
         QStringLiteral("multiply-adds done while holding the lock (a few nanoseconds)")},
        {kLock, QStringLiteral("Lock"), T::String, 0, 0, QStringLiteral("mutex"), {},
         QStringLiteral("mutex, spinlock or atomic (each variant sets its own)")},
    };
}

QString LockContentionWorkload::validate(const QJsonObject &params) const
{
    if (!locks().contains(params.value(kLock).toString()))
        return QStringLiteral("workload.lock = \"%1\" is not a lock (%2)")
            .arg(params.value(kLock).toString(), locks().join(QStringLiteral(", ")));
    return {};
}

int LockContentionWorkload::defaultWorkers(const QJsonObject &params) const
{
    return params.value(kContenders).toInt(1);
}

QString LockContentionWorkload::autoWorkersText() const
{
    return QStringLiteral("auto (1 per contender)");
}

qint64 LockContentionWorkload::taskCount(const QJsonObject &params) const
{
    return params.value(kContenders).toInt(1);
}

double LockContentionWorkload::estimatedSequentialSeconds(const QJsonObject &params) const
{
    return params.value(kContenders).toInt(1) * params.value(kOps).toDouble() * kNativeSecondsPerOp;
}

QString LockContentionWorkload::whyNotOn(const ModelInfo &model) const
{
    if (model.family == ModelFamily::ChildProcesses)
        return QStringLiteral("lock contention is measured between the threads of one process (race-counter runs its "
                              "lock across processes)");
    if (model.id == QLatin1String("sequential") || model.id == QLatin1String("python-sequential"))
        return QStringLiteral("one task after another never contends for the lock");
    if (model.id == QLatin1String("python-processes"))
        return QStringLiteral("lock contention is measured between the threads of one process");
    return Workload::whyNotOn(model);
}

QString LockContentionWorkload::whyNotOnVariant(const ModelInfo &model, const QJsonObject &variantParams) const
{
    const QString lock = variantParams.value(kLock).toString();
    if (model.family == ModelFamily::CPython && lock != QLatin1String("mutex"))
        return lock == QLatin1String("atomic") ? QStringLiteral("CPython has no atomic integer add")
                                               : QStringLiteral("CPython has no spinlock (threading.Lock is the lock there)");
    return whyNotOn(model);
}

std::vector<Variant> LockContentionWorkload::variants(const QJsonObject &) const
{
    std::vector<Variant> out;
    const QStringList labels{QStringLiteral("Mutex"), QStringLiteral("Spinlock"), QStringLiteral("Atomic")};
    for (qsizetype l = 0; l < locks().size(); ++l)
        for (int n : {1, 2, 4})
            out.push_back({QStringLiteral("%1-%2").arg(locks()[l]).arg(n), QStringLiteral("%1, %2").arg(labels[l]).arg(n),
                           QJsonObject{{kLock, locks()[l]}, {kContenders, n}}});
    return out;
}

std::vector<PrimitiveInfo> LockContentionWorkload::primitives(const QJsonObject &params) const
{
    const QString lock = params.value(kLock).toString();
    if (lock == QLatin1String("atomic"))
        return {};
    return {{QStringLiteral("the lock"), lock, 0}};
}

std::unique_ptr<WorkloadState> LockContentionWorkload::setUp(const QJsonObject &, QString *) const
{
    return std::make_unique<ContentionState>();
}

std::vector<TaskSpec> LockContentionWorkload::makeTasks(const QJsonObject &params, WorkloadState *) const
{
    const int n = params.value(kContenders).toInt(1);
    std::vector<TaskSpec> tasks(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        TaskSpec &t = tasks[size_t(i)];
        t.id = i;
        t.workload = id();
        t.params.insert(kContenders, n);
        t.params.insert(kOps, qint64(params.value(kOps).toDouble()));
        t.params.insert(kPythonOps, qint64(params.value(kPythonOps).toDouble()));
        t.params.insert(kWork, params.value(kWork).toInt());
        t.params.insert(kLock, params.value(kLock).toString());
    }
    return tasks;
}

QString LockContentionWorkload::checkTask(const TaskSpec &task) const
{
    if (!locks().contains(task.string(QLatin1String("lock"))))
        return QStringLiteral("lock \"%1\" is not a lock").arg(task.string(QLatin1String("lock")));
    const qint64 ops = task.integer(QLatin1String("ops"), -1);
    if (ops < 1 || ops > 100000000)
        return QStringLiteral("ops = %1 is out of range (1..100000000)").arg(ops);
    return {};
}

void LockContentionWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &r) const
{
    const QString problem = checkTask(task);
    auto *state = dynamic_cast<ContentionState *>(env.state);
    if (!problem.isEmpty() || !state) {
        r.error = problem.isEmpty() ? QStringLiteral("lock contention runs in threads of one process only") : problem;
        r.errorCategory = QStringLiteral("bad-task");
        return;
    }
    const qint64 ops = task.integer(QLatin1String("ops"));
    const int rounds = int(task.integer(QLatin1String("work")));
    const int n = int(task.integer(QLatin1String("contenders")));
    const QString lock = task.string(QLatin1String("lock"));
    {
        BlockingSection waiting(env.hooks);
        state->gate.arriveAndWait(n, kGateTimeoutNs, env.cancel);
    }
    TraceRecorder rec(task.id);
    const TraceTarget where{&rec, 0};
    volatile quint64 sink = 0;
    quint64 x = quint64(task.id) + 1;
    qint64 waitNs = 0, waits = 0;
    std::atomic<qint64> &counter = state->counter;
    const auto guarded = [&] {
        counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        x = work(x, rounds);
    };
    const qint64 t0 = monotonicNs();
    qint64 i = 0;
    const bool isMutex = lock == QLatin1String("mutex"), isSpin = lock == QLatin1String("spinlock");
    while (i < ops) {
        const qint64 stop = std::min(ops, i + kCheckEvery);
        if (isMutex) {
            for (; i < stop; ++i) {
                const qint64 w = state->mutex.lock(task.id, where);
                guarded();
                state->mutex.unlock(task.id);
                waitNs += w;
                waits += w > 0;
            }
        } else if (isSpin) {
            for (; i < stop; ++i) {
                const qint64 w = state->spinlock.lock(task.id, where);
                guarded();
                state->spinlock.unlock(task.id);
                waitNs += w;
                waits += w > 0;
            }
        } else {
            for (; i < stop; ++i) {
                counter.fetch_add(1, std::memory_order_relaxed);
                x = work(x, rounds);
            }
        }
        env.hooks.checkpoint();
        if (env.cancel.load(std::memory_order_relaxed)) {
            r.cancelled = true;
            r.error = QStringLiteral("cancelled");
            r.errorCategory = QStringLiteral("cancelled");
            return;
        }
    }
    const qint64 t1 = monotonicNs();
    sink = x;
    (void)sink;
    r.trace = rec.finish();
    r.value = valueJson(i, waitNs, waits, double(t0) / 1e9, double(t1) / 1e9);
    judge(ops, i, r);
}

RunSummaryPtr LockContentionWorkload::summarize(const RunRecord &run, WorkloadState *state) const
{
    if (run.tasks.empty())
        return nullptr;
    auto s = std::make_shared<LockContentionSummary>();
    const int dash = run.variant.lastIndexOf(QLatin1Char('-'));
    s->lock = dash > 0 ? run.variant.left(dash) : run.variant;
    s->contenders = int(run.tasks.size());
    double t0 = -1, t1 = -1, waitNs = 0, traceWait = 0;
    bool traceComplete = true, allOk = true;
    qint64 done = 0;
    for (const TaskResult &t : run.tasks) {
        if (!t.ok || !t.value.startsWith(QLatin1Char('{'))) {
            allOk = false;
            continue;
        }
        const QJsonObject o = QJsonDocument::fromJson(t.value.toUtf8()).object();
        const double a = o.value(QStringLiteral("t0")).toDouble(), b = o.value(QStringLiteral("t1")).toDouble();
        t0 = t0 < 0 ? a : std::min(t0, a);
        t1 = std::max(t1, b);
        done += qint64(o.value(QStringLiteral("done")).toDouble());
        s->ops = qint64(o.value(QStringLiteral("done")).toDouble());
        waitNs += o.value(QStringLiteral("wait_ns")).toDouble();
        s->waits += qint64(o.value(QStringLiteral("waits")).toDouble());
        if (t.trace) {
            traceComplete = traceComplete && t.trace->droppedSpans == 0;
            for (const StateSpan &sp : t.trace->spans)
                if (sp.state == LaneState::Lock)
                    traceWait += sp.end_s - sp.start_s;
        }
    }
    const auto *cs = dynamic_cast<ContentionState *>(state);
    const ModelInfo *model = findModel(run.model);
    const bool cpython = model && model->family == ModelFamily::CPython;
    // CPython's counter is its own; its twin checks the count under the lock and says so in "done".
    s->exact = allOk && (cpython ? true : cs && cs->counter.load() == done);
    const double phase = t1 - t0;
    if (allOk && phase > 0 && done > 0) {
        s->nsPerOp = phase * 1e9 / double(done);
        if (s->lock != QLatin1String("atomic")) {
            s->waitShare = waitNs * 1e-9 / (phase * s->contenders);
            if (traceComplete)
                s->traceWaitShare = traceWait / (phase * s->contenders);
        }
    }
    if (run.gil && run.wall_s > 0 && !run.gil->threads.empty()) {
        double gilWait = 0;
        for (const auto &t : run.gil->threads)
            gilWait += t.wait_s;
        s->gilWaitShare = gilWait / (run.wall_s * double(run.gil->threads.size()));
    }
    return s;
}

RunSummaryPtr LockContentionWorkload::summaryFromJson(const QJsonObject &run) const
{
    return LockContentionSummary::fromJson(run);
}

QJsonObject LockContentionWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const
{
    const qint64 ops = qint64(params.value(kPythonOps).toDouble());
    QJsonArray list;
    for (const TaskSpec &t : tasks)
        list.append(QJsonObject{{QStringLiteral("id"), t.id}, {QStringLiteral("estimate_s"), double(ops) * kPythonSecondsPerOp}});
    return {{kOps, double(ops)}, {kWork, params.value(kWork).toInt()}, {kContenders, params.value(kContenders).toInt(1)},
            {QStringLiteral("tasks"), list}};
}

void LockContentionWorkload::judgePython(const TaskSpec &task, const QJsonObject &e, TaskResult &r) const
{
    const qint64 ops = task.integer(QLatin1String("python_ops"));
    const qint64 done = qint64(e.value(QStringLiteral("done")).toDouble(-1));
    r.value = valueJson(done, qint64(e.value(QStringLiteral("wait_ns")).toDouble()), qint64(e.value(QStringLiteral("waits")).toDouble()),
                        e.value(QStringLiteral("loop_t0")).toDouble(), e.value(QStringLiteral("loop_t1")).toDouble());
    judge(ops, done, r);
    if (r.ok && !e.value(QStringLiteral("exact")).toBool(false)) {
        r.ok = r.verified = false;
        r.error = e.value(QStringLiteral("exact")).isBool()
                      ? QStringLiteral("the counter guarded by threading.Lock is wrong")
                      : QStringLiteral("the counter could not be checked: fewer threads than contenders ran at once");
        r.errorCategory = QStringLiteral("wrong-result");
    }
}

} // namespace lab
