#include "localserver.h"

#include "util/sysinfo.h"

#include <QFile>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace lab {

struct LocalServer::Private {
    mutable std::mutex mutex;  // guards pid/exited/finalCpu against isRunning()/cpuSeconds()
    pid_t pid = 0;
    bool exited = true;
    int stdinFd = -1;
    QString hostPort;
    double finalCpu = 0;

    // Reaps if the child ended; `block`: wait for it. Caller holds the mutex.
    bool reap(bool block)
    {
        if (pid <= 0 || exited)
            return true;
        int status = 0;
        struct rusage ru {};
        pid_t r;
        do {
            r = ::wait4(pid, &status, block ? 0 : WNOHANG, &ru);
        } while (r < 0 && errno == EINTR);
        if (r == pid || (r < 0 && errno == ECHILD)) {
            if (r == pid)
                finalCpu = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
                           + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
            exited = true;
            return true;
        }
        return false;
    }

    void closeStdin()
    {
        if (stdinFd >= 0)
            ::close(stdinFd);
        stdinFd = -1;
    }
};

namespace {

void closeBoth(int fds[2])
{
    for (int i = 0; i < 2; ++i)
        if (fds[i] >= 0)
            ::close(fds[i]);
}

// user+sys of a live process from /proc/<pid>/stat (fields 14 and 15), in seconds.
double procCpuSeconds(pid_t pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = f.readAll();
    const qsizetype close = text.lastIndexOf(')');  // the command name may contain spaces
    if (close < 0)
        return -1;
    const QList<QByteArray> fields = text.mid(close + 2).split(' ');  // fields[0] is field 3
    if (fields.size() < 13)
        return -1;
    const double ticks = double(::sysconf(_SC_CLK_TCK));
    return (fields.at(11).toDouble() + fields.at(12).toDouble()) / ticks;
}

} // namespace

LocalServer::LocalServer() : d(std::make_unique<Private>()) {}

LocalServer::~LocalServer()
{
    stop();
}

bool LocalServer::start(QString *error, int timeoutMs)
{
    if (isRunning())
        return true;
    const QString exe = siblingExecutable(QStringLiteral("concurrency-lab-server"));
    if (exe.isEmpty()) {
        *error = QStringLiteral("concurrency-lab-server was not found next to this program or in the build tree");
        return false;
    }
    // O_CLOEXEC everywhere: worker processes spawned meanwhile by other threads must not
    // inherit our end of the server's stdin, or the server would outlive us.
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
        *error = QStringLiteral("cannot create pipes: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        closeBoth(in);
        closeBoth(out);
        return false;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    const QByteArray path = QFile::encodeName(exe);
    const QByteArray parent = QByteArray::number(qint64(::getpid()));
    char *argv[] = {const_cast<char *>(path.constData()), const_cast<char *>("--parent-pid"),
                    const_cast<char *>(parent.constData()), nullptr};
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, path.constData(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    if (rc != 0) {
        ::close(in[1]);
        ::close(out[0]);
        *error = QStringLiteral("cannot start %1: %2").arg(exe, QString::fromLocal8Bit(std::strerror(rc)));
        return false;
    }
    {
        std::lock_guard lock(d->mutex);
        d->pid = pid;
        d->exited = false;
        d->stdinFd = in[1];
        d->finalCpu = 0;
    }

    // Its first stdout line, within the timeout.
    QByteArray line;
    const double deadline = monotonicSeconds() + timeoutMs / 1000.0;
    bool gotLine = false;
    while (!gotLine) {
        const int leftMs = int((deadline - monotonicSeconds()) * 1000);
        if (leftMs <= 0)
            break;
        pollfd p{out[0], POLLIN, 0};
        const int pr = ::poll(&p, 1, leftMs);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            break;
        char buf[256];
        const ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;  // exited before listening
        line.append(buf, n);
        gotLine = line.contains('\n') || line.size() > 1024;
    }
    // The server prints nothing after this line; closing our end costs nothing.
    ::close(out[0]);
    line = line.left(line.indexOf('\n')).trimmed();
    const QByteArray prefix("LISTENING ");
    if (!gotLine || !line.startsWith(prefix)) {
        stop();
        *error = line.isEmpty() ? QStringLiteral("%1 did not report its port within %2 ms").arg(exe).arg(timeoutMs)
                                : QStringLiteral("%1 printed \"%2\" instead of its port")
                                      .arg(exe, QString::fromUtf8(line.left(200)));
        return false;
    }
    std::lock_guard lock(d->mutex);
    d->hostPort = QString::fromLatin1(line.mid(prefix.size()));
    return true;
}

void LocalServer::stop()
{
    std::lock_guard lock(d->mutex);
    if (d->pid <= 0)
        return;
    d->closeStdin();
    const double deadline = monotonicSeconds() + 2.0;
    while (!d->reap(false) && monotonicSeconds() < deadline)
        ::usleep(5000);
    if (!d->exited) {
        ::kill(d->pid, SIGKILL);
        d->reap(true);
    }
    d->hostPort.clear();
}

bool LocalServer::isRunning() const
{
    std::lock_guard lock(d->mutex);
    if (d->pid <= 0 || d->exited)
        return false;
    return !d->reap(false);
}

QString LocalServer::hostPort() const
{
    std::lock_guard lock(d->mutex);
    return d->hostPort;
}

qint64 LocalServer::pid() const
{
    std::lock_guard lock(d->mutex);
    return d->pid;
}

double LocalServer::cpuSeconds() const
{
    std::lock_guard lock(d->mutex);
    if (d->pid <= 0)
        return 0;
    if (!d->exited) {
        const double s = procCpuSeconds(d->pid);
        if (s >= 0)
            return s;
    }
    return d->finalCpu;
}

} // namespace lab
