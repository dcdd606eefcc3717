#include "util/lagmeter.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <atomic>
#include <thread>

using namespace lab;

class TestLagMeter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void reportsAtAFewHertz();
    void blockedLoopShowsLag();
    void recordingIncludesBlockInProgress();
    void endWithoutBeginIsUnset();
    void watchdogSeesAStallWhileItLasts();
};

void TestLagMeter::reportsAtAFewHertz()
{
    LagMeter meter;
    QVERIFY(meter.isRunning());
    QSignalSpy spy(&meter, &LagMeter::lagUpdated);
    QTest::qWait(1100);
    QVERIFY2(spy.count() >= 2 && spy.count() <= 6, qPrintable(QString::number(spy.count())));
    QVERIFY(meter.sampleCount() > 20);
    // An idle loop on a shared machine: only a very wide bound.
    QVERIFY(meter.p99Ms() < 150);
    meter.stop();
    QVERIFY(!meter.isRunning());
}

void TestLagMeter::blockedLoopShowsLag()
{
    LagMeter meter;
    QTest::qWait(100);
    QTimer::singleShot(20, &meter, [] { QThread::msleep(200); });  // a slot that blocks the loop
    QSignalSpy spy(&meter, &LagMeter::lagUpdated);
    QTest::qWait(700);
    QVERIFY2(meter.maxMs() >= 150, qPrintable(QString::number(meter.maxMs())));
    QVERIFY(meter.maxMs() < 2000);
    // One blocked tick among ~60 in the window: the p99 is the blocked one.
    QVERIFY2(meter.p99Ms() >= 150, qPrintable(QString::number(meter.p99Ms())));
    double reported = 0;
    for (const auto &args : spy)
        reported = std::max(reported, args.at(0).toDouble());
    QVERIFY2(reported >= 150, qPrintable(QString::number(reported)));
}

void TestLagMeter::recordingIncludesBlockInProgress()
{
    LagMeter meter;
    QTest::qWait(100);
    meter.beginRecording();
    QVERIFY(meter.isRecording());
    QThread::msleep(200);  // e.g. a run on the UI thread, ended before the loop runs again
    QVERIFY(meter.currentMs() >= 150);
    const double p99 = meter.endRecording();
    QVERIFY2(p99 >= 150, qPrintable(QString::number(p99)));
    QVERIFY(!meter.isRecording());
}

void TestLagMeter::endWithoutBeginIsUnset()
{
    LagMeter meter;
    QCOMPARE(meter.endRecording(), -1.0);
}

void TestLagMeter::watchdogSeesAStallWhileItLasts()
{
    LagMeter meter;
    QTest::qWait(100);
    // Another thread looks while this (the watched) thread is blocked for 600 ms.
    std::atomic<double> seenDuring{-1}, p99During{-1};
    std::thread observer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(450));
        seenDuring = meter.stallMs();
        p99During = meter.p99Ms();
    });
    QThread::msleep(600);
    observer.join();
    QVERIFY2(seenDuring >= 300, qPrintable(QString::number(seenDuring)));
    QVERIFY2(p99During >= 300, qPrintable(QString::number(p99During)));
    // Afterwards the whole stall is one sample of the window.
    QTest::qWait(100);
    QVERIFY2(meter.maxMs() >= 550, qPrintable(QString::number(meter.maxMs())));
    QVERIFY(meter.stallMs() < 500);
}

QTEST_GUILESS_MAIN(TestLagMeter)
#include "tst_lagmeter.moc"
