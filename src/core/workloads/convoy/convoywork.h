#pragma once
#include "workloads/exechooks.h"
#include "workloads/task.h"

#include <QJsonObject>
#include <atomic>

namespace lab {

// The convoy experiment (CPython bpo-7946): one I/O thread doing short blocking round trips on
// a socketpair, beside CPU threads that spin while it runs.
//
// I/O role (roundTrips > 0): waits briefly for the CPU roles to start, does roundTrips
// round trips "beside" them, tells them to stop, waits until they have, then does the same
// number of round trips "alone". Each round trip is send + recv of 64 bytes, each call inside its
// own BlockingSection (a GIL release, as CPython's socket module does). The echo peer is a plain
// thread outside any GIL, like a peer process, that takes echoUs to answer: a peer that
// answers in 3 us returns before a woken GIL waiter is even scheduled, which hides the convoy;
// real peers (a Python one: ~25 us) take longer. It sleeps that time rather than spinning, as
// a peer on another machine would use none of ours: a spinning peer holds a core, so a CPU
// thread woken onto that core (or beside another program) missed the I/O thread's window and
// the convoy vanished. One op's latency runs from before send until the thread holds the GIL
// again after recv.
// CPU role (roundTrips == 0): sums squares in chunks of chunkN until the I/O role's
// "beside" phase is over (or, if none shows up within 0.3 s, stops then).
//
// Roles meet on a board shared by the run's tasks (the workload's per-run state).
struct ConvoyBoard {
    std::atomic<int> ioBeside{0};   // I/O roles in their "beside" phase
    std::atomic<int> cpuActive{0};  // CPU roles running
};

struct ConvoyTask {
    int roundTrips = 0;     // > 0: the I/O role; 0: a CPU role
    int cpuThreads = 0;     // CPU roles the I/O role expects
    quint64 chunkN = 100000;
    int echoUs = 25;        // the echo peer's service time per message
};

void runConvoyTask(const ConvoyTask &task, const std::atomic<bool> &cancel, ExecHooks &hooks, ConvoyBoard &board,
                   TaskResult &result);

// The I/O role's TaskResult::value is compact JSON:
// {"beside": {"n", "cpu_threads", "p50_us", "p99_us", "mean_us", "max_us"}, "alone": {...}}
// (the CPython twin writes the same); ConvoySummary (convoyworkload.h) reads it.

} // namespace lab
