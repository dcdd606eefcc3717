#include "convoywork.h"

#include "util/sysinfo.h"
#include "workloads/cpu/cpuwork.h"

#include <QJsonDocument>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstring>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <thread>
#include <unistd.h>

namespace lab {

namespace {

constexpr int kPayload = 64;
constexpr double kCpuGraceS = 0.3;      // a CPU role with no I/O partner stops after this
constexpr double kMeetTimeoutS = 0.3;   // the I/O role waits this long for its CPU partners
constexpr double kStopTimeoutS = 2.0;   // ... and this long for them to stop


struct Counter {
    explicit Counter(std::atomic<int> &c) : m_c(c) { m_c.fetch_add(1); }
    ~Counter() { release(); }
    void release()
    {
        if (!m_released)
            m_c.fetch_sub(1);
        m_released = true;
    }
    std::atomic<int> &m_c;
    bool m_released = false;
};

// Sleeps without the GIL until pred() holds, the timeout passes or cancel.
template<typename Pred>
void waitFor(Pred pred, double timeoutS, const std::atomic<bool> &cancel, ExecHooks &hooks)
{
    const double end = monotonicSeconds() + timeoutS;
    BlockingSection blocking(hooks);
    while (!pred() && monotonicSeconds() < end && !cancel.load())
        std::this_thread::sleep_for(std::chrono::microseconds(200));
}

bool writeAll(int fd, const char *p, int len)
{
    while (len > 0) {
        const ssize_t k = ::send(fd, p, size_t(len), MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        len -= int(k);
    }
    return true;
}

// Reads exactly len bytes; gives up on EOF, error or cancel (polls every 100 ms).
bool readAll(int fd, char *p, int len, const std::atomic<bool> *cancel)
{
    while (len > 0) {
        if (cancel) {
            pollfd pfd{fd, POLLIN, 0};
            const int r = ::poll(&pfd, 1, 100);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return false;
            if (r == 0) {
                if (cancel->load())
                    return false;
                continue;
            }
        }
        const ssize_t k = ::recv(fd, p, size_t(len), 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        len -= int(k);
    }
    return true;
}

QJsonObject phaseJson(std::vector<double> us, int cpuThreads)
{
    QJsonObject o;
    o.insert(QStringLiteral("n"), int(us.size()));
    o.insert(QStringLiteral("cpu_threads"), cpuThreads);
    if (us.empty())
        return o;
    double sum = 0, mx = 0;
    for (double v : us) {
        sum += v;
        mx = std::max(mx, v);
    }
    o.insert(QStringLiteral("p50_us"), std::round(percentile(us, 50) * 10) / 10);
    o.insert(QStringLiteral("p99_us"), std::round(percentile(us, 99) * 10) / 10);
    o.insert(QStringLiteral("mean_us"), std::round(sum / double(us.size()) * 10) / 10);
    o.insert(QStringLiteral("max_us"), std::round(mx * 10) / 10);
    return o;
}

void runCpuRole(const ConvoyTask &task, const std::atomic<bool> &cancel, ExecHooks &hooks, ConvoyBoard &b, TaskResult &r)
{
    Counter active(b.cpuActive);
    const double start = monotonicSeconds();
    const quint64 chunk = std::max<quint64>(task.chunkN, 4096);
    bool seenIo = false;
    bool allVerified = true;
    qint64 chunks = 0;
    while (!cancel.load(std::memory_order_relaxed)) {
        if (b.ioBeside.load() > 0)
            seenIo = true;
        else if (seenIo || monotonicSeconds() - start > kCpuGraceS)
            break;
        const CpuOutcome out = computeSumSquares(chunk, 1, cancel, hooks);
        if (!out.completed)
            break;
        allVerified = allVerified && out.verified;
        ++chunks;
    }
    if (cancel.load()) {
        r.cancelled = true;
        r.error = QStringLiteral("cancelled");
        r.errorCategory = QStringLiteral("cancelled");
        return;
    }
    r.value = QStringLiteral("%1 chunks of n=%2").arg(chunks).arg(chunk);
    r.verified = allVerified;
    r.ok = allVerified;
    if (!allVerified)
        r.error = QStringLiteral("a sum of squares for n=%1 differs from the closed form").arg(chunk);
}

void fail(TaskResult &r, const QString &category, const QString &message)
{
    r.ok = false;
    r.verified = false;
    r.errorCategory = category;
    r.error = message;
}

void runIoRole(const ConvoyTask &task, const std::atomic<bool> &cancel, ExecHooks &hooks, ConvoyBoard &b, TaskResult &r)
{
    Counter beside(b.ioBeside);
    int fds[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        fail(r, QStringLiteral("socket"), QStringLiteral("socketpair failed: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
        return;
    }
    // The peer: echoes every byte back until the other end shuts down. Holds no GIL.
    // Its service time is slept with a timer slack of 1 ns (the default slack, 50 us, would
    // stretch every answer by up to that); it holds no core meanwhile (convoywork.h).
    std::thread echo([fd = fds[1], serviceUs = std::max(0, task.echoUs)] {
        ::prctl(PR_SET_TIMERSLACK, 1UL);
        char buf[kPayload];
        for (;;) {
            const ssize_t k = ::recv(fd, buf, sizeof buf, 0);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            if (serviceUs > 0) {
                // Seconds apart: a nanosecond field of 1e9 or more (echo_us up to 1,000,000) is EINVAL.
                timespec ts{serviceUs / 1'000'000, long(serviceUs % 1'000'000) * 1000};
                while (::clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
                }
            }
            if (!writeAll(fd, buf, int(k)))
                break;
        }
    });
    const int fd = fds[0];
    bool good = true;
    auto roundTrips = [&](std::vector<double> &lat) {
        char out[kPayload], in[kPayload];
        for (int i = 0; i < task.roundTrips && good && !cancel.load(std::memory_order_relaxed); ++i) {
            std::memset(out, 'a' + i % 26, sizeof out);
            const double t0 = monotonicSeconds();
            {
                BlockingSection blocking(hooks);
                good = writeAll(fd, out, kPayload);
            }
            if (good) {
                BlockingSection blocking(hooks);
                good = readAll(fd, in, kPayload, &cancel);
            }
            const double t1 = monotonicSeconds();
            if (good && std::memcmp(in, out, kPayload) != 0)
                good = false;
            if (good)
                lat.push_back((t1 - t0) * 1e6);
        }
    };

    const int expected = std::max(0, task.cpuThreads);
    waitFor([&] { return b.cpuActive.load() >= expected; }, kMeetTimeoutS, cancel, hooks);
    const int cpuAtStart = b.cpuActive.load();
    std::vector<double> besideUs, aloneUs;
    besideUs.reserve(size_t(task.roundTrips));
    aloneUs.reserve(size_t(task.roundTrips));
    roundTrips(besideUs);
    const int cpuAtEnd = b.cpuActive.load();
    beside.release();
    waitFor([&] { return b.cpuActive.load() == 0; }, kStopTimeoutS, cancel, hooks);
    const int cpuAlone = b.cpuActive.load();
    roundTrips(aloneUs);

    ::shutdown(fd, SHUT_RDWR);
    echo.join();
    ::close(fds[0]);
    ::close(fds[1]);

    if (cancel.load()) {
        r.cancelled = true;
        r.error = QStringLiteral("cancelled");
        r.errorCategory = QStringLiteral("cancelled");
        return;
    }
    if (!good) {
        fail(r, QStringLiteral("socket"), QStringLiteral("a socketpair round trip failed or echoed wrong bytes"));
        return;
    }
    QJsonObject v;
    v.insert(QStringLiteral("beside"), phaseJson(besideUs, std::min(cpuAtStart, cpuAtEnd)));
    v.insert(QStringLiteral("alone"), phaseJson(aloneUs, cpuAlone));
    r.value = QString::fromUtf8(QJsonDocument(v).toJson(QJsonDocument::Compact));
    r.bytes = qint64(besideUs.size() + aloneUs.size()) * kPayload * 2;
    r.ok = true;
    r.verified = true;
}

} // namespace

void runConvoyTask(const ConvoyTask &task, const std::atomic<bool> &cancel, ExecHooks &hooks, ConvoyBoard &board,
                   TaskResult &result)
{
    if (task.roundTrips > 0)
        runIoRole(task, cancel, hooks, board, result);
    else
        runCpuRole(task, cancel, hooks, board, result);
}

} // namespace lab
