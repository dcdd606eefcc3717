#pragma once
#include <cstdint>
#include <string>

namespace lab::server {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 0;                 // 0: ephemeral
    int threads = 512;            // one per connection in flight; latency sleeps occupy one each
    // Body requests (/data, /status, /cut, a redirect chain's end) served at once; more get 503
    // with Retry-After, so a flood of slow ones (latency, rate=1, a slow reader) never takes the
    // threads /health and quick answers need. 0: threads less one eighth (at least one kept).
    int maxBodyRequests = 0;
    int backlog = 4096;
    bool verbose = false;
    std::string tlsCert, tlsKey;  // both set: HTTPS (PEM files), to test the client's TLS checks
};

// Routes (GET):
//   /data?size=N&seed=S&latency_ms=L&rate=BYTES_PER_S&chunked=1&status=C&cut_at=M
//       deterministic body (see workloads/io/httpbody.h), X-Lab-Size / X-Lab-Seed headers;
//       latency before the first byte, paced bandwidth, chunked transfer, any status,
//       connection closed after cut_at bytes of the announced body
//   /status/C?...      same as /data with status C
//   /cut?size=N&at=M   same as /data with cut_at=M
//   /redirect/K?...    a chain of K 302 redirects ending at /data?...
//   /redirect-to?url=U one 302 to U (any scheme: the client must refuse non-HTTP ones)
//   /health            "ok"
// A body request above ServerOptions::maxBodyRequests gets 503, "Retry-After: 1", and the
// connection closes after the answer.
// Runs until the process ends. Calls onListening("127.0.0.1:PORT") once the socket listens.
// Returns a non-zero exit code with a message on stderr if it cannot listen.
int runServer(const ServerOptions &options, void (*onListening)(const std::string &hostPort));
int effectiveMaxBodyRequests(const ServerOptions &options);

} // namespace lab::server
