#pragma once
#include <QString>
#include <QtGlobal>
#include <memory>

namespace lab {

// The project's own HTTP test server (`concurrency-lab-server`) as a child process on
// 127.0.0.1 and an ephemeral port, so its CPU time shows apart from the client's. Started and
// stopped by the Runner when a spec uses "{server}" URLs. Plain posix_spawn, no QObject: start()
// and stop() belong to one thread; cpuSeconds() and hostPort() may be read from any thread
// while it runs. The child dies with us: its stdin is our pipe (end of file = exit) and it asks
// for PR_SET_PDEATHSIG, which Linux ties to the thread that spawned it, so call stop() (or
// destroy the object) on the thread that called start().
class LocalServer {
public:
    LocalServer();
    ~LocalServer();
    LocalServer(const LocalServer &) = delete;
    LocalServer &operator=(const LocalServer &) = delete;

    // Spawns the server and waits (at most timeoutMs) for its "LISTENING host:port" line.
    bool start(QString *error, int timeoutMs = 5000);
    // Closes its stdin, waits up to 2 s, then SIGKILLs; always reaps.
    void stop();
    bool isRunning() const;
    QString hostPort() const;   // "127.0.0.1:PORT"
    qint64 pid() const;
    double cpuSeconds() const;  // user+sys of the server process so far (from /proc, or the final rusage)

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace lab
