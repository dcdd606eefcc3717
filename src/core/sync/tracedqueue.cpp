#include "tracedqueue.h"

#include "tracedcondition.h"

#include <QDir>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lab {

TracedQueue::TracedQueue(int capacity, int primitive, int stallMs)
    : m_capacity(std::max(1, capacity)), m_primitive(primitive), m_stallNs(qint64(stallMs) * 1000000)
{
    syncutil::initMutex(&m_mutex, false);
    syncutil::initCond(&m_notEmpty, false);
    syncutil::initCond(&m_notFull, false);
}

TracedQueue::~TracedQueue()
{
    pthread_cond_destroy(&m_notFull);
    pthread_cond_destroy(&m_notEmpty);
    pthread_mutex_destroy(&m_mutex);
}

// The mutex held: waits on `cond` until `blocked()` is false; Cancelled or Stalled (no put or
// get anywhere for the stall limit) otherwise. The clock is read here, in the slow path only.
template <class Blocked>
QueueStatus TracedQueue::waitWhile(pthread_cond_t *cond, int *waiters, const std::atomic<bool> &cancel, Blocked blocked)
{
    quint64 seenOps = m_ops;
    qint64 seenAt = monotonicNs();
    ++*waiters;
    QueueStatus status = QueueStatus::Ok;
    while (blocked()) {
        if (cancel.load(std::memory_order_relaxed)) {
            status = QueueStatus::Cancelled;
            break;
        }
        const qint64 now = monotonicNs();
        if (m_ops != seenOps) {
            seenOps = m_ops;
            seenAt = now;
        } else if (now - seenAt > m_stallNs) {
            status = QueueStatus::Stalled;
            break;
        }
        syncutil::waitSlice(cond, &m_mutex, syncutil::kSliceMs);
    }
    --*waiters;
    return status;
}

QueueStatus TracedQueue::put(qint64 item, TraceRecorder *rec, const std::atomic<bool> &cancel, ExecHooks *hooks)
{
    const int me = rec ? rec->task() : -1;
    pthread_mutex_lock(&m_mutex);
    qint64 start = 0;
    std::unique_ptr<BlockingSection> guard;
    if (!m_closed && int(m_items.size()) >= m_capacity) {
        // Blocking: the GIL goes first (outside our mutex: its holder may be a getter).
        pthread_mutex_unlock(&m_mutex);
        start = monotonicNs();
        if (hooks)
            guard = std::make_unique<BlockingSection>(*hooks);
        pthread_mutex_lock(&m_mutex);
        const QueueStatus s =
            waitWhile(&m_notFull, &m_putWaiters, cancel, [&] { return !m_closed && int(m_items.size()) >= m_capacity; });
        if (s != QueueStatus::Ok) {
            pthread_mutex_unlock(&m_mutex);
            return s;
        }
    }
    if (m_closed) {
        pthread_mutex_unlock(&m_mutex);
        return QueueStatus::Closed;
    }
    const bool wake = m_getWaiters > 0;
    const bool record = rec && (start || syncutil::sampleThisOne());
    // The put time is for a blocked getter's wake-up latency and for the record; else unread.
    const qint64 now = wake || record ? monotonicNs() : 0;
    m_items.push_back({item, me, wake ? now : 0});
    const int depth = int(m_items.size());
    m_maxDepth = std::max(m_maxDepth, depth);
    ++m_ops;
    const int culprit = m_lastTaker;
    const qint64 taken = m_lastTakeNs;
    pthread_mutex_unlock(&m_mutex);
    if (wake)
        pthread_cond_signal(&m_notEmpty);
    guard.reset();
    if (record) {
        if (start)
            rec->wait(LaneState::QueueFull, m_primitive, start, now, culprit, taken);
        rec->set(m_primitive, now, depth);
    }
    return QueueStatus::Ok;
}

QueueStatus TracedQueue::get(qint64 *item, TraceRecorder *rec, const std::atomic<bool> &cancel, ExecHooks *hooks)
{
    const int me = rec ? rec->task() : -1;
    pthread_mutex_lock(&m_mutex);
    qint64 start = 0;
    std::unique_ptr<BlockingSection> guard;
    if (m_items.empty() && !m_closed) {
        pthread_mutex_unlock(&m_mutex);
        start = monotonicNs();
        if (hooks)
            guard = std::make_unique<BlockingSection>(*hooks);
        pthread_mutex_lock(&m_mutex);
        const QueueStatus s = waitWhile(&m_notEmpty, &m_getWaiters, cancel, [&] { return m_items.empty() && !m_closed; });
        if (s != QueueStatus::Ok) {
            pthread_mutex_unlock(&m_mutex);
            return s;
        }
    }
    if (m_items.empty()) {  // closed and drained
        pthread_mutex_unlock(&m_mutex);
        return QueueStatus::Closed;
    }
    const Item got = m_items.front();
    m_items.pop_front();
    const bool wake = m_putWaiters > 0;
    const bool record = rec && (start || syncutil::sampleThisOne());
    const qint64 now = wake || record ? monotonicNs() : 0;
    const int depth = int(m_items.size());
    m_lastTaker = me;
    m_lastTakeNs = now;
    ++m_ops;
    pthread_mutex_unlock(&m_mutex);
    if (wake)
        pthread_cond_signal(&m_notFull);
    guard.reset();
    *item = got.value;
    if (record) {
        if (start)
            rec->wait(LaneState::QueueEmpty, m_primitive, start, now, got.putter, got.putNs);
        rec->set(m_primitive, now, depth);
    }
    return QueueStatus::Ok;
}

void TracedQueue::close()
{
    pthread_mutex_lock(&m_mutex);
    m_closed = true;
    pthread_mutex_unlock(&m_mutex);
    pthread_cond_broadcast(&m_notEmpty);
    pthread_cond_broadcast(&m_notFull);
}

int TracedQueue::depth() const
{
    auto *m = const_cast<pthread_mutex_t *>(&m_mutex);
    pthread_mutex_lock(m);
    const int d = int(m_items.size());
    pthread_mutex_unlock(m);
    return d;
}

int TracedQueue::maxDepth() const
{
    auto *m = const_cast<pthread_mutex_t *>(&m_mutex);
    pthread_mutex_lock(m);
    const int d = m_maxDepth;
    pthread_mutex_unlock(m);
    return d;
}

// ---- PipeQueue ----

namespace {

struct Record {
    qint64 item;
    qint64 putNs;
    qint32 putter;
    qint32 check;  // ~putter: a torn or foreign record is refused
};
static_assert(sizeof(Record) == PipeQueue::kRecordBytes);
static_assert(sizeof(Record) < PIPE_BUF, "pipe writes of one record must be atomic");

constexpr qint64 kStopItem = -1;

} // namespace

std::unique_ptr<PipeQueue> PipeQueue::create(int capacity, int producers, QString *error)
{
    std::unique_ptr<PipeQueue> q(new PipeQueue);
    q->m_dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/concurrency-lab-queue-XXXXXX"));
    if (!q->m_dir->isValid()) {
        *error = QStringLiteral("cannot create a temporary folder for the queue's pipe: %1").arg(q->m_dir->errorString());
        return {};
    }
    q->m_fifoPath = q->m_dir->filePath(QStringLiteral("queue.fifo"));
    const QByteArray path = q->m_fifoPath.toLocal8Bit();
    if (::mkfifo(path.constData(), 0600) != 0) {
        *error = QStringLiteral("cannot create the queue's named pipe: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return {};
    }
    // The owner keeps the pipe open for the whole run, so it exists (and keeps its size) while
    // tasks come and go; O_RDWR never blocks on a FIFO (Linux).
    q->m_fd = ::open(path.constData(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (q->m_fd < 0) {
        *error = QStringLiteral("cannot open the queue's named pipe: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return {};
    }
    const int wanted = std::max(capacity, 1) * kRecordBytes;
    const int got = ::fcntl(q->m_fd, F_SETPIPE_SZ, wanted);
    const int size = got > 0 ? got : ::fcntl(q->m_fd, F_GETPIPE_SZ);
    q->m_capacityRecords = size > 0 ? size / kRecordBytes : 0;
    QString why;
    q->m_shm = ShmSegment::create(sizeof(Shared), &why);
    if (!q->m_shm.isValid()) {
        *error = QStringLiteral("cannot create the queue's shared memory: %1").arg(why);
        return {};
    }
    q->m_s = new (q->m_shm.data()) Shared;
    q->m_s->lastTaker.store(-1);
    q->m_s->lastTakeNs.store(0);
    q->m_s->ops.store(0);
    q->m_s->getWaiters.store(0);
    q->m_s->putWaiters.store(0);
    q->m_s->producersLeft.store(producers);
    q->m_s->maxDepth.store(0);
    return q;
}

std::unique_ptr<PipeQueue> PipeQueue::open(const QString &fifoPath, const QString &shmName, int primitive, QString *error,
                                           int stallMs)
{
    std::unique_ptr<PipeQueue> q(new PipeQueue);
    q->m_fifoPath = fifoPath;
    q->m_primitive = primitive;
    q->m_stallNs = qint64(stallMs) * 1000000;
    struct stat st;
    const QByteArray path = fifoPath.toLocal8Bit();
    if (::stat(path.constData(), &st) != 0 || !S_ISFIFO(st.st_mode)) {
        *error = QStringLiteral("the queue's named pipe %1 does not exist").arg(fifoPath);
        return {};
    }
    q->m_fd = ::open(path.constData(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (q->m_fd < 0) {
        *error = QStringLiteral("cannot open the queue's named pipe: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return {};
    }
    QString why;
    q->m_shm = ShmSegment::attach(shmName, sizeof(Shared), &why);
    if (!q->m_shm.isValid()) {
        *error = QStringLiteral("cannot attach the queue's shared memory: %1").arg(why);
        return {};
    }
    q->m_s = static_cast<Shared *>(q->m_shm.data());
    const int size = ::fcntl(q->m_fd, F_GETPIPE_SZ);
    q->m_capacityRecords = size > 0 ? size / kRecordBytes : 0;
    return q;
}

PipeQueue::~PipeQueue()
{
    if (m_fd >= 0)
        ::close(m_fd);
    // The owner's QTemporaryDir removes the FIFO and its folder; its ShmSegment unlinks.
}

int PipeQueue::depth() const
{
    int bytes = 0;
    if (::ioctl(m_fd, FIONREAD, &bytes) != 0)
        return -1;
    return bytes / kRecordBytes;
}

int PipeQueue::maxDepth() const
{
    return m_s ? m_s->maxDepth.load() : 0;
}

void PipeQueue::noteDepth(int d)
{
    int seen = m_s->maxDepth.load(std::memory_order_relaxed);
    while (d > seen && !m_s->maxDepth.compare_exchange_weak(seen, d, std::memory_order_relaxed)) {
    }
}

QueueStatus PipeQueue::waitFor(short events, const std::atomic<bool> &cancel, quint64 *seenOps, qint64 *seenAt)
{
    if (cancel.load(std::memory_order_relaxed))
        return QueueStatus::Cancelled;
    const qint64 now = monotonicNs();
    const quint64 ops = m_s->ops.load(std::memory_order_relaxed);
    if (*seenAt == 0 || ops != *seenOps) {
        *seenOps = ops;
        *seenAt = now;
    } else if (now - *seenAt > m_stallNs) {
        return QueueStatus::Stalled;
    }
    pollfd p{m_fd, events, 0};
    ::poll(&p, 1, syncutil::kSliceMs);
    return QueueStatus::Ok;
}

QueueStatus PipeQueue::writeRecord(qint64 item, TraceRecorder *rec, const std::atomic<bool> &cancel)
{
    const int me = rec ? rec->task() : -1;
    qint64 start = 0;
    quint64 seenOps = 0;
    qint64 seenAt = 0;
    for (;;) {
        // The time only for a blocked reader (its wake-up latency), a blocked write or a sample.
        const bool record = rec && (start || syncutil::sampleThisOne());
        const bool stamp = record || m_s->getWaiters.load(std::memory_order_relaxed) > 0;
        Record r{item, stamp ? monotonicNs() : 0, me, ~me};
        const ssize_t n = ::write(m_fd, &r, sizeof r);
        if (n == ssize_t(sizeof r)) {
            m_s->ops.fetch_add(1, std::memory_order_relaxed);
            if (start)
                m_s->putWaiters.fetch_sub(1, std::memory_order_relaxed);
            if (record) {
                const qint64 now = r.putNs;
                const int d = depth();
                noteDepth(d);
                if (start)
                    rec->wait(LaneState::QueueFull, m_primitive, start, now, m_s->lastTaker.load(std::memory_order_relaxed),
                              m_s->lastTakeNs.load(std::memory_order_relaxed));
                rec->set(m_primitive, now, d);
            }
            return QueueStatus::Ok;
        }
        if (n >= 0 || (errno != EAGAIN && errno != EINTR)) {
            if (start)
                m_s->putWaiters.fetch_sub(1, std::memory_order_relaxed);
            return QueueStatus::Broken;  // a partial write cannot happen below PIPE_BUF; anything else is fatal
        }
        if (!start) {
            start = monotonicNs();
            m_s->putWaiters.fetch_add(1, std::memory_order_relaxed);
            noteDepth(m_capacityRecords);  // full
        }
        const QueueStatus s = waitFor(POLLOUT, cancel, &seenOps, &seenAt);
        if (s != QueueStatus::Ok) {
            m_s->putWaiters.fetch_sub(1, std::memory_order_relaxed);
            return s;
        }
    }
}

QueueStatus PipeQueue::put(qint64 item, TraceRecorder *rec, const std::atomic<bool> &cancel)
{
    return writeRecord(item, rec, cancel);
}

QueueStatus PipeQueue::producerDone(int consumers, TraceRecorder *rec, const std::atomic<bool> &cancel)
{
    if (m_s->producersLeft.fetch_sub(1) != 1)
        return QueueStatus::Ok;
    for (int i = 0; i < consumers; ++i) {
        const QueueStatus s = writeRecord(kStopItem, rec, cancel);
        if (s != QueueStatus::Ok)
            return s;
    }
    return QueueStatus::Ok;
}

QueueStatus PipeQueue::get(qint64 *item, TraceRecorder *rec, const std::atomic<bool> &cancel)
{
    const int me = rec ? rec->task() : -1;
    qint64 start = 0;
    quint64 seenOps = 0;
    qint64 seenAt = 0;
    const auto leave = [&](QueueStatus s) {
        if (start)
            m_s->getWaiters.fetch_sub(1, std::memory_order_relaxed);
        return s;
    };
    for (;;) {
        Record r;
        const ssize_t n = ::read(m_fd, &r, sizeof r);
        if (n == ssize_t(sizeof r)) {
            if (r.check != ~r.putter)
                return leave(QueueStatus::Broken);
            m_s->ops.fetch_add(1, std::memory_order_relaxed);
            const bool record = rec && (start || syncutil::sampleThisOne());
            const bool stamp = record || m_s->putWaiters.load(std::memory_order_relaxed) > 0;
            const qint64 now = stamp ? monotonicNs() : 0;
            m_s->lastTaker.store(me, std::memory_order_relaxed);
            m_s->lastTakeNs.store(now, std::memory_order_relaxed);
            if (record) {
                if (start)
                    rec->wait(LaneState::QueueEmpty, m_primitive, start, now, r.putter, r.putNs);
                rec->set(m_primitive, now, depth());
            }
            if (r.item == kStopItem)
                return leave(QueueStatus::Closed);
            *item = r.item;
            return leave(QueueStatus::Ok);
        }
        if (n > 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return leave(QueueStatus::Broken);  // a torn record or a broken pipe: refuse to guess
        if (!start) {
            start = monotonicNs();
            m_s->getWaiters.fetch_add(1, std::memory_order_relaxed);
        }
        const QueueStatus s = waitFor(POLLIN, cancel, &seenOps, &seenAt);
        if (s != QueueStatus::Ok)
            return leave(s);
    }
}

} // namespace lab
