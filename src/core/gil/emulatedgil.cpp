#include "emulatedgil.h"

#include <algorithm>
#include <chrono>

namespace lab {

namespace {

using Clock = std::chrono::steady_clock;

double nowSeconds()
{
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

// Longest single sleep before a waiter looks at the cancel flag again. Splitting a timed wait
// into slices does not change when it times out: the deadline stays the same.
constexpr auto kCancelPoll = std::chrono::milliseconds(5);

} // namespace

EmulatedGil::EmulatedGil(int threads, double intervalMs, const std::atomic<bool> *cancel, double t0,
                         std::size_t maxSpans)
    : m_cancel(cancel),
      m_t0(t0),
      m_intervalUs(std::max(1L, long(std::clamp(intervalMs, kMinIntervalMs, kMaxIntervalMs) * 1000.0 + 0.5))),
      m_maxSpans(maxSpans),
      m_stats(std::size_t(std::max(1, threads))),
      m_tenureStart(std::size_t(std::max(1, threads)), 0.0)
{
    m_spans.reserve(std::min<std::size_t>(m_maxSpans, 4096));
}

bool EmulatedGil::take(int thread)
{
    const double enter = nowSeconds();
    std::unique_lock lock(m_mutex);
    const auto interval = std::chrono::microseconds(m_intervalUs);
    while (m_locked) {
        if (cancelled()) {
            m_stats[std::size_t(thread)].wait_s += nowSeconds() - enter;
            return false;
        }
        const std::uint64_t saved = m_switchNumber;
        const auto deadline = Clock::now() + interval;
        bool timedOut = false;
        for (;;) {
            const auto slice = std::min(deadline, Clock::now() + kCancelPoll);
            if (m_cond.wait_until(lock, slice) == std::cv_status::no_timeout)
                break;  // signalled (or spurious): like CPython, re-check and restart the interval
            if (Clock::now() >= deadline) {
                timedOut = true;
                break;
            }
            if (!m_locked || cancelled())
                break;
        }
        // Nobody switched while we waited a whole interval: ask the holder to yield, keep waiting.
        if (timedOut && m_locked && m_switchNumber == saved) {
            m_dropRequest.store(true, std::memory_order_release);
            ++m_stats[std::size_t(thread)].drop_requests;
        }
    }
    {
        std::lock_guard switchLock(m_switchMutex);
        m_locked = true;
        if (m_lastHolder.load(std::memory_order_relaxed) != thread) {
            m_lastHolder.store(thread, std::memory_order_relaxed);
            ++m_switchNumber;
        }
        m_switchCond.notify_one();
    }
    // The request (if any) was aimed at the previous holder and is now satisfied.
    m_dropRequest.store(false, std::memory_order_release);
    const double now = nowSeconds();
    ThreadStats &s = m_stats[std::size_t(thread)];
    ++s.acquisitions;
    s.wait_s += now - enter;
    m_tenureStart[std::size_t(thread)] = now;
    return true;
}

void EmulatedGil::recordTenureEnd(int thread, double now, bool forced)
{
    const double start = m_tenureStart[std::size_t(thread)];
    m_stats[std::size_t(thread)].held_s += now - start;
    if (m_spans.size() < m_maxSpans)
        m_spans.push_back({thread, start - m_t0, now - m_t0, forced});
    else
        ++m_spansDropped;
}

void EmulatedGil::drop(int thread)
{
    m_lastHolder.store(thread, std::memory_order_relaxed);
    {
        std::lock_guard lock(m_mutex);
        recordTenureEnd(thread, nowSeconds(), m_dropRequest.load(std::memory_order_acquire));
        m_locked = false;
        m_cond.notify_one();
    }
    // FORCE_SWITCHING: when somebody asked for the GIL, do not run on (and re-take it from the
    // same core before the woken waiter is scheduled) until a different thread holds it.
    if (!m_dropRequest.load(std::memory_order_acquire))
        return;
    std::unique_lock switchLock(m_switchMutex);
    if (m_lastHolder.load(std::memory_order_relaxed) != thread)
        return;
    m_dropRequest.store(false, std::memory_order_release);
    while (m_lastHolder.load(std::memory_order_relaxed) == thread && !cancelled())
        m_switchCond.wait_for(switchLock, kCancelPoll);
    switchLock.unlock();  // lock order is m_mutex before m_switchMutex (see take())
    std::lock_guard lock(m_mutex);
    ++m_stats[std::size_t(thread)].forced_switches;
}

bool EmulatedGil::yieldIfRequested(int thread)
{
    // The common case costs one relaxed load, like CPython's eval breaker: the flag guards no data
    // (drop() and take() work under the mutex).
    if (!m_dropRequest.load(std::memory_order_relaxed))
        return true;
    drop(thread);
    return take(thread);
}

std::uint64_t EmulatedGil::switchNumber() const
{
    std::lock_guard lock(m_mutex);
    return m_switchNumber;
}

std::vector<EmulatedGil::ThreadStats> EmulatedGil::stats() const
{
    std::lock_guard lock(m_mutex);
    return m_stats;
}

std::vector<EmulatedGil::Span> EmulatedGil::spans() const
{
    std::lock_guard lock(m_mutex);
    return m_spans;
}

std::uint64_t EmulatedGil::spansDropped() const
{
    std::lock_guard lock(m_mutex);
    return m_spansDropped;
}

} // namespace lab
