#include "ioworkload.h"

#include "experiment/runrecord.h"
#include "httpbody.h"
#include "httpclient.h"
#include "iowork.h"
#include "localserver.h"
#include "util/sysinfo.h"

#include <QCryptographicHash>
#include <algorithm>
#include <cmath>

namespace lab {

namespace {

const QString kServer = QStringLiteral("{server}");

struct IoState : WorkloadState {
    LocalServer server;
    double serverCpu0 = 0;
};

QJsonValue opt(const std::optional<double> &v, int decimals)
{
    return v ? roundedJson(*v, decimals) : QJsonValue();
}

// SHA-256 of the lab server's deterministic body for (seed, size).
QString labBodySha256(quint64 seed, quint64 size)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    char buf[65536];
    for (quint64 off = 0; off < size;) {
        const size_t n = size_t(std::min<quint64>(sizeof buf, size - off));
        httpbody::fill(seed, off, buf, n);
        h.addData(QByteArrayView(buf, qsizetype(n)));
        off += n;
    }
    return QString::fromLatin1(h.result().toHex());
}

} // namespace

IoSummary IoSummary::compute(const std::vector<TaskResult> &tasks, double wallSeconds, double clientCpuSeconds,
                             double serverCpuSeconds)
{
    IoSummary s;
    std::vector<double> latency, ttfb;
    for (const TaskResult &t : tasks) {
        if (t.ok) {
            ++s.requestsOk;
            s.bytes += double(t.bytes);
            latency.push_back(t.end_s - t.start_s);
            ttfb.push_back(t.ttfb_s);
            if (t.verified) {
                ++s.requestsVerified;
                s.bytesVerified += double(t.bytes);
            }
        } else {
            ++s.failuresByCategory[t.errorCategory.isEmpty() ? QStringLiteral("unknown") : t.errorCategory.toString()];
            s.failed.append(QJsonObject{{QStringLiteral("id"), t.id},
                                        {QStringLiteral("url"), t.url.toString()},
                                        {QStringLiteral("category"), t.errorCategory.toString()},
                                        {QStringLiteral("error"), t.error.toString()}});
        }
        QJsonObject r{{QStringLiteral("id"), t.id},
                      {QStringLiteral("url"), t.url.toString()},
                      {QStringLiteral("status"), t.httpStatus},
                      {QStringLiteral("bytes"), double(t.bytes)},
                      {QStringLiteral("ok"), t.ok},
                      {QStringLiteral("verified"), t.verified},
                      {QStringLiteral("checksum"), t.checksum.toString()},
                      {QStringLiteral("ttfb_s"), roundedJson(t.ttfb_s, 6)},
                      {QStringLiteral("total_s"), roundedJson(t.end_s - t.start_s, 6)},
                      {QStringLiteral("start_s"), roundedJson(t.start_s, 6)},
                      {QStringLiteral("end_s"), roundedJson(t.end_s, 6)}};
        if (!t.ok) {
            r.insert(QStringLiteral("error"), t.error.toString());
            r.insert(QStringLiteral("category"), t.errorCategory.toString());
        }
        s.requestList.append(r);
    }
    s.requests = int(tasks.size());
    if (wallSeconds > 0) {
        s.requestsPerS = s.requestsOk / wallSeconds;
        s.mbPerS = s.bytes / 1e6 / wallSeconds;
    }
    auto ms = [](const std::vector<double> &v, double p) {
        return v.empty() ? std::nullopt : std::optional<double>(percentile(v, p) * 1e3);
    };
    s.latencyP50Ms = ms(latency, 50);
    s.latencyP95Ms = ms(latency, 95);
    s.latencyP99Ms = ms(latency, 99);
    s.ttfbP50Ms = ms(ttfb, 50);
    if (clientCpuSeconds >= 0)
        s.clientCpuS = clientCpuSeconds;
    if (serverCpuSeconds >= 0)
        s.serverCpuS = serverCpuSeconds;
    return s;
}

void IoSummary::writeJson(QJsonObject &run) const
{
    QJsonObject categories;
    for (const auto &[category, count] : failuresByCategory)
        categories.insert(category, count);
    QJsonObject io{{QStringLiteral("requests"), requests},
                   {QStringLiteral("requests_ok"), requestsOk},
                   {QStringLiteral("requests_failed"), requests - requestsOk},
                   {QStringLiteral("requests_verified"), requestsVerified},
                   {QStringLiteral("requests_per_s"), opt(requestsPerS, 3)},
                   {QStringLiteral("mb_per_s"), opt(mbPerS, 4)},
                   {QStringLiteral("bytes"), bytes},
                   {QStringLiteral("bytes_verified"), bytesVerified},
                   {QStringLiteral("latency_p50_ms"), opt(latencyP50Ms, 3)},
                   {QStringLiteral("latency_p95_ms"), opt(latencyP95Ms, 3)},
                   {QStringLiteral("latency_p99_ms"), opt(latencyP99Ms, 3)},
                   {QStringLiteral("ttfb_p50_ms"), opt(ttfbP50Ms, 3)},
                   {QStringLiteral("client_cpu_s"), opt(clientCpuS, 4)},
                   {QStringLiteral("failures_by_category"), categories},
                   {QStringLiteral("failed"), failed}};
    if (serverCpuS) {
        io.insert(QStringLiteral("server_cpu_s"), roundedJson(*serverCpuS, 4));
        run.insert(QStringLiteral("server_cpu_s"), roundedJson(*serverCpuS, 6));
    }
    run.insert(QStringLiteral("io"), io);
    run.insert(QStringLiteral("requests"), requestList);
}

std::shared_ptr<IoSummary> IoSummary::fromJson(const QJsonObject &run)
{
    const QJsonValue iov = run.value(QStringLiteral("io"));
    if (!iov.isObject())
        return {};
    const QJsonObject io = iov.toObject();
    auto s = std::make_shared<IoSummary>();
    s->requests = io.value(QStringLiteral("requests")).toInt();
    s->requestsOk = io.value(QStringLiteral("requests_ok")).toInt();
    s->requestsVerified = io.value(QStringLiteral("requests_verified")).toInt();
    s->requestsPerS = optionalDouble(io.value(QStringLiteral("requests_per_s")));
    s->mbPerS = optionalDouble(io.value(QStringLiteral("mb_per_s")));
    s->bytes = io.value(QStringLiteral("bytes")).toDouble();
    s->bytesVerified = io.value(QStringLiteral("bytes_verified")).toDouble();
    s->latencyP50Ms = optionalDouble(io.value(QStringLiteral("latency_p50_ms")));
    s->latencyP95Ms = optionalDouble(io.value(QStringLiteral("latency_p95_ms")));
    s->latencyP99Ms = optionalDouble(io.value(QStringLiteral("latency_p99_ms")));
    s->ttfbP50Ms = optionalDouble(io.value(QStringLiteral("ttfb_p50_ms")));
    s->clientCpuS = optionalDouble(io.value(QStringLiteral("client_cpu_s")));
    s->serverCpuS = optionalDouble(run.value(QStringLiteral("server_cpu_s")));
    const QJsonObject categories = io.value(QStringLiteral("failures_by_category")).toObject();
    for (auto it = categories.begin(); it != categories.end(); ++it)
        s->failuresByCategory[it.key()] = it.value().toInt();
    s->failed = io.value(QStringLiteral("failed")).toArray();
    s->requestList = run.value(QStringLiteral("requests")).toArray();
    return s;
}

std::vector<Figure> IoSummary::figures() const
{
    std::optional<double> failedCount = double(requests - requestsOk);
    return {
        {QStringLiteral("requests_per_s"), QStringLiteral("req/s"), requestsPerS, QStringLiteral("req/s"), 1,
         QStringLiteral("requests completed per second of wall time")},
        {QStringLiteral("mb_per_s"), QStringLiteral("MB/s"), mbPerS, QStringLiteral("MB/s"), 2, {}},
        {QStringLiteral("latency_p50_ms"), QStringLiteral("p50 latency"), latencyP50Ms, QStringLiteral("ms"), 2,
         QStringLiteral("median time of one request, first byte sent to last byte received")},
        {QStringLiteral("latency_p99_ms"), QStringLiteral("p99 latency"), latencyP99Ms, QStringLiteral("ms"), 2, {}},
        {QStringLiteral("requests_failed"), QStringLiteral("failed"), failedCount, {}, 0, {}},
        {QStringLiteral("server_cpu_s"), QStringLiteral("server CPU"), serverCpuS, QStringLiteral("s"), 3,
         QStringLiteral("CPU time of the local HTTP server process during the run")},
    };
}

QString IoWorkload::label() const
{
    return QStringLiteral("I/O-bound (HTTP downloads)");
}

QString IoWorkload::description() const
{
    return QStringLiteral("The seed's web scraper: each task downloads one URL and checks the body; the threads "
                          "mostly wait.");
}

std::vector<ParamInfo> IoWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {QStringLiteral("urls"), QStringLiteral("URLs"), T::StringList, 0, 10000,
         QJsonArray{QStringLiteral("http://{server}/data?size=50000&seed=1&latency_ms=250")}, {},
         QStringLiteral("one URL per line, http or https; {server} is the built-in local HTTP server")},
        {QStringLiteral("repeat"), QStringLiteral("Each URL ×"), T::Int, 1, 10000, 1, {},
         QStringLiteral("every URL is fetched this many times (the seed's sites * 3)")},
        {QStringLiteral("connect_timeout_ms"), QStringLiteral("Connect timeout"), T::Int, 1, 600000, 5000,
         QStringLiteral("ms"), QStringLiteral("give up connecting after this long")},
        {QStringLiteral("timeout_ms"), QStringLiteral("Timeout"), T::Int, 1, 3600000, 30000, QStringLiteral("ms"),
         QStringLiteral("give up on the whole request after this long")},
        {QStringLiteral("max_body_bytes"), QStringLiteral("Body limit"), T::Int, 1, 4.0 * 1024 * 1024 * 1024,
         double(64ll * 1024 * 1024), QStringLiteral("bytes"), QStringLiteral("a larger body fails as too-large")},
    };
}

int IoWorkload::defaultWorkers(const QJsonObject &params) const
{
    const double requests = double(params.value(QStringLiteral("urls")).toArray().size())
                            * params.value(QStringLiteral("repeat")).toDouble(1);
    return int(std::clamp(requests, 1.0, 256.0));
}

QString IoWorkload::autoWorkersText() const
{
    return QStringLiteral("auto (1 per request)");
}

QString IoWorkload::whyNotOn(const ModelInfo &) const
{
    return {};  // every model, async included, can download
}

bool IoWorkload::usesLocalServer(const QJsonObject &params)
{
    for (const QJsonValue &u : params.value(QStringLiteral("urls")).toArray())
        if (u.toString().contains(kServer))
            return true;
    return false;
}

std::unique_ptr<WorkloadState> IoWorkload::setUp(const QJsonObject &params, QString *error) const
{
    if (!usesLocalServer(params))
        return {};
    auto state = std::make_unique<IoState>();
    QString why;
    if (!state->server.start(&why)) {
        *error = QStringLiteral("cannot start the local HTTP server: %1").arg(why);
        return {};
    }
    state->serverCpu0 = state->server.cpuSeconds();
    return state;
}

qint64 IoWorkload::taskCount(const QJsonObject &params) const
{
    return qint64(params.value(QStringLiteral("urls")).toArray().size()) * params.value(QStringLiteral("repeat")).toInt(1);
}

std::vector<TaskSpec> IoWorkload::makeTasks(const QJsonObject &params, WorkloadState *state) const
{
    const auto *io = dynamic_cast<IoState *>(state);
    const QString hostPort = io ? io->server.hostPort() : kServer;
    const QJsonArray urls = params.value(QStringLiteral("urls")).toArray();
    const int repeat = params.value(QStringLiteral("repeat")).toInt(1);
    std::vector<TaskSpec> tasks;
    tasks.reserve(size_t(urls.size() * repeat));
    for (int r = 0; r < repeat; ++r) {
        for (const QJsonValue &u : urls) {
            HttpRequest req;
            req.id = int(tasks.size());
            req.url = u.toString().trimmed().replace(kServer, hostPort);
            req.connectTimeoutMs = params.value(QStringLiteral("connect_timeout_ms")).toInt(req.connectTimeoutMs);
            req.timeoutMs = params.value(QStringLiteral("timeout_ms")).toInt(req.timeoutMs);
            req.maxBodyBytes = qint64(params.value(QStringLiteral("max_body_bytes")).toDouble(double(req.maxBodyBytes)));
            tasks.push_back(req.toTask());
        }
    }
    return tasks;
}

void IoWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const
{
    runIoTask(task, env.cancel, env.hooks, result);
}

RunSummaryPtr IoWorkload::summarize(const RunRecord &run, WorkloadState *state) const
{
    const auto *io = dynamic_cast<IoState *>(state);
    const double serverCpu = io && io->server.isRunning() ? io->server.cpuSeconds() - io->serverCpu0 : -1;
    return std::make_shared<IoSummary>(IoSummary::compute(run.tasks, run.wall_s, run.cpu_s, serverCpu));
}

RunSummaryPtr IoWorkload::summaryFromJson(const QJsonObject &run) const
{
    return IoSummary::fromJson(run);
}

QJsonObject IoWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &) const
{
    QJsonArray list;
    for (const TaskSpec &t : tasks) {
        const HttpRequest req = HttpRequest::fromTask(t);
        // The native client's limits, enforced the same way by web_scraper.py.
        list.append(QJsonObject{{QStringLiteral("id"), t.id},
                                {QStringLiteral("url"), req.url},
                                {QStringLiteral("connect_timeout_s"), req.connectTimeoutMs / 1000.0},
                                {QStringLiteral("timeout_s"), req.timeoutMs / 1000.0},
                                {QStringLiteral("max_body_bytes"), double(req.maxBodyBytes)},
                                {QStringLiteral("estimate_s"), (req.connectTimeoutMs + req.timeoutMs) / 1000.0}});
    }
    return {{QStringLiteral("tasks"), list}};
}

void IoWorkload::judgePython(const TaskSpec &, const QJsonObject &e, TaskResult &r) const
{
    r.url = e.value(QStringLiteral("url")).toString();
    r.httpStatus = e.value(QStringLiteral("status")).toInt();
    r.bytes = qint64(e.value(QStringLiteral("bytes")).toDouble());
    r.ttfb_s = e.value(QStringLiteral("ttfb_s")).toDouble();
    const QString sha = e.value(QStringLiteral("sha256")).toString();
    r.checksum = QStringLiteral("sha256:") + sha;
    const QString error = e.value(QStringLiteral("error")).toString();
    if (!error.isEmpty() || r.httpStatus >= 400 || r.httpStatus == 0) {
        r.error = error.isEmpty() ? QStringLiteral("HTTP %1").arg(r.httpStatus) : error;
        // The script files failures under the native client's categories (httpclient.h).
        r.errorCategory = e.value(QStringLiteral("category")).toString();
        if (r.errorCategory.isEmpty())
            r.errorCategory = r.httpStatus >= 400 ? QString::fromLatin1(ioerror::kHttp) : QString::fromLatin1(ioerror::kNetwork);
        return;
    }
    r.ok = true;
    bool sizeOk = false, seedOk = false;
    const qint64 size = e.value(QStringLiteral("lab_size")).toString().toLongLong(&sizeOk);
    const quint64 seed = e.value(QStringLiteral("lab_seed")).toString().toULongLong(&seedOk);
    if (sizeOk && seedOk) {
        if (r.bytes != size) {
            r.ok = false;
            r.errorCategory = QStringLiteral("truncated");
            r.error = QStringLiteral("body has %1 bytes, the server announced %2").arg(r.bytes).arg(size);
        } else if (labBodySha256(seed, quint64(size)) != sha) {
            r.ok = false;
            r.errorCategory = QStringLiteral("corrupt");
            r.error = QStringLiteral("body differs from the server's deterministic body");
        } else {
            r.verified = true;
        }
    }
}

} // namespace lab
