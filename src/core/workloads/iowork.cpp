#include "iowork.h"

#include "httpclient.h"
#include "util/sysinfo.h"

#include <QJsonArray>
#include <cmath>
#include <map>

namespace lab {

namespace {

// Poll granularity of a blocking transfer: the bound on how late a cancel is seen.
constexpr int kPollMs = 50;

// Per-thread libcurl state. Even a single transfer goes through a multi handle so the thread
// wakes every kPollMs to check for cancel (the progress callback alone may fire only once a
// second on an idle connection). The multi handle owns the connection cache, so requests of
// one thread reuse their connections, as a requests.Session per thread would.
struct ThreadCurl {
    CURLM *multi = nullptr;
    CURL *easy = nullptr;
    ThreadCurl()
    {
        ensureCurlInitialized();
        multi = curl_multi_init();
        easy = curl_easy_init();
    }
    ~ThreadCurl()
    {
        if (easy)
            curl_easy_cleanup(easy);
        if (multi)
            curl_multi_cleanup(multi);
    }
    ThreadCurl(const ThreadCurl &) = delete;
    ThreadCurl &operator=(const ThreadCurl &) = delete;
};

QJsonValue rounded(double v, int decimals)
{
    if (!std::isfinite(v))
        return QJsonValue();
    const double scale = std::pow(10.0, decimals);
    return std::round(v * scale) / scale;
}

} // namespace

void runIoTask(const TaskSpec &task, const std::atomic<bool> &cancel, ExecHooks &hooks, TaskResult &result)
{
    thread_local ThreadCurl tc;
    HttpTransfer transfer(task, &hooks);
    auto publish = [&] {
        // Keep the times and CPU fields executeTask owns; take everything I/O.
        const TaskResult &t = transfer.result();
        result.url = t.url;
        result.ok = t.ok;
        result.verified = t.verified;
        result.cancelled = t.cancelled;
        result.error = t.error;
        result.errorCategory = t.errorCategory;
        result.bytes = t.bytes;
        result.httpStatus = t.httpStatus;
        result.ttfb_s = t.ttfb_s;
        result.checksum = t.checksum;
    };
    if (!tc.multi || !tc.easy) {
        transfer.result().errorCategory = QString::fromLatin1(ioerror::kNetwork);
        transfer.result().error = QStringLiteral("libcurl could not create a handle");
        return publish();
    }
    curl_easy_reset(tc.easy);
    if (!transfer.setup(tc.easy))
        return publish();
    if (cancel.load()) {
        transfer.markCancelled();
        return publish();
    }
    curl_multi_add_handle(tc.multi, tc.easy);
    bool done = false;
    CURLcode code = CURLE_OK;
    {
        BlockingSection blocking(hooks);
        while (!cancel.load(std::memory_order_relaxed)) {
            int running = 0;
            curl_multi_perform(tc.multi, &running);
            int queued = 0;
            while (CURLMsg *msg = curl_multi_info_read(tc.multi, &queued)) {
                if (msg->msg == CURLMSG_DONE && msg->easy_handle == tc.easy) {
                    done = true;
                    code = msg->data.result;
                }
            }
            if (done)
                break;
            curl_multi_poll(tc.multi, nullptr, 0, kPollMs, nullptr);
        }
    }
    if (done)
        transfer.finish(code);
    else
        transfer.markCancelled();
    curl_multi_remove_handle(tc.multi, tc.easy);  // a transfer still running is closed here
    publish();
}

void insertIoMeasurements(QJsonObject &extra, const std::vector<TaskResult> &tasks, double wallSeconds,
                          double clientCpuSeconds, double serverCpuSeconds)
{
    std::vector<double> latency, ttfb;
    qint64 bytesOk = 0, bytesVerified = 0;
    int ok = 0, verified = 0;
    std::map<QString, int> byCategory;
    QJsonArray requests, failed;
    for (const TaskResult &t : tasks) {
        if (t.ok) {
            ++ok;
            bytesOk += t.bytes;
            latency.push_back(t.end_s - t.start_s);
            ttfb.push_back(t.ttfb_s);
            if (t.verified) {
                ++verified;
                bytesVerified += t.bytes;
            }
        } else {
            ++byCategory[t.errorCategory.isEmpty() ? QStringLiteral("unknown") : t.errorCategory];
            failed.append(QJsonObject{{QStringLiteral("id"), t.id},
                                      {QStringLiteral("url"), t.url},
                                      {QStringLiteral("category"), t.errorCategory},
                                      {QStringLiteral("error"), t.error}});
        }
        QJsonObject r{{QStringLiteral("id"), t.id},
                      {QStringLiteral("url"), t.url},
                      {QStringLiteral("status"), t.httpStatus},
                      {QStringLiteral("bytes"), double(t.bytes)},
                      {QStringLiteral("ok"), t.ok},
                      {QStringLiteral("verified"), t.verified},
                      {QStringLiteral("checksum"), t.checksum},
                      {QStringLiteral("ttfb_s"), rounded(t.ttfb_s, 6)},
                      {QStringLiteral("total_s"), rounded(t.end_s - t.start_s, 6)},
                      {QStringLiteral("start_s"), rounded(t.start_s, 6)},
                      {QStringLiteral("end_s"), rounded(t.end_s, 6)}};
        if (!t.ok) {
            r.insert(QStringLiteral("error"), t.error);
            r.insert(QStringLiteral("category"), t.errorCategory);
        }
        requests.append(r);
    }
    QJsonObject categories;
    for (const auto &[category, count] : byCategory)
        categories.insert(category, count);
    const double wall = wallSeconds > 0 ? wallSeconds : NAN;
    auto ms = [](const std::vector<double> &v, double p) { return v.empty() ? QJsonValue() : rounded(percentile(v, p) * 1e3, 3); };
    QJsonObject io{{QStringLiteral("requests"), int(tasks.size())},
                   {QStringLiteral("requests_ok"), ok},
                   {QStringLiteral("requests_failed"), int(tasks.size()) - ok},
                   {QStringLiteral("requests_verified"), verified},
                   {QStringLiteral("requests_per_s"), rounded(ok / wall, 3)},
                   {QStringLiteral("mb_per_s"), rounded(double(bytesOk) / 1e6 / wall, 4)},
                   {QStringLiteral("bytes"), double(bytesOk)},
                   {QStringLiteral("bytes_verified"), double(bytesVerified)},
                   {QStringLiteral("latency_p50_ms"), ms(latency, 50)},
                   {QStringLiteral("latency_p95_ms"), ms(latency, 95)},
                   {QStringLiteral("latency_p99_ms"), ms(latency, 99)},
                   {QStringLiteral("ttfb_p50_ms"), ms(ttfb, 50)},
                   {QStringLiteral("client_cpu_s"), rounded(clientCpuSeconds, 4)},
                   {QStringLiteral("failures_by_category"), categories},
                   {QStringLiteral("failed"), failed}};
    if (serverCpuSeconds >= 0)
        io.insert(QStringLiteral("server_cpu_s"), rounded(serverCpuSeconds, 4));
    extra.insert(QStringLiteral("io"), io);
    extra.insert(QStringLiteral("requests"), requests);
}

} // namespace lab
