#pragma once
#include "trace/statetrace.h"
#include "workloads/exechooks.h"

#include <atomic>
#include <memory>
#include <pthread.h>

namespace lab {

// A counting semaphore of `capacity` permits that traces itself: a blocked acquire records a
// Semaphore wait whose culprit is the task that posted the permit it got (with the latency from
// that post to running again); every acquire and release records the permits in use (the
// primitive's own lane). An acquire that finds a permit free records only that value. It also
// keeps the highest count in use it ever saw (under its mutex), so a run can prove "never more
// than k". Lives on the heap (threads) or in a ShmSegment (processes, processShared).
class TracedSemaphore {
public:
    struct Shared {
        pthread_mutex_t mutex;
        pthread_cond_t cond;
        int capacity;
        int inUse;
        int maxInUse;
        int waiting;
        int lastPoster;
        qint64 lastPostNs;
        qint64 acquires;
        qint64 blockedAcquires;
    };
    static void initShared(Shared *s, int capacity, bool processShared);
    static void destroyShared(Shared *s);

    // In this process only: owns its Shared.
    TracedSemaphore(int capacity, int primitive);
    // A view on a Shared someone else initialised (in a ShmSegment).
    TracedSemaphore(Shared *s, int primitive) : m_s(s), m_primitive(primitive) {}
    ~TracedSemaphore();
    TracedSemaphore(const TracedSemaphore &) = delete;
    TracedSemaphore &operator=(const TracedSemaphore &) = delete;

    // Takes a permit; false when cancel was set first (no permit taken). hooks: the GIL is
    // released while blocked.
    bool acquire(TraceRecorder *rec, const std::atomic<bool> &cancel, ExecHooks *hooks = nullptr);
    void release(TraceRecorder *rec);

    int capacity() const { return m_s->capacity; }
    int inUse() const;
    int maxInUse() const;
    qint64 acquires() const;
    qint64 blockedAcquires() const;

private:
    Shared *m_s;
    std::unique_ptr<Shared> m_own;
    int m_primitive;
};

} // namespace lab
