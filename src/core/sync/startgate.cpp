#include "startgate.h"

#include "trace/statetrace.h"

#include <sched.h>
#include <thread>

namespace lab {

bool StartGate::arriveAndWait(int parties, qint64 timeoutNs, const std::atomic<bool> &cancel)
{
    arrived.fetch_add(1);
    const qint64 deadline = monotonicNs() + timeoutNs;
    int spins = 0;
    while (arrived.load(std::memory_order_acquire) < parties) {
        if (cancel.load(std::memory_order_relaxed) || monotonicNs() >= deadline)
            return false;
        // Spin (yielding) for the first ~20 ms, so the racers leave within microseconds of each
        // other even when the last one arrives late; then sleep, to wait out a missing racer
        // cheaply.
        if (++spins < 20000)
            sched_yield();
        else
            std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
}

} // namespace lab
