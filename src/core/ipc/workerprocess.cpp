#include "workerprocess.h"

#include "protocol.h"
#include "util/sysinfo.h"

#include <QCborMap>
#include <QDeadlineTimer>
#include <QFile>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace lab::ipc {

namespace {

// Debian 12's <sys/pidfd.h> (glibc 2.36) declares these without extern "C": call the kernel.
int pidfdOpen(pid_t pid)
{
    return int(::syscall(SYS_pidfd_open, pid, 0));
}

int pidfdSignal(int pidfd, int sig)
{
    return int(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

constexpr qsizetype kStderrTail = 2048;  // bytes of a child's stderr kept
constexpr size_t kForkWindow = 64;      // fork requests in flight (each carries 2 descriptors)
constexpr int kServerAnswerMs = 2000;   // at close, for the answers to requests already sent
constexpr qsizetype kHandshakeBytes = 512;  // a hello frame is ~40 bytes

QString errnoText(int e = errno)
{
    return QString::fromLocal8Bit(std::strerror(e));
}

void setNonBlocking(int fd)
{
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void closeFd(int &fd)
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

// Reads what is there into `into`; false on EOF or a hard error (then *eof is set).
bool drainFd(int fd, QByteArray &into, bool *eof)
{
    bool any = false;
    for (;;) {
        const qsizetype old = into.size();
        into.resize(old + 64 * 1024);
        const ssize_t n = ::read(fd, into.data() + old, 64 * 1024);
        into.resize(old + std::max<ssize_t>(0, n));
        if (n > 0) {
            any = true;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            *eof = true;
        return any;
    }
}

// One of a child's output channels: what arrived is appended; at EOF its notifier stops.
bool drainChannel(int fd, QByteArray &into, bool &eof, QSocketNotifier *notifier)
{
    if (fd < 0 || eof)
        return false;
    const bool any = drainFd(fd, into, &eof);
    if (eof && notifier)
        notifier->setEnabled(false);
    return any;
}

// A child we forked for an object that is gone: it has read EOF already, but make sure, and reap.
void killAndReap(pid_t pid)
{
    const int fd = pidfdOpen(pid);
    if (fd >= 0) {
        pidfdSignal(fd, SIGKILL);
        siginfo_t info{};
        while (::waitid(P_PIDFD, id_t(fd), &info, WEXITED) < 0 && errno == EINTR) {
        }
        ::close(fd);
        return;
    }
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

} // namespace

QString signalAbbrev(int sig)
{
    const char *abbrev = ::sigabbrev_np(sig);
    return abbrev ? QStringLiteral("SIG%1").arg(QString::fromLatin1(abbrev)) : QStringLiteral("signal %1").arg(sig);
}

QString signalName(int sig)
{
    return ::sigabbrev_np(sig) ? QStringLiteral("signal %1 (%2)").arg(sig).arg(signalAbbrev(sig))
                               : signalAbbrev(sig);
}

QString describeExit(int code, bool crashed)
{
    return crashed ? QStringLiteral("was killed by %1").arg(signalName(code))
                   : QStringLiteral("exited with code %1").arg(code);
}

WorkerProcess::WorkerProcess(QObject *parent) : QObject(parent) {}

WorkerProcess::~WorkerProcess()
{
    blockSignals(true);
    // A fork its server never answered: its handshake, or EOF, says whether there is a child
    // of ours to reap (it exits at EOF, so a short wait is enough).
    const QDeadlineTimer deadline(kServerAnswerMs / 4);
    while (m_state == State::Forking && !m_server && !m_ioEof && !deadline.hasExpired())
        pollOnce(int(deadline.remainingTime()));
    if (m_state == State::Running) {
        sendSignal(SIGKILL);
        reap(true);
    }
    closeAll();
}

bool WorkerProcess::open(QString *error)
{
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        *error = QStringLiteral("cannot create a socket pair: %1").arg(errnoText());
        return false;
    }
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
        *error = QStringLiteral("cannot create a pipe: %1").arg(errnoText());
        ::close(sv[0]);
        ::close(sv[1]);
        return false;
    }
    m_io = sv[0];
    m_childIo = sv[1];
    m_err = p[0];
    m_childErr = p[1];
    setNonBlocking(m_io);
    setNonBlocking(m_err);
    m_ioRead = std::make_unique<QSocketNotifier>(m_io, QSocketNotifier::Read);
    connect(m_ioRead.get(), &QSocketNotifier::activated, this, [this] {
        if (drainIo())
            Q_EMIT readyRead();
        failIfNeverForked();
    });
    m_ioWrite = std::make_unique<QSocketNotifier>(m_io, QSocketNotifier::Write);
    m_ioWrite->setEnabled(false);
    connect(m_ioWrite.get(), &QSocketNotifier::activated, this, [this] { flushOut(); });
    m_errRead = std::make_unique<QSocketNotifier>(m_err, QSocketNotifier::Read);
    connect(m_errRead.get(), &QSocketNotifier::activated, this, [this] {
        if (drainErr())
            Q_EMIT readyReadStandardError();
    });
    return true;
}

void WorkerProcess::closeChildEnds()
{
    closeFd(m_childIo);
    closeFd(m_childErr);
}

void WorkerProcess::closeAll()
{
    m_ioRead.reset();
    m_ioWrite.reset();
    m_errRead.reset();
    m_exit.reset();
    closeFd(m_io);
    closeFd(m_err);
    closeChildEnds();
    closeFd(m_pidfd);
}

bool WorkerProcess::start(const QString &program, const QStringList &arguments, QString *error)
{
    if (m_state != State::NotStarted || !open(error))
        return false;
    const QByteArray path = QFile::encodeName(program);
    std::vector<QByteArray> args{path};
    for (const QString &a : arguments)
        args.push_back(a.toLocal8Bit());
    std::vector<char *> argv;
    for (QByteArray &a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, m_childIo, STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, m_childIo, STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, m_childErr, STDERR_FILENO);
    ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_t attr;
    ::posix_spawnattr_init(&attr);
    // The calling thread's signal mask and ignored signals (SIGPIPE) are not the child's.
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &all);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, path.constData(), &actions, &attr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        *error = errnoText(rc);
        closeAll();
        return false;
    }
    closeChildEnds();
    return adopt(pid, error);
}

bool WorkerProcess::adopt(pid_t pid, QString *error)
{
    m_pid = pid;
    m_server = nullptr;
    m_pidfd = pidfdOpen(pid);
    if (m_pidfd < 0) {
        *error = QStringLiteral("cannot watch process %1: %2 (pidfd_open needs Linux 5.3)").arg(pid).arg(errnoText());
        killAndReap(pid);
        m_state = State::Finished;
        closeAll();
        return false;
    }
    m_exit = std::make_unique<QSocketNotifier>(m_pidfd, QSocketNotifier::Read);
    connect(m_exit.get(), &QSocketNotifier::activated, this, [this] { reap(false); });
    m_state = State::Running;
    if (m_pendingSignal)
        sendSignal(std::exchange(m_pendingSignal, 0));
    return true;
}

void WorkerProcess::adoptFromHandshake()
{
    if (m_state != State::Forking)
        return;
    FrameDecoder decoder;
    decoder.feed(m_head);
    const std::optional<QCborMap> m = decoder.next();
    Hello hello;
    QString error;
    if (!m || !decodeHello(*m, &hello, &error) || hello.pid <= 0)
        return;  // not a handshake: the reader says what is wrong with it
    // Only a child of ours: waitid() on anyone else's process fails with ECHILD. (A child is
    // never reaped behind our back, so its pid cannot be reused while the pidfd is opened.)
    const int fd = pidfdOpen(pid_t(hello.pid));
    siginfo_t info{};
    const bool ours = fd >= 0 && ::waitid(P_PIDFD, id_t(fd), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
    if (fd >= 0)
        ::close(fd);
    if (!ours)
        return;
    // The server's answer, when it comes, finds it adopted (ForkServer::onReadyRead).
    if (!adopt(pid_t(hello.pid), &error))
        forkFailed(error);
}

void WorkerProcess::serverLost(const QString &why)
{
    m_server = nullptr;
    m_serverLost = why;
    adoptFromHandshake();
    failIfNeverForked();
}

void WorkerProcess::failIfNeverForked()
{
    if (m_state == State::Forking && !m_server && m_ioEof)
        forkFailed(m_serverLost.isEmpty() ? QStringLiteral("the fork server is gone") : m_serverLost);
}

void WorkerProcess::forkFailed(const QString &why)
{
    m_state = State::NotStarted;
    m_server = nullptr;
    closeAll();
    Q_EMIT failedToStart(why);
}

void WorkerProcess::sendSignal(int sig)
{
    if (m_state == State::Running)
        pidfdSignal(m_pidfd, sig);
    else if (m_state == State::Forking && m_pendingSignal != SIGKILL)
        m_pendingSignal = sig;
}

bool WorkerProcess::reap(bool block)
{
    if (m_state != State::Running)
        return m_state == State::Finished;
    siginfo_t info{};
    int r;
    while ((r = ::waitid(P_PIDFD, id_t(m_pidfd), &info, WEXITED | (block ? 0 : WNOHANG))) < 0 && errno == EINTR) {
    }
    if (r == 0 && info.si_pid == 0)
        return false;  // not yet (a spurious wake-up)
    if (r == 0) {
        m_crashed = info.si_code != CLD_EXITED;
        m_exitCode = info.si_status;
    } else {
        // ECHILD: reaped by someone else (a waitpid(-1) elsewhere in the process).
        m_crashed = false;
        m_exitCode = -1;
    }
    m_state = State::Finished;
    m_exit->setEnabled(false);
    Q_EMIT finished(m_exitCode, m_crashed);
    return true;
}

void WorkerProcess::write(const QByteArray &data)
{
    if (m_io < 0 || m_closeWrite || data.isEmpty())
        return;
    m_out.append(data);
    flushOut();
}

void WorkerProcess::flushOut()
{
    while (m_outPos < m_out.size()) {
        const ssize_t n = ::send(m_io, m_out.constData() + m_outPos, size_t(m_out.size() - m_outPos),
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            m_outPos += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            m_ioWrite->setEnabled(true);
            return;
        }
        break;  // EPIPE, ECONNRESET: the child is gone, and what it did not read is lost with it
    }
    m_out.resize(0);
    m_outPos = 0;
    if (m_ioWrite)
        m_ioWrite->setEnabled(false);
    if (m_closeWrite && !m_writeClosed && m_io >= 0) {
        ::shutdown(m_io, SHUT_WR);
        m_writeClosed = true;
    }
}

void WorkerProcess::closeWriteChannel()
{
    m_closeWrite = true;
    if (m_io >= 0)
        flushOut();
}

bool WorkerProcess::drainIo()
{
    const qsizetype before = m_in.size();
    const bool any = drainChannel(m_io, m_in, m_ioEof, m_ioRead.get());
    if (any && m_state == State::Forking && m_head.size() < kHandshakeBytes) {
        // What it sent first, kept apart from m_in (which the reader may take piecemeal).
        m_head.append(m_in.constData() + before, std::min(m_in.size() - before, kHandshakeBytes - m_head.size()));
        adoptFromHandshake();
    }
    return any;
}

bool WorkerProcess::drainErr()
{
    const bool any = drainChannel(m_err, m_errIn, m_errEof, m_errRead.get());
    if (m_errIn.size() > kStderrTail)
        m_errIn = m_errIn.right(kStderrTail);
    return any;
}

QByteArray WorkerProcess::readAll()
{
    drainIo();
    return std::exchange(m_in, {});
}

void WorkerProcess::reserveInput(qsizetype bytes)
{
    if (!m_in.isEmpty())
        return;
    m_in.fill('\0', bytes);
    m_in.resize(0);
}

void WorkerProcess::swapInput(QByteArray &buffer)
{
    drainIo();
    buffer.resize(0);  // keeps its capacity
    std::swap(m_in, buffer);
}

QByteArray WorkerProcess::readAllStandardError()
{
    drainErr();
    return std::exchange(m_errIn, {});
}

QString WorkerProcess::lastStderrLine()
{
    drainErr();
    return QString::fromLocal8Bit(m_errIn).trimmed().split(QLatin1Char('\n')).constLast();
}

bool WorkerProcess::pollOnce(int ms)
{
    pollfd fds[3];
    nfds_t n = 0;
    auto add = [&](int fd, short events) {
        if (fd >= 0 && events)
            fds[n++] = {fd, events, 0};
    };
    add(m_state == State::Running ? m_pidfd : -1, POLLIN);
    add(m_io, short((m_ioEof ? 0 : POLLIN) | (m_outPos < m_out.size() ? POLLOUT : 0)));
    add(m_errEof ? -1 : m_err, POLLIN);
    const int r = ::poll(fds, n, std::max(0, ms));
    if (r <= 0)
        return r < 0 && errno == EINTR;
    for (nfds_t i = 0; i < n; ++i) {
        if (!fds[i].revents)
            continue;
        if (fds[i].fd == m_io) {
            if (fds[i].revents & POLLOUT)
                flushOut();
            if ((fds[i].revents & ~POLLOUT) && drainIo())
                Q_EMIT readyRead();
        } else if (fds[i].fd == m_err) {
            if (drainErr())
                Q_EMIT readyReadStandardError();
        }
    }
    // The exit last: the output it left behind is read first.
    if (n > 0 && fds[0].fd == m_pidfd && fds[0].revents && m_state == State::Running)
        reap(false);
    failIfNeverForked();
    return true;
}

bool WorkerProcess::waitForReadyRead(int ms)
{
    if (m_state == State::Forking && m_server)
        return m_server->pump(ms);
    return isRunning() && pollOnce(ms);
}

bool WorkerProcess::waitForFinished(int ms)
{
    const QDeadlineTimer deadline(ms);
    while (isRunning()) {
        const int left = int(deadline.remainingTime());
        if (m_state == State::Forking && m_server) {
            m_server->pump(left);
        } else {
            pollOnce(left);
        }
        if (deadline.hasExpired())
            break;
    }
    return m_state == State::Finished;
}

double WorkerProcess::cpuSeconds() const
{
    return m_pid > 0 && m_state == State::Running ? processCpuSecondsOf(m_pid) : -1;
}

// ---------------------------------------------------------------------------------------------

ForkServer::ForkServer(QObject *parent) : QObject(parent) {}

ForkServer::~ForkServer()
{
    close(kServerAnswerMs, kServerAnswerMs / 2);
}

void ForkServer::close(int answerMs, int graceMs)
{
    for (const QPointer<WorkerProcess> &c : std::exchange(m_queued, {}))
        if (c)
            c->forkFailed(QStringLiteral("the pool stopped before it was forked"));
    if (!m_proc.isRunning())
        return;
    m_proc.closeWriteChannel();
    QDeadlineTimer deadline(answerMs);
    while (!m_waiting.empty() && m_proc.isRunning() && !deadline.hasExpired())
        pump(int(deadline.remainingTime()));
    for (const QPointer<WorkerProcess> &c : std::exchange(m_waiting, {}))
        if (c && c->m_state == WorkerProcess::State::Forking)
            c->serverLost(QStringLiteral("the fork server did not fork it within %1 ms").arg(answerMs));
    disconnect(&m_proc, nullptr, this, nullptr);
    if (m_proc.waitForFinished(int(std::max<qint64>(0, deadline.remainingTime()))))
        return;
    m_proc.terminate();
    if (m_proc.waitForFinished(graceMs))
        return;
    m_proc.kill();
    m_proc.waitForFinished(graceMs);  // else ~WorkerProcess waits for it
}

bool ForkServer::start(const QString &program, const QStringList &workerArguments, QString *error)
{
    connect(&m_proc, &WorkerProcess::readyRead, this, &ForkServer::onReadyRead);
    connect(&m_proc, &WorkerProcess::finished, this, &ForkServer::onFinished);
    if (!m_proc.start(program, QStringList(workerArguments) << QStringLiteral("--fork-server"), error)) {
        m_failure = *error;
        return false;
    }
    return true;
}

void ForkServer::spawn(WorkerProcess *child)
{
    QString why = m_failure;
    if (why.isEmpty() && child->m_state != WorkerProcess::State::NotStarted)
        why = QStringLiteral("this process object was started before");
    if (why.isEmpty() && !child->open(&why) && why.isEmpty())
        why = QStringLiteral("cannot set up its channels");
    if (!why.isEmpty()) {
        child->forkFailed(why);
        return;
    }
    child->m_state = WorkerProcess::State::Forking;
    child->m_server = this;
    m_queued.push_back(child);
    sendQueued();
}

void ForkServer::sendQueued()
{
    while (!m_queued.empty() && m_waiting.size() < kForkWindow && m_failure.isEmpty() && m_proc.isRunning()) {
        const QPointer<WorkerProcess> c = m_queued.front();
        if (!c) {
            m_queued.pop_front();
            continue;
        }
        char byte = 'f';
        iovec iov{&byte, 1};
        const int fds[2] = {c->m_childIo, c->m_childErr};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof fds)] = {};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof fds);
        std::memcpy(CMSG_DATA(cm), fds, sizeof fds);
        const ssize_t n = ::sendmsg(m_proc.m_io, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;  // the server is busy: the next answer sends more
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
            return;  // it closed its stdin, exiting: its exit (and output) says why, not this send
        if (n < 0) {
            fail(QStringLiteral("cannot send it a fork request: %1").arg(errnoText()));
            return;
        }
        m_queued.pop_front();
        c->closeChildEnds();  // the server holds them now, and passes them on to the child
        m_waiting.push_back(c);
    }
}

void ForkServer::onReadyRead()
{
    m_decoder.feed(m_proc.readAll());
    while (m_failure.isEmpty()) {
        const std::optional<QCborMap> m = m_decoder.next();
        if (!m)
            break;
        QString error;
        if (!m_ready) {
            Hello hello;
            if (!acceptHello(m, &hello, &error)) {
                fail(error);
                return;
            }
            m_ready = true;
            continue;
        }
        Forked forked;
        if (!decodeForked(*m, &forked, &error)) {
            fail(QStringLiteral("sent a bad answer: %1").arg(error));
            return;
        }
        if (m_waiting.empty()) {
            fail(QStringLiteral("answered a fork request it was not sent"));
            return;
        }
        const QPointer<WorkerProcess> c = m_waiting.front();
        m_waiting.pop_front();
        if (forked.pid <= 0) {
            if (c && c->m_state == WorkerProcess::State::Forking)
                c->forkFailed(forked.error);
        } else if (!c || (c->m_state != WorkerProcess::State::Forking && c->m_pid != pid_t(forked.pid))) {
            killAndReap(pid_t(forked.pid));  // nobody's: its object is gone (or adopted another pid)
        } else if (c->m_state != WorkerProcess::State::Forking) {
            // adopted already: its handshake came first
        } else if (QString why; !c->adopt(pid_t(forked.pid), &why)) {
            c->forkFailed(why);
        }
    }
    if (m_decoder.hasError() && m_failure.isEmpty())
        fail(QStringLiteral("protocol error: %1").arg(m_decoder.errorString()));
    sendQueued();
}

void ForkServer::onFinished(int code, bool crashed)
{
    onReadyRead();  // answers it wrote before it went: those children are ours to reap
    if (!m_failure.isEmpty())
        return;
    QString why = describeExit(code, crashed);
    if (!m_ready)
        why += QStringLiteral(" before its handshake");
    const QString tail = m_proc.lastStderrLine();
    if (!tail.isEmpty())
        why += QStringLiteral(" (stderr: %1)").arg(tail);
    fail(why);
}

void ForkServer::fail(const QString &why)
{
    if (!m_failure.isEmpty())
        return;
    m_failure = why;
    if (m_proc.isRunning())
        m_proc.kill();
    // Forks it was asked for may exist (their handshakes tell); those it never got do not.
    for (const QPointer<WorkerProcess> &c : std::exchange(m_waiting, {}))
        if (c && c->m_state == WorkerProcess::State::Forking)
            c->serverLost(why);
    for (const QPointer<WorkerProcess> &c : std::exchange(m_queued, {}))
        if (c)
            c->forkFailed(why);
}

bool ForkServer::pump(int ms)
{
    return m_proc.waitForReadyRead(ms);
}

} // namespace lab::ipc
