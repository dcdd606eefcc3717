#include "tracedlock.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <immintrin.h>
#include <sched.h>

namespace lab {

namespace {

constexpr qint64 kSliceNs = 1000000;  // a timed wait looks at cancel and the watchdog this often
constexpr int kSpinsBeforeYield = 2000;

void enterSlowPath(LockInfo &info, int task)
{
    info.waiting.fetch_add(1);
    if (task >= 0 && task < 64)
        info.waiterMask.fetch_or(quint64(1) << task);
}

void leaveSlowPath(LockInfo &info, int task)
{
    if (task >= 0 && task < 64)
        info.waiterMask.fetch_and(~(quint64(1) << task));
    info.waiting.fetch_sub(1);
}

// The caller has just taken the lock after blocking since startNs. The lock's acquire ordered
// the previous holder's release stores before these loads, so releasedBy is whoever let go last.
qint64 recordBlocked(LockInfo &info, int task, TraceTarget where, qint64 startNs)
{
    const qint64 endNs = monotonicNs();
    info.holder.store(task, std::memory_order_relaxed);
    if (!where.recorder)
        return endNs - startNs;
    const int culprit = info.releasedBy.load(std::memory_order_relaxed);
    qint64 released = info.releasedAtNs.load(std::memory_order_relaxed);
    if (released < startNs || released > endNs)
        released = 0;  // stamped before we waited (we raced the releaser's check): unknown
    where.recorder->wait(LaneState::Lock, where.primitive, startNs, endNs, culprit, released);
    where.recorder->set(where.primitive, endNs, task);
    return endNs - startNs;
}

void recordGaveUp(TraceTarget where, qint64 startNs)
{
    if (where.recorder)
        where.recorder->wait(LaneState::Lock, where.primitive, startNs, monotonicNs());
}

// Before the lock is let go: the next holder reads these after its own acquire.
void noteRelease(LockInfo &info, int task)
{
    info.holder.store(-1, std::memory_order_relaxed);
    info.releasedBy.store(task, std::memory_order_relaxed);
    // The clock costs ~20 ns: only read it when a waiter will want the wake latency.
    if (info.waiting.load(std::memory_order_relaxed) > 0)
        info.releasedAtNs.store(monotonicNs(), std::memory_order_relaxed);
}

bool stopRequested(const std::atomic<bool> *cancel, const std::atomic<bool> *giveUp)
{
    return (cancel && cancel->load(std::memory_order_relaxed)) || (giveUp && giveUp->load(std::memory_order_relaxed));
}

timespec toTimespec(qint64 ns)
{
    timespec ts;
    ts.tv_sec = time_t(ns / 1000000000);
    ts.tv_nsec = long(ns % 1000000000);
    return ts;
}

} // namespace

// ---- TracedMutex ----

qint64 TracedMutex::lock(int task, TraceTarget where)
{
    if (m_mutex.try_lock()) {
        m_info.holder.store(task, std::memory_order_relaxed);
        return 0;
    }
    const qint64 start = monotonicNs();
    enterSlowPath(m_info, task);
    m_mutex.lock();
    leaveSlowPath(m_info, task);
    return recordBlocked(m_info, task, where, start);
}

void TracedMutex::unlock(int task)
{
    noteRelease(m_info, task);
    m_mutex.unlock();
}

// ---- TracedSpinlock ----

qint64 TracedSpinlock::lock(int task, TraceTarget where)
{
    if (!m_flag.test_and_set(std::memory_order_acquire)) {
        m_info.holder.store(task, std::memory_order_relaxed);
        return 0;
    }
    const qint64 start = monotonicNs();
    enterSlowPath(m_info, task);
    int spins = 0;
    for (;;) {
        // Read-only spinning keeps the cache line shared until the holder lets go.
        while (m_flag.test(std::memory_order_relaxed)) {
            _mm_pause();
            if (++spins >= kSpinsBeforeYield) {
                sched_yield();  // the holder may be preempted on this very core
                spins = 0;
            }
        }
        if (!m_flag.test_and_set(std::memory_order_acquire))
            break;
    }
    leaveSlowPath(m_info, task);
    return recordBlocked(m_info, task, where, start);
}

void TracedSpinlock::unlock(int task)
{
    noteRelease(m_info, task);
    m_flag.clear(std::memory_order_release);
}

// ---- SharedMutex ----

bool SharedMutex::init(QString *error)
{
    pthread_mutexattr_t attr;
    int rc = pthread_mutexattr_init(&attr);
    if (rc == 0)
        rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (rc == 0)
        rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    if (rc == 0)
        rc = pthread_mutex_init(&m_mutex, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc != 0 && error)
        *error = QStringLiteral("cannot create a process-shared mutex: %1").arg(QString::fromLocal8Bit(std::strerror(rc)));
    return rc == 0;
}

void SharedMutex::destroy()
{
    pthread_mutex_destroy(&m_mutex);
}

LockResult SharedMutex::lock(int task, TraceTarget where)
{
    const int rc = pthread_mutex_trylock(&m_mutex);
    if (rc == 0) {
        m_info.holder.store(task, std::memory_order_relaxed);
        return LockResult::Acquired;
    }
    if (rc == EOWNERDEAD) {
        pthread_mutex_consistent(&m_mutex);
        m_info.holder.store(task, std::memory_order_relaxed);
        return LockResult::OwnerDied;
    }
    if (rc != EBUSY)
        return LockResult::Failed;
    return slowPath(task, where, 0, nullptr, nullptr);
}

LockResult SharedMutex::lockUntil(int task, TraceTarget where, qint64 deadlineNs, const std::atomic<bool> *cancel,
                                  const std::atomic<bool> *giveUp)
{
    const int rc = pthread_mutex_trylock(&m_mutex);
    if (rc == 0) {
        m_info.holder.store(task, std::memory_order_relaxed);
        return LockResult::Acquired;
    }
    if (rc == EOWNERDEAD) {
        pthread_mutex_consistent(&m_mutex);
        m_info.holder.store(task, std::memory_order_relaxed);
        return LockResult::OwnerDied;
    }
    if (rc != EBUSY)
        return LockResult::Failed;
    return slowPath(task, where, std::max<qint64>(deadlineNs, 1), cancel, giveUp);
}

// deadlineNs 0: no deadline, but still in slices when cancel or giveUp are given.
LockResult SharedMutex::slowPath(int task, TraceTarget where, qint64 deadlineNs, const std::atomic<bool> *cancel,
                                 const std::atomic<bool> *giveUp)
{
    const qint64 start = monotonicNs();
    enterSlowPath(m_info, task);
    LockResult result = LockResult::Failed;
    if (deadlineNs == 0 && !cancel && !giveUp) {
        const int rc = pthread_mutex_lock(&m_mutex);
        if (rc == EOWNERDEAD)
            pthread_mutex_consistent(&m_mutex);
        result = rc == 0 ? LockResult::Acquired : rc == EOWNERDEAD ? LockResult::OwnerDied : LockResult::Failed;
    } else {
        for (;;) {
            const qint64 now = monotonicNs();
            if (stopRequested(cancel, giveUp) || (deadlineNs > 0 && now >= deadlineNs)) {
                result = LockResult::TimedOut;
                break;
            }
            const qint64 until = deadlineNs > 0 ? std::min(deadlineNs, now + kSliceNs) : now + kSliceNs;
            const timespec ts = toTimespec(until);
            const int rc = pthread_mutex_clocklock(&m_mutex, CLOCK_MONOTONIC, &ts);
            if (rc == 0 || rc == EOWNERDEAD) {
                if (rc == EOWNERDEAD)
                    pthread_mutex_consistent(&m_mutex);
                result = rc == 0 ? LockResult::Acquired : LockResult::OwnerDied;
                break;
            }
            if (rc != ETIMEDOUT && rc != EINTR) {
                result = LockResult::Failed;
                break;
            }
        }
    }
    leaveSlowPath(m_info, task);
    if (result == LockResult::Acquired || result == LockResult::OwnerDied)
        recordBlocked(m_info, task, where, start);
    else
        recordGaveUp(where, start);
    return result;
}

void SharedMutex::unlock(int task)
{
    noteRelease(m_info, task);
    pthread_mutex_unlock(&m_mutex);
}

// ---- TracedTimedMutex ----

LockResult TracedTimedMutex::lockUntil(int task, TraceTarget where, qint64 deadlineNs, const std::atomic<bool> *cancel,
                                       const std::atomic<bool> *giveUp)
{
    if (m_mutex.try_lock()) {
        m_info.holder.store(task, std::memory_order_relaxed);
        return LockResult::Acquired;
    }
    const qint64 start = monotonicNs();
    enterSlowPath(m_info, task);
    bool got = false;
    for (;;) {
        const qint64 now = monotonicNs();
        if (stopRequested(cancel, giveUp) || now >= deadlineNs)
            break;
        // steady_clock is CLOCK_MONOTONIC in libstdc++, the clock of deadlineNs.
        const qint64 until = std::min(deadlineNs, now + kSliceNs);
        if (m_mutex.try_lock_until(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(until)))) {
            got = true;
            break;
        }
    }
    leaveSlowPath(m_info, task);
    if (got) {
        recordBlocked(m_info, task, where, start);
        return LockResult::Acquired;
    }
    recordGaveUp(where, start);
    return LockResult::TimedOut;
}

void TracedTimedMutex::unlock(int task)
{
    noteRelease(m_info, task);
    m_mutex.unlock();
}

} // namespace lab
