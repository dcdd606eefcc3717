#include "tracedsemaphore.h"

#include "tracedcondition.h"

#include <algorithm>

namespace lab {

void TracedSemaphore::initShared(Shared *s, int capacity, bool processShared)
{
    syncutil::initMutex(&s->mutex, processShared);
    syncutil::initCond(&s->cond, processShared);
    s->capacity = capacity;
    s->inUse = 0;
    s->maxInUse = 0;
    s->waiting = 0;
    s->lastPoster = -1;
    s->lastPostNs = 0;
    s->acquires = 0;
    s->blockedAcquires = 0;
}

void TracedSemaphore::destroyShared(Shared *s)
{
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mutex);
}

TracedSemaphore::TracedSemaphore(int capacity, int primitive) : m_own(std::make_unique<Shared>()), m_primitive(primitive)
{
    m_s = m_own.get();
    initShared(m_s, capacity, false);
}

TracedSemaphore::~TracedSemaphore()
{
    if (m_own)
        destroyShared(m_own.get());
}

bool TracedSemaphore::acquire(TraceRecorder *rec, const std::atomic<bool> &cancel, ExecHooks *hooks)
{
    pthread_mutex_lock(&m_s->mutex);
    if (m_s->inUse < m_s->capacity) {
        const int now = ++m_s->inUse;
        m_s->maxInUse = std::max(m_s->maxInUse, now);
        ++m_s->acquires;
        // A sample of the fast path, and always a count over the limit (which must never be).
        const bool record = rec && (now > m_s->capacity || syncutil::sampleThisOne(m_sampleEvery));
        const qint64 t = record ? monotonicNs() : 0;
        pthread_mutex_unlock(&m_s->mutex);
        if (record)
            rec->set(m_primitive, t, now);
        return true;
    }
    pthread_mutex_unlock(&m_s->mutex);

    // Slow path: the GIL goes before we block (its holder may be posting the permit).
    const qint64 start = monotonicNs();
    std::unique_ptr<BlockingSection> guard;
    if (hooks)
        guard = std::make_unique<BlockingSection>(*hooks);
    pthread_mutex_lock(&m_s->mutex);
    ++m_s->waiting;
    while (m_s->inUse >= m_s->capacity) {
        if (cancel.load(std::memory_order_relaxed)) {
            --m_s->waiting;
            pthread_mutex_unlock(&m_s->mutex);
            return false;
        }
        syncutil::waitSlice(&m_s->cond, &m_s->mutex, syncutil::kSliceMs);
    }
    --m_s->waiting;
    const int now = ++m_s->inUse;
    m_s->maxInUse = std::max(m_s->maxInUse, now);
    ++m_s->acquires;
    ++m_s->blockedAcquires;
    const int culprit = m_s->lastPoster;
    const qint64 posted = m_s->lastPostNs;
    const qint64 end = monotonicNs();
    pthread_mutex_unlock(&m_s->mutex);
    guard.reset();
    if (rec) {
        rec->wait(LaneState::Semaphore, m_primitive, start, end, culprit, posted);
        rec->set(m_primitive, end, now);
    }
    return true;
}

void TracedSemaphore::release(TraceRecorder *rec)
{
    pthread_mutex_lock(&m_s->mutex);
    const int now = --m_s->inUse;
    const bool wake = m_s->waiting > 0;
    // The time is only needed by a waiter (its wake-up latency) or a sampled record.
    const bool record = rec && (wake || syncutil::sampleThisOne(m_sampleEvery));
    const qint64 t = wake || record ? monotonicNs() : 0;
    m_s->lastPoster = rec ? rec->task() : -1;
    m_s->lastPostNs = t;
    pthread_mutex_unlock(&m_s->mutex);
    if (wake)
        pthread_cond_signal(&m_s->cond);
    if (record)
        rec->set(m_primitive, t, now);
}

int TracedSemaphore::inUse() const
{
    pthread_mutex_lock(&m_s->mutex);
    const int v = m_s->inUse;
    pthread_mutex_unlock(&m_s->mutex);
    return v;
}

int TracedSemaphore::maxInUse() const
{
    pthread_mutex_lock(&m_s->mutex);
    const int v = m_s->maxInUse;
    pthread_mutex_unlock(&m_s->mutex);
    return v;
}

qint64 TracedSemaphore::acquires() const
{
    pthread_mutex_lock(&m_s->mutex);
    const qint64 v = m_s->acquires;
    pthread_mutex_unlock(&m_s->mutex);
    return v;
}

qint64 TracedSemaphore::blockedAcquires() const
{
    pthread_mutex_lock(&m_s->mutex);
    const qint64 v = m_s->blockedAcquires;
    pthread_mutex_unlock(&m_s->mutex);
    return v;
}

} // namespace lab
