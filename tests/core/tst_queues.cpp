// Semaphores, events, conditions and queues: the traced primitives (sync/traced*.h) and the
// semaphore-pool, event-gate and condition-queue workloads on threads and processes.
#include "experiment/experimentspec.h"
#include "experiment/runner.h"
#include "experiment/runrecord.h"
#include "models/executionmodel.h"
#include "sync/shmsegment.h"
#include "sync/tracedcondition.h"
#include "sync/tracedevent.h"
#include "sync/tracedqueue.h"
#include "sync/tracedsemaphore.h"
#include "testutil.h"
#include "workloads/conditionqueue/conditionqueueworkload.h"
#include "workloads/eventgate/eventgateworkload.h"
#include "workloads/semaphorepool/semaphorepoolworkload.h"

#include <QDir>
#include <QJsonDocument>
#include <QTest>
#include <atomic>
#include <thread>
#include <unistd.h>

using namespace lab;
using lab::test::runOf;
using lab::test::specFromJson;

namespace {

QStringList shmLeft()
{
    const QString prefix = ShmSegment::namePrefix().mid(1) + QString::number(::getpid()) + QLatin1Char('-');
    return QDir(QStringLiteral("/dev/shm")).entryList({prefix + QLatin1Char('*')}, QDir::Files);
}

QStringList queueFoldersLeft()
{
    return QDir(QDir::tempPath()).entryList({QStringLiteral("concurrency-lab-queue-*")}, QDir::Dirs);
}

const StateSpan *firstSpan(const TaskTracePtr &trace, LaneState state)
{
    if (!trace)
        return nullptr;
    for (const StateSpan &s : trace->spans)
        if (s.state == state)
            return &s;
    return nullptr;
}

// Waits (bounded) until `cond` holds; the scripted scenarios use it to order their threads.
// Empty when `model` can run here (python3 may be missing).
QString unavailable(const QString &model)
{
    const ModelInfo *m = findModel(model);
    return !m ? QStringLiteral("unknown model") : m->whyUnavailable();
}

template <class F>
bool waitUntil(F cond, int ms = 5000)
{
    for (int i = 0; i < ms && !cond(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return cond();
}

} // namespace

class TestQueues : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cleanup()
    {
        QCOMPARE(shmLeft(), QStringList());
        QCOMPARE(queueFoldersLeft(), QStringList());
    }

    // 8 threads through a 2-permit semaphore: an independent counter and the trace agree that
    // never more than 2 were inside, and some had to wait.
    void semaphoreNeverExceedsK()
    {
        TracedSemaphore sem(2, 0);
        std::atomic<bool> cancel{false};
        std::atomic<int> inside{0}, most{0};
        std::vector<TaskTracePtr> traces(8);
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] {
                TraceRecorder rec(t);
                for (int i = 0; i < 50; ++i) {
                    QVERIFY(sem.acquire(&rec, cancel));
                    const int now = ++inside;
                    int seen = most.load();
                    while (now > seen && !most.compare_exchange_weak(seen, now)) {
                    }
                    std::this_thread::sleep_for(std::chrono::microseconds(200));
                    --inside;
                    sem.release(&rec);
                }
                traces[size_t(t)] = rec.finish();
            });
        for (auto &th : threads)
            th.join();
        QVERIFY(most.load() <= 2);
        QCOMPARE(sem.maxInUse(), 2);
        QCOMPARE(sem.inUse(), 0);
        QCOMPARE(sem.acquires(), qint64(400));
        int tracedMost = 0, waits = 0;
        for (const auto &tr : traces) {
            QVERIFY(tr);
            for (const PrimitiveEvent &e : tr->events) {
                QVERIFY(e.value >= 0 && e.value <= 2);
                tracedMost = std::max(tracedMost, e.value);
            }
            for (const StateSpan &s : tr->spans) {
                QCOMPARE(s.state, LaneState::Semaphore);
                QVERIFY(s.culpritTask >= 0 && s.culpritTask < 8);
                ++waits;
            }
        }
        QCOMPARE(tracedMost, 2);
        QVERIFY(waits > 0);
        QCOMPARE(qint64(waits), sem.blockedAcquires());
    }

    // Scripted culprits: B blocks, A releases / sets / notifies / puts; B's span names A.
    void culpritsAreRight()
    {
        std::atomic<bool> cancel{false};
        {
            TracedQueue q(4, 0);
            TaskTracePtr bTrace;
            qint64 got = -1;
            std::thread b([&] {
                TraceRecorder rec(2);
                QCOMPARE(q.get(&got, &rec, cancel), QueueStatus::Ok);
                bTrace = rec.finish();
            });
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            TraceRecorder a(1);
            QCOMPARE(q.put(42, &a, cancel), QueueStatus::Ok);
            b.join();
            QCOMPARE(got, qint64(42));
            const StateSpan *s = firstSpan(bTrace, LaneState::QueueEmpty);
            QVERIFY(s);
            QCOMPARE(s->culpritTask, 1);
            QVERIFY(s->wakeLatency_s >= 0);
            QVERIFY(s->end_s - s->start_s > 0.02);
        }
        {
            // A full queue: B blocks putting, A takes; B's QueueFull names A.
            TracedQueue q(1, 0);
            TraceRecorder b0(2);
            QCOMPARE(q.put(1, &b0, cancel), QueueStatus::Ok);
            TaskTracePtr bTrace;
            std::thread b([&] {
                TraceRecorder rec(2);
                QCOMPARE(q.put(2, &rec, cancel), QueueStatus::Ok);
                bTrace = rec.finish();
            });
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            TraceRecorder a(1);
            qint64 v = 0;
            QCOMPARE(q.get(&v, &a, cancel), QueueStatus::Ok);
            b.join();
            const StateSpan *s = firstSpan(bTrace, LaneState::QueueFull);
            QVERIFY(s);
            QCOMPARE(s->culpritTask, 1);
        }
        {
            TracedSemaphore sem(1, 0);
            TraceRecorder a(1);
            QVERIFY(sem.acquire(&a, cancel));
            TaskTracePtr bTrace;
            std::thread b([&] {
                TraceRecorder rec(2);
                QVERIFY(sem.acquire(&rec, cancel));
                sem.release(&rec);
                bTrace = rec.finish();
            });
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            sem.release(&a);
            b.join();
            const StateSpan *s = firstSpan(bTrace, LaneState::Semaphore);
            QVERIFY(s);
            QCOMPARE(s->culpritTask, 1);
        }
        {
            TracedEvent ev(0);
            TaskTracePtr bTrace;
            std::thread b([&] {
                TraceRecorder rec(2);
                QVERIFY(ev.wait(&rec, cancel));
                bTrace = rec.finish();
            });
            QVERIFY(waitUntil([&] { return ev.waiting() == 1; }));
            TraceRecorder a(1);
            ev.set(&a);
            b.join();
            const StateSpan *s = firstSpan(bTrace, LaneState::Event);
            QVERIFY(s);
            QCOMPARE(s->culpritTask, 1);
            // A wait on a set event is the fast path: nothing recorded.
            TraceRecorder c(3);
            QVERIFY(ev.wait(&c, cancel));
            QVERIFY(c.empty());
        }
        {
            TracedCondition::Shared shared;
            TracedCondition::initShared(&shared, false);
            TracedCondition cond(&shared, 0, 1);
            bool ready = false;
            TaskTracePtr bTrace;
            std::thread b([&] {
                TraceRecorder rec(2);
                cond.lock(&rec);
                QVERIFY(cond.wait(&rec, cancel, [&] { return ready; }));
                cond.unlock(&rec);
                bTrace = rec.finish();
            });
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            TraceRecorder a(1);
            cond.lock(&a);
            ready = true;
            cond.notifyAll(&a);
            cond.unlock(&a);
            b.join();
            TracedCondition::destroyShared(&shared);
            const StateSpan *s = firstSpan(bTrace, LaneState::Condition);
            QVERIFY(s);
            QCOMPARE(s->culpritTask, 1);
            QCOMPARE(s->primitive, qint16(1));
        }
        {
            // The pipe between two openers: the consumer's QueueEmpty names the producer.
            QString error;
            auto owner = PipeQueue::create(4, 1, &error);
            QVERIFY2(owner, qPrintable(error));
            auto consumer = PipeQueue::open(owner->fifoPath(), owner->shmName(), 0, &error);
            auto producer = PipeQueue::open(owner->fifoPath(), owner->shmName(), 0, &error);
            QVERIFY2(consumer && producer, qPrintable(error));
            TaskTracePtr bTrace;
            qint64 got = -1;
            std::thread b([&] {
                TraceRecorder rec(2);
                QCOMPARE(consumer->get(&got, &rec, cancel), QueueStatus::Ok);
                QCOMPARE(consumer->get(&got, &rec, cancel), QueueStatus::Closed);  // the stop record
                bTrace = rec.finish();
            });
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            TraceRecorder a(1);
            QCOMPARE(producer->put(7, &a, cancel), QueueStatus::Ok);
            QCOMPARE(producer->producerDone(1, &a, cancel), QueueStatus::Ok);
            b.join();
            QCOMPARE(got, qint64(7));
            const StateSpan *s = firstSpan(bTrace, LaneState::QueueEmpty);
            QVERIFY(s);
            QCOMPARE(s->culpritTask, 1);
            QVERIFY(s->wakeLatency_s >= 0);
        }
    }

    void blockedWaitsHonourCancel()
    {
        std::atomic<bool> cancel{false};
        TracedQueue q(1, 0);
        TracedEvent ev(0);
        TracedSemaphore sem(0, 0);
        QueueStatus status = QueueStatus::Ok;
        bool evOk = true, semOk = true;
        std::thread a([&] { qint64 v; status = q.get(&v, nullptr, cancel); });
        std::thread b([&] { evOk = ev.wait(nullptr, cancel); });
        std::thread c([&] { semOk = sem.acquire(nullptr, cancel); });
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        const double t0 = monotonicSeconds();
        cancel = true;
        a.join();
        b.join();
        c.join();
        QCOMPARE(status, QueueStatus::Cancelled);
        QVERIFY(!evOk);
        QVERIFY(!semOk);
        QVERIFY2(monotonicSeconds() - t0 < 2.0, "a cancelled wait did not end");  // a bound, not a timing claim
    }

    void stalledQueueGivesUp()
    {
        std::atomic<bool> cancel{false};
        TracedQueue q(1, 0, 100);
        qint64 v;
        QCOMPARE(q.get(&v, nullptr, cancel), QueueStatus::Stalled);
    }

    void semaphorePoolHoldsTheLimit_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("threads") << QStringLiteral("threads");
        QTest::newRow("processes") << QStringLiteral("processes");
        QTest::newRow("python-threads") << QStringLiteral("python-threads");
        QTest::newRow("python-processes") << QStringLiteral("python-processes");
    }
    void semaphorePoolHoldsTheLimit()
    {
        QFETCH(QString, model);
        if (!unavailable(model).isEmpty())
            QSKIP(qPrintable(unavailable(model)));
        ExperimentSpec spec = specFromJson(R"({"name":"t","workload":{"kind":"semaphore-pool","requests":10,
            "size_bytes":3000,"latency_ms":20},"workers":6,"variants":["k-2","unlimited"]})");
        spec.models = {model};
        Runner runner;
        const ExperimentResult r = runner.run(spec);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(r.runs.size(), size_t(2));
        for (const RunRecord &run : r.runs) {
            QVERIFY2(run.error.isEmpty(), qPrintable(run.error));
            QCOMPARE(run.tasks_ok, 10);
            auto s = std::dynamic_pointer_cast<const SemaphorePoolSummary>(run.workloadSummary);
            QVERIFY(s);
            QCOMPARE(s->requestsVerified, 10);
            QVERIFY(s->maxInFlightTraced);
            if (!model.startsWith(QLatin1String("python-"))) {
                // Native runs: the semaphore's own high-water mark agrees with the trace.
                QVERIFY(s->maxInFlightCounter);
                QCOMPARE(*s->maxInFlightTraced, *s->maxInFlightCounter);
            }
            const auto o = s->outcome();
            QVERIFY2(o && o->ok, qPrintable(o ? o->words : QString()));
            if (run.variant == QLatin1String("k-2")) {
                QCOMPARE(s->permits, 2);
                QVERIFY(*s->maxInFlight() <= 2);
                QVERIFY(s->blockedAcquires > 0);  // 6 workers, 2 permits, 20 ms each: someone waited
            } else {
                QCOMPARE(s->permits, 0);
                QVERIFY(*s->maxInFlight() <= 6);
            }
        }
    }

    // A summary that saw more in flight than permits says so.
    void semaphoreOutcomeFailsOverLimit()
    {
        SemaphorePoolSummary s;
        s.permits = 2;
        s.requests = s.requestsOk = s.requestsVerified = 4;
        s.maxInFlightTraced = 3;
        QVERIFY(!s.limitHeld());
        QVERIFY(!s.outcome()->ok);
        s.maxInFlightTraced = 2;
        QVERIFY(s.outcome()->ok);
    }

    void eventReleasesAll_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("threads") << QStringLiteral("threads");
        QTest::newRow("processes") << QStringLiteral("processes");
        QTest::newRow("python-threads") << QStringLiteral("python-threads");
        QTest::newRow("python-processes") << QStringLiteral("python-processes");
    }
    void eventReleasesAll()
    {
        QFETCH(QString, model);
        if (!unavailable(model).isEmpty())
            QSKIP(qPrintable(unavailable(model)));
        ExperimentSpec spec =
            specFromJson(R"({"name":"t","workload":{"kind":"event-gate","waiters":3,"rounds":5,"settle_us":200}})");
        spec.models = {model};
        Runner runner;
        const ExperimentResult r = runner.run(spec);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        const RunRecord *run = runOf(r, model);
        QVERIFY(run);
        QCOMPARE(run->workers, 4);
        QCOMPARE(run->tasks_ok, 4);
        auto s = std::dynamic_pointer_cast<const EventGateSummary>(run->workloadSummary);
        QVERIFY(s);
        QCOMPARE(s->waiters, 3);
        QCOMPARE(s->rounds, 5);
        QCOMPARE(s->roundsAllReleased, 5);
        QVERIFY(s->outcome()->ok);
        QVERIFY(s->wakeP50Us);
        int blockedWaits = 0;
        for (const TaskResult &t : run->tasks)
            if (t.id > 0)
                for (const StateSpan &sp : t.trace ? t.trace->spans : std::vector<StateSpan>{}) {
                    QCOMPARE(sp.state, LaneState::Event);
                    QCOMPARE(sp.culpritTask, 0);  // the starter
                    ++blockedWaits;
                }
        QVERIFY(blockedWaits > 0);
    }

    // Too few workers: the starter says why instead of hanging.
    void eventGateTooFewWorkers()
    {
        ExperimentSpec spec = specFromJson(R"({"name":"t","workload":{"kind":"event-gate","waiters":3,"rounds":3,
            "arrive_timeout_ms":200},"workers":2})");
        spec.models = {QStringLiteral("threads")};
        Runner runner;
        const ExperimentResult r = runner.run(spec);
        const RunRecord *run = runOf(r, QStringLiteral("threads"));
        QVERIFY(run);
        bool said = false;
        for (const TaskResult &t : run->tasks)
            said = said || t.error.toString().contains(QLatin1String("workers at least waiters + 1"));
        QVERIFY(said);
    }

    void queueDeliversEachItemOnce_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("threads") << QStringLiteral("threads");
        QTest::newRow("gil-threads") << QStringLiteral("gil-threads");
        QTest::newRow("processes") << QStringLiteral("processes");
        QTest::newRow("python-threads") << QStringLiteral("python-threads");
        QTest::newRow("python-processes") << QStringLiteral("python-processes");
    }
    void queueDeliversEachItemOnce()
    {
        QFETCH(QString, model);
        if (!unavailable(model).isEmpty())
            QSKIP(qPrintable(unavailable(model)));
        ExperimentSpec spec = specFromJson(R"({"name":"t","workload":{"kind":"condition-queue","producers":2,
            "consumers":3,"items":20000,"capacity":16}})");
        spec.models = {model};
        Runner runner;
        const ExperimentResult r = runner.run(spec);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        const RunRecord *run = runOf(r, model);
        QVERIFY(run);
        QVERIFY2(run->error.isEmpty(), qPrintable(run->error));
        QCOMPARE(run->tasks_ok, 5);
        auto s = std::dynamic_pointer_cast<const ConditionQueueSummary>(run->workloadSummary);
        QVERIFY(s);
        QCOMPARE(s->items, qint64(20000));
        QCOMPARE(s->received, qint64(20000));
        QVERIFY(s->exactlyOnce);
        const bool pipe = model == QLatin1String("processes");
        QVERIFY(s->maxDepth && *s->maxDepth >= 1 && *s->maxDepth <= (pipe ? s->capacity : 16));
        QVERIFY(s->itemsPerS);
        QVERIFY(s->outcome()->ok);
    }

    // The exactly-once check catches a lost and a doubled item.
    void queueChecksumCatchesDuplicates()
    {
        const ConditionQueueWorkload w;
        auto runWith = [&](const QList<qint64> &ids) {
            RunRecord run;
            run.model = QStringLiteral("threads");
            run.wall_s = 1;
            TaskResult p;
            p.id = 0;
            p.ok = true;
            p.value = QStringLiteral(R"({"role":"producer","count":3})");
            quint64 sum = 0, hash = 0;
            for (qint64 id : ids) {
                sum += quint64(id);
                hash += ConditionQueueWorkload::idHash(quint64(id));
            }
            TaskResult c;
            c.id = 1;
            c.ok = true;
            c.value = QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("role"), QStringLiteral("consumer")},
                                                                  {QStringLiteral("count"), double(ids.size())},
                                                                  {QStringLiteral("sum"), QString::number(sum)},
                                                                  {QStringLiteral("hash"), QString::number(hash)}})
                                            .toJson());
            run.tasks = {p, c};
            return std::dynamic_pointer_cast<const ConditionQueueSummary>(w.summarize(run, nullptr));
        };
        QVERIFY(runWith({0, 1, 2})->exactlyOnce);
        QVERIFY(!runWith({0, 1, 1})->exactlyOnce);      // 1 doubled, 2 lost: the count is right
        QVERIFY(!runWith({0, 2, 1, 1})->exactlyOnce);
        QVERIFY(!runWith({3, 0, 0})->exactlyOnce);      // same count and sum, another id
    }

    void cancelMidRunLeavesNothing_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("threads") << QStringLiteral("threads");
        QTest::newRow("processes") << QStringLiteral("processes");
    }
    void cancelMidRunLeavesNothing()
    {
        QFETCH(QString, model);
        ExperimentSpec spec = specFromJson(R"({"name":"t","workload":{"kind":"condition-queue","producers":2,
            "consumers":2,"items":10000000,"capacity":8}})");
        spec.models = {model};
        Runner runner;
        const auto c = lab::test::runCancelledAfter(runner, spec, 300);
        QVERIFY(c.result.cancelled);
        QVERIFY2(c.late_s < 5.0, "the run did not stop after the cancel");  // a bound; the 100 ms claim is bench's
        QCOMPARE(shmLeft(), QStringList());
        QCOMPARE(queueFoldersLeft(), QStringList());
        QVERIFY(waitUntil([] { return lab::test::liveWorkers(::getpid()).empty(); }, 3000));
    }

    void badParametersSayWhich_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("needle");
        QTest::newRow("permits") << QByteArray(R"({"name":"t","workload":{"kind":"semaphore-pool","permits":-1}})")
                                 << QStringLiteral("workload.permits");
        QTest::newRow("waiters") << QByteArray(R"({"name":"t","workload":{"kind":"event-gate","waiters":0}})")
                                 << QStringLiteral("workload.waiters");
        QTest::newRow("rounds") << QByteArray(R"({"name":"t","workload":{"kind":"event-gate","rounds":1000}})")
                                << QStringLiteral("workload.rounds");
        QTest::newRow("capacity") << QByteArray(R"({"name":"t","workload":{"kind":"condition-queue","capacity":0}})")
                                  << QStringLiteral("workload.capacity");
        QTest::newRow("items") << QByteArray(R"({"name":"t","workload":{"kind":"condition-queue","items":1.5}})")
                               << QStringLiteral("workload.items");
    }
    void badParametersSayWhich()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, needle);
        QString error;
        QVERIFY(!ExperimentSpec::fromJson(json, &error));
        QVERIFY2(error.contains(needle), qPrintable(error));
        QVERIFY(!error.contains(QLatin1Char('\n')));
    }

    void sequentialIsRefused()
    {
        const ModelInfo *seq = findModel(QStringLiteral("sequential"));
        QVERIFY(seq);
        QVERIFY(!ConditionQueueWorkload().whyNotOn(*seq).isEmpty());
        QVERIFY(!EventGateWorkload().whyNotOn(*seq).isEmpty());
        QVERIFY(SemaphorePoolWorkload().whyNotOn(*seq).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestQueues)
#include "tst_queues.moc"
