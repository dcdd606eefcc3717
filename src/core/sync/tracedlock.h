#pragma once
#include "trace/statetrace.h"

#include <QString>
#include <atomic>
#include <mutex>
#include <pthread.h>

namespace lab {

// Who holds a lock, who released it last and when: what a waiter needs to name its culprit and
// its wake latency, and what a deadlock watchdog reads to build the wait-for graph. Plain
// lock-free atomics, so the block works in shared memory between processes as well.
struct LockInfo {
    std::atomic<int> holder{-1};          // task id, -1: free
    std::atomic<int> releasedBy{-1};      // the task that released it last
    std::atomic<qint64> releasedAtNs{0};  // when (monotonicNs), stamped only while someone waits
    std::atomic<int> waiting{0};          // tasks inside the slow path
    std::atomic<quint64> waiterMask{0};   // bit t: task t (t < 64) is waiting for this lock
};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<qint64>::is_always_lock_free
                  && std::atomic<quint64>::is_always_lock_free,
              "LockInfo lives in shared memory: its atomics must not need a lock");

// How a timed attempt ended.
enum class LockResult {
    Acquired,
    TimedOut,
    OwnerDied,   // acquired, but its previous holder (another process) died holding it
    Failed,      // the lock could not be used (an error from the system)
};

// Where a traced lock records: the recorder of the calling task and the lock's index among the
// run's primitives (Workload::primitives). A null recorder records nothing (benchmarks' baseline).
struct TraceTarget {
    TraceRecorder *recorder = nullptr;
    int primitive = 0;
};

// std::mutex (a pthread mutex underneath) for the threads of one process. lock() takes the fast
// path with try_lock() and records nothing; only a wait that really blocked becomes a Lock span,
// with the releasing task as culprit and the time from its release to this thread running.
class TracedMutex {
public:
    // Returns the nanoseconds it blocked (0: the fast path).
    qint64 lock(int task, TraceTarget where);
    void unlock(int task);
    LockInfo &info() { return m_info; }

private:
    std::mutex m_mutex;
    LockInfo m_info;
};

// A test-and-test-and-set spinlock (std::atomic_flag, a pause between reads; after many spins it
// yields the core, which a 2-core machine with 4 contenders needs). Address-free: usable in
// shared memory too. Records like TracedMutex.
class TracedSpinlock {
public:
    qint64 lock(int task, TraceTarget where);  // nanoseconds spent spinning (0: the fast path)
    void unlock(int task);
    LockInfo &info() { return m_info; }

private:
    std::atomic_flag m_flag;  // clear (C++20): free
    LockInfo m_info;
};

// A pthread mutex that lives in a ShmSegment: PTHREAD_PROCESS_SHARED, so processes that map the
// segment share it, and PTHREAD_MUTEX_ROBUST, so a holder that dies does not block the others
// for ever (the next locker gets OwnerDied and makes it consistent). init() once, by the owner
// of the segment, before any process uses it; destroy() when the run is over.
class SharedMutex {
public:
    bool init(QString *error);
    void destroy();
    // Blocks (recording as TracedMutex) until acquired; OwnerDied also means acquired.
    LockResult lock(int task, TraceTarget where);
    // Gives up at deadlineNs (monotonicNs clock); `cancel`, `giveUp` are polled every slice
    // (~1 ms) so a cancel or a deadlock watchdog ends the wait. A wait that gave up is recorded
    // as a Lock span with no culprit.
    LockResult lockUntil(int task, TraceTarget where, qint64 deadlineNs, const std::atomic<bool> *cancel,
                         const std::atomic<bool> *giveUp);
    void unlock(int task);
    LockInfo &info() { return m_info; }

private:
    LockResult slowPath(int task, TraceTarget where, qint64 deadlineNs, const std::atomic<bool> *cancel,
                        const std::atomic<bool> *giveUp);
    pthread_mutex_t m_mutex;
    LockInfo m_info;
};

// The same timed attempt for the in-process deadlock: std::timed_mutex, recorded alike.
class TracedTimedMutex {
public:
    LockResult lockUntil(int task, TraceTarget where, qint64 deadlineNs, const std::atomic<bool> *cancel,
                         const std::atomic<bool> *giveUp);
    void unlock(int task);
    LockInfo &info() { return m_info; }

private:
    std::timed_mutex m_mutex;
    LockInfo m_info;
};

} // namespace lab
