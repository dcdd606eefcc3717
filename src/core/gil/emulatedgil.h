#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace lab {

// CPython's global interpreter lock, re-implemented from the algorithm of Python/ceval_gil.c
// (3.11/3.12, default build): one mutex + condition guard `locked`; a waiter sleeps at most one
// switch interval and, if no switch happened meanwhile, sets the drop request; the holder sees
// the request at its next eval-breaker check (yieldIfRequested), drops, and with FORCE_SWITCHING
// blocks until a different thread has taken the GIL. No FIFO: whoever the condition wakes, or
// whoever is already running, gets it.
//
// Threads are identified by a small index 0..threads-1. Every wait also polls `cancel` (if
// given) a few times per millisecond-scale slice, so a cancelled run never hangs on the GIL:
// take() then returns false without holding it.
//
// Instrumentation (per thread and a bounded list of tenure spans) is updated under the GIL's
// own mutex, so reading it is only meaningful once the threads have stopped.
class EmulatedGil {
public:
    struct ThreadStats {
        double held_s = 0;
        double wait_s = 0;                // time spent inside take()
        std::uint64_t acquisitions = 0;
        std::uint64_t drop_requests = 0;  // requests this thread set while waiting
        std::uint64_t forced_switches = 0; // drops where this thread had to wait for another taker
    };
    // One tenure: `worker` held the GIL from start_s to end_s (seconds relative to t0).
    struct Span {
        int worker = 0;
        double start_s = 0;
        double end_s = 0;
        bool forced = false;  // ended by a drop request (eval breaker), not by blocking/detach
    };

    static constexpr double kMinIntervalMs = 0.1;
    static constexpr double kMaxIntervalMs = 100.0;
    static constexpr std::size_t kDefaultMaxSpans = 20000;

    // intervalMs is clamped to 0.1..100 ms; t0 is the monotonic time base (seconds) for spans.
    EmulatedGil(int threads, double intervalMs, const std::atomic<bool> *cancel = nullptr, double t0 = 0,
                std::size_t maxSpans = kDefaultMaxSpans);
    EmulatedGil(const EmulatedGil &) = delete;
    EmulatedGil &operator=(const EmulatedGil &) = delete;

    // take_gil. Returns true when the caller now holds the GIL; false only on cancel.
    bool take(int thread);
    // drop_gil, including the FORCE_SWITCHING wait when a drop request is pending.
    void drop(int thread);
    // The eval-breaker check: when a drop request is pending, drop and take again.
    // Returns whether the caller holds the GIL afterwards (false only on cancel). Call it every
    // few microseconds of work (a time, not an iteration count: see cpuCheckpointIterations()),
    // or a slower build answers every drop request later.
    bool yieldIfRequested(int thread);
    bool dropRequested() const { return m_dropRequest.load(std::memory_order_relaxed); }

    int threadCount() const { return int(m_stats.size()); }
    double intervalMs() const { return m_intervalUs / 1000.0; }
    std::uint64_t switchNumber() const;
    std::vector<ThreadStats> stats() const;
    std::vector<Span> spans() const;
    std::uint64_t spansDropped() const;

private:
    bool cancelled() const { return m_cancel && m_cancel->load(std::memory_order_relaxed); }
    void recordTenureEnd(int thread, double now, bool forced);  // m_mutex held

    const std::atomic<bool> *m_cancel;
    const double m_t0;
    const long m_intervalUs;
    const std::size_t m_maxSpans;

    mutable std::mutex m_mutex;          // guards m_locked, m_switchNumber, stats, spans
    std::condition_variable m_cond;      // signalled when m_locked becomes false
    std::mutex m_switchMutex;            // FORCE_SWITCHING: guards the hand-over wait
    std::condition_variable m_switchCond; // signalled when a thread takes the GIL
    bool m_locked = false;
    std::atomic<int> m_lastHolder{-1};
    std::uint64_t m_switchNumber = 0;    // bumped when a *different* thread takes the GIL
    std::atomic<bool> m_dropRequest{false};

    std::vector<ThreadStats> m_stats;
    std::vector<double> m_tenureStart;   // per thread, valid while it holds the GIL
    std::vector<Span> m_spans;
    std::uint64_t m_spansDropped = 0;
};

} // namespace lab
