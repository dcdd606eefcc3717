#include "workerloop.h"

#include "hostloop.h"
#include "ipc/protocol.h"
#include "util/sysinfo.h"
#include "workloads/cpu/cpuworkload.h"
#include "workloads/taskexec.h"

#include <algorithm>
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
#include <vector>

#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace lab::worker {

namespace {

constexpr double kFlushEveryS = 0.002;
constexpr double kChunkFlushS = 0.0002;
constexpr qsizetype kFlushBytes = 256 * 1024;

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

// Frames for the parent, written in batches: one write() per burst of results, not per task.
struct Output {
    QByteArray buffer;
    double lastWrite = 0;
    bool flush()
    {
        lastWrite = monotonicSeconds();
        if (buffer.isEmpty())
            return true;
        const bool ok = writeAll(STDOUT_FILENO, buffer);
        buffer.resize(0);  // keeps the capacity
        return ok;
    }
};

long peakRssKbNow()
{
    rusage u{};
    return ::getrusage(RUSAGE_SELF, &u) == 0 ? long(u.ru_maxrss) : 0;
}

void complain(const QString &message)
{
    std::fprintf(stderr, "concurrency-lab-worker: %s\n", qPrintable(message));
}

// The worker's two threads share the socket and the tasks by role, not by kind (leader and
// follower): the thread that reads a chunk while nobody is running tasks runs it itself, and
// the other thread takes over the socket. With a fixed reader, each first chunk after a wait
// went to a task thread that had to be woken first: 15-300 us (median ~75) from a chunk
// decoded to its first task, on every idle-to-busy turn, inside the pool's dispatch window.
// One thread reads while the other runs, so a cancel reaches a running task at once.
struct Worker {
    std::mutex mutex;  // guards the fields up to cancelCurrent, and hands the roles over
    std::condition_variable changed;
    // Chunks in the order received; the runner runs front->ids[nextTask] next.
    std::deque<std::shared_ptr<const ipc::TaskChunk>> chunks;
    size_t nextTask = 0;
    std::set<int> cancelledIds;  // cancels that arrived before their task started
    int currentId = -1;
    bool closed = false;         // stdin EOF, bye, a protocol or write error: stop now
    QString failure;             // why the parent's stream was unusable; empty on EOF/bye
    bool writeFailed = false;
    bool reading = false;        // a thread holds the socket (the reader role)
    bool running = false;        // a thread runs tasks (the runner role)
    int inServe = 0;             // threads not yet out of serve()
    std::atomic<bool> cancelCurrent{false};

    // What has been read: whoever reads holds decoderMutex (the reader after its wait, or the
    // runner that finds its queue empty while the reader has not been scheduled yet: on 2
    // busy cores that took 0.5-3 ms, with the next chunks waiting in the socket).
    std::mutex decoderMutex;
    ipc::FrameDecoder decoder;
    char buf[64 * 1024];

    // The runner role's own state.
    ExecHooks hooks;
    ipc::ParamsCache params;
    Output out;
    // Results of the running chunk not yet sent, each framed as it is added (a chunk's end is
    // then a write); a chunk's results go out as one message, or in pieces when its tasks are
    // long (so the parent's timeline and deadlines see them).
    ipc::ResultsBuilder pending;
    double cpuNow = 0;
    long rssNow = 0;
    bool wasIdle = true;       // the next task is the first after start-up or a wait
    double previousStart = 0;  // when the task before this one started

    void closeLocked(const QString &why)
    {
        if (!closed) {
            closed = true;
            failure = why;
        }
        cancelCurrent.store(true);
        changed.notify_all();
    }
    void close(const QString &why)
    {
        std::lock_guard lock(mutex);
        closeLocked(why);
    }

    void frameResults()
    {
        pending.appendFrame(out.buffer, cpuNow, rssNow);
    }
    bool flush()
    {
        frameResults();
        cpuNow = processCpuSeconds();
        rssNow = peakRssKbNow();
        return out.flush();
    }

    void readOnce();
    void readAvailable();
    bool handleFrames();
    void runTasks(std::unique_lock<std::mutex> &lock);
    void serve();
};

// The reader role: one wait for input, then what it brings.
void Worker::readOnce()
{
    // Frames left by a reader that stopped after a chunk come first: no wait for them.
    {
        std::lock_guard hold(decoderMutex);
        if (decoder.bufferedBytes() > 0 && handleFrames())
            return;
    }
    // Wait in poll() for input, not in read(): stdin and stdout are one socket, and a
    // read() blocked on it is woken each time the parent drains this worker's results (the
    // kernel's "room to write" wake-up reaches every sleeper on the socket). Each such
    // wake-up took a core from the task thread (sched delays of 0.2-0.7 ms on 2 cores);
    // poll() is woken for input only.
    pollfd in{STDIN_FILENO, POLLIN, 0};
    if (::poll(&in, 1, -1) < 0) {
        if (errno != EINTR)
            close(QStringLiteral("cannot wait for stdin: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
        return;
    }
    readAvailable();
}

// Reads and handles what stdin holds now, without waiting (the runner may have taken it).
void Worker::readAvailable()
{
    std::lock_guard hold(decoderMutex);
    if (decoder.bufferedBytes() > 0 && handleFrames())
        return;
    ssize_t n = ::recv(STDIN_FILENO, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK) {  // a pipe (a test's or a user's): look before reading
        pollfd in{STDIN_FILENO, POLLIN, 0};
        n = ::poll(&in, 1, 0) > 0 ? ::read(STDIN_FILENO, buf, sizeof buf) : (errno = EAGAIN, -1);
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        close(n == 0 ? QString()
                     : QStringLiteral("cannot read stdin: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
        return;
    }
    decoder.feed(buf, n);
    handleFrames();
}

// The complete frames the decoder holds, under decoderMutex. Stops after a chunk that nobody
// runs yet, so that this thread can start on it (the frames behind it are left for the
// other thread): true then.
bool Worker::handleFrames()
{
    for (;;) {
        const std::optional<QByteArray> payload = decoder.nextPayload();
        if (!payload)
            break;
        if (ipc::peekMessageType(*payload) == ipc::MessageType::Tasks) {
            auto chunk = std::make_shared<ipc::TaskChunk>();
            QString error;
            if (!ipc::decodeTasks(*payload, chunk.get(), &error)) {
                close(QStringLiteral("bad tasks message: %1").arg(error));
                return false;
            }
            std::lock_guard lock(mutex);
            chunks.push_back(std::move(chunk));
            if (!running)
                return true;
            continue;
        }
        QString error;
        const std::optional<QCborMap> m = ipc::decodeMessage(*payload, &error);
        if (!m) {
            decoder.fail(error);
            break;
        }
        switch (ipc::messageType(*m)) {
        case ipc::MessageType::Cancel: {
            const int id = ipc::decodeCancel(*m);
            std::lock_guard lock(mutex);
            if (id < 0 || id == currentId)
                cancelCurrent.store(true);
            else
                cancelledIds.insert(id);
            break;
        }
        case ipc::MessageType::Bye:
            close(QString());
            return false;
        default:
            close(QStringLiteral("unexpected \"%1\" message from the parent").arg(m->value(QStringLiteral("type")).toString()));
            return false;
        }
    }
    if (decoder.hasError())
        close(QStringLiteral("protocol error on stdin: %1").arg(decoder.errorString()));
    return false;
}

// The runner role, entered and left with the lock held: the queued tasks, until none is left.
void Worker::runTasks(std::unique_lock<std::mutex> &lock)
{
    auto fail = [&] {
        lock.lock();
        writeFailed = true;
        closeLocked(QString());  // the parent is gone: nobody to tell
    };
    while (!closed) {
        if (chunks.empty()) {
            // Idle: the next chunks may be in the socket, waiting for a reader the scheduler
            // has not run yet; else everything we have goes out before the role is given up.
            lock.unlock();
            readAvailable();
            lock.lock();
            if (!chunks.empty() || closed)
                continue;
            lock.unlock();
            if (!flush())
                return fail();
            lock.lock();
            if (chunks.empty()) {
                wasIdle = true;
                break;
            }
            continue;
        }
        std::shared_ptr<const ipc::TaskChunk> chunk = chunks.front();
        const size_t index = nextTask++;
        const bool lastOfChunk = nextTask >= chunk->size();
        if (lastOfChunk) {
            chunks.pop_front();
            nextTask = 0;
        }
        const int id = chunk->ids[index];
        currentId = id;
        cancelCurrent.store(!cancelledIds.empty() && cancelledIds.erase(id) > 0);
        lock.unlock();

        TaskSpec task;
        QString error;
        if (!ipc::taskAt(*chunk, index, &task, &error, &params)) {
            lock.lock();
            closeLocked(QStringLiteral("bad tasks message: %1").arg(error));
            break;
        }
        chunk.reset();
        const double now = monotonicSeconds();
        // Work after a pause, after a task that took kFlushEveryS or more (so every such task
        // is announced, whatever was flushed since), or a long silent stretch of short ones:
        // say where we are.
        if (wasIdle || now - previousStart >= kFlushEveryS || now - out.lastWrite >= kFlushEveryS) {
            frameResults();
            ipc::appendStartedFrame(out.buffer, {task.id, now, currentCpu()});
            if (!flush())
                return fail();
        }
        wasIdle = false;
        previousStart = now;
        pending.add(executeTask(task, cancelCurrent, hooks));
        lock.lock();
        currentId = -1;
        if (closed)
            break;  // EOF, bye or a bad stream: nothing more goes out
        if (!lastOfChunk && out.buffer.size() <= kFlushBytes)
            continue;
        lock.unlock();
        if (lastOfChunk) {
            frameResults();
            // A finished chunk goes out unless the last write was moments ago (one task per
            // chunk, microseconds each: then results still leave every kChunkFlushS): the
            // parent refills while this worker runs the next chunk it already holds.
            if (monotonicSeconds() - out.lastWrite >= kChunkFlushS && !flush())
                return fail();
        }
        if (out.buffer.size() > kFlushBytes && !flush())
            return fail();
        lock.lock();
    }
}

// Each of the two threads: run what has come when nobody runs, else read when nobody reads,
// else wait for one of the two to be free.
void Worker::serve()
{
    std::unique_lock lock(mutex);
    while (!closed) {
        if (!running && !chunks.empty()) {
            running = true;
            if (!reading)
                changed.notify_all();  // the other thread takes up the socket
            runTasks(lock);
            running = false;
            changed.notify_all();
            continue;
        }
        if (!reading) {
            reading = true;
            lock.unlock();
            readOnce();
            lock.lock();
            reading = false;
            continue;
        }
        changed.wait(lock);
    }
    --inServe;
    changed.notify_all();
}

constexpr int kInForkedWorker = -1;

// A new worker's first chunk ran cold: its first task took ~35 us instead of 0.3 and the
// chunk 1.5-2x the time of the next ones, as the code and heap pages of the task path faulted
// in on first touch, inside the pool's dispatch window. So before the handshake, while the
// pool is still starting, the path runs once on a throwaway chunk: frame and decode tasks, run
// them, frame their results. (The first task now takes ~0.8 us.)
void warmUp()
{
    // Enough that the result records and frame grow as a real chunk's do and leave warm memory
    // in the arena; 512 measured no better and cost each worker 0.25 MB more PSS.
    constexpr int kTasks = 128;
    std::vector<int> ids;
    std::vector<QByteArray> params;
    for (int i = 0; i < kTasks; ++i) {
        const TaskSpec t = CpuWorkload::task(i, quint64(1 + i % 4), 1);
        ids.push_back(t.id);
        params.push_back(ipc::encodeParams(t.params));
    }
    QByteArray frame;
    ipc::appendTasksFrame(frame, QString::fromLatin1(CpuWorkload::kId), ids, params);
    ipc::FrameDecoder decoder;
    decoder.feed(frame);
    const std::optional<QByteArray> payload = decoder.nextPayload();
    ipc::TaskChunk chunk;
    QString error;
    if (!payload || ipc::peekMessageType(*payload) != ipc::MessageType::Tasks || !ipc::decodeTasks(*payload, &chunk, &error))
        return;
    const std::atomic<bool> cancel{false};
    ExecHooks hooks;
    ipc::ParamsCache cache;
    ipc::ResultsBuilder results;  // the runner's path: each result packed as it is added
    for (size_t i = 0; i < chunk.size(); ++i) {
        TaskSpec task;
        if (!ipc::taskAt(chunk, i, &task, &error, &cache))
            return;
        results.add(executeTask(task, cancel, hooks));
    }
    QByteArray out;
    results.appendFrame(out, processCpuSeconds(), peakRssKbNow());
}

// --fork-server: fork a worker per request (protocol.h, "forked") until stdin closes. Each
// worker is a clone of this process, already loaded and linked, so it skips what a fresh
// exec costs (the dynamic loader mapping and relocating some 40 libraries: ~10 ms of CPU
// here). CLONE_PARENT makes it a child of the app, not of this server, so the app reaps it and
// reads its exit status as it would a worker it had started itself. This process never starts
// a thread, so a plain clone leaves the child a consistent single-threaded copy.
// Returns kInForkedWorker in a new worker (stdin/stdout/stderr then its own), else the exit code.
int forkServer(int argc, char *argv[])
{
    if (!send(ipc::encodeHello({ipc::kProtocolVersion, qint64(::getpid())})))
        return 1;
    // For the tests: holds each answer back this long after the fork, so that the worker's
    // own handshake reaches the app first and the server can die between fork and answer.
    const char *delay = std::getenv("LAB_TEST_FORK_ANSWER_DELAY_MS");
    const int answerDelayMs = delay ? std::clamp(std::atoi(delay), 0, 10'000) : 0;
    for (;;) {
        char byte = 0;
        iovec iov{&byte, 1};
        alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(STDIN_FILENO, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? 0 : 1;
        std::vector<int> fds;
        for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int fd = -1;
                std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                fds.push_back(fd);
            }
        }
        ipc::Forked reply;
        if (fds.size() != 2 || (msg.msg_flags & MSG_CTRUNC)) {
            reply.error = QStringLiteral("a fork request carries 2 descriptors (a socket and a pipe), this one %1")
                              .arg(fds.size());
        } else {
            const long pid = ::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
            if (pid == 0) {
                // The new worker: its own stdin/stdout and stderr replace the server's.
                ::dup2(fds[0], STDIN_FILENO);
                ::dup2(fds[0], STDOUT_FILENO);
                ::dup2(fds[1], STDERR_FILENO);
                ::close(fds[0]);
                ::close(fds[1]);
                // Its command line (ps, /proc/PID/cmdline) is a worker's, not the server's.
                for (int i = 1; i < argc; ++i)
                    if (std::strcmp(argv[i], "--fork-server") == 0)
                        std::memset(argv[i], 0, std::strlen(argv[i]));
                return kInForkedWorker;
            }
            if (pid < 0)
                reply.error = QStringLiteral("cannot fork: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
            else
                reply.pid = pid;
        }
        for (int fd : fds)
            ::close(fd);
        if (answerDelayMs > 0)
            ::usleep(useconds_t(answerDelayMs) * 1000);
        if (!send(ipc::encodeForked(reply)))
            return 1;
    }
}

} // namespace

int run(int argc, char *argv[])
{
    // One malloc arena for both threads: the reader's own arena, new and cold, made its first
    // chunk's decode fault in fresh pages while the task thread waited for it (warmUp() warms
    // the one arena they share now).
    ::mallopt(M_ARENA_MAX, 1);
    // Die with the parent (SIGKILL included). The parent may have died before prctl took
    // effect, so compare against the pid it passed us (or init) right after.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    qint64 expectedParent = -1;
    bool host = false;
    bool server = false;
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if (a == "--parent" && i + 1 < argc) {
            bool ok = false;
            expectedParent = QByteArray(argv[++i]).toLongLong(&ok);
            if (!ok || expectedParent <= 0) {
                complain(QStringLiteral("--parent needs a process id"));
                return 2;
            }
        } else if (a == "--host") {
            host = true;
        } else if (a == "--fork-server") {
            server = true;
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
    if (host)
        return runHost();
    if (server) {
        if (expectedParent <= 0) {
            complain(QStringLiteral("--fork-server needs --parent (its workers are that process's children)"));
            return 2;
        }
        const int code = forkServer(argc, argv);
        if (code != kInForkedWorker)
            return code;
        // A fork does not inherit the death signal; and the app may be gone already.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != expectedParent)
            return 3;
    }

    auto worker = std::make_shared<Worker>();
    worker->inServe = 2;
    worker->out.lastWrite = monotonicSeconds();
    worker->cpuNow = processCpuSeconds();
    worker->rssNow = peakRssKbNow();
    // The buffers a chunk's results pass through, their pages written before the handshake:
    // a first chunk of 500 results took ~20 us to frame instead of 2, faulting in the record
    // buffer and the output page by page after its last task, in the pool's dispatch window.
    // 512 results (cpu-tiny's automatic chunk for 2 workers) cost each worker ~48 KB of PSS.
    constexpr size_t kWarmResults = 512;
    worker->pending.reserve(kWarmResults);
    worker->out.buffer.fill('\0', qsizetype(kWarmResults) * 48 + 256);
    worker->out.buffer.resize(0);
    bool helperWarm = false;
    // The second thread warms its own path too (its stack, its malloc cache), beside ours.
    std::thread([worker, &helperWarm] {
        warmUp();
        {
            std::lock_guard lock(worker->mutex);
            helperWarm = true;
        }
        worker->changed.notify_all();
        worker->serve();
        // The other thread stops a CPU task within microseconds of cancelCurrent. If it is
        // stuck in something slower, do not linger: the parent is gone or wants us gone.
        std::unique_lock lock(worker->mutex);
        if (!worker->changed.wait_for(lock, std::chrono::milliseconds(500), [&] { return worker->inServe == 0; }))
            std::_Exit(worker->failure.isEmpty() && !worker->writeFailed ? 0 : 1);
    }).detach();
    warmUp();
    {
        std::unique_lock lock(worker->mutex);
        worker->changed.wait(lock, [&] { return helperWarm; });
    }
    if (!send(ipc::encodeHello({ipc::kProtocolVersion, qint64(::getpid())})))
        return 1;

    worker->serve();
    std::unique_lock lock(worker->mutex);
    // A task the other thread runs stops within microseconds of cancelCurrent; the same
    // half a second as above for one that does not.
    worker->changed.wait_for(lock, std::chrono::milliseconds(500), [&] { return worker->inServe == 0; });
    if (!worker->failure.isEmpty()) {
        complain(worker->failure);
        return 1;
    }
    return worker->writeFailed ? 1 : 0;
}

} // namespace lab::worker
