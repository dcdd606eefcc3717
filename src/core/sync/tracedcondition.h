#pragma once
#include "trace/statetrace.h"
#include "workloads/exechooks.h"

#include <atomic>
#include <pthread.h>

namespace lab {

// pthread pieces shared by the traced primitives (semaphore, event, condition, queue). Each
// primitive keeps its state in a plain struct that may live on the heap (threads of one
// process) or in a ShmSegment (processes), initialised in place with processShared set.
namespace syncutil {
void initMutex(pthread_mutex_t *m, bool processShared);
// Waits on CLOCK_MONOTONIC, so a clock change does not stretch a slice.
void initCond(pthread_cond_t *c, bool processShared);
// One wait slice (the mutex held): returns on a wake-up or after sliceMs. Blocking waits loop
// over slices so a cancel is seen within kSliceMs.
void waitSlice(pthread_cond_t *c, pthread_mutex_t *m, int sliceMs);
inline constexpr int kSliceMs = 20;
// Fast paths record only a sample of their value changes: one in kSampleEvery per thread. A
// clock read alone costs 20-100 ns (more on a loaded VM), so recording every uncontended
// operation would cost more than the operation.
inline constexpr unsigned kSampleEvery = 16;
inline bool sampleThisOne(unsigned every = kSampleEvery)
{
    thread_local unsigned count = 0;
    return every <= 1 || ++count % every == 0;
}
} // namespace syncutil

// A condition variable with its mutex, tracing both: a contended lock() records a Lock wait
// (culprit: the task whose unlock let us in), wait() a Condition wait (culprit: the task whose
// notify woke us, with the latency from that notify to running). The uncontended lock and a
// wait whose predicate already holds record nothing. Process-shared when its Shared lives in a
// ShmSegment initialised with processShared = true.
class TracedCondition {
public:
    struct Shared {
        pthread_mutex_t mutex;
        pthread_cond_t cond;
        int holder;          // task holding the mutex, -1 free (guarded by mutex)
        int lastUnlocker;
        qint64 lastUnlockNs;
        int lastNotifier;
        qint64 lastNotifyNs;
        qint64 notifies;
    };
    static void initShared(Shared *s, bool processShared);
    static void destroyShared(Shared *s);

    // A view on `s`; lockPrimitive / condPrimitive index the run's primitives (-1: none).
    TracedCondition(Shared *s, int lockPrimitive, int condPrimitive) : m_s(s), m_lockPrimitive(lockPrimitive), m_condPrimitive(condPrimitive) {}

    void lock(TraceRecorder *rec, ExecHooks *hooks = nullptr);
    void unlock(TraceRecorder *rec);
    // The mutex held: waits until pred() holds (true) or cancel is set (false); pred is checked
    // with the mutex held. hooks: the GIL is released while waiting.
    template <class Pred>
    bool wait(TraceRecorder *rec, const std::atomic<bool> &cancel, Pred pred, ExecHooks *hooks = nullptr)
    {
        if (pred())
            return true;
        const qint64 start = monotonicNs();
        bool ok = true;
        if (hooks) {
            // Re-taking the GIL with the mutex held cannot deadlock: a contended lock() gives
            // the GIL up before it blocks on the mutex.
            BlockingSection guard(*hooks);
            ok = waitLoop(cancel, pred);
        } else {
            ok = waitLoop(cancel, pred);
        }
        if (rec)
            rec->wait(LaneState::Condition, m_condPrimitive, start, monotonicNs(), m_s->lastNotifier, m_s->lastNotifyNs);
        return ok;
    }
    void notifyOne(TraceRecorder *rec);
    void notifyAll(TraceRecorder *rec);

    Shared *shared() const { return m_s; }

private:
    template <class Pred>
    bool waitLoop(const std::atomic<bool> &cancel, Pred pred)
    {
        const int me = m_s->holder;
        while (!pred()) {
            if (cancel.load(std::memory_order_relaxed))
                return false;
            m_s->holder = -1;
            syncutil::waitSlice(&m_s->cond, &m_s->mutex, syncutil::kSliceMs);
            m_s->holder = me;
        }
        return true;
    }
    Shared *m_s;
    int m_lockPrimitive;
    int m_condPrimitive;
};

} // namespace lab
