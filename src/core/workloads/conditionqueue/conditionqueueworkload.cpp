#include "conditionqueueworkload.h"

#include "experiment/runrecord.h"
#include "models/executionmodel.h"
#include "sync/tracedqueue.h"
#include "util/sysinfo.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <algorithm>

namespace lab {

namespace {

const QString kProducers = QStringLiteral("producers");
const QString kConsumers = QStringLiteral("consumers");
const QString kItems = QStringLiteral("items");
const QString kCapacity = QStringLiteral("capacity");
const QString kStallMs = QStringLiteral("stall_timeout_ms");
const QLatin1String kRoleKey("role");
const QLatin1String kIndexKey("index");
const QLatin1String kFifoKey("fifo");
const QLatin1String kShmKey("shm");

struct ConditionQueueState : WorkloadState {
    std::unique_ptr<TracedQueue> queue;   // threads of this process
    std::unique_ptr<PipeQueue> pipe;      // worker processes: the FIFO and its segment, removed with us
    std::atomic<int> producersLeft{0};
    qint64 items = 0;
};

QJsonValue opt(const std::optional<double> &v, int decimals)
{
    return v ? roundedJson(*v, decimals) : QJsonValue();
}

QString stallText(const TaskSpec &task)
{
    return QStringLiteral("no item moved for %1 ms: the %2 producers and %3 consumers must all run at once "
                          "(workers at least %4)")
        .arg(task.integer(QLatin1String("stall_timeout_ms")))
        .arg(task.integer(QLatin1String("producers")))
        .arg(task.integer(QLatin1String("consumers")))
        .arg(task.integer(QLatin1String("producers")) + task.integer(QLatin1String("consumers")));
}

} // namespace

quint64 ConditionQueueWorkload::idHash(quint64 id)
{
    // splitmix64's finaliser: a sum of these over the ids catches a lost, doubled or foreign id.
    quint64 z = id + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

quint64 ConditionQueueWorkload::expectedHash(qint64 items)
{
    quint64 h = 0;
    for (qint64 i = 0; i < items; ++i)
        h += idHash(quint64(i));
    return h;
}

void ConditionQueueSummary::writeJson(QJsonObject &run) const
{
    QJsonObject o{{QStringLiteral("items"), double(items)},
                  {QStringLiteral("received"), double(received)},
                  {QStringLiteral("exactly_once"), exactlyOnce},
                  {QStringLiteral("producers"), producers},
                  {QStringLiteral("consumers"), consumers},
                  {QStringLiteral("capacity"), capacity},
                  {QStringLiteral("transport"), transport},
                  {QStringLiteral("items_per_s"), opt(itemsPerS, 1)},
                  {QStringLiteral("ns_per_item"), opt(nsPerItem, 1)},
                  {QStringLiteral("max_depth"), opt(maxDepth, 0)},
                  {QStringLiteral("empty_waits"), emptyWaits},
                  {QStringLiteral("full_waits"), fullWaits},
                  {QStringLiteral("wake_p50_us"), opt(wakeP50Us, 1)}};
    if (droppedEvents)
        o.insert(QStringLiteral("dropped_events"), double(droppedEvents));
    if (droppedSpans)
        o.insert(QStringLiteral("dropped_waits"), double(droppedSpans));
    run.insert(QStringLiteral("queue"), o);
}

std::shared_ptr<ConditionQueueSummary> ConditionQueueSummary::fromJson(const QJsonObject &run)
{
    const QJsonValue v = run.value(QStringLiteral("queue"));
    if (!v.isObject())
        return {};
    const QJsonObject o = v.toObject();
    auto s = std::make_shared<ConditionQueueSummary>();
    s->items = qint64(o.value(QStringLiteral("items")).toDouble());
    s->received = qint64(o.value(QStringLiteral("received")).toDouble());
    s->exactlyOnce = o.value(QStringLiteral("exactly_once")).toBool();
    s->producers = o.value(QStringLiteral("producers")).toInt();
    s->consumers = o.value(QStringLiteral("consumers")).toInt();
    s->capacity = o.value(QStringLiteral("capacity")).toInt();
    s->transport = o.value(QStringLiteral("transport")).toString();
    s->itemsPerS = optionalDouble(o.value(QStringLiteral("items_per_s")));
    s->nsPerItem = optionalDouble(o.value(QStringLiteral("ns_per_item")));
    s->maxDepth = optionalDouble(o.value(QStringLiteral("max_depth")));
    s->emptyWaits = o.value(QStringLiteral("empty_waits")).toInt();
    s->fullWaits = o.value(QStringLiteral("full_waits")).toInt();
    s->wakeP50Us = optionalDouble(o.value(QStringLiteral("wake_p50_us")));
    s->droppedEvents = qint64(o.value(QStringLiteral("dropped_events")).toDouble());
    s->droppedSpans = qint64(o.value(QStringLiteral("dropped_waits")).toDouble());
    return s;
}

std::vector<Figure> ConditionQueueSummary::figures() const
{
    return {
        {QStringLiteral("items_per_s"), QStringLiteral("items/s"), itemsPerS, QStringLiteral("items/s"), 0,
         QStringLiteral("items moved from producers to consumers per second of wall time")},
        {QStringLiteral("ns_per_item"), QStringLiteral("per item"), nsPerItem, QStringLiteral("ns"), 0, {}},
        {QStringLiteral("max_depth"), QStringLiteral("deepest"), maxDepth, {}, 0,
         QStringLiteral("the most items that waited in the queue at once")},
        {QStringLiteral("empty_waits"), QStringLiteral("empty waits"), double(emptyWaits), {}, 0,
         QStringLiteral("times a consumer blocked on an empty queue (as traced)")},
        {QStringLiteral("full_waits"), QStringLiteral("full waits"), double(fullWaits), {}, 0,
         QStringLiteral("times a producer blocked on a full queue (as traced)")},
    };
}

std::optional<VariantOutcome> ConditionQueueSummary::outcome() const
{
    VariantOutcome o;
    o.expected = QStringLiteral("%1 items, each once").arg(items);
    o.actual = exactlyOnce ? QStringLiteral("%1 items, each once").arg(received)
                           : QStringLiteral("%1 items received, not each once").arg(received);
    o.ok = exactlyOnce;
    o.nsPerOp = nsPerItem;
    QString words = QStringLiteral("%1 producers and %2 consumers moved %3 items through the %4")
                        .arg(producers)
                        .arg(consumers)
                        .arg(received)
                        .arg(transport);
    if (itemsPerS)
        words += QStringLiteral(" at %1 items/s").arg(*itemsPerS, 0, 'f', 0);
    if (maxDepth)
        words += QStringLiteral("; at most %1 waited in it").arg(*maxDepth, 0, 'f', 0);
    if (droppedSpans > 0)
        words += QStringLiteral("; %1 more waits than the trace keeps were counted only").arg(droppedSpans);
    if (!exactlyOnce)
        words += QStringLiteral("; the ids received do not add up to each item once");
    o.words = words;
    return o;
}

QString ConditionQueueWorkload::label() const
{
    return QStringLiteral("Producer/consumer queue");
}

QString ConditionQueueWorkload::description() const
{
    return QStringLiteral("Producers put numbered items into a bounded queue, consumers take them out: a condition-"
                          "variable queue between threads, a pipe between processes.");
}

std::vector<ParamInfo> ConditionQueueWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {kProducers, QStringLiteral("Producers"), T::Int, 1, 64, 2, {}, QStringLiteral("tasks that put items")},
        {kConsumers, QStringLiteral("Consumers"), T::Int, 1, 64, 2, {}, QStringLiteral("tasks that take items")},
        {kItems, QStringLiteral("Items"), T::Int, 1, 10000000, 100000, {},
         QStringLiteral("items moved in all; each must arrive exactly once")},
        {kCapacity, QStringLiteral("Capacity"), T::Int, 1, 100000, 64, {},
         QStringLiteral("slots in the queue; a full queue blocks the producers (a pipe holds at least this many)")},
        {kStallMs, QStringLiteral("Stall timeout"), T::Int, 100, 600000, 5000, QStringLiteral("ms"),
         QStringLiteral("a blocked side gives up when no item moved anywhere for this long")},
    };
}

int ConditionQueueWorkload::defaultWorkers(const QJsonObject &params) const
{
    return params.value(kProducers).toInt(2) + params.value(kConsumers).toInt(2);
}

QString ConditionQueueWorkload::autoWorkersText() const
{
    return QStringLiteral("auto (producers + consumers)");
}

QString ConditionQueueWorkload::whyNotOn(const ModelInfo &model) const
{
    if (model.fixedSingleWorker)
        return QStringLiteral("producers and consumers must run at the same time");
    return Workload::whyNotOn(model);
}

qint64 ConditionQueueWorkload::taskCount(const QJsonObject &params) const
{
    return params.value(kProducers).toInt(2) + params.value(kConsumers).toInt(2);
}

std::vector<PrimitiveInfo> ConditionQueueWorkload::primitives(const QJsonObject &params) const
{
    return {{QStringLiteral("queue"), QStringLiteral("queue"), params.value(kCapacity).toInt(64)}};
}

std::unique_ptr<WorkloadState> ConditionQueueWorkload::setUp(const QJsonObject &params, QString *error) const
{
    auto state = std::make_unique<ConditionQueueState>();
    const int capacity = params.value(kCapacity).toInt(64);
    const int producers = params.value(kProducers).toInt(2);
    state->queue = std::make_unique<TracedQueue>(capacity, 0, params.value(kStallMs).toInt(5000));
    state->producersLeft.store(producers);
    state->items = qint64(params.value(kItems).toDouble(100000));
    // Both, since the model is not known here: the pipe costs a folder, a FIFO and a page.
    state->pipe = PipeQueue::create(capacity, producers, error);
    if (!state->pipe)
        return {};
    return state;
}

std::vector<TaskSpec> ConditionQueueWorkload::makeTasks(const QJsonObject &params, WorkloadState *state) const
{
    const auto *st = dynamic_cast<ConditionQueueState *>(state);
    const int producers = params.value(kProducers).toInt(2);
    const int consumers = params.value(kConsumers).toInt(2);
    std::vector<TaskSpec> tasks;
    for (int i = 0; i < producers + consumers; ++i) {
        TaskSpec t;
        t.id = i;
        t.workload = id();
        const bool producer = i < producers;
        t.params.insert(kRoleKey, producer ? QStringLiteral("producer") : QStringLiteral("consumer"));
        t.params.insert(kIndexKey, producer ? i : i - producers);
        t.params.insert(kProducers, producers);
        t.params.insert(kConsumers, consumers);
        t.params.insert(kItems, qint64(params.value(kItems).toDouble(100000)));
        t.params.insert(kStallMs, params.value(kStallMs).toInt(5000));
        t.params.insert(kFifoKey, st && st->pipe ? st->pipe->fifoPath() : QString());
        t.params.insert(kShmKey, st && st->pipe ? st->pipe->shmName() : QString());
        tasks.push_back(t);
    }
    return tasks;
}

QString ConditionQueueWorkload::checkTask(const TaskSpec &task) const
{
    const QString role = task.string(kRoleKey);
    if (role != QLatin1String("producer") && role != QLatin1String("consumer"))
        return QStringLiteral("task %1: role must be producer or consumer").arg(task.id);
    const qint64 producers = task.integer(QLatin1String("producers"));
    const qint64 consumers = task.integer(QLatin1String("consumers"));
    if (producers < 1 || producers > 64 || consumers < 1 || consumers > 64)
        return QStringLiteral("task %1: producers and consumers must be 1..64").arg(task.id);
    const qint64 items = task.integer(QLatin1String("items"));
    if (items < 1 || items > 10000000)
        return QStringLiteral("task %1: items = %2 is out of range (1..10000000)").arg(task.id).arg(items);
    // A task without its pipe (made outside a run) is well-formed: executing it fails with a
    // reason, as for every workload with shared state.
    return {};
}

void ConditionQueueWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const
{
    const bool producer = task.string(kRoleKey) == QLatin1String("producer");
    const qint64 index = task.integer(kIndexKey);
    const qint64 producers = task.integer(QLatin1String("producers"));
    const int consumers = int(task.integer(QLatin1String("consumers")));
    const qint64 items = task.integer(QLatin1String("items"));
    auto *st = dynamic_cast<ConditionQueueState *>(env.state);
    std::unique_ptr<PipeQueue> pipe;
    if (!st) {
        // A worker process: the app's named pipe.
        if (task.string(kFifoKey).isEmpty() || task.string(kShmKey).isEmpty()) {
            result.error = QStringLiteral("fifo or shm is missing (the run's queue pipe)");
            result.errorCategory = QStringLiteral("bad-task");
            return;
        }
        QString why;
        pipe = PipeQueue::open(task.string(kFifoKey), task.string(kShmKey), 0, &why,
                               int(task.integer(QLatin1String("stall_timeout_ms"), 5000)));
        if (!pipe) {
            result.error = why;
            return;
        }
    }
    TraceRecorder rec(task.id);
    ExecHooks *hooks = &env.hooks;
    auto finish = [&](QueueStatus status, const QJsonObject &value) {
        result.value = QString::fromUtf8(QJsonDocument(value).toJson(QJsonDocument::Compact));
        result.trace = rec.finish();
        switch (status) {
        case QueueStatus::Ok:
        case QueueStatus::Closed:
            result.ok = result.verified = true;
            break;
        case QueueStatus::Cancelled:
            result.cancelled = true;
            result.error = QStringLiteral("cancelled");
            break;
        case QueueStatus::Stalled:
            result.error = stallText(task);
            break;
        case QueueStatus::Broken:
            result.error = QStringLiteral("the queue's pipe failed or delivered a torn record");
            break;
        }
    };

    if (producer) {
        qint64 count = 0;
        QueueStatus status = QueueStatus::Ok;
        for (qint64 id = index; id < items && status == QueueStatus::Ok; id += producers) {
            status = pipe ? pipe->put(id, &rec, env.cancel) : st->queue->put(id, &rec, env.cancel, hooks);
            if (status == QueueStatus::Ok)
                ++count;
            hooks->checkpoint();
        }
        if (status == QueueStatus::Ok) {
            if (pipe)
                status = pipe->producerDone(consumers, &rec, env.cancel);
            else if (st->producersLeft.fetch_sub(1) == 1)
                st->queue->close();
        }
        // A producer that fails must not leave the consumers waiting for the end of the stream.
        if (status != QueueStatus::Ok && st)
            st->queue->close();
        return finish(status, {{QStringLiteral("role"), QStringLiteral("producer")}, {QStringLiteral("count"), double(count)}});
    }

    qint64 count = 0;
    quint64 sum = 0, hash = 0;
    QueueStatus status = QueueStatus::Ok;
    for (;;) {
        qint64 id = 0;
        status = pipe ? pipe->get(&id, &rec, env.cancel) : st->queue->get(&id, &rec, env.cancel, hooks);
        if (status != QueueStatus::Ok)
            break;
        ++count;
        sum += quint64(id);
        hash += idHash(quint64(id));
        hooks->checkpoint();
    }
    finish(status, {{QStringLiteral("role"), QStringLiteral("consumer")},
                    {QStringLiteral("count"), double(count)},
                    {QStringLiteral("sum"), QString::number(sum)},
                    {QStringLiteral("hash"), QString::number(hash)}});
}

RunSummaryPtr ConditionQueueWorkload::summarize(const RunRecord &run, WorkloadState *state) const
{
    auto s = std::make_shared<ConditionQueueSummary>();
    quint64 sum = 0, hash = 0;
    bool allOk = !run.tasks.empty();
    std::vector<double> wakes;
    int tracedDepth = -1;
    for (const TaskResult &t : run.tasks) {
        allOk = allOk && t.ok;
        const QJsonObject v = QJsonDocument::fromJson(t.value.toUtf8()).object();
        const QString role = v.value(QStringLiteral("role")).toString();
        if (role == QLatin1String("producer")) {
            ++s->producers;
            s->items += qint64(v.value(QStringLiteral("count")).toDouble());
        } else if (role == QLatin1String("consumer")) {
            ++s->consumers;
            s->received += qint64(v.value(QStringLiteral("count")).toDouble());
            sum += v.value(QStringLiteral("sum")).toString().toULongLong();
            hash += v.value(QStringLiteral("hash")).toString().toULongLong();
        }
        if (!t.trace)
            continue;
        s->droppedEvents += t.trace->droppedEvents;
        s->droppedSpans += t.trace->droppedSpans;
        for (const PrimitiveEvent &e : t.trace->events)
            tracedDepth = std::max(tracedDepth, e.value);
        for (const StateSpan &sp : t.trace->spans) {
            if (sp.state == LaneState::QueueEmpty)
                ++s->emptyWaits;
            else if (sp.state == LaneState::QueueFull)
                ++s->fullWaits;
            else
                continue;
            if (sp.wakeLatency_s >= 0)
                wakes.push_back(sp.wakeLatency_s * 1e6);
        }
    }
    const auto *st = dynamic_cast<ConditionQueueState *>(state);
    const bool python = run.model.startsWith(QLatin1String("python-"));
    const bool processes = run.model.endsWith(QLatin1String("processes"));
    s->transport = python ? (processes ? QStringLiteral("multiprocessing.Queue") : QStringLiteral("queue.Queue"))
                          : (processes ? QStringLiteral("named pipe") : QStringLiteral("condition-variable queue"));
    s->capacity = run.primitives.empty() ? 0 : run.primitives.front().capacity;
    int counted = tracedDepth;
    if (st && !python)
        counted = std::max(counted, processes ? (st->pipe ? st->pipe->maxDepth() : -1) : st->queue->maxDepth());
    if (st && !python && processes && st->pipe)
        s->capacity = st->pipe->capacityRecords();
    if (counted >= 0)
        s->maxDepth = counted;
    if (!wakes.empty())
        s->wakeP50Us = percentile(wakes, 50);
    // Every item once: as many as the spec asked for, ids adding up, hashes adding up.
    // The expected count is the spec's, not what the producers say they put.
    const qint64 expectedItems = st ? st->items : s->items;
    s->items = expectedItems;
    const quint64 m = quint64(expectedItems);
    const quint64 expectedSum = m == 0 ? 0 : (m % 2 == 0 ? (m / 2) * (m - 1) : m * ((m - 1) / 2));
    s->exactlyOnce = allOk && expectedItems > 0 && s->received == expectedItems && sum == expectedSum
                     && hash == expectedHash(expectedItems);
    if (run.wall_s > 0 && s->received > 0) {
        s->itemsPerS = s->received / run.wall_s;
        s->nsPerItem = run.wall_s / double(s->received) * 1e9;
    }
    return s;
}

RunSummaryPtr ConditionQueueWorkload::summaryFromJson(const QJsonObject &run) const
{
    return ConditionQueueSummary::fromJson(run);
}

QJsonObject ConditionQueueWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const
{
    QJsonArray list;
    for (const TaskSpec &t : tasks)
        list.append(QJsonObject{{QStringLiteral("id"), t.id},
                                {QStringLiteral("role"), t.string(kRoleKey)},
                                {QStringLiteral("index"), t.integer(kIndexKey)}});
    const double items = params.value(kItems).toDouble(100000);
    return {{QStringLiteral("tasks"), list},
            {kProducers, params.value(kProducers)},
            {kConsumers, params.value(kConsumers)},
            {kItems, params.value(kItems)},
            {kCapacity, params.value(kCapacity)},
            {kStallMs, params.value(kStallMs)},
            // CPython moves an item through multiprocessing.Queue in ~30-130 µs (loaded 2 cores); generous.
            {QStringLiteral("estimate_s"), items * 300e-6 + params.value(kStallMs).toDouble(5000) / 1000.0}};
}

void ConditionQueueWorkload::judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const
{
    Workload::judgePython(task, event, result);
    if (!result.ok && event.value(QStringLiteral("error")).isString())
        result.error = event.value(QStringLiteral("error")).toString();
}

} // namespace lab
