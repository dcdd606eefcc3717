// sync-bench: races, locks and their tracing, in one run (issue 11).
//  1. race-counter: ns per increment of each counter variant on threads and on processes (2
//     tasks), lost updates of the unsynchronised one, and CPython's threading.Lock counter.
//  2. lock-contention: ns per operation of mutex, spinlock and atomic at 1, 2 and 4 threads, as
//     ratios to one thread.
//  3. The cost of tracing: an uncontended lock/unlock with and without a recorder (the fast
//     path records nothing), and TraceRecorder::wait()+set() per recorded event.
// Usage: sync-bench [--increments N] [--ops N]
#include "benchutil.h"
#include "experiment/runner.h"
#include "models/pythonmodel.h"
#include "sync/tracedlock.h"
#include "util/sysinfo.h"
#include "workloads/lockcontention/lockcontentionworkload.h"
#include "workloads/racecounter/racecounterworkload.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

#include <map>

using namespace lab;
using namespace lab::bench;

namespace {

ExperimentResult runSpec(const QJsonObject &obj)
{
    QString error;
    const auto spec = ExperimentSpec::fromJsonObject(obj, &error);
    if (!spec) {
        print(QStringLiteral("bad spec: %1\n").arg(error));
        return {};
    }
    Runner runner;
    return runner.run(*spec);
}

QString fmt(const std::optional<double> &v, int decimals = 1)
{
    return v ? QString::number(*v, 'f', decimals) : QStringLiteral("–");
}

// ns per uncontended lock+unlock pair, with or without a recorder.
template <class Lock>
double uncontendedNs(Lock &lock, TraceRecorder *rec, int n)
{
    const qint64 t0 = monotonicNs();
    for (int i = 0; i < n; ++i) {
        lock.lock(0, TraceTarget{rec, 0});
        lock.unlock(0);
    }
    return double(monotonicNs() - t0) / n;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    qint64 increments = 10000000;  // loops of tens of ms: shorter ones may not overlap on a busy box
    qint64 ops = 1000000;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--increments"))
            increments = args[i + 1].toLongLong();
        else if (args[i] == QLatin1String("--ops"))
            ops = args[i + 1].toLongLong();
    }
    print(QStringLiteral("sync-bench on %1 cores, load %2\n").arg(onlineCores()).arg(loadAverage()));

    // 1. race-counter
    const bool python = PythonModel::unavailableReason().isEmpty();
    QJsonArray models{QStringLiteral("threads"), QStringLiteral("processes")};
    if (python)
        models.append(QStringLiteral("python-threads"));
    const ExperimentResult race = runSpec(
        {{QStringLiteral("name"), QStringLiteral("sync-bench-race")},
         {QStringLiteral("workload"),
          QJsonObject{{QStringLiteral("kind"), QStringLiteral("race-counter")}, {QStringLiteral("tasks"), 2},
                      {QStringLiteral("increments"), double(increments)}}},
         {QStringLiteral("models"), models}});
    print(QStringLiteral("\nrace-counter, 2 tasks x %1 increments: ns per increment (lost updates)\n").arg(increments));
    std::map<QString, double> atomicNs;
    for (const RunRecord &run : race.runs) {
        const auto *s = dynamic_cast<const RaceCounterSummary *>(run.workloadSummary.get());
        if (!s) {
            print(QStringLiteral("  %1 %2: no summary (%3)\n").arg(run.model, run.variant, run.error));
            continue;
        }
        if (run.variant == QLatin1String("atomic") && s->nsPerIncrement)
            atomicNs[run.model] = *s->nsPerIncrement;
        const auto o = s->outcome();
        print(QStringLiteral("  %1 %2: %3 ns, %4\n")
                  .arg(run.model, -16)
                  .arg(run.variant, -15)
                  .arg(fmt(s->nsPerIncrement, 2), 8)
                  .arg(o ? o->words : QString()));
    }
    for (const RunRecord &run : race.runs) {
        const auto *s = dynamic_cast<const RaceCounterSummary *>(run.workloadSummary.get());
        if (s && s->nsPerIncrement && atomicNs.count(run.model) && run.variant == QLatin1String("mutex"))
            print(QStringLiteral("  ratio mutex / atomic on %1: %2x\n")
                      .arg(run.model)
                      .arg(*s->nsPerIncrement / atomicNs[run.model], 0, 'f', 2));
    }

    // 2. lock-contention
    const ExperimentResult lc = runSpec(
        {{QStringLiteral("name"), QStringLiteral("sync-bench-contention")},
         {QStringLiteral("workload"),
          QJsonObject{{QStringLiteral("kind"), QStringLiteral("lock-contention")}, {QStringLiteral("ops"), double(ops)}}},
         {QStringLiteral("models"), python ? QJsonArray{QStringLiteral("threads"), QStringLiteral("gil-threads"), QStringLiteral("python-threads")}
                                           : QJsonArray{QStringLiteral("threads"), QStringLiteral("gil-threads")}}});
    print(QStringLiteral("\nlock-contention, %1 ops per thread: ns per op, ratio to 1 thread, waiting share\n").arg(ops));
    std::map<QString, double> alone;  // model/lock -> ns at 1 thread
    for (const RunRecord &run : lc.runs) {
        const auto *s = dynamic_cast<const LockContentionSummary *>(run.workloadSummary.get());
        if (!s || !s->nsPerOp) {
            print(QStringLiteral("  %1 %2: no result (%3)\n").arg(run.model, run.variant, run.error));
            continue;
        }
        const QString key = run.model + QLatin1Char('/') + s->lock;
        if (s->contenders == 1)
            alone[key] = *s->nsPerOp;
        const QString ratio = alone.count(key) ? QString::number(*s->nsPerOp / alone[key], 'f', 2) + QLatin1Char('x')
                                               : QStringLiteral("–");
        print(QStringLiteral("  %1 %2: %3 ns  %4  lock wait %5 %  (trace: %6 %)  GIL wait %7 %\n")
                  .arg(run.model, -15)
                  .arg(run.variant, -11)
                  .arg(fmt(s->nsPerOp, 2), 8)
                  .arg(ratio, 7)
                  .arg(fmt(s->waitShare ? std::optional<double>(*s->waitShare * 100) : std::nullopt))
                  .arg(fmt(s->traceWaitShare ? std::optional<double>(*s->traceWaitShare * 100) : std::nullopt))
                  .arg(fmt(s->gilWaitShare ? std::optional<double>(*s->gilWaitShare * 100) : std::nullopt)));
    }

    // 3. trace overhead
    constexpr int kN = 5000000;
    TracedMutex m;
    TracedSpinlock sp;
    TraceRecorder rec(0);
    uncontendedNs(m, nullptr, kN / 10);  // warm up
    const double mBare = uncontendedNs(m, nullptr, kN), mTraced = uncontendedNs(m, &rec, kN);
    const double sBare = uncontendedNs(sp, nullptr, kN), sTraced = uncontendedNs(sp, &rec, kN);
    std::mutex plain;
    qint64 t0 = monotonicNs();
    for (int i = 0; i < kN; ++i) {
        plain.lock();
        plain.unlock();
    }
    const double plainNs = double(monotonicNs() - t0) / kN;
    print(QStringLiteral("\ntrace overhead, uncontended lock+unlock (ns): std::mutex %1, TracedMutex %2 (with recorder %3), "
                         "TracedSpinlock %4 (with recorder %5); recorded: %6\n")
              .arg(plainNs, 0, 'f', 2)
              .arg(mBare, 0, 'f', 2)
              .arg(mTraced, 0, 'f', 2)
              .arg(sBare, 0, 'f', 2)
              .arg(sTraced, 0, 'f', 2)
              .arg(rec.empty() ? QStringLiteral("nothing (fast path)") : QStringLiteral("SOMETHING (bug)")));
    // A recorded wait: one span and one holder event, what the slow path adds after blocking.
    constexpr int kEvents = 20000;  // the recorder's bound: all of them are kept
    TraceRecorder busy(1);
    t0 = monotonicNs();
    for (int i = 0; i < kEvents; ++i) {
        const qint64 now = monotonicNs();
        busy.wait(LaneState::Lock, 0, now - 1000, now, 0, now - 500);
        busy.set(0, now, 1);
    }
    const double perEvent = double(monotonicNs() - t0) / kEvents;
    t0 = monotonicNs();
    for (int i = 0; i < kN; ++i) {
        const qint64 now = monotonicNs();
        busy.wait(LaneState::Lock, 0, now - 1000, now, 0, now - 500);  // past the bound: counted only
    }
    const double perDropped = double(monotonicNs() - t0) / kN;
    t0 = monotonicNs();
    for (int i = 0; i < kN; ++i)
        (void)monotonicNs();  // a vDSO or system call: never folded away
    const double clockNs = double(monotonicNs() - t0) / kN;
    print(QStringLiteral("clock_gettime(CLOCK_MONOTONIC) on this machine: %1 ns per read (each recorded wait reads it "
                         "twice more than a fast-path acquire)\n")
              .arg(clockNs, 0, 'f', 1));
    print(QStringLiteral("trace overhead per recorded wait (span + holder event, clock read included): %1 ns; "
                         "past the %2-record bound (counted only): %3 ns; ratio traced/bare mutex fast path: %4x\n")
              .arg(perEvent, 0, 'f', 1)
              .arg(kEvents)
              .arg(perDropped, 0, 'f', 1)
              .arg(mTraced / mBare, 0, 'f', 2));
    // What tracing adds per operation in the contended runs: the fast-path bookkeeping on every
    // operation plus the recorded waits' cost spread over all operations.
    for (const RunRecord &run : lc.runs) {
        const auto *s = dynamic_cast<const LockContentionSummary *>(run.workloadSummary.get());
        if (!s || run.model != QLatin1String("threads") || s->lock == QLatin1String("atomic") || s->ops <= 0)
            continue;
        const double perOp = (s->lock == QLatin1String("mutex") ? mTraced - plainNs : 0.0)
                             + double(s->waits) * perEvent / (double(s->ops) * s->contenders);
        print(QStringLiteral("  tracing cost per operation, %1: %2 ns (%3 recorded waits)\n")
                  .arg(run.variant)
                  .arg(perOp, 0, 'f', 2)
                  .arg(s->waits));
    }
    return 0;
}
