// queues-bench: semaphores, events and queues, measured in one run:
//   queue      items/s through the condition-variable queue (threads), the named pipe (processes),
//              CPython's queue.Queue (python-threads) and multiprocessing.Queue (python-processes)
//   event      release spread and wake-up latency of one set() to 4 waiters, same four models
//   semaphore  most in flight and requests/s of semaphore-pool's variants (threads)
//   trace      what tracing costs per operation: uncontended acquire+release and put+get with a
//              recorder against without one (target: < 100 ns on average)
//   cancel     how long after a cancel a blocked condition-queue run returns (target <= 100 ms)
// Usage: queues-bench
#include "benchutil.h"
#include "experiment/presets.h"
#include "experiment/runner.h"
#include "models/executionmodel.h"
#include "sync/tracedqueue.h"
#include "sync/tracedsemaphore.h"
#include "workloads/conditionqueue/conditionqueueworkload.h"
#include "workloads/eventgate/eventgateworkload.h"
#include "util/sysinfo.h"
#include "workloads/semaphorepool/semaphorepoolworkload.h"

#include <QCoreApplication>

#include <thread>

using namespace lab;
using namespace lab::bench;

namespace {

QString fmt(const std::optional<double> &v, int decimals)
{
    return v ? QString::number(*v, 'f', decimals) : QStringLiteral("–");
}

bool available(const QString &model)
{
    const ModelInfo *m = findModel(model);
    return m && m->whyUnavailable().isEmpty();
}

std::optional<ExperimentResult> runPreset(const QString &preset, const QStringList &models)
{
    QString error;
    auto spec = loadPreset(preset, &error);
    if (!spec) {
        print(QStringLiteral("  %1: %2\n").arg(preset, error));
        return std::nullopt;
    }
    spec->models.clear();
    for (const QString &m : models)
        if (available(m))
            spec->models << m;
    Runner runner;
    ExperimentResult r = runner.run(*spec);
    if (!r.error.isEmpty()) {
        print(QStringLiteral("  %1: %2\n").arg(preset, r.error));
        return std::nullopt;
    }
    return r;
}

void queueSection()
{
    print(QStringLiteral("queue (condition-queue preset: 2 producers, 2 consumers, 50000 items, 64 slots)\n"));
    const auto r = runPreset(QStringLiteral("condition-queue"), {QStringLiteral("threads"), QStringLiteral("processes"),
                                                                 QStringLiteral("python-threads"),
                                                                 QStringLiteral("python-processes")});
    if (!r)
        return;
    for (const RunRecord &run : r->runs) {
        auto s = std::dynamic_pointer_cast<const ConditionQueueSummary>(run.workloadSummary);
        if (!s) {
            print(QStringLiteral("  %1: no summary (%2)\n").arg(run.model, run.error));
            continue;
        }
        print(QStringLiteral("  %1 %2 items/s  %3 ns/item  via %4  exactly once: %5  deepest %6  waits empty/full %7/%8%9\n")
                  .arg(run.model, -17)
                  .arg(fmt(s->itemsPerS, 0), 10)
                  .arg(fmt(s->nsPerItem, 0), 7)
                  .arg(s->transport, s->exactlyOnce ? QStringLiteral("yes") : QStringLiteral("NO"))
                  .arg(fmt(s->maxDepth, 0))
                  .arg(s->emptyWaits)
                  .arg(s->fullWaits)
                  .arg(run.error.isEmpty() ? QString() : QStringLiteral("  error: ") + run.error));
    }
}

void eventSection()
{
    print(QStringLiteral("event (event-gate preset: 4 waiters, 50 rounds)\n"));
    const auto r = runPreset(QStringLiteral("event-gate"), {QStringLiteral("threads"), QStringLiteral("processes"),
                                                            QStringLiteral("python-threads"),
                                                            QStringLiteral("python-processes")});
    if (!r)
        return;
    for (const RunRecord &run : r->runs) {
        auto s = std::dynamic_pointer_cast<const EventGateSummary>(run.workloadSummary);
        if (!s) {
            print(QStringLiteral("  %1: no summary (%2)\n").arg(run.model, run.error));
            continue;
        }
        print(QStringLiteral("  %1 spread p50 %2 µs (max %3)  first wake p50 %4 µs  wake p50 %5 / p99 %6 µs  released %7/%8 rounds\n")
                  .arg(run.model, -17)
                  .arg(fmt(s->spreadP50Us, 0), 6)
                  .arg(fmt(s->spreadMaxUs, 0))
                  .arg(fmt(s->firstWakeP50Us, 0))
                  .arg(fmt(s->wakeP50Us, 0))
                  .arg(fmt(s->wakeP99Us, 0))
                  .arg(s->roundsAllReleased)
                  .arg(s->rounds));
    }
}

void semaphoreSection()
{
    print(QStringLiteral("semaphore (semaphore-pool preset: 24 downloads of 100 ms, 8 threads)\n"));
    const auto r = runPreset(QStringLiteral("semaphore-pool"), {QStringLiteral("threads")});
    if (!r)
        return;
    for (const RunRecord &run : r->runs) {
        auto s = std::dynamic_pointer_cast<const SemaphorePoolSummary>(run.workloadSummary);
        if (!s)
            continue;
        const auto o = s->outcome();
        print(QStringLiteral("  %1 %2  wall %3 s  %4 req/s  ok %5\n")
                  .arg(run.variant, -10)
                  .arg(o ? o->actual : QString(), -12)
                  .arg(run.wall_s, 0, 'f', 2)
                  .arg(fmt(s->requestsPerS, 1))
                  .arg(o && o->ok ? QStringLiteral("yes") : QStringLiteral("NO")));
    }
}

template <class F>
double nsPerOp(int n, F op)
{
    const qint64 t0 = monotonicNs();
    for (int i = 0; i < n; ++i)
        op(i);
    return double(monotonicNs() - t0) / n;
}

void traceSection()
{
    print(QStringLiteral("trace overhead (one thread, uncontended, 1 in 16 fast-path changes recorded; fastest of 200 batches)\n"));
    const std::atomic<bool> cancel{false};
    constexpr int kOps = 200000;
    double semPlain = 1e9, semTraced = 1e9, semEvery = 1e9, qPlain = 1e9, qTraced = 1e9;
    // Batches of 5000 pairs: each recorder stays under its 20000-record bound, so every traced
    // operation really stores its record (past the bound it would only count it).
    constexpr int kBatch = 5000;
    // The fastest batch of each kind (the machine may be busy), in alternating order.
    TracedSemaphore sem(4, 0);
    TracedQueue q(16, 0);
    qint64 v = 0;
    for (int batch = 0; batch < 5 * kOps / kBatch; ++batch) {
        const bool tracedFirst = batch % 2;
        auto plainSem = [&] {
            semPlain = std::min(semPlain, nsPerOp(kBatch, [&](int) {
                sem.acquire(nullptr, cancel);
                sem.release(nullptr);
            }));
        };
        auto tracedSem = [&] {
            TraceRecorder rec(0);
            semTraced = std::min(semTraced, nsPerOp(kBatch, [&](int) {
                sem.acquire(&rec, cancel);
                sem.release(&rec);
            }));
        };
        auto everySem = [&] {
            // semaphore-pool's setting: every change recorded (one acquire per download).
            TracedSemaphore all(sem.shared(), 0, 1);
            TraceRecorder rec(0);
            semEvery = std::min(semEvery, nsPerOp(kBatch, [&](int) {
                all.acquire(&rec, cancel);
                all.release(&rec);
            }));
        };
        auto plainQ = [&] {
            qPlain = std::min(qPlain, nsPerOp(kBatch, [&](int i) {
                q.put(i, nullptr, cancel);
                q.get(&v, nullptr, cancel);
            }));
        };
        auto tracedQ = [&] {
            TraceRecorder rec(0);
            qTraced = std::min(qTraced, nsPerOp(kBatch, [&](int i) {
                q.put(i, &rec, cancel);
                q.get(&v, &rec, cancel);
            }));
        };
        if (tracedFirst) {
            tracedSem();
            plainSem();
            everySem();
            tracedQ();
            plainQ();
        } else {
            plainSem();
            tracedSem();
            everySem();
            plainQ();
            tracedQ();
        }
    }
    // Each pair is two operations that each record one value change.
    print(QStringLiteral("  semaphore acquire+release: %1 ns untraced, %2 ns traced: %3 ns per operation\n")
              .arg(semPlain, 0, 'f', 1)
              .arg(semTraced, 0, 'f', 1)
              .arg((semTraced - semPlain) / 2, 0, 'f', 1));
    print(QStringLiteral("  semaphore, every change:   %1 ns traced: %2 ns per operation (semaphore-pool records all)\n")
              .arg(semEvery, 0, 'f', 1)
              .arg((semEvery - semPlain) / 2, 0, 'f', 1));
    print(QStringLiteral("  queue put+get:             %1 ns untraced, %2 ns traced: %3 ns per operation\n")
              .arg(qPlain, 0, 'f', 1)
              .arg(qTraced, 0, 'f', 1)
              .arg((qTraced - qPlain) / 2, 0, 'f', 1));
}

void cancelSection()
{
    print(QStringLiteral("cancel (condition-queue, 10 M items, cancelled after 300 ms)\n"));
    for (const QString &model : {QStringLiteral("threads"), QStringLiteral("processes")}) {
        QString error;
        auto spec = loadPreset(QStringLiteral("condition-queue"), &error);
        if (!spec)
            return;
        spec->models = {model};
        spec->params.insert(QStringLiteral("items"), 10000000);
        Runner runner;
        std::atomic<double> at{0};
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            at = monotonicSeconds();
            runner.requestCancel();
        });
        runner.run(*spec);
        const double late = monotonicSeconds() - at.load();
        canceller.join();
        print(QStringLiteral("  %1 returned %2 ms after the cancel\n").arg(model, -10).arg(late * 1e3, 0, 'f', 0));
    }
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    print(QStringLiteral("queues-bench, load %1\n").arg(loadAverage()));
    traceSection();
    queueSection();
    eventSection();
    semaphoreSection();
    cancelSection();
    return 0;
}
