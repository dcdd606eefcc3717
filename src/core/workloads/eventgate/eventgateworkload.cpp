#include "eventgateworkload.h"

#include "experiment/runrecord.h"
#include "models/executionmodel.h"
#include "sync/shmsegment.h"
#include "sync/tracedevent.h"
#include "util/sysinfo.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <algorithm>
#include <thread>

namespace lab {

namespace {

const QString kWaiters = QStringLiteral("waiters");
const QString kRounds = QStringLiteral("rounds");
const QString kSettleUs = QStringLiteral("settle_us");
const QString kArriveMs = QStringLiteral("arrive_timeout_ms");
const QLatin1String kShmKey("shm");
const QLatin1String kRoleKey("role");

// What the starter and the waiters share: one event per round (a gate opened once) and the
// counts that let the starter open it only when every waiter is blocked on it.
struct GateShared {
    TracedEvent::Shared gate[EventGateWorkload::kMaxRounds];
    std::atomic<int> arrived[EventGateWorkload::kMaxRounds];
    std::atomic<int> passed[EventGateWorkload::kMaxRounds];
};

struct EventGateState : WorkloadState {
    ShmSegment segment;
    int rounds = 0;
    GateShared *shared() const { return static_cast<GateShared *>(segment.data()); }
    ~EventGateState() override
    {
        if (segment.isValid())
            for (int r = 0; r < rounds; ++r)
                TracedEvent::destroyShared(&shared()->gate[r]);
    }
};

QJsonValue opt(const std::optional<double> &v, int decimals)
{
    return v ? roundedJson(*v, decimals) : QJsonValue();
}

// A short sleep that gives the GIL up (the starter polling for its waiters).
void nap(ExecHooks &hooks, int us)
{
    BlockingSection guard(hooks);
    std::this_thread::sleep_for(std::chrono::microseconds(us));
}

} // namespace

void EventGateSummary::writeJson(QJsonObject &run) const
{
    run.insert(QStringLiteral("event_gate"),
               QJsonObject{{QStringLiteral("waiters"), waiters},
                           {QStringLiteral("rounds"), rounds},
                           {QStringLiteral("rounds_all_released"), roundsAllReleased},
                           {QStringLiteral("rounds_measured"), roundsMeasured},
                           {QStringLiteral("spread_p50_us"), opt(spreadP50Us, 1)},
                           {QStringLiteral("spread_max_us"), opt(spreadMaxUs, 1)},
                           {QStringLiteral("wake_p50_us"), opt(wakeP50Us, 1)},
                           {QStringLiteral("wake_p99_us"), opt(wakeP99Us, 1)},
                           {QStringLiteral("first_wake_p50_us"), opt(firstWakeP50Us, 1)}});
}

std::shared_ptr<EventGateSummary> EventGateSummary::fromJson(const QJsonObject &run)
{
    const QJsonValue v = run.value(QStringLiteral("event_gate"));
    if (!v.isObject())
        return {};
    const QJsonObject o = v.toObject();
    auto s = std::make_shared<EventGateSummary>();
    s->waiters = o.value(QStringLiteral("waiters")).toInt();
    s->rounds = o.value(QStringLiteral("rounds")).toInt();
    s->roundsAllReleased = o.value(QStringLiteral("rounds_all_released")).toInt();
    s->roundsMeasured = o.value(QStringLiteral("rounds_measured")).toInt();
    s->spreadP50Us = optionalDouble(o.value(QStringLiteral("spread_p50_us")));
    s->spreadMaxUs = optionalDouble(o.value(QStringLiteral("spread_max_us")));
    s->wakeP50Us = optionalDouble(o.value(QStringLiteral("wake_p50_us")));
    s->wakeP99Us = optionalDouble(o.value(QStringLiteral("wake_p99_us")));
    s->firstWakeP50Us = optionalDouble(o.value(QStringLiteral("first_wake_p50_us")));
    return s;
}

std::vector<Figure> EventGateSummary::figures() const
{
    return {
        {QStringLiteral("spread_p50_us"), QStringLiteral("release spread"), spreadP50Us, QStringLiteral("µs"), 0,
         QStringLiteral("median time from the first to the last waiter running after one set()")},
        {QStringLiteral("spread_max_us"), QStringLiteral("worst spread"), spreadMaxUs, QStringLiteral("µs"), 0, {}},
        {QStringLiteral("wake_p50_us"), QStringLiteral("p50 wake-up"), wakeP50Us, QStringLiteral("µs"), 0,
         QStringLiteral("median time from set() to one waiter running")},
        {QStringLiteral("wake_p99_us"), QStringLiteral("p99 wake-up"), wakeP99Us, QStringLiteral("µs"), 0, {}},
    };
}

std::optional<VariantOutcome> EventGateSummary::outcome() const
{
    VariantOutcome o;
    o.expected = QStringLiteral("all %1 waiters released in each of %2 rounds").arg(waiters).arg(rounds);
    o.actual = QStringLiteral("%1 of %2 rounds released everyone").arg(roundsAllReleased).arg(rounds);
    o.ok = rounds > 0 && roundsAllReleased == rounds;
    o.usPerOp = spreadP50Us;
    QString words = o.actual;
    if (spreadP50Us && wakeP50Us)
        words = QStringLiteral("one set() reached the first waiter in %1 µs and the last %2 µs later (medians of %3 rounds)")
                    .arg(firstWakeP50Us.value_or(*wakeP50Us), 0, 'f', 0)
                    .arg(*spreadP50Us, 0, 'f', 0)
                    .arg(roundsMeasured);
    o.words = words;
    return o;
}

QString EventGateWorkload::label() const
{
    return QStringLiteral("Event gate (one set, W waiters)");
}

QString EventGateWorkload::description() const
{
    return QStringLiteral("W workers wait on one event and a starter sets it: how long until the first and the last of "
                          "them runs again.");
}

std::vector<ParamInfo> EventGateWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {kWaiters, QStringLiteral("Waiters"), T::Int, 1, 256, 4, {},
         QStringLiteral("workers blocked on the event; the run needs one more worker for the starter")},
        {kRounds, QStringLiteral("Rounds"), T::Int, 1, kMaxRounds, 50, {},
         QStringLiteral("the gate opens this many times (a fresh event each round)")},
        {kSettleUs, QStringLiteral("Settle time"), T::Int, 0, 1000000, 500, QStringLiteral("µs"),
         QStringLiteral("once every waiter is blocked, the starter waits this long before set()")},
        {kArriveMs, QStringLiteral("Arrival timeout"), T::Int, 10, 600000, 5000, QStringLiteral("ms"),
         QStringLiteral("the starter gives up when not every waiter reached the gate in this time")},
    };
}

int EventGateWorkload::defaultWorkers(const QJsonObject &params) const
{
    return params.value(kWaiters).toInt(4) + 1;
}

QString EventGateWorkload::autoWorkersText() const
{
    return QStringLiteral("auto (waiters + 1 starter)");
}

QString EventGateWorkload::whyNotOn(const ModelInfo &model) const
{
    if (model.fixedSingleWorker)
        return QStringLiteral("the waiters and the starter must run at the same time");
    return Workload::whyNotOn(model);
}

qint64 EventGateWorkload::taskCount(const QJsonObject &params) const
{
    return params.value(kWaiters).toInt(4) + 1;
}

std::vector<PrimitiveInfo> EventGateWorkload::primitives(const QJsonObject &) const
{
    return {{QStringLiteral("gate"), QStringLiteral("event"), 0}};
}

std::unique_ptr<WorkloadState> EventGateWorkload::setUp(const QJsonObject &params, QString *error) const
{
    auto state = std::make_unique<EventGateState>();
    QString why;
    state->segment = ShmSegment::create(sizeof(GateShared), &why);
    if (!state->segment.isValid()) {
        *error = QStringLiteral("cannot create the event's shared memory: %1").arg(why);
        return {};
    }
    // Zero-filled: the counts start at 0; each round's event is initialised process-shared.
    state->rounds = params.value(kRounds).toInt(50);
    for (int r = 0; r < state->rounds; ++r)
        TracedEvent::initShared(&state->shared()->gate[r], true);
    return state;
}

std::vector<TaskSpec> EventGateWorkload::makeTasks(const QJsonObject &params, WorkloadState *state) const
{
    const auto *st = dynamic_cast<EventGateState *>(state);
    const int waiters = params.value(kWaiters).toInt(4);
    std::vector<TaskSpec> tasks;
    for (int i = 0; i <= waiters; ++i) {
        TaskSpec t;
        t.id = i;
        t.workload = id();
        t.params.insert(kRoleKey, i == 0 ? QStringLiteral("starter") : QStringLiteral("waiter"));
        t.params.insert(kWaiters, waiters);
        t.params.insert(kRounds, params.value(kRounds).toInt(50));
        t.params.insert(kSettleUs, params.value(kSettleUs).toInt(500));
        t.params.insert(kArriveMs, params.value(kArriveMs).toInt(5000));
        t.params.insert(kShmKey, st ? st->segment.name() : QString());
        tasks.push_back(t);
    }
    return tasks;
}

QString EventGateWorkload::checkTask(const TaskSpec &task) const
{
    const QString role = task.string(kRoleKey);
    if (role != QLatin1String("starter") && role != QLatin1String("waiter"))
        return QStringLiteral("task %1: role must be starter or waiter").arg(task.id);
    const qint64 rounds = task.integer(QLatin1String("rounds"));
    if (rounds < 1 || rounds > kMaxRounds)
        return QStringLiteral("task %1: rounds = %2 is out of range (1..%3)").arg(task.id).arg(rounds).arg(kMaxRounds);
    const qint64 waiters = task.integer(QLatin1String("waiters"));
    if (waiters < 1 || waiters > 256)
        return QStringLiteral("task %1: waiters = %2 is out of range (1..256)").arg(task.id).arg(waiters);
    // A task without its segment (made outside a run) is well-formed: executing it fails with
    // a reason (taskSharedBlock), as for every workload with shared state.
    return {};
}

void EventGateWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const
{
    const int waiters = int(task.integer(QLatin1String("waiters")));
    const int rounds = int(task.integer(QLatin1String("rounds")));
    const int settleUs = int(task.integer(QLatin1String("settle_us")));
    const qint64 arriveNs = task.integer(QLatin1String("arrive_timeout_ms"), 5000) * 1000000;
    auto *st = dynamic_cast<EventGateState *>(env.state);
    ShmSegment attached;
    GateShared *g = taskSharedBlock(st ? st->shared() : nullptr, task, attached, result,
                                    QStringLiteral("event's shared memory"));
    if (!g)
        return;
    TraceRecorder rec(task.id);
    auto cancelled = [&] {
        result.cancelled = true;
        result.error = QStringLiteral("cancelled");
        result.trace = rec.finish();
    };

    if (task.string(kRoleKey) == QLatin1String("starter")) {
        int missing = 0;
        for (int r = 0; r < rounds; ++r) {
            TracedEvent gate(&g->gate[r], 0);
            const qint64 until = monotonicNs() + arriveNs;
            while ((g->arrived[r].load() < waiters || gate.waiting() < waiters) && monotonicNs() < until) {
                if (env.cancel.load(std::memory_order_relaxed)) {
                    for (int k = r; k < rounds; ++k)
                        TracedEvent(&g->gate[k], 0).set(nullptr);
                    return cancelled();
                }
                nap(env.hooks, 100);
            }
            if (g->arrived[r].load() < waiters)
                missing = std::max(missing, waiters - g->arrived[r].load());
            if (settleUs > 0)
                nap(env.hooks, settleUs);
            gate.set(&rec);
            if (missing > 0) {
                // Leave this gate and the later ones open: the waiters that do run must not hang.
                for (int k = r + 1; k < rounds; ++k)
                    TracedEvent(&g->gate[k], 0).set(&rec);
                break;
            }
            // The next round starts once everyone passed this one.
            while (g->passed[r].load() < waiters && !env.cancel.load(std::memory_order_relaxed))
                nap(env.hooks, 50);
            gate.clear(&rec);
        }
        result.value = QString::fromUtf8(
            QJsonDocument(QJsonObject{{QStringLiteral("role"), QStringLiteral("starter")}, {QStringLiteral("rounds"), rounds}})
                .toJson(QJsonDocument::Compact));
        if (missing > 0) {
            result.error = QStringLiteral("only %1 of %2 waiters reached the gate within %3 ms: the model must run all %4 "
                                          "tasks at once (workers at least waiters + 1)")
                               .arg(waiters - missing)
                               .arg(waiters)
                               .arg(arriveNs / 1000000)
                               .arg(waiters + 1);
        } else {
            result.ok = result.verified = true;
        }
        result.trace = rec.finish();
        return;
    }

    QJsonArray wakeUs;
    int passed = 0;
    for (int r = 0; r < rounds; ++r) {
        TracedEvent gate(&g->gate[r], 0);
        const qint64 called = monotonicNs();
        g->arrived[r].fetch_add(1);
        qint64 setAt = 0;
        if (!gate.wait(&rec, env.cancel, &env.hooks, &setAt))
            return cancelled();
        const qint64 woke = monotonicNs();
        g->passed[r].fetch_add(1);
        ++passed;
        // Only a waiter that was blocked when the gate opened measures the release.
        wakeUs.append(setAt >= called ? QJsonValue(double(woke - setAt) / 1000.0) : QJsonValue());
        env.hooks.checkpoint();
    }
    result.value = QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("role"), QStringLiteral("waiter")},
                                                               {QStringLiteral("passed"), passed},
                                                               {QStringLiteral("wake_us"), wakeUs}})
                                         .toJson(QJsonDocument::Compact));
    result.ok = result.verified = passed == rounds;
    if (!result.ok)
        result.error = QStringLiteral("passed %1 of %2 rounds").arg(passed).arg(rounds);
    result.trace = rec.finish();
}

RunSummaryPtr EventGateWorkload::summarize(const RunRecord &run, WorkloadState *) const
{
    auto s = std::make_shared<EventGateSummary>();
    std::vector<QJsonArray> lists;
    bool starterOk = false;
    for (const TaskResult &t : run.tasks) {
        const QJsonObject v = QJsonDocument::fromJson(t.value.toUtf8()).object();
        if (v.value(QStringLiteral("role")).toString() == QLatin1String("starter")) {
            s->rounds = v.value(QStringLiteral("rounds")).toInt();
            starterOk = t.ok;
        } else if (v.value(QStringLiteral("role")).toString() == QLatin1String("waiter")) {
            ++s->waiters;
            if (t.ok)
                lists.push_back(v.value(QStringLiteral("wake_us")).toArray());
        }
    }
    if (s->rounds == 0 && !run.tasks.empty())
        s->rounds = int(lists.empty() ? 0 : lists.front().size());
    std::vector<double> spreads, wakes, firsts;
    for (int r = 0; r < s->rounds; ++r) {
        int released = 0;
        std::vector<double> lat;
        for (const QJsonArray &l : lists) {
            if (r < l.size()) {
                ++released;
                if (l.at(r).isDouble())
                    lat.push_back(l.at(r).toDouble());
            }
        }
        if (starterOk && released == s->waiters)
            ++s->roundsAllReleased;
        wakes.insert(wakes.end(), lat.begin(), lat.end());
        if (int(lat.size()) == s->waiters && !lat.empty()) {
            ++s->roundsMeasured;
            const auto [lo, hi] = std::minmax_element(lat.begin(), lat.end());
            spreads.push_back(*hi - *lo);
            firsts.push_back(*lo);
        }
    }
    if (!spreads.empty()) {
        s->spreadP50Us = percentile(spreads, 50);
        s->spreadMaxUs = *std::max_element(spreads.begin(), spreads.end());
        s->firstWakeP50Us = percentile(firsts, 50);
    }
    if (!wakes.empty()) {
        s->wakeP50Us = percentile(wakes, 50);
        s->wakeP99Us = percentile(wakes, 99);
    }
    return s;
}

RunSummaryPtr EventGateWorkload::summaryFromJson(const QJsonObject &run) const
{
    return EventGateSummary::fromJson(run);
}

QJsonObject EventGateWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const
{
    QJsonArray list;
    for (const TaskSpec &t : tasks)
        list.append(QJsonObject{{QStringLiteral("id"), t.id}, {QStringLiteral("role"), t.string(kRoleKey)}});
    const double rounds = params.value(kRounds).toDouble(50);
    return {{QStringLiteral("tasks"), list},
            {kWaiters, params.value(kWaiters)},
            {kRounds, params.value(kRounds)},
            {kSettleUs, params.value(kSettleUs)},
            {kArriveMs, params.value(kArriveMs)},
            // Every round: the settle time and a few switch intervals for the waiters to run.
            {QStringLiteral("estimate_s"), rounds * (params.value(kSettleUs).toDouble(500) * 1e-6 + 0.002)
                                               + params.value(kArriveMs).toDouble(5000) / 1000.0},
            {QStringLiteral("estimate_switches"), rounds * 2}};
}

void EventGateWorkload::judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const
{
    Workload::judgePython(task, event, result);
    if (!result.ok && event.value(QStringLiteral("error")).isString())
        result.error = event.value(QStringLiteral("error")).toString();
}

} // namespace lab
