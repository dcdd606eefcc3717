// concurrency-lab-server: the built-in HTTP test server. Prints "LISTENING host:port" as its
// first stdout line, then serves until stdin reaches end of file (the parent closed its pipe,
// or died) or, when started by a parent, the parent dies (PR_SET_PDEATHSIG). No orphans.
#include "labhttpserver.h"

#include <sys/prctl.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

int usage(const char *why)
{
    if (why) {
        std::fprintf(stderr, "concurrency-lab-server: %s (see --help)\n", why);
        return 2;
    }
    std::fprintf(stdout,
                 "usage: concurrency-lab-server [--host ADDR] [--port N] [--threads N] [--max-body-requests N]\n"
                 "                              [--parent-pid PID]\n"
                 "                              [--tls-cert PEM --tls-key PEM] [--forever] [--verbose]\n"
                 "  Serves deterministic test bodies on 127.0.0.1 (ephemeral port by default) until\n"
                 "  stdin closes (or forever with --forever). Routes: /data?size=&seed=&latency_ms=&rate=\n"
                 "  &chunked=1&status=&cut_at=, /status/C, /cut?size=&at=, /redirect/K, /redirect-to?url=, /health\n"
                 "  Body requests beyond --max-body-requests at once (default: threads less one eighth)\n"
                 "  get 503 with Retry-After, so /health is answered under any flood of slow ones.\n");
    return 0;
}

bool parseInt(const char *s, long lo, long hi, long *out)
{
    char *end = nullptr;
    errno = 0;
    const long v = std::strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

void printListening(const std::string &hostPort)
{
    std::printf("LISTENING %s\n", hostPort.c_str());
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    lab::server::ServerOptions o;
    long parentPid = 0;
    bool forever = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool hasValue = i + 1 < argc;
        long v = 0;
        if (a == "--help" || a == "-h")
            return usage(nullptr);
        if (a == "--forever") {
            forever = true;
        } else if (a == "--verbose") {
            o.verbose = true;
        } else if (a == "--tls-cert" && hasValue) {
            o.tlsCert = argv[++i];
        } else if (a == "--tls-key" && hasValue) {
            o.tlsKey = argv[++i];
        } else if (a == "--host" && hasValue) {
            o.host = argv[++i];
        } else if (a == "--port" && hasValue) {
            if (!parseInt(argv[++i], 0, 65535, &v))
                return usage("--port must be 0..65535");
            o.port = int(v);
        } else if (a == "--threads" && hasValue) {
            if (!parseInt(argv[++i], 1, 4096, &v))
                return usage("--threads must be 1..4096");
            o.threads = int(v);
        } else if (a == "--max-body-requests" && hasValue) {
            if (!parseInt(argv[++i], 1, 4096, &v))
                return usage("--max-body-requests must be 1..4096");
            o.maxBodyRequests = int(v);
        } else if (a == "--parent-pid" && hasValue) {
            if (!parseInt(argv[++i], 1, 1L << 30, &v))
                return usage("--parent-pid must be a process id");
            parentPid = v;
        } else {
            return usage(("unknown or incomplete option " + a).c_str());
        }
    }
    if (o.tlsCert.empty() != o.tlsKey.empty())
        return usage("--tls-cert and --tls-key go together");
    if (parentPid > 0) {
        // Die with the parent; if it already died between spawn and here, leave at once.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != pid_t(parentPid))
            return 1;
    }
    std::signal(SIGPIPE, SIG_IGN);

    if (!forever) {
        // Watch stdin on its own thread; the server loop blocks the main thread.
        std::thread([] {
            char buf[256];
            while (::read(STDIN_FILENO, buf, sizeof buf) > 0) {
            }
            // Sleeping handlers may hold pool threads for seconds: leave without joining them.
            std::_Exit(0);
        }).detach();
    }
    return lab::server::runServer(o, &printListening);
}
