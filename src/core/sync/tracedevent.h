#pragma once
#include "trace/statetrace.h"
#include "workloads/exechooks.h"

#include <atomic>
#include <memory>
#include <pthread.h>

namespace lab {

// An event (set / clear / wait, like threading.Event) that traces itself: a wait that blocks
// records an Event span whose culprit is the task that set it, with the latency from that set
// to running again; set() and clear() record the state (1 set, 0 clear) on the primitive's lane.
// A wait on a set event records nothing. Heap (threads) or ShmSegment (processes).
class TracedEvent {
public:
    struct Shared {
        pthread_mutex_t mutex;
        pthread_cond_t cond;
        int isSet;
        int setter;
        qint64 setNs;
        int waiting;
    };
    static void initShared(Shared *s, bool processShared);
    static void destroyShared(Shared *s);

    explicit TracedEvent(int primitive);
    TracedEvent(Shared *s, int primitive) : m_s(s), m_primitive(primitive) {}
    ~TracedEvent();
    TracedEvent(const TracedEvent &) = delete;
    TracedEvent &operator=(const TracedEvent &) = delete;

    // True once set; false when cancel came first. *releasedNs (optional): when the event was
    // set, for the caller's own wake-latency figures.
    bool wait(TraceRecorder *rec, const std::atomic<bool> &cancel, ExecHooks *hooks = nullptr, qint64 *releasedNs = nullptr);
    void set(TraceRecorder *rec);
    void clear(TraceRecorder *rec);
    bool isSet() const;
    int waiting() const;   // tasks blocked in wait() now
    qint64 setNs() const;  // when it was last set (0: never)

private:
    Shared *m_s;
    std::unique_ptr<Shared> m_own;
    int m_primitive;
};

} // namespace lab
