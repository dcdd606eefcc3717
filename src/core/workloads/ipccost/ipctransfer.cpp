#include "ipctransfer.h"

#include "trace/statetrace.h"

#include <QScopeGuard>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace lab {

namespace {

constexpr int kPollMs = 50;                           // a cancel is seen within this
constexpr qint64 kStallNs = 30LL * 1000 * 1000 * 1000;  // a partner silent this long has hung
// How long a waiter on the slot spins before it sleeps on the futex: longer than a round trip
// of two spinning parties (well under a microsecond), shorter than a wake-up from sleep (5-50 µs
// on this kind of VM, and the larger part of a round trip when both sides sleep).
constexpr qint64 kSpinNs = 20'000;

// Sent back for every message: its sequence number (the first 8 bytes that arrived) and the
// checksum of all that arrived.
struct Ack {
    std::uint64_t seq = 0;
    std::uint64_t sum = 0;
};

// 64 KiB of pattern, repeated: cheap to make for 64 MiB, and no two nearby words alike.
void fillPattern(unsigned char *p, std::size_t n)
{
    constexpr std::size_t kTile = 64 * 1024;
    for (std::size_t i = 0; i < std::min(n, kTile); ++i)
        p[i] = static_cast<unsigned char>(i * 131 + (i >> 11) * 7 + 29);
    for (std::size_t i = kTile; i < n; i += kTile)
        std::memcpy(p + i, p, std::min(kTile, n - i));
}

// The checksum of the pattern with its first word replaced by a sequence number, without
// summing the whole payload again: the first word counts once in a and `words` times in b.
struct Expectation {
    IpcSum base;
    std::uint64_t word0 = 0;
    std::uint64_t words = 0;

    Expectation(const unsigned char *pattern, std::size_t n)
        : base(ipcChecksum(pattern, n)), words((n + 7) / 8)
    {
        std::memcpy(&word0, pattern, sizeof word0);
    }
    std::uint64_t sumFor(std::uint64_t seq) const
    {
        IpcSum s = base;
        s.a = s.a - word0 + seq;
        s.b = s.b + words * (seq - word0);
        return s.value();
    }
};

// An anonymous mapping (private for buffers, shared for the slot the partner sees after fork):
// no malloc in the child, and no exception for a size the machine cannot give.
class Mapping {
public:
    Mapping(std::size_t bytes, bool shared) : m_bytes(bytes)
    {
        void *p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS,
                         -1, 0);
        m_p = p == MAP_FAILED ? nullptr : static_cast<unsigned char *>(p);
    }
    ~Mapping()
    {
        if (m_p)
            ::munmap(m_p, m_bytes);
    }
    Mapping(const Mapping &) = delete;
    Mapping &operator=(const Mapping &) = delete;
    unsigned char *data() const { return m_p; }

private:
    unsigned char *m_p = nullptr;
    std::size_t m_bytes = 0;
};

class Fd {
public:
    Fd() = default;
    ~Fd() { reset(); }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    void reset(int fd = -1)
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = fd;
    }
    int get() const { return m_fd; }

private:
    int m_fd = -1;
};

void becomeOrphanProof(pid_t parent);

// The forked partner: killed and reaped when this goes out of scope, whatever happened.
class Partner {
public:
    ~Partner() { reap(); }
    // Forks the partner, which dies with this process, runs body(parent) (async-signal-safe
    // calls only: the parent may have threads) and exits; false and m.error when fork failed.
    template <typename Body>
    bool start(IpcMeasurement &m, Body body)
    {
        const pid_t parent = ::getpid();
        const pid_t pid = ::fork();
        if (pid < 0) {
            m.error = QStringLiteral("fork failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return false;
        }
        if (pid == 0) {
            becomeOrphanProof(parent);
            body(parent);
            ::_exit(0);
        }
        m_pid = pid;
        return true;
    }
    pid_t pid() const { return m_pid; }
    void reap()
    {
        if (m_pid <= 0)
            return;
        ::kill(m_pid, SIGKILL);
        int status = 0;
        while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
        }
        m_pid = -1;
    }
    // Empty while it runs; else how it ended (it is then reaped).
    QString ended()
    {
        if (m_pid <= 0)
            return {};
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) != m_pid)
            return {};
        m_pid = -1;
        if (WIFSIGNALED(status))
            return QStringLiteral("the partner process was killed by signal %1 (%2)")
                .arg(WTERMSIG(status))
                .arg(QString::fromLatin1(strsignal(WTERMSIG(status))));
        return QStringLiteral("the partner process exited with code %1").arg(WEXITSTATUS(status));
    }

private:
    pid_t m_pid = -1;
};

// A write to a pipe whose reader died raises SIGPIPE in the writing thread, which would end the
// whole app: blocked here (EPIPE instead), and a pending one is taken before the mask returns.
class SigpipeBlock {
public:
    SigpipeBlock()
    {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &s, &m_old);
    }
    ~SigpipeBlock()
    {
        sigset_t pending;
        sigemptyset(&pending);
        if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
            sigset_t s;
            sigemptyset(&s);
            sigaddset(&s, SIGPIPE);
            const timespec zero{0, 0};
            sigtimedwait(&s, nullptr, &zero);
        }
        pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
    }
    SigpipeBlock(const SigpipeBlock &) = delete;
    SigpipeBlock &operator=(const SigpipeBlock &) = delete;

private:
    sigset_t m_old;
};

inline void cpuRelax()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// --- the slot in shared memory -------------------------------------------------------------
// Lock-free 32-bit atomics work across processes on one mapping; the futex word is the atomic
// itself (not FUTEX_PRIVATE: the partner is another process).
struct ShmSlot {
    // parent -> partner: slices filled so far, over all messages (a message is ceil(n / kSliceBytes)
    // slices, so the partner sums slice k while the parent copies slice k + 1)
    alignas(64) std::atomic<std::uint32_t> seq{0};
    std::atomic<std::uint32_t> partnerSleeping{0};
    alignas(64) std::atomic<std::uint32_t> ack{0};   // partner -> parent: the message checked
    std::atomic<std::uint32_t> parentSleeping{0};
    std::uint64_t echoSeq = 0;                       // written before ack (release)
    std::uint64_t sum = 0;
    std::atomic<std::uint32_t> quit{0};
};
constexpr std::size_t kSlotBytes = 4096;  // the payload starts page-aligned after the slot
constexpr std::size_t kSliceBytes = 256 * 1024;  // a multiple of 8: the checksum continues across slices
static_assert(sizeof(ShmSlot) <= kSlotBytes);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

long futex(std::atomic<std::uint32_t> *word, int op, std::uint32_t value, const timespec *timeout)
{
    return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(word), op, value, timeout, nullptr, 0);
}

// Spins up to kSpinNs, then sleeps on the futex; returns the word's value (== old after timeoutMs).
// Async-signal-safe: the forked partner uses it too. The sleeping flag and the word are both
// seq_cst, so either the waker sees the flag or the waiter sees the new value.
std::uint32_t awaitChange(std::atomic<std::uint32_t> &word, std::uint32_t old, std::atomic<std::uint32_t> &sleeping,
                          int timeoutMs)
{
    const qint64 spinUntil = monotonicNs() + kSpinNs;  // clock_gettime: async-signal-safe
    for (int i = 1;; ++i) {
        const std::uint32_t v = word.load(std::memory_order_acquire);
        if (v != old)
            return v;
        cpuRelax();
        if (i % 64 == 0 && monotonicNs() >= spinUntil)
            break;
    }
    sleeping.store(1);
    std::uint32_t v = word.load();
    if (v == old) {
        const timespec ts{timeoutMs / 1000, long(timeoutMs % 1000) * 1000000L};
        futex(&word, FUTEX_WAIT, old, &ts);
        v = word.load(std::memory_order_acquire);
    }
    sleeping.store(0, std::memory_order_relaxed);
    return v;
}

void publish(std::atomic<std::uint32_t> &word, std::uint32_t value, std::atomic<std::uint32_t> &sleeping)
{
    word.store(value);
    if (sleeping.load())
        futex(&word, FUTEX_WAKE, 1, nullptr);
}

// --- the partner processes: after fork() only async-signal-safe calls ------------------------
void becomeOrphanProof(pid_t parent)
{
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
        ::_exit(3);
}

[[noreturn]] void fdPartner(int in, int out, unsigned char *buf, std::size_t n, qint64 corrupt)
{
    for (qint64 index = 0;; ++index) {
        std::size_t got = 0;
        while (got < n) {
            const ssize_t r = ::read(in, buf + got, n - got);
            if (r > 0)
                got += std::size_t(r);
            else if (r < 0 && errno == EINTR)
                continue;
            else
                ::_exit(0);  // the parent closed its end (or it failed): done
        }
        if (index == corrupt)
            buf[n / 2] ^= 0x40;
        Ack ack;
        std::memcpy(&ack.seq, buf, sizeof ack.seq);
        ack.sum = ipcChecksum(buf, n).value();
        const auto *p = reinterpret_cast<const unsigned char *>(&ack);
        std::size_t sent = 0;
        while (sent < sizeof ack) {
            const ssize_t w = ::write(out, p + sent, sizeof ack - sent);
            if (w > 0)
                sent += std::size_t(w);
            else if (w < 0 && errno == EINTR)
                continue;
            else
                ::_exit(1);
        }
    }
}

// The partner's side of the slot: sums each message's slices as they are filled, then
// acknowledges the message. Returns on quit, or (a forked partner: parent > 0) when the parent
// is gone. Async-signal-safe, as the forked partner needs.
void slotPartner(ShmSlot *slot, unsigned char *data, std::size_t n, qint64 corrupt, pid_t parent)
{
    const std::uint32_t slices = std::uint32_t((n + kSliceBytes - 1) / kSliceBytes);
    std::uint32_t done = 0;  // slices summed, over all messages
    for (qint64 index = 0;; ++index) {
        IpcSum sum;
        for (std::uint32_t k = 0; k < slices;) {
            const std::uint32_t filled = awaitChange(slot->seq, done, slot->partnerSleeping, 100);
            if (slot->quit.load())
                return;
            if (filled == done) {
                if (parent > 0 && ::getppid() != parent)
                    return;
                continue;
            }
            // every slice filled so far that belongs to this message
            for (; done != filled && k < slices; ++done, ++k) {
                const std::size_t lo = std::size_t(k) * kSliceBytes;
                const std::size_t len = std::min(kSliceBytes, n - lo);
                if (index == corrupt && lo <= n / 2 && n / 2 < lo + len)
                    data[n / 2] ^= 0x40;
                sum = ipcChecksum(sum, data + lo, len);
            }
        }
        std::memcpy(&slot->echoSeq, data, sizeof slot->echoSeq);
        slot->sum = sum.value();
        publish(slot->ack, std::uint32_t(index + 1), slot->parentSleeping);
    }
}

// --- the parent's side --------------------------------------------------------------------
enum class Io { Ok, Cancelled, Failed };

Io writeAll(int fd, const unsigned char *p, std::size_t n, bool isSocket, const std::atomic<bool> &cancel,
            QString *error)
{
    std::size_t done = 0;
    qint64 lastProgress = monotonicNs();
    while (done < n) {
        if (cancel.load(std::memory_order_relaxed))
            return Io::Cancelled;
        const ssize_t w = isSocket ? ::send(fd, p + done, n - done, MSG_NOSIGNAL) : ::write(fd, p + done, n - done);
        if (w > 0) {
            done += std::size_t(w);
            lastProgress = monotonicNs();
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (monotonicNs() - lastProgress > kStallNs) {
                *error = QStringLiteral("the partner process took nothing for 30 s");
                return Io::Failed;
            }
            pollfd pfd{fd, POLLOUT, 0};
            ::poll(&pfd, 1, kPollMs);
            continue;
        }
        *error = errno == EPIPE ? QStringLiteral("the partner process closed its end")
                                : QStringLiteral("write failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return Io::Failed;
    }
    return Io::Ok;
}

Io readAll(int fd, unsigned char *p, std::size_t n, const std::atomic<bool> &cancel, QString *error)
{
    std::size_t done = 0;
    qint64 lastProgress = monotonicNs();
    while (done < n) {
        const ssize_t r = ::read(fd, p + done, n - done);
        if (r > 0) {
            done += std::size_t(r);
            lastProgress = monotonicNs();
            continue;
        }
        if (r == 0) {
            *error = QStringLiteral("the partner process closed its end");
            return Io::Failed;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (cancel.load(std::memory_order_relaxed))
                return Io::Cancelled;
            if (monotonicNs() - lastProgress > kStallNs) {
                *error = QStringLiteral("the partner process answered nothing for 30 s");
                return Io::Failed;
            }
            pollfd pfd{fd, POLLIN, 0};
            ::poll(&pfd, 1, kPollMs);
            continue;
        }
        *error = QStringLiteral("read failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return Io::Failed;
    }
    return Io::Ok;
}

void setNonBlocking(int fd)
{
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Checks one acknowledgement against what was sent; false (and *error) when it differs.
bool checkAck(const Ack &ack, std::uint64_t seq, const Expectation &expect, IpcMeasurement &m)
{
    m.expectedSum += expect.sumFor(seq);
    m.actualSum += ack.sum;
    if (ack.seq != seq) {
        m.error = QStringLiteral("message %1 came back as number %2: out of order").arg(seq - 1).arg(ack.seq - 1);
        return false;
    }
    if (ack.sum != expect.sumFor(seq)) {
        m.error = QStringLiteral("message %1 arrived with a different checksum: bytes changed on the way").arg(seq - 1);
        return false;
    }
    return true;
}

// The timing both loops share: message 0 is an untimed warm-up (page faults, first wake-ups).
struct Clock {
    qint64 t0 = 0;
    void sent(std::uint64_t seq, IpcMeasurement &m, std::size_t n)
    {
        if (seq == 1)
            t0 = monotonicNs();
        else {
            ++m.messages;
            m.bytes += qint64(n);
            m.seconds = double(monotonicNs() - t0) / 1e9;
        }
    }
};

void finishWith(Io io, const QString &why, Partner *partner, IpcMeasurement &m)
{
    if (io == Io::Cancelled) {
        m.cancelled = true;
        m.error = QStringLiteral("cancelled");
        return;
    }
    const QString ended = partner ? partner->ended() : QString();
    m.error = ended.isEmpty() ? why : why + QStringLiteral(" (") + ended + QLatin1Char(')');
}

void runFd(const IpcRequest &req, const std::atomic<bool> &cancel, IpcMeasurement &m)
{
    const std::size_t n = std::size_t(req.payloadBytes);
    const bool isSocket = req.transport == IpcTransport::Socket;
    Mapping src(n, false), rbuf(n, false);
    if (!src.data() || !rbuf.data()) {
        m.error = QStringLiteral("cannot map two buffers of %1 bytes").arg(n);
        return;
    }
    fillPattern(src.data(), n);
    const Expectation expect(src.data(), n);

    // parentOut/partnerIn carry the payload, partnerOut/parentIn the acknowledgements.
    Fd parentOut, parentIn, partnerIn, partnerOut;
    if (isSocket) {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            m.error = QStringLiteral("socketpair failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return;
        }
        const int parentEnd = ::dup(sv[0]);
        parentOut.reset(sv[0]);
        parentIn.reset(parentEnd);
        partnerIn.reset(sv[1]);
        partnerOut.reset(::dup(sv[1]));
        ::fcntl(parentIn.get(), F_SETFD, FD_CLOEXEC);
        ::fcntl(partnerOut.get(), F_SETFD, FD_CLOEXEC);
    } else {
        int data[2], ack[2];
        if (::pipe2(data, O_CLOEXEC) != 0) {
            m.error = QStringLiteral("pipe failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return;
        }
        partnerIn.reset(data[0]);
        parentOut.reset(data[1]);
        if (::pipe2(ack, O_CLOEXEC) != 0) {
            m.error = QStringLiteral("pipe failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return;
        }
        parentIn.reset(ack[0]);
        partnerOut.reset(ack[1]);
    }
    if (parentIn.get() < 0 || partnerOut.get() < 0) {
        m.error = QStringLiteral("dup failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return;
    }
    setNonBlocking(parentOut.get());
    setNonBlocking(parentIn.get());

    const SigpipeBlock noSigpipe;
    Partner partner;
    if (!partner.start(m, [&](pid_t) {
            ::close(parentOut.get());
            ::close(parentIn.get());
            fdPartner(partnerIn.get(), partnerOut.get(), rbuf.data(), n, req.corruptMessage);
        }))
        return;
    partnerIn.reset();
    partnerOut.reset();

    Clock clock;
    const std::uint64_t total = std::uint64_t(req.messages) + 1;
    for (std::uint64_t seq = 1; seq <= total; ++seq) {
        std::memcpy(src.data(), &seq, sizeof seq);
        QString why;
        Io io = writeAll(parentOut.get(), src.data(), n, isSocket, cancel, &why);
        Ack ack;
        if (io == Io::Ok)
            io = readAll(parentIn.get(), reinterpret_cast<unsigned char *>(&ack), sizeof ack, cancel, &why);
        if (io != Io::Ok) {
            finishWith(io, why, &partner, m);
            return;
        }
        if (!checkAck(ack, seq, expect, m))
            return;
        clock.sent(seq, m, n);
    }
    m.ok = true;
}

// Shared memory (the partner a forked process) and two threads (the partner a thread): the same
// slot and the same hand-over (spin, then futex), so the two differ only in thread vs process.
// The sender copies each message into the shared buffer slice by slice; the partner sums the
// slices filled so far while the next is copied.
void runSlot(const IpcRequest &req, const std::atomic<bool> &cancel, IpcMeasurement &m, bool process)
{
    const std::size_t n = std::size_t(req.payloadBytes);
    Mapping src(n, false), shared(kSlotBytes + n, true);
    if (!src.data() || !shared.data()) {
        m.error = QStringLiteral("cannot map %1 bytes of shared memory").arg(kSlotBytes + n);
        return;
    }
    fillPattern(src.data(), n);
    const Expectation expect(src.data(), n);
    auto *slot = new (shared.data()) ShmSlot;
    unsigned char *data = shared.data() + kSlotBytes;

    Partner partner;
    std::thread thread;
    // Last out: tells a thread partner to quit and joins it (a process partner is killed by `partner`).
    const auto stopThread = qScopeGuard([&] {
        if (!thread.joinable())
            return;
        slot->quit.store(1);
        futex(&slot->seq, FUTEX_WAKE, 1, nullptr);
        thread.join();
    });
    if (process) {
        if (!partner.start(m, [&](pid_t parent) { slotPartner(slot, data, n, req.corruptMessage, parent); }))
            return;
    } else {
        thread = std::thread(slotPartner, slot, data, n, req.corruptMessage, pid_t(0));
    }

    Clock clock;
    const std::uint64_t total = std::uint64_t(req.messages) + 1;
    std::uint32_t filled = 0;
    for (std::uint64_t seq = 1; seq <= total; ++seq) {
        for (std::size_t lo = 0; lo < n; lo += kSliceBytes) {
            if (cancel.load(std::memory_order_relaxed)) {
                slot->quit.store(1);
                finishWith(Io::Cancelled, {}, nullptr, m);
                return;
            }
            std::memcpy(data + lo, src.data() + lo, std::min(kSliceBytes, n - lo));
            if (lo == 0)
                std::memcpy(data, &seq, sizeof seq);
            publish(slot->seq, ++filled, slot->partnerSleeping);
        }
        const std::uint32_t before = std::uint32_t(seq - 1);
        qint64 since = monotonicNs();
        for (;;) {
            const std::uint32_t v = awaitChange(slot->ack, before, slot->parentSleeping, kPollMs);
            if (v == std::uint32_t(seq))
                break;
            if (v != before) {
                m.error = QStringLiteral("message %1: the partner acknowledged number %2").arg(seq - 1).arg(v - 1);
                return;
            }
            if (cancel.load(std::memory_order_relaxed)) {
                slot->quit.store(1);
                finishWith(Io::Cancelled, {}, nullptr, m);
                return;
            }
            const QString ended = partner.ended();
            if (!ended.isEmpty()) {
                m.error = ended + QStringLiteral(" before acknowledging message %1").arg(seq - 1);
                return;
            }
            if (monotonicNs() - since > kStallNs) {
                m.error = QStringLiteral("the partner process answered nothing for 30 s");
                return;
            }
        }
        if (!checkAck(Ack{slot->echoSeq, slot->sum}, seq, expect, m))
            return;
        clock.sent(seq, m, n);
        if (cancel.load(std::memory_order_relaxed)) {
            finishWith(Io::Cancelled, {}, nullptr, m);
            return;
        }
    }
    slot->quit.store(1);
    m.ok = true;
}

} // namespace

std::optional<IpcTransport> ipcTransportFromName(const QString &name)
{
    if (name == QLatin1String("thread"))
        return IpcTransport::Thread;
    if (name == QLatin1String("pipe"))
        return IpcTransport::Pipe;
    if (name == QLatin1String("socket"))
        return IpcTransport::Socket;
    if (name == QLatin1String("shm"))
        return IpcTransport::SharedMemory;
    return std::nullopt;
}

QString ipcTransportName(IpcTransport t)
{
    switch (t) {
    case IpcTransport::Thread: return QStringLiteral("thread");
    case IpcTransport::Pipe: return QStringLiteral("pipe");
    case IpcTransport::Socket: return QStringLiteral("socket");
    case IpcTransport::SharedMemory: return QStringLiteral("shm");
    }
    return {};
}

IpcSum ipcChecksum(const unsigned char *p, std::size_t n) noexcept
{
    return ipcChecksum(IpcSum{}, p, n);
}

IpcSum ipcChecksum(IpcSum s, const unsigned char *p, std::size_t n) noexcept
{
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        s.a += w;
        s.b += s.a;
    }
    if (i < n) {
        std::uint64_t w = 0;
        std::memcpy(&w, p + i, n - i);
        s.a += w;
        s.b += s.a;
    }
    return s;
}

IpcMeasurement measureIpc(const IpcRequest &request, const std::atomic<bool> &cancel)
{
    IpcMeasurement m;
    if (request.payloadBytes < 8 || request.messages < 1) {
        m.error = request.payloadBytes < 8 ? QStringLiteral("the payload must be at least 8 bytes")
                                           : QStringLiteral("at least one message is needed");
        return m;
    }
    switch (request.transport) {
    case IpcTransport::Thread: runSlot(request, cancel, m, false); break;
    case IpcTransport::Pipe:
    case IpcTransport::Socket: runFd(request, cancel, m); break;
    case IpcTransport::SharedMemory: runSlot(request, cancel, m, true); break;
    }
    return m;
}

} // namespace lab
