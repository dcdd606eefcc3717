#pragma once
#include "trace/statetrace.h"
#include "workloads/exechooks.h"

#include <atomic>
#include <memory>
#include <pthread.h>

namespace lab {

// A counting semaphore of `capacity` permits that traces itself: a blocked acquire records a
// Semaphore wait whose culprit is the task that posted the permit it got (with the latency from
// that post to running again) and the permits in use after it; uncontended acquires and
// releases record the permits in use for a sample only (syncutil::kSampleEvery), and always a
// count above the capacity, so the trace alone proves "never more than k". It also
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
    // A view on a Shared someone else initialised (in a ShmSegment). sampleEvery: 1 records
    // every fast-path change (operations far apart, e.g. one per download).
    TracedSemaphore(Shared *s, int primitive, unsigned sampleEvery = 16)
        : m_s(s), m_primitive(primitive), m_sampleEvery(sampleEvery) {}
    ~TracedSemaphore();
    TracedSemaphore(const TracedSemaphore &) = delete;
    TracedSemaphore &operator=(const TracedSemaphore &) = delete;

    // Takes a permit; false when cancel was set first (no permit taken). hooks: the GIL is
    // released while blocked.
    bool acquire(TraceRecorder *rec, const std::atomic<bool> &cancel, ExecHooks *hooks = nullptr);
    void release(TraceRecorder *rec);

    int capacity() const { return m_s->capacity; }
    Shared *shared() const { return m_s; }
    int inUse() const;
    int maxInUse() const;
    qint64 acquires() const;
    qint64 blockedAcquires() const;

private:
    Shared *m_s;
    std::unique_ptr<Shared> m_own;
    int m_primitive;
    unsigned m_sampleEvery = 16;
};

} // namespace lab
