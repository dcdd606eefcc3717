#pragma once
// Helpers shared by several test files (header-only; every test links labcore).
#include "experiment/experimentspec.h"
#include "experiment/runner.h"
#include "util/sysinfo.h"

#include <QByteArray>
#include <QtGlobal>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace lab::test {

// A spec from JSON text written in the test; a typo in it is the test's bug, not a failure.
inline ExperimentSpec specFromJson(const QByteArray &json)
{
    QString error;
    const auto s = ExperimentSpec::fromJson(json, &error);
    if (!s)
        qFatal("bad test spec: %s", qPrintable(error));
    return *s;
}

// Pids of the running (not zombie) concurrency-lab-worker children of `parentPid`.
inline std::vector<qint64> liveWorkers(qint64 parentPid)
{
    std::vector<qint64> pids;
    for (const ChildProcess &p : childProcesses(parentPid))
        if (p.state != 'Z' && p.argv0.endsWith("concurrency-lab-worker"))
            pids.push_back(p.pid);
    return pids;
}

struct CancelledRun {
    ExperimentResult result;
    double elapsed_s = 0;  // run() called -> returned
    double late_s = 0;     // cancel requested -> run() returned (huge if run() returned before the request)
};

// Runs `spec` on `runner` while another thread requests cancel `delayMs` after the start.
inline CancelledRun runCancelledAfter(Runner &runner, const ExperimentSpec &spec, int delayMs)
{
    std::atomic<double> cancelledAt{0};
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
        cancelledAt = monotonicSeconds();
        runner.requestCancel();
    });
    CancelledRun out;
    const double t0 = monotonicSeconds();
    out.result = runner.run(spec);
    const double returnedAt = monotonicSeconds();
    out.elapsed_s = returnedAt - t0;
    out.late_s = returnedAt - cancelledAt.load();
    canceller.join();
    return out;
}

} // namespace lab::test
