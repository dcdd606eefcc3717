#include "startupwork.h"

#include "trace/statetrace.h"

#include <QProcess>

#include <cerrno>
#include <cstring>
#include <thread>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace lab {

namespace {

// Waits for one child; true when it exited with code 0.
bool reap(pid_t pid, QString *error)
{
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    if (r != pid) {
        *error = QStringLiteral("waitpid failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    *error = WIFSIGNALED(status) ? QStringLiteral("a child was killed by signal %1").arg(WTERMSIG(status))
                                 : QStringLiteral("a child exited with code %1").arg(WEXITSTATUS(status));
    return false;
}

bool startOnce(StartupMechanism mechanism, std::atomic<int> &ran, QString *error)
{
    switch (mechanism) {
    case StartupMechanism::Thread: {
        std::thread t([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
        t.join();
        return true;
    }
    case StartupMechanism::Fork: {
        const pid_t pid = ::fork();
        if (pid < 0) {
            *error = QStringLiteral("fork failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return false;
        }
        if (pid == 0)
            ::_exit(0);  // a child of a multithreaded process: nothing but async-signal-safe calls
        if (!reap(pid, error))
            return false;
        ran.fetch_add(1, std::memory_order_relaxed);
        return true;
    }
    case StartupMechanism::PosixSpawn: {
        pid_t pid = 0;
        char *argv[] = {const_cast<char *>(startupProgram()), nullptr};
        const int e = ::posix_spawn(&pid, startupProgram(), nullptr, nullptr, argv, environ);
        if (e != 0) {
            *error = QStringLiteral("posix_spawn %1 failed: %2")
                         .arg(QString::fromLatin1(startupProgram()), QString::fromLocal8Bit(strerror(e)));
            return false;
        }
        if (!reap(pid, error))
            return false;
        ran.fetch_add(1, std::memory_order_relaxed);
        return true;
    }
    case StartupMechanism::QProcess: {
        QProcess p;
        p.start(QString::fromLatin1(startupProgram()), {});
        if (!p.waitForFinished(10000)) {
            *error = QStringLiteral("QProcess %1: %2").arg(QString::fromLatin1(startupProgram()), p.errorString());
            p.kill();
            p.waitForFinished(1000);
            return false;
        }
        if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            *error = QStringLiteral("QProcess %1 ended with code %2").arg(QString::fromLatin1(startupProgram())).arg(p.exitCode());
            return false;
        }
        ran.fetch_add(1, std::memory_order_relaxed);
        return true;
    }
    }
    return false;
}

} // namespace

const char *startupProgram()
{
    return "/bin/true";
}

std::optional<StartupMechanism> startupMechanismFromName(const QString &name)
{
    if (name == QLatin1String("thread"))
        return StartupMechanism::Thread;
    if (name == QLatin1String("fork"))
        return StartupMechanism::Fork;
    if (name == QLatin1String("posix-spawn"))
        return StartupMechanism::PosixSpawn;
    if (name == QLatin1String("qprocess"))
        return StartupMechanism::QProcess;
    return std::nullopt;
}

StartupMeasurement measureStartup(StartupMechanism mechanism, int count, const std::atomic<bool> &cancel)
{
    StartupMeasurement m;
    m.asked = count;
    m.us.reserve(std::size_t(std::max(0, count)));
    std::atomic<int> ran{0};
    for (int i = 0; i < count; ++i) {
        if (cancel.load(std::memory_order_relaxed)) {
            m.cancelled = true;
            m.error = QStringLiteral("cancelled");
            break;
        }
        const qint64 t0 = monotonicNs();
        if (!startOnce(mechanism, ran, &m.error))
            break;
        m.us.push_back(double(monotonicNs() - t0) / 1e3);
    }
    m.completed = ran.load();
    m.ok = m.error.isEmpty() && m.completed == count && int(m.us.size()) == count;
    if (!m.ok && m.error.isEmpty())
        m.error = QStringLiteral("%1 of %2 completed").arg(m.completed).arg(count);
    return m;
}

} // namespace lab
