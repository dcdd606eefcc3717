#include "semaphorepoolworkload.h"

#include "experiment/runrecord.h"
#include "sync/shmsegment.h"
#include "sync/tracedsemaphore.h"
#include "util/sysinfo.h"
#include "workloads/io/httpclient.h"
#include "workloads/io/ioworkload.h"
#include "workloads/io/iowork.h"
#include "workloads/io/localserver.h"

#include <QJsonArray>
#include <algorithm>

namespace lab {

namespace {

const QString kRequests = QStringLiteral("requests");
const QString kPermits = QStringLiteral("permits");
const QString kSize = QStringLiteral("size_bytes");
const QString kLatency = QStringLiteral("latency_ms");
const QString kTimeout = QStringLiteral("timeout_ms");
const QLatin1String kShmKey("shm");
const QLatin1String kPermitsKey("permits");

// "No limit" is a semaphore nobody can exhaust: its counter still proves how many ran at once.
constexpr int kUnlimited = 1 << 30;

struct SemaphorePoolState : WorkloadState {
    LocalServer server;
    ShmSegment segment;  // holds one TracedSemaphore::Shared; unlinked when the run ends
    TracedSemaphore::Shared *shared() const { return static_cast<TracedSemaphore::Shared *>(segment.data()); }
    ~SemaphorePoolState() override
    {
        if (segment.isValid())
            TracedSemaphore::destroyShared(shared());
    }
};

QJsonValue opt(const std::optional<double> &v, int decimals)
{
    return v ? roundedJson(*v, decimals) : QJsonValue();
}

QString permitsText(int permits)
{
    return permits == 0 ? QStringLiteral("no limit") : QStringLiteral("at most %1 in flight").arg(permits);
}

} // namespace

std::optional<double> SemaphorePoolSummary::maxInFlight() const
{
    if (!maxInFlightTraced && !maxInFlightCounter)
        return std::nullopt;
    return std::max(maxInFlightTraced.value_or(0), maxInFlightCounter.value_or(0));
}

bool SemaphorePoolSummary::limitHeld() const
{
    const auto most = maxInFlight();
    return permits == 0 || (most && *most <= permits);
}

void SemaphorePoolSummary::writeJson(QJsonObject &run) const
{
    QJsonObject o{{QStringLiteral("permits"), permits == 0 ? QJsonValue() : QJsonValue(permits)},
                  {QStringLiteral("requests"), requests},
                  {QStringLiteral("requests_ok"), requestsOk},
                  {QStringLiteral("requests_verified"), requestsVerified},
                  {QStringLiteral("max_in_flight_traced"), opt(maxInFlightTraced, 0)},
                  {QStringLiteral("max_in_flight_counter"), opt(maxInFlightCounter, 0)},
                  {QStringLiteral("blocked_acquires"), blockedAcquires},
                  {QStringLiteral("wait_p50_ms"), opt(waitP50Ms, 3)},
                  {QStringLiteral("wait_max_ms"), opt(waitMaxMs, 3)},
                  {QStringLiteral("wake_p50_us"), opt(wakeP50Us, 1)},
                  {QStringLiteral("requests_per_s"), opt(requestsPerS, 3)},
                  {QStringLiteral("us_per_request"), opt(usPerRequest, 1)}};
    if (droppedEvents)
        o.insert(QStringLiteral("dropped_events"), double(droppedEvents));
    run.insert(QStringLiteral("semaphore"), o);
}

std::shared_ptr<SemaphorePoolSummary> SemaphorePoolSummary::fromJson(const QJsonObject &run)
{
    const QJsonValue v = run.value(QStringLiteral("semaphore"));
    if (!v.isObject())
        return {};
    const QJsonObject o = v.toObject();
    auto s = std::make_shared<SemaphorePoolSummary>();
    s->permits = o.value(QStringLiteral("permits")).toInt(0);
    s->requests = o.value(QStringLiteral("requests")).toInt();
    s->requestsOk = o.value(QStringLiteral("requests_ok")).toInt();
    s->requestsVerified = o.value(QStringLiteral("requests_verified")).toInt();
    s->maxInFlightTraced = optionalDouble(o.value(QStringLiteral("max_in_flight_traced")));
    s->maxInFlightCounter = optionalDouble(o.value(QStringLiteral("max_in_flight_counter")));
    s->droppedEvents = qint64(o.value(QStringLiteral("dropped_events")).toDouble());
    s->blockedAcquires = o.value(QStringLiteral("blocked_acquires")).toInt();
    s->waitP50Ms = optionalDouble(o.value(QStringLiteral("wait_p50_ms")));
    s->waitMaxMs = optionalDouble(o.value(QStringLiteral("wait_max_ms")));
    s->wakeP50Us = optionalDouble(o.value(QStringLiteral("wake_p50_us")));
    s->requestsPerS = optionalDouble(o.value(QStringLiteral("requests_per_s")));
    s->usPerRequest = optionalDouble(o.value(QStringLiteral("us_per_request")));
    return s;
}

std::vector<Figure> SemaphorePoolSummary::figures() const
{
    return {
        {QStringLiteral("max_in_flight"), QStringLiteral("most in flight"), maxInFlight(), {}, 0,
         QStringLiteral("the most downloads that ever held a permit at the same time")},
        {QStringLiteral("requests_per_s"), QStringLiteral("req/s"), requestsPerS, QStringLiteral("req/s"), 1,
         QStringLiteral("downloads completed per second of wall time")},
        {QStringLiteral("blocked_acquires"), QStringLiteral("waited"), double(blockedAcquires), {}, 0,
         QStringLiteral("downloads that had to wait for a permit")},
        {QStringLiteral("wait_p50_ms"), QStringLiteral("p50 permit wait"), waitP50Ms, QStringLiteral("ms"), 1,
         QStringLiteral("median wait of the downloads that waited for a permit")},
        {QStringLiteral("wake_p50_us"), QStringLiteral("p50 wake-up"), wakeP50Us, QStringLiteral("µs"), 0,
         QStringLiteral("median time from a permit's release to its next holder running")},
    };
}

std::optional<VariantOutcome> SemaphorePoolSummary::outcome() const
{
    VariantOutcome o;
    o.expected = permitsText(permits);
    const auto most = maxInFlight();
    o.actual = most ? QStringLiteral("%1 at most").arg(*most, 0, 'f', 0) : QStringLiteral("unknown");
    const bool allOk = requestsVerified == requests && requests > 0;
    o.ok = allOk && most && limitHeld();
    o.usPerOp = usPerRequest;
    QString words = most ? (*most == 1 ? QStringLiteral("one download at a time")
                                       : QStringLiteral("at most %1 downloads ran at once").arg(*most, 0, 'f', 0))
                         : QStringLiteral("the run recorded no permits in use");
    if (blockedAcquires > 0 && waitP50Ms)
        words += QStringLiteral("; %1 of %2 waited for a permit (median %3 ms)")
                     .arg(blockedAcquires)
                     .arg(requests)
                     .arg(*waitP50Ms, 0, 'f', 1);
    if (requestsPerS)
        words += QStringLiteral("; %1 requests/s").arg(*requestsPerS, 0, 'f', 1);
    if (!allOk)
        words += QStringLiteral("; %1 of %2 downloads verified").arg(requestsVerified).arg(requests);
    else if (!limitHeld())
        words += QStringLiteral(" - more than the %1 permits").arg(permits);
    o.words = words;
    return o;
}

QString SemaphorePoolWorkload::label() const
{
    return QStringLiteral("Semaphore pool (k downloads at a time)");
}

QString SemaphorePoolWorkload::description() const
{
    return QStringLiteral("Many threads download from the local server, but a semaphore lets only k of them into the "
                          "download at once: the rest wait for a permit.");
}

std::vector<ParamInfo> SemaphorePoolWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {kRequests, QStringLiteral("Downloads"), T::Int, 1, 10000, 24, {},
         QStringLiteral("downloads from the built-in local server, one per task")},
        {kPermits, QStringLiteral("Permits"), T::Int, 0, 1024, 2, {},
         QStringLiteral("the semaphore's permits: at most this many downloads in flight; 0 means no limit")},
        {kSize, QStringLiteral("Body size"), T::Int, 0, 64.0 * 1024 * 1024, 20000, QStringLiteral("bytes"),
         QStringLiteral("size of each downloaded body (checked byte by byte)")},
        {kLatency, QStringLiteral("Server latency"), T::Int, 0, 60000, 50, QStringLiteral("ms"),
         QStringLiteral("the local server waits this long before it answers each request")},
        {kTimeout, QStringLiteral("Timeout"), T::Int, 1, 3600000, 30000, QStringLiteral("ms"),
         QStringLiteral("give up on one download after this long")},
    };
}

int SemaphorePoolWorkload::defaultWorkers(const QJsonObject &params) const
{
    return std::clamp(params.value(kRequests).toInt(24), 1, 8);
}

QString SemaphorePoolWorkload::autoWorkersText() const
{
    return QStringLiteral("auto (8, or 1 per download when fewer)");
}

// Each download waits for the server's latency at least, one after another.
double SemaphorePoolWorkload::estimatedSequentialSeconds(const QJsonObject &params) const
{
    return params.value(kRequests).toDouble(24) * params.value(kLatency).toDouble(50) / 1000.0;
}

qint64 SemaphorePoolWorkload::taskCount(const QJsonObject &params) const
{
    return params.value(kRequests).toInt(24);
}

std::vector<Variant> SemaphorePoolWorkload::variants(const QJsonObject &) const
{
    return {{QStringLiteral("k-1"), QStringLiteral("1 permit"), {{kPermits, 1}}},
            {QStringLiteral("k-2"), QStringLiteral("2 permits"), {{kPermits, 2}}},
            {QStringLiteral("k-4"), QStringLiteral("4 permits"), {{kPermits, 4}}},
            {QStringLiteral("unlimited"), QStringLiteral("No limit"), {{kPermits, 0}}}};
}

std::vector<PrimitiveInfo> SemaphorePoolWorkload::primitives(const QJsonObject &params) const
{
    return {{QStringLiteral("download permits"), QStringLiteral("semaphore"), params.value(kPermits).toInt(2)}};
}

std::unique_ptr<WorkloadState> SemaphorePoolWorkload::setUp(const QJsonObject &params, QString *error) const
{
    auto state = std::make_unique<SemaphorePoolState>();
    QString why;
    state->segment = ShmSegment::create(sizeof(TracedSemaphore::Shared), &why);
    if (!state->segment.isValid()) {
        *error = QStringLiteral("cannot create the semaphore's shared memory: %1").arg(why);
        return {};
    }
    const int permits = params.value(kPermits).toInt(2);
    TracedSemaphore::initShared(state->shared(), permits == 0 ? kUnlimited : permits, true);
    if (!state->server.start(&why)) {
        *error = QStringLiteral("cannot start the local HTTP server: %1").arg(why);
        return {};
    }
    return state;
}

std::vector<TaskSpec> SemaphorePoolWorkload::makeTasks(const QJsonObject &params, WorkloadState *state) const
{
    const auto *st = dynamic_cast<SemaphorePoolState *>(state);
    const QString hostPort = st ? st->server.hostPort() : QStringLiteral("{server}");
    const int n = params.value(kRequests).toInt(24);
    const qint64 size = qint64(params.value(kSize).toDouble(20000));
    const int latency = params.value(kLatency).toInt(50);
    std::vector<TaskSpec> tasks;
    tasks.reserve(size_t(n));
    for (int i = 0; i < n; ++i) {
        HttpRequest req;
        req.id = i;
        req.url = QStringLiteral("http://%1/data?size=%2&seed=%3&latency_ms=%4").arg(hostPort).arg(size).arg(i + 1).arg(latency);
        req.timeoutMs = params.value(kTimeout).toInt(30000);
        req.connectTimeoutMs = std::min(req.timeoutMs, 5000);
        req.maxBodyBytes = std::max<qint64>(size, 1);
        req.expectedBytes = size;
        TaskSpec t = req.toTask();
        t.workload = id();
        t.params.insert(kPermitsKey, params.value(kPermits).toInt(2));
        t.params.insert(kShmKey, st ? st->segment.name() : QString());
        tasks.push_back(t);
    }
    return tasks;
}

QString SemaphorePoolWorkload::checkTask(const TaskSpec &task) const
{
    // A task without its segment (made outside a run) is well-formed: executing it fails with
    // a reason (taskSharedBlock), as for every workload with shared state.
    // A task made outside a run still names the local server as "{server}": check its form.
    const UrlCheck url = checkUrl(task.string(QLatin1String("url")).replace(QLatin1String("{server}"), QLatin1String("127.0.0.1:1")));
    if (!url.ok())
        return url.error;
    return {};
}

void SemaphorePoolWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const
{
    auto *st = dynamic_cast<SemaphorePoolState *>(env.state);
    ShmSegment attached;
    // A worker process: the semaphore is the app's, in its shared memory.
    TracedSemaphore::Shared *shared = taskSharedBlock(st ? st->shared() : nullptr, task, attached, result,
                                                      QStringLiteral("semaphore's shared memory"));
    if (!shared)
        return;
    // One acquire per download: every change is recorded (its clock read is nothing beside it).
    TracedSemaphore sem(shared, 0, 1);
    TraceRecorder rec(task.id);
    if (!sem.acquire(&rec, env.cancel, &env.hooks)) {
        result.cancelled = true;
        result.error = QStringLiteral("cancelled while waiting for a permit");
        result.errorCategory = QString::fromLatin1(ioerror::kCancelled);
        result.trace = rec.finish();
        return;
    }
    runIoTask(task, env.cancel, env.hooks, result);
    sem.release(&rec);
    result.trace = rec.finish();
}

RunSummaryPtr SemaphorePoolWorkload::summarize(const RunRecord &run, WorkloadState *state) const
{
    auto s = std::make_shared<SemaphorePoolSummary>();
    s->permits = run.primitives.empty() ? 0 : run.primitives.front().capacity;
    s->requests = int(run.tasks.size());
    std::vector<double> waits, wakes;
    int tracedMost = -1;
    for (const TaskResult &t : run.tasks) {
        if (t.ok)
            ++s->requestsOk;
        if (t.ok && t.verified)
            ++s->requestsVerified;
        if (!t.trace)
            continue;
        s->droppedEvents += t.trace->droppedEvents;
        for (const PrimitiveEvent &e : t.trace->events)
            if (e.primitive == 0)
                tracedMost = std::max(tracedMost, e.value);
        for (const StateSpan &sp : t.trace->spans) {
            if (sp.state != LaneState::Semaphore)
                continue;
            ++s->blockedAcquires;
            waits.push_back(sp.end_s - sp.start_s);
            if (sp.wakeLatency_s >= 0)
                wakes.push_back(sp.wakeLatency_s);
        }
    }
    if (tracedMost >= 0)
        s->maxInFlightTraced = tracedMost;
    const auto *st = dynamic_cast<SemaphorePoolState *>(state);
    // The counter only saw native runs (a CPython twin has its own semaphore).
    if (st && st->segment.isValid()) {
        TracedSemaphore sem(st->shared(), 0);
        if (sem.acquires() > 0)
            s->maxInFlightCounter = sem.maxInUse();
    }
    if (!waits.empty()) {
        s->waitP50Ms = percentile(waits, 50) * 1e3;
        s->waitMaxMs = *std::max_element(waits.begin(), waits.end()) * 1e3;
    }
    if (!wakes.empty())
        s->wakeP50Us = percentile(wakes, 50) * 1e6;
    if (run.wall_s > 0 && s->requestsOk > 0) {
        s->requestsPerS = s->requestsOk / run.wall_s;
        s->usPerRequest = run.wall_s / s->requestsOk * 1e6;
    }
    return s;
}

RunSummaryPtr SemaphorePoolWorkload::summaryFromJson(const QJsonObject &run) const
{
    return SemaphorePoolSummary::fromJson(run);
}

QJsonObject SemaphorePoolWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const
{
    QJsonArray list;
    for (const TaskSpec &t : tasks) {
        const HttpRequest req = HttpRequest::fromTask(t);
        // web_scraper.py's fetch() with the native client's limits; the permit wait comes first,
        // so a task's estimate is the whole run's.
        list.append(QJsonObject{{QStringLiteral("id"), t.id},
                                {QStringLiteral("url"), req.url},
                                {QStringLiteral("connect_timeout_s"), req.connectTimeoutMs / 1000.0},
                                {QStringLiteral("timeout_s"), req.timeoutMs / 1000.0},
                                {QStringLiteral("max_body_bytes"), double(req.maxBodyBytes)},
                                {QStringLiteral("estimate_s"), (req.connectTimeoutMs + req.timeoutMs) / 1000.0
                                                                   + estimatedSequentialSeconds(params)}});
    }
    return {{QStringLiteral("tasks"), list}, {QStringLiteral("permits"), params.value(kPermits).toInt(2)}};
}

void SemaphorePoolWorkload::judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const
{
    // The download is the io workload's: the same checks, byte by byte.
    if (const Workload *io = findWorkload(QString::fromLatin1(IoWorkload::kId)))
        io->judgePython(task, event, result);
}

} // namespace lab
