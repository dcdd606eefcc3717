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

OwnCore::OwnCore(int index)
{
    CPU_ZERO(&m_old);
    if (index < 0 || sched_getaffinity(0, sizeof m_old, &m_old) != 0)
        return;
    const int usable = CPU_COUNT(&m_old);
    if (usable < 2)
        return;  // one core: nothing to choose
    int wanted = index % usable;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (!CPU_ISSET(cpu, &m_old) || wanted-- > 0)
            continue;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        m_pinned = sched_setaffinity(0, sizeof one, &one) == 0;
        return;
    }
}

OwnCore::~OwnCore()
{
    if (m_pinned)
        sched_setaffinity(0, sizeof m_old, &m_old);
}

} // namespace lab
