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
    m_lastProgressNs = monotonicNs();
}

TracedQueue::~TracedQueue()
{
    pthread_cond_destroy(&m_notFull);
    pthread_cond_destroy(&m_notEmpty);
    pthread_mutex_destroy(&m_mutex);
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
        while (!m_closed && int(m_items.size()) >= m_capacity) {
            if (cancel.load(std::memory_order_relaxed)) {
                pthread_mutex_unlock(&m_mutex);
                return QueueStatus::Cancelled;
            }
            if (monotonicNs() - m_lastProgressNs > m_stallNs) {
                pthread_mutex_unlock(&m_mutex);
                return QueueStatus::Stalled;
            }
            syncutil::waitSlice(&m_notFull, &m_mutex, syncutil::kSliceMs);
        }
    }
    if (m_closed) {
        pthread_mutex_unlock(&m_mutex);
        return QueueStatus::Closed;
    }
    const qint64 now = monotonicNs();
    m_items.push_back({item, me, now});
    const int depth = int(m_items.size());
    m_maxDepth = std::max(m_maxDepth, depth);
    progressed(now);
    const int culprit = m_lastTaker;
    const qint64 taken = m_lastTakeNs;
    pthread_mutex_unlock(&m_mutex);
    pthread_cond_signal(&m_notEmpty);
    guard.reset();
    if (rec) {
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
        while (m_items.empty() && !m_closed) {
            if (cancel.load(std::memory_order_relaxed)) {
                pthread_mutex_unlock(&m_mutex);
                return QueueStatus::Cancelled;
            }
            if (monotonicNs() - m_lastProgressNs > m_stallNs) {
                pthread_mutex_unlock(&m_mutex);
                return QueueStatus::Stalled;
            }
            syncutil::waitSlice(&m_notEmpty, &m_mutex, syncutil::kSliceMs);
        }
    }
    if (m_items.empty()) {  // closed and drained
        pthread_mutex_unlock(&m_mutex);
        return QueueStatus::Closed;
    }
    const Item got = m_items.front();
    m_items.pop_front();
    const qint64 now = monotonicNs();
    const int depth = int(m_items.size());
    m_lastTaker = me;
    m_lastTakeNs = now;
    progressed(now);
    pthread_mutex_unlock(&m_mutex);
    pthread_cond_signal(&m_notFull);
    guard.reset();
    *item = got.value;
    if (rec) {
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
    q->m_s->lastProgressNs.store(monotonicNs());
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

QueueStatus PipeQueue::writeRecord(qint64 item, TraceRecorder *rec, const std::atomic<bool> &cancel)
{
    const int me = rec ? rec->task() : -1;
    qint64 start = 0;
    for (;;) {
        Record r{item, monotonicNs(), me, ~me};
        const ssize_t n = ::write(m_fd, &r, sizeof r);
        if (n == ssize_t(sizeof r)) {
            const qint64 now = r.putNs;
            m_s->lastProgressNs.store(now, std::memory_order_relaxed);
            const int d = depth();
            int seen = m_s->maxDepth.load(std::memory_order_relaxed);
            while (d > seen && !m_s->maxDepth.compare_exchange_weak(seen, d, std::memory_order_relaxed)) {
            }
            if (rec) {
                if (start)
                    rec->wait(LaneState::QueueFull, m_primitive, start, now, m_s->lastTaker.load(std::memory_order_relaxed),
                              m_s->lastTakeNs.load(std::memory_order_relaxed));
                rec->set(m_primitive, now, d);
            }
            return QueueStatus::Ok;
        }
        if (n >= 0 || (errno != EAGAIN && errno != EINTR))
            return QueueStatus::Broken;  // a partial write cannot happen below PIPE_BUF; anything else is fatal
        if (!start)
            start = monotonicNs();
        if (cancel.load(std::memory_order_relaxed))
            return QueueStatus::Cancelled;
        if (monotonicNs() - m_s->lastProgressNs.load(std::memory_order_relaxed) > m_stallNs)
            return QueueStatus::Stalled;
        pollfd p{m_fd, POLLOUT, 0};
        ::poll(&p, 1, syncutil::kSliceMs);
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
    for (;;) {
        Record r;
        const ssize_t n = ::read(m_fd, &r, sizeof r);
        if (n == ssize_t(sizeof r)) {
            if (r.check != ~r.putter)
                return QueueStatus::Broken;
            const qint64 now = monotonicNs();
            m_s->lastTaker.store(me, std::memory_order_relaxed);
            m_s->lastTakeNs.store(now, std::memory_order_relaxed);
            m_s->lastProgressNs.store(now, std::memory_order_relaxed);
            if (rec) {
                if (start)
                    rec->wait(LaneState::QueueEmpty, m_primitive, start, now, r.putter, r.putNs);
                rec->set(m_primitive, now, depth());
            }
            if (r.item == kStopItem)
                return QueueStatus::Closed;
            *item = r.item;
            return QueueStatus::Ok;
        }
        if (n > 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return QueueStatus::Broken;  // a torn record or a broken pipe: refuse to guess
        if (!start)
            start = monotonicNs();
        if (cancel.load(std::memory_order_relaxed))
            return QueueStatus::Cancelled;
        if (monotonicNs() - m_s->lastProgressNs.load(std::memory_order_relaxed) > m_stallNs)
            return QueueStatus::Stalled;
        pollfd p{m_fd, POLLIN, 0};
        ::poll(&p, 1, syncutil::kSliceMs);
    }
}

} // namespace lab
