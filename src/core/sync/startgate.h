#pragma once
#include <QtGlobal>
#include <atomic>
#include <sched.h>

namespace lab {

// A start line for the tasks of one run that must overlap (a race needs its racers running at
// the same time, and process workers start some milliseconds apart). Lock-free, so it works in
// shared memory between processes. A task that waits longer than the timeout starts anyway: the
// sequential model (or fewer workers than tasks) can never gather everyone.
struct StartGate {
    std::atomic<int> arrived{0};

    // True when all `parties` arrived, false after timeoutNs or a cancel (then the caller starts
    // alone, or stops).
    bool arriveAndWait(int parties, qint64 timeoutNs, const std::atomic<bool> &cancel);
};
static_assert(std::atomic<int>::is_always_lock_free);

// Keeps the calling thread on one of the cores it may use (the index-th, wrapping) while it
// lives, then gives back its old set. Racers that must overlap then cannot share a core and take
// turns: the scheduler sometimes runs two new threads on one core for longer than a 5 ms race.
class OwnCore {
public:
    explicit OwnCore(int index);
    ~OwnCore();
    OwnCore(const OwnCore &) = delete;
    OwnCore &operator=(const OwnCore &) = delete;

private:
    cpu_set_t m_old;
    bool m_pinned = false;
};

} // namespace lab
