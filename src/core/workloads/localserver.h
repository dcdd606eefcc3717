#pragma once
#include <QString>
#include <QtGlobal>
#include <memory>

namespace lab {

// The project's own HTTP test server (`concurrency-lab-server`) as a child process on
// 127.0.0.1 and an ephemeral port. Started and stopped by the Runner when a spec uses
// "{server}" URLs. Not thread-affine: no QObject, plain fork/exec via QProcess in start().
class LocalServer {
public:
    LocalServer();
    ~LocalServer();
    LocalServer(const LocalServer &) = delete;
    LocalServer &operator=(const LocalServer &) = delete;

    bool start(QString *error);
    void stop();
    bool isRunning() const;
    QString hostPort() const;   // "127.0.0.1:PORT"
    qint64 pid() const;
    double cpuSeconds() const;  // user+sys of the server process so far (from /proc)

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace lab
