#pragma once
#include "workloads/exechooks.h"

#include <QString>
#include <QtGlobal>
#include <atomic>

namespace lab {

using u128 = unsigned __int128;

// The seed's cpu_bound_task: sum(i*i for i in range(n)) as a real loop in 128-bit arithmetic.
// Largest n accepted: the closed form and the sum stay well inside 128 bits.
inline constexpr quint64 kCpuMaxN = quint64(1) << 40;
// Work between two checkpoints: about 2 us whatever the build's or the machine's speed, so a GIL
// drop request or a cancel is seen within microseconds, at no measurable cost. At most
// kCpuTickIterations loop iterations.
inline constexpr double kCpuCheckpointSpacingS = 2e-6;
inline constexpr quint64 kCpuTickIterations = 4096;

u128 sumSquaresClosedForm(quint64 n);     // (n-1)n(2n-1)/6, exact
QString toDecimal(u128 value);

struct CpuOutcome {
    bool completed = false;   // false: cancelled
    bool verified = false;
    u128 value = 0;
};

// Loop iterations between two checkpoints on this machine and build (calibrated once, cached).
quint64 cpuCheckpointIterations();

// Runs the loop `repeat` times; every pass must equal the closed form. Calls hooks.checkpoint()
// every cpuCheckpointIterations() and stops early when cancel becomes true.
CpuOutcome computeSumSquares(quint64 n, int repeat, const std::atomic<bool> &cancel, ExecHooks &hooks);

// Seconds per loop iteration on this machine, for run-time estimates (measured once, cached).
double cpuSecondsPerIteration();

} // namespace lab
