#include "httpclient.h"

#include "httpbody.h"
#include "labconfig.h"

#include <QRegularExpression>

#include <cerrno>
#include <charconv>
#include <mutex>
#include <string_view>

namespace lab {

void ensureCurlInitialized()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

UrlCheck checkUrl(const QString &url)
{
    static const QRegularExpression schemeRe(QStringLiteral("^([A-Za-z][A-Za-z0-9+.-]*):"));
    const QRegularExpressionMatch m = schemeRe.match(url);
    if (!m.hasMatch())
        return {QString::fromLatin1(ioerror::kMalformedUrl),
                QStringLiteral("malformed URL \"%1\": no scheme (expected http:// or https://)").arg(url)};
    const QString scheme = m.captured(1).toLower();
    if (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        return {QString::fromLatin1(ioerror::kUnsupportedScheme),
                QStringLiteral("scheme \"%1\" refused: only http and https are allowed").arg(scheme)};

    ensureCurlInitialized();
    std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> h(curl_url(), &curl_url_cleanup);
    const QByteArray utf8 = url.toUtf8();
    const CURLUcode rc = curl_url_set(h.get(), CURLUPART_URL, utf8.constData(), 0);
    if (rc != CURLUE_OK)
        return {QString::fromLatin1(ioerror::kMalformedUrl),
                QStringLiteral("malformed URL \"%1\": %2").arg(url, QString::fromUtf8(curl_url_strerror(rc)))};
    char *host = nullptr;
    const bool hasHost = curl_url_get(h.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK && host && *host;
    curl_free(host);
    if (!hasHost)
        return {QString::fromLatin1(ioerror::kMalformedUrl), QStringLiteral("malformed URL \"%1\": no host").arg(url)};
    return {};
}

struct HttpTransfer::State {
    TaskResult *result = nullptr;
    ExecHooks *hooks = nullptr;
    qint64 maxBody = 0;
    CURL *easy = nullptr;
    char errorBuffer[CURL_ERROR_SIZE] = {};
    QByteArray url;
    // Body of the current response (reset when a redirect brings a new one).
    qint64 received = 0;
    httpbody::Fnv1a64 hash;
    qint64 labSize = -1;      // X-Lab-Size, -1: not a deterministic body
    std::uint64_t labSeed = 0;
    bool hasLabSeed = false;
    qint64 mismatchAt = -1;
    bool tooLarge = false;

    void newResponse()
    {
        received = 0;
        hash = {};
        labSize = -1;
        hasLabSeed = false;
        mismatchAt = -1;
    }

    bool deterministic() const { return labSize >= 0 && hasLabSeed; }

    size_t consume(const char *data, size_t n)
    {
        if (received + qint64(n) > maxBody) {
            tooLarge = true;
            return 0;  // libcurl aborts with CURLE_WRITE_ERROR
        }
        hash.update(data, n);
        if (deterministic() && mismatchAt < 0) {
            const std::int64_t m = httpbody::firstMismatch(labSeed, std::uint64_t(received), data, n);
            if (m >= 0)
                mismatchAt = received + m;
        }
        received += qint64(n);
        return n;
    }

    static size_t onWrite(char *ptr, size_t size, size_t nmemb, void *userdata)
    {
        auto *s = static_cast<State *>(userdata);
        const size_t n = size * nmemb;
        // Called inside the driver's blocking section: take the GIL to handle the bytes.
        if (s->hooks)
            s->hooks->endBlocking();
        const size_t done = s->consume(ptr, n);
        if (s->hooks)
            s->hooks->beginBlocking();
        return done;
    }

    static bool headerIs(std::string_view line, std::string_view name, std::string_view *value)
    {
        if (line.size() <= name.size() || line[name.size()] != ':')
            return false;
        for (size_t i = 0; i < name.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(name[i])))
                return false;
        std::string_view v = line.substr(name.size() + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
            v.remove_prefix(1);
        while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
            v.remove_suffix(1);
        *value = v;
        return true;
    }

    static size_t onHeader(char *ptr, size_t size, size_t nitems, void *userdata)
    {
        auto *s = static_cast<State *>(userdata);
        const std::string_view line(ptr, size * nitems);
        std::string_view v;
        std::uint64_t n = 0;
        if (line.substr(0, 5) == "HTTP/") {
            s->newResponse();
        } else if (headerIs(line, httpbody::kSizeHeader, &v)) {
            if (std::from_chars(v.data(), v.data() + v.size(), n).ec == std::errc() && n < (std::uint64_t(1) << 62))
                s->labSize = qint64(n);
        } else if (headerIs(line, httpbody::kSeedHeader, &v)) {
            if (std::from_chars(v.data(), v.data() + v.size(), n).ec == std::errc()) {
                s->labSeed = n;
                s->hasLabSeed = true;
            }
        }
        return size * nitems;
    }
};

HttpRequest HttpRequest::fromTask(const TaskSpec &task)
{
    HttpRequest r;
    r.id = task.id;
    r.url = task.string(QLatin1String("url"));
    r.expectedBytes = task.integer(QLatin1String("expected_bytes"), -1);
    r.expectedChecksum = task.string(QLatin1String("expected_checksum"));
    r.connectTimeoutMs = int(task.integer(QLatin1String("connect_timeout_ms"), r.connectTimeoutMs));
    r.timeoutMs = int(task.integer(QLatin1String("timeout_ms"), r.timeoutMs));
    r.maxBodyBytes = task.integer(QLatin1String("max_body_bytes"), r.maxBodyBytes);
    return r;
}

TaskSpec HttpRequest::toTask() const
{
    TaskSpec t;
    t.id = id;
    t.workload = QStringLiteral("io");
    t.params.insert(QStringLiteral("url"), url);
    if (expectedBytes >= 0)
        t.params.insert(QStringLiteral("expected_bytes"), expectedBytes);
    if (!expectedChecksum.isEmpty())
        t.params.insert(QStringLiteral("expected_checksum"), expectedChecksum);
    t.params.insert(QStringLiteral("connect_timeout_ms"), connectTimeoutMs);
    t.params.insert(QStringLiteral("timeout_ms"), timeoutMs);
    t.params.insert(QStringLiteral("max_body_bytes"), maxBodyBytes);
    return t;
}

HttpTransfer::HttpTransfer(const HttpRequest &task, ExecHooks *hooks) : d(std::make_unique<State>())
{
    m_result.id = task.id;
    m_result.url = task.url;
    d->result = &m_result;
    d->hooks = hooks;
    d->maxBody = task.maxBodyBytes > 0 ? task.maxBodyBytes : 64ll * 1024 * 1024;
    d->url = task.url.toUtf8();
    m_expectedBytes = task.expectedBytes;
    m_expectedChecksum = task.expectedChecksum;
    m_connectTimeoutMs = task.connectTimeoutMs > 0 ? task.connectTimeoutMs : 5000;
    m_timeoutMs = task.timeoutMs > 0 ? task.timeoutMs : 30000;
}

HttpTransfer::~HttpTransfer() = default;

bool HttpTransfer::setup(CURL *easy)
{
    const UrlCheck check = checkUrl(m_result.url);
    if (!check.ok()) {
        m_result.errorCategory = check.category;
        m_result.error = check.error;
        return false;
    }
    d->easy = easy;
    curl_easy_setopt(easy, CURLOPT_URL, d->url.constData());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, kMaxRedirects);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, long(m_connectTimeoutMs));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, long(m_timeoutMs));
    curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(d->maxBody));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_NETRC, long(CURL_NETRC_IGNORED));
    // The local server must never be reached through a proxy from the environment.
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "concurrency-lab/" LAB_VERSION);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, d->errorBuffer);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &State::onWrite);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, d.get());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &State::onHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, d.get());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, this);
    return true;
}

void HttpTransfer::markCancelled()
{
    m_result.ok = false;
    m_result.cancelled = true;
    m_result.bytes = d->received;
    m_result.errorCategory = QString::fromLatin1(ioerror::kCancelled);
    m_result.error = QStringLiteral("cancelled after %1 bytes").arg(d->received);
}

void HttpTransfer::finish(CURLcode code)
{
    TaskResult &r = m_result;
    long status = 0;
    curl_off_t ttfbUs = 0;
    long osErrno = 0;
    curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(d->easy, CURLINFO_STARTTRANSFER_TIME_T, &ttfbUs);
    curl_easy_getinfo(d->easy, CURLINFO_OS_ERRNO, &osErrno);
    r.httpStatus = int(status);
    r.ttfb_s = double(ttfbUs) / 1e6;
    r.bytes = d->received;
    r.checksum = QString::fromStdString(d->hash.hex());

    const QString detail = QString::fromUtf8(d->errorBuffer[0] ? d->errorBuffer : curl_easy_strerror(code));
    auto fail = [&r](const char *category, const QString &error) {
        r.ok = false;
        r.verified = false;
        r.errorCategory = QString::fromLatin1(category);
        r.error = error;
    };

    switch (code) {
    case CURLE_OK:
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
        return fail(ioerror::kUnsupportedScheme, QStringLiteral("refused scheme (after a redirect?): %1").arg(detail));
    case CURLE_URL_MALFORMAT:
        return fail(ioerror::kMalformedUrl, QStringLiteral("malformed URL: %1").arg(detail));
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return fail(ioerror::kDns, QStringLiteral("DNS lookup failed: %1").arg(detail));
    case CURLE_COULDNT_CONNECT:
        if (osErrno == ECONNREFUSED)
            return fail(ioerror::kRefused, QStringLiteral("connection refused: %1").arg(detail));
        return fail(ioerror::kConnect, QStringLiteral("cannot connect: %1").arg(detail));
    case CURLE_OPERATION_TIMEDOUT:
        return fail(ioerror::kTimeout, QStringLiteral("timed out after %1 bytes: %2").arg(d->received).arg(detail));
    case CURLE_TOO_MANY_REDIRECTS:
        return fail(ioerror::kRedirects, QStringLiteral("more than %1 redirects: %2").arg(kMaxRedirects).arg(detail));
    case CURLE_FILESIZE_EXCEEDED:
        return fail(ioerror::kTooLarge, QStringLiteral("body larger than the limit of %1 bytes").arg(d->maxBody));
    case CURLE_WRITE_ERROR:
        if (d->tooLarge)
            return fail(ioerror::kTooLarge, QStringLiteral("body larger than the limit of %1 bytes (stopped at %2)")
                                                 .arg(d->maxBody)
                                                 .arg(d->received));
        return fail(ioerror::kNetwork, detail);
    case CURLE_PARTIAL_FILE:
        return fail(ioerror::kTruncated, QStringLiteral("body cut short after %1 bytes: %2").arg(d->received).arg(detail));
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        if (d->received > 0)
            return fail(ioerror::kTruncated,
                        QStringLiteral("body cut short after %1 bytes: %2").arg(d->received).arg(detail));
        return fail(ioerror::kNetwork, QStringLiteral("connection failed: %1").arg(detail));
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return fail(ioerror::kTls, QStringLiteral("TLS failure: %1").arg(detail));
    case CURLE_ABORTED_BY_CALLBACK:
        markCancelled();
        return;
    default:
        return fail(ioerror::kNetwork, QStringLiteral("transfer failed: %1").arg(detail));
    }

    if (status >= 400)
        return fail(ioerror::kHttp, QStringLiteral("HTTP %1 (%2 bytes of body)").arg(status).arg(d->received));
    if (d->labSize >= 0 && d->received != d->labSize)
        return fail(ioerror::kTruncated,
                    QStringLiteral("body cut short: %1 of %2 bytes").arg(d->received).arg(d->labSize));
    if (m_expectedBytes >= 0 && d->received != m_expectedBytes)
        return fail(ioerror::kTruncated,
                    QStringLiteral("body has %1 bytes, expected %2").arg(d->received).arg(m_expectedBytes));
    if (d->mismatchAt >= 0)
        return fail(ioerror::kCorrupt, QStringLiteral("body byte %1 differs from the expected one").arg(d->mismatchAt));
    if (!m_expectedChecksum.isEmpty() && m_expectedChecksum.compare(r.checksum, Qt::CaseInsensitive) != 0)
        return fail(ioerror::kCorrupt,
                    QStringLiteral("body checksum %1, expected %2").arg(r.checksum, m_expectedChecksum));
    r.ok = true;
    // Verified: every byte matched a deterministic body, or an expected checksum matched.
    r.verified = d->deterministic() || !m_expectedChecksum.isEmpty();
}

} // namespace lab
