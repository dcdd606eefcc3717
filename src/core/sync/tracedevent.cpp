#include "tracedevent.h"

#include "tracedcondition.h"

namespace lab {

void TracedEvent::initShared(Shared *s, bool processShared)
{
    syncutil::initMutex(&s->mutex, processShared);
    syncutil::initCond(&s->cond, processShared);
    s->isSet = 0;
    s->setter = -1;
    s->setNs = 0;
    s->waiting = 0;
}

void TracedEvent::destroyShared(Shared *s)
{
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mutex);
}

TracedEvent::TracedEvent(int primitive) : m_own(std::make_unique<Shared>()), m_primitive(primitive)
{
    m_s = m_own.get();
    initShared(m_s, false);
}

TracedEvent::~TracedEvent()
{
    if (m_own)
        destroyShared(m_own.get());
}

bool TracedEvent::wait(TraceRecorder *rec, const std::atomic<bool> &cancel, ExecHooks *hooks, qint64 *releasedNs)
{
    pthread_mutex_lock(&m_s->mutex);
    if (m_s->isSet) {
        if (releasedNs)
            *releasedNs = m_s->setNs;
        pthread_mutex_unlock(&m_s->mutex);
        return true;
    }
    pthread_mutex_unlock(&m_s->mutex);
    const qint64 start = monotonicNs();
    std::unique_ptr<BlockingSection> guard;
    if (hooks)
        guard = std::make_unique<BlockingSection>(*hooks);
    pthread_mutex_lock(&m_s->mutex);
    ++m_s->waiting;
    while (!m_s->isSet) {
        if (cancel.load(std::memory_order_relaxed)) {
            --m_s->waiting;
            pthread_mutex_unlock(&m_s->mutex);
            return false;
        }
        syncutil::waitSlice(&m_s->cond, &m_s->mutex, syncutil::kSliceMs);
    }
    --m_s->waiting;
    const int culprit = m_s->setter;
    const qint64 setAt = m_s->setNs;
    const qint64 end = monotonicNs();
    pthread_mutex_unlock(&m_s->mutex);
    guard.reset();
    if (releasedNs)
        *releasedNs = setAt;
    if (rec)
        rec->wait(LaneState::Event, m_primitive, start, end, culprit, setAt);
    return true;
}

void TracedEvent::set(TraceRecorder *rec)
{
    pthread_mutex_lock(&m_s->mutex);
    const qint64 t = monotonicNs();
    m_s->isSet = 1;
    m_s->setter = rec ? rec->task() : -1;
    m_s->setNs = t;
    pthread_cond_broadcast(&m_s->cond);
    pthread_mutex_unlock(&m_s->mutex);
    if (rec)
        rec->set(m_primitive, t, 1);
}

void TracedEvent::clear(TraceRecorder *rec)
{
    pthread_mutex_lock(&m_s->mutex);
    const qint64 t = monotonicNs();
    m_s->isSet = 0;
    pthread_mutex_unlock(&m_s->mutex);
    if (rec)
        rec->set(m_primitive, t, 0);
}

bool TracedEvent::isSet() const
{
    pthread_mutex_lock(&m_s->mutex);
    const bool v = m_s->isSet != 0;
    pthread_mutex_unlock(&m_s->mutex);
    return v;
}

int TracedEvent::waiting() const
{
    pthread_mutex_lock(&m_s->mutex);
    const int v = m_s->waiting;
    pthread_mutex_unlock(&m_s->mutex);
    return v;
}

qint64 TracedEvent::setNs() const
{
    pthread_mutex_lock(&m_s->mutex);
    const qint64 v = m_s->setNs;
    pthread_mutex_unlock(&m_s->mutex);
    return v;
}

} // namespace lab
