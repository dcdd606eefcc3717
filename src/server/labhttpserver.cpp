#include "labhttpserver.h"

#include "workloads/io/httpbody.h"

#include <httplib.h>

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

namespace lab::server {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kMaxSize = std::uint64_t(4) << 30;   // 4 GiB
constexpr std::uint64_t kMaxLatencyMs = 60000;
constexpr std::size_t kMaxSlice = 64 * 1024;
constexpr int kMaxRedirectChain = 50;

// httplib keeps the listening socket protected; the Debian build listens with a backlog of 5,
// far too small for hundreds of clients connecting at once (SYNs dropped, 1 s retransmits).
// Linux lets listen() be called again on a listening socket to raise it.
template <class Base>
class Wide : public Base {
public:
    using Base::Base;
    bool widenBacklog(int backlog) { return ::listen(this->svr_sock_, backlog) == 0; }
};

// Admission of body requests. A ticket is held for as long as its request can occupy a pool
// thread: the latency sleep in the handler and, captured by the content provider, until
// httplib has written the body and destroyed the response.
class Admission {
public:
    explicit Admission(int limit) : m_limit(limit) {}

    class Ticket {
    public:
        explicit Ticket(std::atomic<int> &count) : m_count(count) {}
        ~Ticket() { m_count.fetch_sub(1, std::memory_order_acq_rel); }
        Ticket(const Ticket &) = delete;
        Ticket &operator=(const Ticket &) = delete;

    private:
        std::atomic<int> &m_count;
    };

    // Null when `limit` body requests are already in flight.
    std::shared_ptr<Ticket> enter()
    {
        int n = m_inFlight.load(std::memory_order_acquire);
        do {
            if (n >= m_limit)
                return {};
        } while (!m_inFlight.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
        return std::make_shared<Ticket>(m_inFlight);
    }
    int limit() const { return m_limit; }

private:
    const int m_limit;
    std::atomic<int> m_inFlight{0};
};

// 503 for a body request above the limit. The connection must not stay open on a pool thread
// (keep-alive would hold it as long as a slow request): "Connection: close" for the client,
// and the body provider reports failure once the whole body is written, which makes httplib
// close the socket even if the client does not.
void busy(httplib::Response &res, int limit)
{
    res.status = 503;
    res.set_header("Retry-After", "1");
    res.set_header("Connection", "close");
    auto body = std::make_shared<std::string>("busy: " + std::to_string(limit)
                                              + " body requests in flight, the limit; retry later\n");
    res.set_content_provider(body->size(), "text/plain",
                             [body](std::size_t offset, std::size_t length, httplib::DataSink &sink) {
                                 sink.write(body->data() + offset, length);
                                 return false;
                             });
}

struct BodyParams {
    std::uint64_t size = 0;
    std::uint64_t seed = 0;
    std::uint64_t latencyMs = 0;
    std::uint64_t rate = 0;          // bytes per second, 0: unlimited
    bool chunked = false;
    int status = 200;
    std::uint64_t cutAt = UINT64_MAX;  // close the connection after this many body bytes
};

bool readNumber(const httplib::Request &req, const char *key, std::uint64_t max, std::uint64_t *out,
                std::string *error)
{
    if (!req.has_param(key))
        return true;
    const std::string v = req.get_param_value(key);
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size()) {
        *error = std::string(key) + " must be a non-negative integer, got \"" + v + "\"";
        return false;
    }
    if (n > max) {
        *error = std::string(key) + " = " + v + " is above the limit " + std::to_string(max);
        return false;
    }
    *out = n;
    return true;
}

bool parseBody(const httplib::Request &req, BodyParams *p, std::string *error)
{
    std::uint64_t chunked = 0, status = std::uint64_t(p->status);
    if (!readNumber(req, "size", kMaxSize, &p->size, error) || !readNumber(req, "seed", UINT64_MAX, &p->seed, error)
        || !readNumber(req, "latency_ms", kMaxLatencyMs, &p->latencyMs, error)
        || !readNumber(req, "rate", kMaxSize, &p->rate, error) || !readNumber(req, "chunked", 1, &chunked, error)
        || !readNumber(req, "status", 599, &status, error) || !readNumber(req, "cut_at", kMaxSize, &p->cutAt, error)
        || !readNumber(req, "at", kMaxSize, &p->cutAt, error))
        return false;
    if (status < 200) {
        *error = "status must be between 200 and 599";
        return false;
    }
    p->chunked = chunked != 0;
    p->status = int(status);
    return true;
}

// Bytes [offset, offset + n) of the body, paced to `rate` from the first byte on.
std::size_t nextSlice(const BodyParams &p, std::uint64_t offset, std::uint64_t remaining, Clock::time_point start)
{
    std::uint64_t n = std::min<std::uint64_t>(remaining, kMaxSlice);
    if (p.rate > 0) {
        n = std::min<std::uint64_t>(n, std::max<std::uint64_t>(1, p.rate / 20));  // ~20 writes per second
        const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(double(offset) / double(p.rate)));
        std::this_thread::sleep_until(due);
    }
    if (p.cutAt != UINT64_MAX && offset < p.cutAt)
        n = std::min<std::uint64_t>(n, p.cutAt - offset);
    return std::size_t(n);
}

void serveBody(const BodyParams &p, httplib::Response &res, const std::shared_ptr<Admission::Ticket> &ticket)
{
    // Latency before the first byte: this pool thread sleeps, the others keep serving.
    if (p.latencyMs > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(p.latencyMs));
    res.status = p.status;
    res.set_header(httpbody::kSizeHeader, std::to_string(p.size));
    res.set_header(httpbody::kSeedHeader, std::to_string(p.seed));
    const char *type = "application/octet-stream";
    auto start = std::make_shared<Clock::time_point>(Clock::now());
    if (p.chunked) {
        res.set_chunked_content_provider(type, [p, start, ticket](std::size_t offset, httplib::DataSink &sink) {
            if (offset >= p.cutAt)
                return false;  // httplib closes the connection without the final chunk
            if (offset >= p.size) {
                sink.done();
                return true;
            }
            char buf[kMaxSlice];
            const std::size_t n = nextSlice(p, offset, p.size - offset, *start);
            httpbody::fill(p.seed, offset, buf, n);
            return sink.write(buf, n);
        });
    } else if (p.size == 0) {
        res.set_content(std::string(), type);
    } else {
        res.set_content_provider(std::size_t(p.size), type,
                                 [p, start, ticket](std::size_t offset, std::size_t length, httplib::DataSink &sink) {
                                     if (offset >= p.cutAt)
                                         return false;  // announced Content-Length, connection closed
                                     char buf[kMaxSlice];
                                     const std::size_t n = nextSlice(p, offset, length, *start);
                                     httpbody::fill(p.seed, offset, buf, n);
                                     return sink.write(buf, n);
                                 });
    }
}

void badRequest(httplib::Response &res, const std::string &why)
{
    res.status = 400;
    res.set_content(why + "\n", "text/plain");
}

template <class S>
int serve(S &svr, const ServerOptions &o, void (*onListening)(const std::string &hostPort))
{
    const int threads = o.threads;
    svr.new_task_queue = [threads] { return new httplib::ThreadPool(std::size_t(threads)); };
    svr.set_keep_alive_max_count(100000);
    svr.set_keep_alive_timeout(5);
    svr.set_read_timeout(10);
    svr.set_write_timeout(10);
    svr.set_tcp_nodelay(true);
    if (o.verbose)
        svr.set_logger([](const httplib::Request &req, const httplib::Response &res) {
            std::fprintf(stderr, "%d %s %s\n", res.status, req.method.c_str(), req.target.c_str());
        });

    auto admission = std::make_shared<Admission>(effectiveMaxBodyRequests(o));
    auto data = [admission](const httplib::Request &req, httplib::Response &res, BodyParams p) {
        std::string error;
        if (!parseBody(req, &p, &error))
            return badRequest(res, error);
        const std::shared_ptr<Admission::Ticket> ticket = admission->enter();
        if (!ticket)
            return busy(res, admission->limit());
        serveBody(p, res, ticket);
    };
    svr.Get("/data", [data](const httplib::Request &req, httplib::Response &res) { data(req, res, {}); });
    svr.Get("/cut", [data](const httplib::Request &req, httplib::Response &res) { data(req, res, {}); });
    svr.Get(R"(/status/(\d{3}))", [data](const httplib::Request &req, httplib::Response &res) {
        BodyParams p;
        p.status = std::stoi(req.matches[1].str());
        if (p.status < 200 || p.status > 599)
            return badRequest(res, "status must be between 200 and 599");
        data(req, res, p);
    });
    // /redirect/K answers with exactly K redirects before the body.
    svr.Get(R"(/redirect/(\d{1,3}))", [data](const httplib::Request &req, httplib::Response &res) {
        const int left = std::stoi(req.matches[1].str());
        if (left > kMaxRedirectChain)
            return badRequest(res, "a redirect chain is at most 50 long");
        if (left == 0)
            return data(req, res, {});
        const auto q = req.target.find('?');
        const std::string query = q == std::string::npos ? std::string() : req.target.substr(q);
        res.set_redirect(left > 1 ? "/redirect/" + std::to_string(left - 1) + query : "/data" + query, 302);
    });
    svr.Get("/redirect-to", [](const httplib::Request &req, httplib::Response &res) {
        if (!req.has_param("url"))
            return badRequest(res, "redirect-to needs url=");
        res.set_redirect(req.get_param_value("url"), 302);
    });
    svr.Get("/health", [](const httplib::Request &, httplib::Response &res) { res.set_content("ok\n", "text/plain"); });
    svr.set_error_handler([](const httplib::Request &, httplib::Response &res) {
        // Only the server's own errors (404, ...): /status/C bodies are deterministic data.
        if (res.body.empty() && !res.content_provider_ && !res.has_header(httpbody::kSizeHeader))
            res.set_content("HTTP " + std::to_string(res.status) + "\n", "text/plain");
    });

    const int port = o.port > 0 ? (svr.bind_to_port(o.host, o.port) ? o.port : -1) : svr.bind_to_any_port(o.host);
    if (port <= 0) {
        std::fprintf(stderr, "concurrency-lab-server: cannot listen on %s:%d\n", o.host.c_str(), o.port);
        return 2;
    }
    if (!svr.widenBacklog(o.backlog))
        std::fprintf(stderr, "concurrency-lab-server: note: could not raise the listen backlog\n");
    onListening(o.host + ":" + std::to_string(port));
    return svr.listen_after_bind() ? 0 : 3;
}

} // namespace

int effectiveMaxBodyRequests(const ServerOptions &o)
{
    if (o.maxBodyRequests > 0)
        return std::min(o.maxBodyRequests, o.threads);
    return o.threads > 1 ? o.threads - std::max(1, o.threads / 8) : 1;
}

int runServer(const ServerOptions &o, void (*onListening)(const std::string &hostPort))
{
    if (o.tlsCert.empty()) {
        Wide<httplib::Server> svr;
        return serve(svr, o, onListening);
    }
    Wide<httplib::SSLServer> svr(o.tlsCert.c_str(), o.tlsKey.c_str());
    if (!svr.is_valid()) {
        std::fprintf(stderr, "concurrency-lab-server: cannot use TLS certificate %s / key %s\n", o.tlsCert.c_str(),
                     o.tlsKey.c_str());
        return 2;
    }
    return serve(svr, o, onListening);
}

} // namespace lab::server
