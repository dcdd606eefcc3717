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
        // Spin briefly so the racers leave within microseconds of each other, then sleep.
        if (++spins < 200)
            sched_yield();
        else
            std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
}

} // namespace lab
