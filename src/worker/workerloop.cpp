#include "workerloop.h"

#include "ipc/protocol.h"
#include "util/sysinfo.h"
#include "workloads/taskexec.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <sys/prctl.h>
#include <unistd.h>

namespace lab::worker {

namespace {

// Shared by the reader thread (producer) and the main thread (runs tasks). Held through a
// shared_ptr because the reader is detached and may outlive run().
struct Inbox {
    std::mutex mutex;                 // guards everything below except cancelCurrent
    std::condition_variable changed;
    std::deque<TaskSpec> tasks;
    std::set<int> cancelledIds;       // cancels that arrived before their task started
    int currentId = -1;
    bool closed = false;              // stdin EOF, bye, or a protocol error: stop now
    bool mainDone = false;
    QString failure;                  // why the parent's stream was unusable; empty on EOF/bye
    std::atomic<bool> cancelCurrent{false};

    void close(const QString &why)
    {
        std::lock_guard lock(mutex);
        if (!closed) {
            closed = true;
            failure = why;
        }
        cancelCurrent.store(true);
        changed.notify_all();
    }
};

bool writeAll(int fd, const QByteArray &data)
{
    const char *p = data.constData();
    qsizetype left = data.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, size_t(left));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        left -= n;
    }
    return true;
}

bool send(const QCborMap &message)
{
    return writeAll(STDOUT_FILENO, ipc::encodeFrame(message));
}

void complain(const QString &message)
{
    std::fprintf(stderr, "concurrency-lab-worker: %s\n", qPrintable(message));
}

void readLoop(const std::shared_ptr<Inbox> &inbox)
{
    ipc::FrameDecoder decoder;
    char buf[64 * 1024];
    QString reason;   // set when the stream is unusable
    bool finished = false;
    while (!finished && reason.isEmpty()) {
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            finished = true;
            break;
        }
        if (n < 0) {
            reason = QStringLiteral("cannot read stdin: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
            break;
        }
        decoder.feed(buf, n);
        while (!finished && reason.isEmpty()) {
            const std::optional<QCborMap> m = decoder.next();
            if (!m)
                break;
            switch (ipc::messageType(*m)) {
            case ipc::MessageType::Task: {
                TaskSpec task;
                QString error;
                if (!ipc::decodeTask(*m, &task, &error)) {
                    reason = QStringLiteral("bad task message: %1").arg(error);
                    break;
                }
                std::lock_guard lock(inbox->mutex);
                inbox->tasks.push_back(task);
                inbox->changed.notify_all();
                break;
            }
            case ipc::MessageType::Cancel: {
                const int id = ipc::decodeCancel(*m);
                std::lock_guard lock(inbox->mutex);
                if (id < 0 || id == inbox->currentId)
                    inbox->cancelCurrent.store(true);
                else
                    inbox->cancelledIds.insert(id);
                break;
            }
            case ipc::MessageType::Bye:
                finished = true;
                break;
            default:
                reason = QStringLiteral("unexpected \"%1\" message from the parent")
                             .arg(m->value(QStringLiteral("type")).toString());
                break;
            }
        }
        if (decoder.hasError())
            reason = QStringLiteral("protocol error on stdin: %1").arg(decoder.errorString());
    }
    inbox->close(reason);
    // The main thread stops a CPU task within microseconds of cancelCurrent. If it is stuck
    // in something slower, do not linger: the parent is gone or wants us gone.
    std::unique_lock lock(inbox->mutex);
    if (!inbox->changed.wait_for(lock, std::chrono::milliseconds(500), [&] { return inbox->mainDone; }))
        std::_Exit(0);
}

} // namespace

int run(int argc, char *argv[])
{
    // Die with the parent (SIGKILL included). The parent may have died before prctl took
    // effect, so compare against the pid it passed us (or init) right after.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    qint64 expectedParent = -1;
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if (a == "--parent" && i + 1 < argc) {
            bool ok = false;
            expectedParent = QByteArray(argv[++i]).toLongLong(&ok);
            if (!ok || expectedParent <= 0) {
                complain(QStringLiteral("--parent needs a process id"));
                return 2;
            }
        } else if (a == "--version") {
            std::printf("concurrency-lab-worker protocol %d\n", ipc::kProtocolVersion);
            return 0;
        } else {
            complain(QStringLiteral("unknown argument \"%1\" (this program is started by concurrency-lab; "
                                    "it speaks a binary protocol on stdin/stdout)")
                         .arg(QString::fromLocal8Bit(argv[i])));
            return 2;
        }
    }
    const pid_t parent = ::getppid();
    if ((expectedParent > 0 && parent != expectedParent) || parent == 1)
        return 3;
    // A closed pipe must be a write error we handle, not a signal that kills us mid-message.
    std::signal(SIGPIPE, SIG_IGN);

    if (!send(ipc::encodeHello({ipc::kProtocolVersion, qint64(::getpid())})))
        return 1;

    auto inbox = std::make_shared<Inbox>();
    std::thread(readLoop, inbox).detach();

    ExecHooks hooks;
    int code = 0;
    for (;;) {
        TaskSpec task;
        {
            std::unique_lock lock(inbox->mutex);
            inbox->changed.wait(lock, [&] { return inbox->closed || !inbox->tasks.empty(); });
            if (inbox->closed)
                break;
            task = inbox->tasks.front();
            inbox->tasks.pop_front();
            inbox->currentId = task.id;
            inbox->cancelCurrent.store(inbox->cancelledIds.erase(task.id) > 0);
        }
        if (!send(ipc::encodeStarted({task.id, monotonicSeconds(), currentCpu()}))) {
            code = 1;
            break;
        }
        ipc::ResultMessage rm;
        rm.result = executeTask(task, inbox->cancelCurrent, hooks);
        {
            std::lock_guard lock(inbox->mutex);
            inbox->currentId = -1;
            if (inbox->closed)
                break;
        }
        rm.workerCpu_s = processCpuSeconds();
        rm.workerPeakRssKb = peakRssKb();
        if (!send(ipc::encodeResult(rm))) {
            code = 1;
            break;
        }
    }
    {
        std::lock_guard lock(inbox->mutex);
        inbox->mainDone = true;
        if (!inbox->failure.isEmpty()) {
            complain(inbox->failure);
            code = 1;
        }
        inbox->changed.notify_all();
    }
    return code;
}

} // namespace lab::worker
