#pragma once
// Helpers shared by several test files (header-only; every test links labcore).
#include "experiment/experimentspec.h"
#include "experiment/runner.h"
#include "sampling/procstat.h"
#include "util/sysinfo.h"

#include <QByteArray>
#include <QStringList>
#include <QTest>
#include <QtGlobal>

#include <sys/resource.h>

#include <algorithm>
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

// The first run of `model` in a result, or null.
inline const RunRecord *runOf(const ExperimentResult &r, const QString &model)
{
    for (const RunRecord &run : r.runs)
        if (run.model == model)
            return &run;
    return nullptr;
}

// Pids of the running (not zombie) concurrency-lab-worker children of `parentPid`; the pool's
// fork server (whose forks are the workers) is not one.
inline std::vector<qint64> liveWorkers(qint64 parentPid)
{
    std::vector<qint64> pids;
    for (const ChildProcess &p : childProcesses(parentPid))
        if (p.state != 'Z' && p.argv0.endsWith("concurrency-lab-worker") && !p.args.contains("--fork-server"))
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

// Cores kept busy by other processes while fn() ran (this machine may be shared with builds):
// the machine's busy cores from /proc/stat minus the CPU time of this process and of the children
// it reaped meanwhile (worker processes, python3). 0 when /proc/stat cannot be read.
template<typename Fn>
double othersBusyCores(Fn &&fn)
{
    const auto ownCpu = [] {
        rusage ru{};
        ::getrusage(RUSAGE_CHILDREN, &ru);
        return processCpuSeconds() + double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
               + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    };
    const auto before = readProcStat();
    const double cpu0 = ownCpu(), t0 = monotonicSeconds();
    fn();
    const auto after = readProcStat();
    const double wall = monotonicSeconds() - t0;
    if (!before || !after || wall <= 0)
        return 0;
    return std::max(0.0, machineBusyCores(before, after) - (ownCpu() - cpu0) / wall);
}

// Above this many cores busy elsewhere, a timing try counts as disturbed.
inline constexpr double kQuietLimit = 0.3;

// One try of a timing measurement (see measureTiming).
class TimingTry {
public:
    explicit TimingTry(int number) : m_number(number) {}
    int number() const { return m_number; }  // 1-based
    // The timing claim did not hold on this try; several reasons are joined.
    void miss(const QString &reason) { m_problems.append(reason); }
    bool missed() const { return !m_problems.isEmpty(); }
    QString problem() const { return m_problems.join(QStringLiteral("; ")); }

private:
    int m_number;
    QStringList m_problems;
};

struct TimingVerdict {
    enum Kind { Held, Failed, Disturbed, Aborted };
    Kind kind = Held;
    QString message;  // what every try found, with its foreign load
};

// Runs attempt(TimingTry &) up to `tries` times, measuring the foreign load of each, and decides:
// - the claim held on a try: Held;
// - it missed on two quiet tries (<= kQuietLimit cores busy elsewhere), or on the last try
//   quietly: Failed, since quiet misses are a regression, not bad luck (one quiet miss gets one
//   more try: a VM can deschedule a thread at the wrong moment once without any load to see);
// - it missed under foreign load: measure again; missed under load on every try: Disturbed;
// - a QVERIFY/QCOMPARE failed inside attempt (the checks that hold however loaded the machine
//   is belong there): Aborted, already reported.
// Use it through LAB_VERIFY_TIMING, which turns the verdict into a pass, a failure or a skip.
template<typename Attempt>
TimingVerdict measureTiming(Attempt &&attempt, int tries = 3, double quietLimit = kQuietLimit)
{
    QStringList seen;
    int quietMisses = 0;
    for (int i = 1; i <= tries; ++i) {
        TimingTry t(i);
        const double others = othersBusyCores([&] { attempt(t); });
        if (QTest::currentTestFailed())
            return {TimingVerdict::Aborted, {}};
        if (!t.missed())
            return {TimingVerdict::Held, seen.join(QStringLiteral("; "))};
        seen.append(QStringLiteral("try %1/%2: %3 (%4 cores busy elsewhere)").arg(i).arg(tries).arg(t.problem()).arg(others, 0, 'f', 2));
        qInfo("%s", qPrintable(seen.last()));
        if (others <= quietLimit && (++quietMisses == 2 || i == tries))
            return {TimingVerdict::Failed, seen.join(QStringLiteral("; "))};
    }
    if (quietMisses > 0)
        return {TimingVerdict::Failed, seen.join(QStringLiteral("; "))};
    return {TimingVerdict::Disturbed,
            QStringLiteral("foreign load above %1 cores on every try: ").arg(quietLimit) + seen.join(QStringLiteral("; "))};
}

} // namespace lab::test

// LAB_VERIFY_TIMING(attempt): concludes a timing test. Passes when the claim held on a try, fails on quiet misses (two, or one on the last try), skips
// (with every try's figures and load) only when every try missed under foreign load.
#define LAB_VERIFY_TIMING(...)                                                                     \
    do {                                                                                           \
        const ::lab::test::TimingVerdict labVerdict_ = ::lab::test::measureTiming(__VA_ARGS__);       \
        if (labVerdict_.kind == ::lab::test::TimingVerdict::Aborted)                               \
            return;                                                                                \
        if (labVerdict_.kind == ::lab::test::TimingVerdict::Disturbed)                             \
            QSKIP(qPrintable(labVerdict_.message));                                                \
        QVERIFY2(labVerdict_.kind == ::lab::test::TimingVerdict::Held, qPrintable(labVerdict_.message)); \
    } while (false)
