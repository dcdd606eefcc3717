#include "cpuwork.h"

#include <algorithm>
#include <chrono>

namespace lab {

u128 sumSquaresClosedForm(quint64 n)
{
    if (n < 2)
        return 0;
    // Divide the 2 and the 3 out of the factors first so the product cannot overflow.
    u128 a = n - 1, b = n, c = 2 * u128(n) - 1;
    (a % 2 == 0 ? a : b) /= 2;
    if (a % 3 == 0)
        a /= 3;
    else if (b % 3 == 0)
        b /= 3;
    else
        c /= 3;
    return a * b * c;
}

QString toDecimal(u128 value)
{
    if (value == 0)
        return QStringLiteral("0");
    char buf[48];
    int pos = sizeof buf;
    while (value > 0) {
        buf[--pos] = char('0' + int(value % 10));
        value /= 10;
    }
    return QString::fromLatin1(buf + pos, int(sizeof buf) - pos);
}

// One slice of the loop. The empty asm makes `x` opaque to the optimiser, so it cannot replace
// the loop with the closed form or fold the repeats together: every i*i is really computed.
static u128 sumRange(quint64 begin, quint64 end)
{
    u128 acc = 0;
    for (quint64 i = begin; i < end; ++i) {
        quint64 x = i;
        asm volatile("" : "+r"(x));
        acc += u128(x) * x;
    }
    return acc;
}

// Checkpoints are spaced by time, not by a fixed count, like CPython's eval breaker (checked
// between bytecodes, nanoseconds apart): a fixed count that is 2 us of work in a release build is
// 3x that under ASan (4096 iterations: 16 us) and more on a slow laptop, and every GIL drop
// request and cancel waits for it. Calibrated once rather than measured per checkpoint: a clock read at every checkpoint would
// cost more than the check itself (one relaxed atomic load). The fastest of a few short timings
// is the loop's speed: a preemption only lengthens a timing, so a disturbed calibration makes the
// checks more frequent, never rarer.
quint64 cpuCheckpointIterations()
{
    static const quint64 iterations = [] {
        constexpr quint64 probe = 8192;
        double best = 1;
        for (int i = 0; i < 5; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            volatile u128 sink = sumRange(0, probe);
            (void)sink;
            best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        const double perIteration = std::max(1e-12, best / double(probe));
        return std::clamp(quint64(kCpuCheckpointSpacingS / perIteration), quint64(64), kCpuTickIterations);
    }();
    return iterations;
}

CpuOutcome computeSumSquares(quint64 n, int repeat, const std::atomic<bool> &cancel, ExecHooks &hooks)
{
    CpuOutcome out;
    const u128 expected = sumSquaresClosedForm(n);
    const quint64 tick = cpuCheckpointIterations();
    bool allMatch = true;
    for (int r = 0; r < std::max(1, repeat); ++r) {
        u128 acc = 0;
        for (quint64 begin = 0; begin < n; begin += tick) {
            hooks.checkpoint();
            if (cancel.load(std::memory_order_relaxed))
                return out;
            acc += sumRange(begin, std::min(n, begin + tick));
        }
        hooks.checkpoint();
        allMatch = allMatch && acc == expected;
        out.value = acc;
    }
    out.completed = true;
    out.verified = allMatch;
    return out;
}

double cpuSecondsPerIteration()
{
    static const double perIteration = [] {
        const quint64 n = 2'000'000;
        const auto t0 = std::chrono::steady_clock::now();
        volatile u128 sink = sumRange(0, n);
        (void)sink;
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return std::max(1e-10, s / double(n));
    }();
    return perIteration;
}

} // namespace lab
