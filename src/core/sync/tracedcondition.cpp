#include "tracedcondition.h"

#include <ctime>

namespace lab {

namespace syncutil {

void initMutex(pthread_mutex_t *m, bool processShared)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    if (processShared)
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

void initCond(pthread_cond_t *c, bool processShared)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    if (processShared)
        pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

void waitSlice(pthread_cond_t *c, pthread_mutex_t *m, int sliceMs)
{
    timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += long(sliceMs) * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(c, m, &until);
}

} // namespace syncutil

void TracedCondition::initShared(Shared *s, bool processShared)
{
    syncutil::initMutex(&s->mutex, processShared);
    syncutil::initCond(&s->cond, processShared);
    s->holder = -1;
    s->lastUnlocker = -1;
    s->lastUnlockNs = 0;
    s->lastNotifier = -1;
    s->lastNotifyNs = 0;
    s->notifies = 0;
}

void TracedCondition::destroyShared(Shared *s)
{
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mutex);
}

void TracedCondition::lock(TraceRecorder *rec, ExecHooks *hooks)
{
    const int task = rec ? rec->task() : -1;
    if (pthread_mutex_trylock(&m_s->mutex) != 0) {
        const qint64 start = monotonicNs();
        if (hooks) {
            BlockingSection guard(*hooks);
            pthread_mutex_lock(&m_s->mutex);
        } else {
            pthread_mutex_lock(&m_s->mutex);
        }
        if (rec)
            rec->wait(LaneState::Lock, m_lockPrimitive, start, monotonicNs(), m_s->lastUnlocker, m_s->lastUnlockNs);
    }
    m_s->holder = task;
}

void TracedCondition::unlock(TraceRecorder *rec)
{
    m_s->holder = -1;
    m_s->lastUnlocker = rec ? rec->task() : -1;
    m_s->lastUnlockNs = monotonicNs();
    pthread_mutex_unlock(&m_s->mutex);
}

void TracedCondition::notifyOne(TraceRecorder *rec)
{
    m_s->lastNotifier = rec ? rec->task() : -1;
    m_s->lastNotifyNs = monotonicNs();
    ++m_s->notifies;
    pthread_cond_signal(&m_s->cond);
}

void TracedCondition::notifyAll(TraceRecorder *rec)
{
    m_s->lastNotifier = rec ? rec->task() : -1;
    m_s->lastNotifyNs = monotonicNs();
    ++m_s->notifies;
    pthread_cond_broadcast(&m_s->cond);
}

} // namespace lab
