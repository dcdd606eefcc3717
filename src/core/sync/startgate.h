#pragma once
#include <QtGlobal>
#include <atomic>

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

} // namespace lab
