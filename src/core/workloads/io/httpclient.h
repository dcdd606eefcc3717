#pragma once
#include "workloads/exechooks.h"
#include "workloads/task.h"

#include <QString>
#include <curl/curl.h>
#include <memory>

namespace lab {

// Error categories of I/O tasks (TaskResult::errorCategory).
namespace ioerror {
inline constexpr const char *kMalformedUrl = "malformed-url";
inline constexpr const char *kUnsupportedScheme = "unsupported-scheme";
inline constexpr const char *kDns = "dns";
inline constexpr const char *kRefused = "refused";        // connection refused
inline constexpr const char *kConnect = "connect";        // other connect failures (unreachable, ...)
inline constexpr const char *kTimeout = "timeout";
inline constexpr const char *kHttp = "http";              // status 4xx/5xx
inline constexpr const char *kTruncated = "truncated";    // body cut short
inline constexpr const char *kTooLarge = "too-large";     // body over the limit
inline constexpr const char *kRedirects = "too-many-redirects";
inline constexpr const char *kTls = "tls";
inline constexpr const char *kCorrupt = "corrupt";        // deterministic body with a wrong byte
inline constexpr const char *kCancelled = "cancelled";
inline constexpr const char *kNetwork = "network";        // anything else libcurl reports
} // namespace ioerror

inline constexpr long kMaxRedirects = 5;

// curl_global_init exactly once per process, whichever thread gets here first.
void ensureCurlInitialized();

struct UrlCheck {
    QString category;  // empty: fine
    QString error;
    bool ok() const { return category.isEmpty(); }
};

// What must never reach the network is refused here: malformed URLs, and every scheme except
// http and https (file, ftp, gopher, ...). No I/O happens.
UrlCheck checkUrl(const QString &url);

// What one I/O task asks for (the io workload's task parameters, typed).
struct HttpRequest {
    int id = 0;
    QString url;
    qint64 expectedBytes = -1;   // -1: unknown
    QString expectedChecksum;    // empty: unknown
    int connectTimeoutMs = 5000;
    int timeoutMs = 30000;
    qint64 maxBodyBytes = 64ll * 1024 * 1024;

    static HttpRequest fromTask(const TaskSpec &task);
    TaskSpec toTask() const;
};

// One HTTP GET: configures an easy handle safely, receives the body (checksum, byte-exact
// check of deterministic bodies, size limit), and classifies the outcome. Driven either by
// runIoTask (one transfer per thread) or by the async model (many on one curl_multi).
// Owned by one thread at a time; the handle must outlive the transfer.
class HttpTransfer {
public:
    // hooks may be null (no GIL emulation). If given, the driver calls the transfer's
    // write callback inside a BlockingSection and the callback re-takes the GIL while it
    // handles the bytes, as Python code reading a socket would.
    HttpTransfer(const HttpRequest &request, ExecHooks *hooks);
    ~HttpTransfer();
    HttpTransfer(const HttpTransfer &) = delete;
    HttpTransfer &operator=(const HttpTransfer &) = delete;

    // Configures `easy` (fresh or curl_easy_reset). False: refused before any I/O, result()
    // carries the reason.
    bool setup(CURL *easy);
    // The transfer ended with `code` (from CURLMSG_DONE): fills status, times, bytes, checksum,
    // verification and the error category.
    void finish(CURLcode code);
    // The transfer was abandoned (cancel): the result says so.
    void markCancelled();

    TaskResult &result() { return m_result; }

private:
    struct State;
    std::unique_ptr<State> d;
    TaskResult m_result;
    qint64 m_expectedBytes = -1;
    QString m_expectedChecksum;
    int m_connectTimeoutMs = 5000;
    int m_timeoutMs = 30000;
};

} // namespace lab
