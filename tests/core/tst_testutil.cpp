// The timing-test helper's decisions (testutil.h): quiet misses fail (two of them, or one on the
// last try), only misses under foreign load on every try skip. The quiet limit is forced to make every try quiet or disturbed.
#include "testutil.h"

#include <QTest>

using namespace lab::test;

class TestTestUtil : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void heldOnTheFirstTry()
    {
        int tries = 0;
        const TimingVerdict v = measureTiming([&](TimingTry &) { ++tries; }, 3, -1);
        QCOMPARE(v.kind, TimingVerdict::Held);
        QCOMPARE(tries, 1);
    }

    void twoQuietMissesFail()
    {
        int tries = 0;
        const TimingVerdict v = measureTiming(
            [&](TimingTry &t) {
                ++tries;
                t.miss(QStringLiteral("too slow"));
            },
            3, 1e9);
        QCOMPARE(v.kind, TimingVerdict::Failed);
        QCOMPARE(tries, 2);
        QVERIFY2(v.message.contains(QStringLiteral("try 1/3: too slow")), qPrintable(v.message));
        QVERIFY2(v.message.contains(QStringLiteral("try 2/3: too slow")), qPrintable(v.message));
    }

    void oneQuietMissGetsOneMoreTry()
    {
        int tries = 0;
        const TimingVerdict v = measureTiming(
            [&](TimingTry &t) {
                if (++tries == 1)
                    t.miss(QStringLiteral("descheduled once"));
            },
            3, 1e9);
        QCOMPARE(v.kind, TimingVerdict::Held);
        QCOMPARE(tries, 2);
        // A single try that misses quietly is a failure: nothing left to re-measure.
        QCOMPARE(measureTiming([](TimingTry &t) { t.miss(QStringLiteral("slow")); }, 1, 1e9).kind, TimingVerdict::Failed);
    }

    void disturbedTriesRemeasureThenSkip()
    {
        int tries = 0;
        const TimingVerdict v = measureTiming(
            [&](TimingTry &t) {
                ++tries;
                QCOMPARE(t.number(), tries);
                t.miss(QStringLiteral("a"));
                t.miss(QStringLiteral("b"));
            },
            3, -1);
        QCOMPARE(v.kind, TimingVerdict::Disturbed);
        QCOMPARE(tries, 3);
        for (const char *s : {"try 1/3: a; b (", "try 2/3", "try 3/3", "cores busy elsewhere"})
            QVERIFY2(v.message.contains(QLatin1String(s)), qPrintable(v.message));
    }

    void heldAfterADisturbedTry()
    {
        int tries = 0;
        const TimingVerdict v = measureTiming(
            [&](TimingTry &t) {
                if (++tries == 1)
                    t.miss(QStringLiteral("disturbed"));
            },
            3, -1);
        QCOMPARE(v.kind, TimingVerdict::Held);
        QCOMPARE(tries, 2);
    }
};

QTEST_GUILESS_MAIN(TestTestUtil)
#include "tst_testutil.moc"
