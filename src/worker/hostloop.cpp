#include "hostloop.h"

#include "experiment/experimentspec.h"
#include "ipc/protocol.h"
#include "models/threadpoolmodel.h"
#include "util/sysinfo.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

namespace lab::worker {

namespace {

constexpr int kFlushMs = 2;          // "started" frames reach the parent within this
constexpr int kCancelGraceMs = 500;  // a task that ignores cancel gets this long, then we leave

void complain(const QString &message)
{
    std::fprintf(stderr, "concurrency-lab-worker --host: %s\n", qPrintable(message));
}

bool writeAll(const QByteArray &data)
{
    const char *p = data.constData();
    qsizetype left = data.size();
    while (left > 0) {
        const ssize_t n = ::write(STDOUT_FILENO, p, size_t(left));
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

long peakRssKbNow()
{
    rusage u{};
    return ::getrusage(RUSAGE_SELF, &u) == 0 ? long(u.ru_maxrss) : 0;
}

// The host's stdout, shared by the pool's threads (results) and the main thread (started).
// A task's result is written before its thread takes the next task, so whatever a crash
// kills afterwards, every finished task is already in the pipe to the parent.
struct Outbox {
    std::mutex mutex;  // guards the writes, buffer, ok and done
    std::condition_variable changed;
    QByteArray buffer;
    bool ok = true;    // false once the parent stopped reading
    bool done = false;

    void write()
    {
        if (ok && !buffer.isEmpty() && !writeAll(buffer))
            ok = false;  // the parent is gone: the control thread ends us
        buffer.resize(0);
    }
};

class HostPool : public ThreadPoolModel {
public:
    explicit HostPool(Outbox &out) : ThreadPoolModel(QStringLiteral("threads")), m_out(out) {}

protected:
    void taskFinished(const TaskResult &r) override
    {
        const std::vector<TaskResult> one{r};
        std::lock_guard lock(m_out.mutex);
        ipc::appendResultsFrame(m_out.buffer, one, processCpuSeconds(), peakRssKbNow());
        m_out.write();
    }

private:
    Outbox &m_out;
};

// Reads frames from stdin until `want` is satisfied. Returns false with *error on EOF or a
// protocol problem.
class SetupReader {
public:
    std::optional<QByteArray> next(QString *error)
    {
        for (;;) {
            if (const std::optional<QByteArray> p = m_decoder.nextPayload())
                return p;
            if (m_decoder.hasError()) {
                *error = QStringLiteral("protocol error on stdin: %1").arg(m_decoder.errorString());
                return std::nullopt;
            }
            char buf[64 * 1024];
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                *error = n == 0 ? QStringLiteral("stdin closed before the job was complete")
                                : QStringLiteral("cannot read stdin: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
                return std::nullopt;
            }
            m_decoder.feed(buf, n);
        }
    }
    ipc::FrameDecoder &decoder() { return m_decoder; }

private:
    ipc::FrameDecoder m_decoder;
};

// Between the control thread and the main thread; held through a shared_ptr because the
// control thread is detached.
struct Control {
    std::atomic<bool> cancel{false};
    std::mutex mutex;  // guards runDone
    std::condition_variable changed;
    bool runDone = false;
};

// After the job: stdin carries only "cancel" and "bye"; either, EOF or garbage stops the run.
void controlLoop(std::shared_ptr<Control> control, ipc::FrameDecoder decoder)
{
    char buf[4096];
    for (;;) {
        bool stop = false;
        while (const std::optional<QByteArray> payload = decoder.nextPayload()) {
            QString error;
            const std::optional<QCborMap> m = ipc::decodeMessage(*payload, &error);
            if (!m || ipc::messageType(*m) != ipc::MessageType::Cancel || ipc::decodeCancel(*m) < 0)
                stop = true;  // bye, a whole-run cancel, or anything we do not take now
        }
        if (stop || decoder.hasError())
            break;
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        decoder.feed(buf, n);
    }
    control->cancel.store(true);
    // CPU tasks see the flag within microseconds; one that ignores it (a hung task) must not
    // keep a process the parent has given up on.
    std::unique_lock lock(control->mutex);
    control->changed.wait_for(lock, std::chrono::milliseconds(kCancelGraceMs), [&] { return control->runDone; });
    std::fflush(nullptr);
    std::_Exit(0);
}

} // namespace

int runHost()
{
    if (!writeAll(ipc::encodeFrame(ipc::encodeHello({ipc::kProtocolVersion, qint64(::getpid())}))))
        return 1;

    SetupReader reader;
    QString error;
    ipc::HostJob job;
    {
        const std::optional<QByteArray> payload = reader.next(&error);
        std::optional<QCborMap> m;
        if (payload)
            m = ipc::decodeMessage(*payload, &error);
        if (!m || !ipc::decodeHost(*m, &job, &error)) {
            complain(error.isEmpty() ? QStringLiteral("expected a \"host\" message first") : error);
            return 1;
        }
    }
    const std::optional<ExperimentSpec> spec = ExperimentSpec::fromJson(job.specJson, &error);
    if (!spec) {
        complain(QStringLiteral("the spec it was sent does not parse: %1").arg(error));
        return 1;
    }
    std::vector<TaskSpec> tasks;
    tasks.reserve(size_t(job.tasks));
    ipc::ParamsCache params;
    while (int(tasks.size()) < job.tasks) {
        const std::optional<QByteArray> payload = reader.next(&error);
        if (!payload) {
            complain(error);
            return 1;
        }
        ipc::TaskChunk chunk;
        if (ipc::peekMessageType(*payload) != ipc::MessageType::Tasks || !ipc::decodeTasks(*payload, &chunk, &error)) {
            complain(error.isEmpty() ? QStringLiteral("expected %1 tasks, got another message").arg(job.tasks)
                                     : QStringLiteral("bad tasks message: %1").arg(error));
            return 1;
        }
        for (size_t i = 0; i < chunk.size(); ++i) {
            TaskSpec t;
            if (!ipc::taskAt(chunk, i, &t, &error, &params)) {
                complain(QStringLiteral("bad tasks message: %1").arg(error));
                return 1;
            }
            tasks.push_back(std::move(t));
        }
        if (int(tasks.size()) > job.tasks) {
            complain(QStringLiteral("sent %1 tasks, the job said %2").arg(tasks.size()).arg(job.tasks));
            return 1;
        }
    }

    auto control = std::make_shared<Control>();
    std::thread(controlLoop, control, std::move(reader.decoder())).detach();

    Outbox outbox;
    LiveLog live;
    // t0 = 0: task times stay absolute monotonic seconds, which the parent shares and rebases.
    RunContext ctx{*spec, job.workers, control->cancel, live, 0.0, nullptr};
    RunRecord record;
    HostPool pool(outbox);
    std::thread runner([&] {
        pool.run(tasks, ctx, record);
        std::lock_guard lock(outbox.mutex);
        outbox.done = true;
        outbox.changed.notify_all();
    });

    // "started" frames as tasks begin (results go out from the pool's threads).
    size_t cursor = 0;
    for (bool done = false; !done;) {
        std::unique_lock lock(outbox.mutex);
        outbox.changed.wait_for(lock, std::chrono::milliseconds(kFlushMs), [&] { return outbox.done; });
        done = outbox.done;
        for (const LiveEvent &e : live.since(&cursor))
            if (e.type == LiveEvent::TaskStarted)
                ipc::appendStartedFrame(outbox.buffer, {e.taskId, e.t, e.cpu});
        outbox.write();
    }
    runner.join();
    // The run is over: CPU and memory once more (an empty results frame), then wait for the
    // parent's bye or EOF, on which the control thread ends the process.
    {
        std::lock_guard lock(outbox.mutex);
        ipc::appendResultsFrame(outbox.buffer, {}, processCpuSeconds(), peakRssKbNow());
        outbox.write();
    }
    {
        std::lock_guard lock(control->mutex);
        control->runDone = true;
        control->changed.notify_all();
    }
    for (;;)
        std::this_thread::sleep_for(std::chrono::seconds(1));
}

} // namespace lab::worker
