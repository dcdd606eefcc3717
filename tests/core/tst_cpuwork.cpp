#include "workloads/cpu/cpuwork.h"
#include "workloads/cpu/cpuworkload.h"
#include "workloads/taskexec.h"

#include <QElapsedTimer>
#include <QTest>

#include <thread>

using namespace lab;

class TestCpuWork : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void closedForm_data()
    {
        QTest::addColumn<quint64>("n");
        QTest::addColumn<QString>("expected");  // from Python: sum(i*i for i in range(n))
        QTest::newRow("0") << quint64(0) << QStringLiteral("0");
        QTest::newRow("1") << quint64(1) << QStringLiteral("0");
        QTest::newRow("2") << quint64(2) << QStringLiteral("1");
        QTest::newRow("3") << quint64(3) << QStringLiteral("5");
        QTest::newRow("1000") << quint64(1000) << QStringLiteral("332833500");
        QTest::newRow("seed first") << quint64(5000000) << QStringLiteral("41666654166667500000");
        QTest::newRow("seed last") << quint64(5000019) << QStringLiteral("41667129168377502109");
        QTest::newRow("2^32+7") << quint64(4294967303ull) << QStringLiteral("26409387624658615858064523355");
        QTest::newRow("2^40") << (quint64(1) << 40) << QStringLiteral("443075998594367494724795222091366400");
    }
    void closedForm()
    {
        QFETCH(quint64, n);
        QFETCH(QString, expected);
        QCOMPARE(toDecimal(sumSquaresClosedForm(n)), expected);
    }

    void loopMatchesClosedForm_data()
    {
        QTest::addColumn<quint64>("n");
        QTest::addColumn<int>("repeat");
        for (quint64 n : {0ull, 1ull, 2ull, 3ull, 4095ull, 4096ull, 4097ull, 5000000ull, 5000019ull})
            QTest::newRow(qPrintable(QString::number(n))) << n << 1;
        QTest::newRow("repeat 3") << quint64(100003) << 3;
    }
    void loopMatchesClosedForm()
    {
        QFETCH(quint64, n);
        QFETCH(int, repeat);
        std::atomic<bool> cancel{false};
        ExecHooks hooks;
        const CpuOutcome out = computeSumSquares(n, repeat, cancel, hooks);
        QVERIFY(out.completed);
        QVERIFY(out.verified);
        QCOMPARE(toDecimal(out.value), toDecimal(sumSquaresClosedForm(n)));
    }

    // The seed's sums overflow 64 bits; near 2^32 even i*i needs care. One real run of ~4e9 steps.
    void loopNear2pow32()
    {
        std::atomic<bool> cancel{false};
        ExecHooks hooks;
        const quint64 n = 4294967303ull;
        const CpuOutcome out = computeSumSquares(n, 1, cancel, hooks);
        QVERIFY(out.verified);
        QCOMPARE(toDecimal(out.value), QStringLiteral("26409387624658615858064523355"));
    }

    // Every tick reaches the hooks: the GIL's eval-breaker check depends on it.
    void checkpointsAreFrequent()
    {
        struct Counting : ExecHooks {
            int n = 0;
            void checkpoint() override { ++n; }
        } hooks;
        std::atomic<bool> cancel{false};
        computeSumSquares(10 * kCpuTickIterations, 1, cancel, hooks);
        QVERIFY(hooks.n >= 10);
    }

    void cancelWithin50ms()
    {
        std::atomic<bool> cancel{false};
        ExecHooks hooks;
        CpuOutcome out;
        QElapsedTimer sinceCancel;
        std::thread t([&] { out = computeSumSquares(kCpuMaxN, 1, cancel, hooks); });
        QTest::qWait(50);
        sinceCancel.start();
        cancel = true;
        t.join();
        QVERIFY2(sinceCancel.elapsed() < 50, qPrintable(QString::number(sinceCancel.elapsed())));
        QVERIFY(!out.completed);
        QVERIFY(!out.verified);
    }

    void executeTaskFillsResult()
    {
        const TaskSpec spec = CpuWorkload::task(7, 5000000);
        std::atomic<bool> cancel{false};
        ExecHooks hooks;
        const TaskResult r = executeTask(spec, cancel, hooks);
        QCOMPARE(r.id, 7);
        QVERIFY(r.ok);
        QVERIFY(r.verified);
        QCOMPARE(r.value, QStringLiteral("41666654166667500000"));
        QVERIFY(r.end_s >= r.start_s);
        QVERIFY(r.cpu_start >= 0);
        QVERIFY(r.compute_s > 0);
    }

    void executeTaskCancelledIsNotOk()
    {
        const TaskSpec spec = CpuWorkload::task(0, 1000000);
        std::atomic<bool> cancel{true};
        ExecHooks hooks;
        const TaskResult r = executeTask(spec, cancel, hooks);
        QVERIFY(!r.ok);
        QVERIFY(r.cancelled);
        QCOMPARE(r.errorCategory, QStringLiteral("cancelled"));
    }
};

QTEST_GUILESS_MAIN(TestCpuWork)
#include "tst_cpuwork.moc"
