// Thread-state traces: the recorder's bounds and clock, JSON and CBOR round trips, malformed
// input refused with one line, and the Runner's rebasing onto the run's start.
#include "experiment/runrecord.h"
#include "trace/statetrace.h"
#include "util/sysinfo.h"

#include <QJsonDocument>
#include <QTest>

using namespace lab;

class TestStateTrace : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void stateIdsRoundTrip()
    {
        for (int i = 0; i < kLaneStateCount; ++i) {
            LaneState s;
            QVERIFY(laneStateFromId(laneStateId(LaneState(i)), &s));
            QCOMPARE(int(s), i);
            QVERIFY(!laneStateLabel(LaneState(i)).isEmpty());
        }
        LaneState s;
        QVERIFY(!laneStateFromId(QStringLiteral("nap"), &s));
    }

    void recorderUsesTheSharedMonotonicClock()
    {
        // monotonicNs() and monotonicSeconds() are one clock: a worker process, CPython's
        // time.monotonic() and the app compare directly.
        const double a = monotonicSeconds();
        const qint64 ns = monotonicNs();
        const double b = monotonicSeconds();
        QVERIFY(double(ns) * 1e-9 >= a - 1e-6 && double(ns) * 1e-9 <= b + 1e-6);

        TraceRecorder rec(5);
        QVERIFY(rec.empty());
        QVERIFY(!rec.finish());
        rec.wait(LaneState::Semaphore, 1, 2'000'000'000, 2'000'500'000, 2, 2'000'400'000);
        rec.set(1, 2'000'500'000, 3);
        const TaskTracePtr t = rec.finish();
        QVERIFY(t);
        QCOMPARE(t->spans.size(), size_t(1));
        QCOMPARE(t->spans[0].start_s, 2.0);
        QCOMPARE(t->spans[0].end_s, 2.0005);
        QCOMPARE(t->spans[0].culpritTask, 2);
        QVERIFY(qAbs(t->spans[0].wakeLatency_s - 0.0001) < 1e-12);
        QCOMPARE(t->events[0].task, 5);  // the recorder's own task changed the value
        QVERIFY(rec.empty());           // finish() hands over and resets
    }

    void recorderIsBounded()
    {
        TraceRecorder rec(0);
        const size_t n = TaskTrace::kMaxRecords + 25;
        for (size_t i = 0; i < n; ++i) {
            rec.wait(LaneState::Lock, 0, qint64(i) * 10, qint64(i) * 10 + 5);
            rec.set(0, qint64(i) * 10, int(i));
        }
        const TaskTracePtr t = rec.finish();
        QCOMPARE(t->spans.size(), TaskTrace::kMaxRecords);
        QCOMPARE(t->droppedSpans, qint64(25));
        QCOMPARE(t->events.size(), TaskTrace::kMaxRecords);
        QCOMPARE(t->droppedEvents, qint64(25));
    }

    void jsonAndCborRoundTrip()
    {
        TaskTrace t;
        t.spans.push_back({LaneState::Condition, 3, 1.5, 1.75, 4, 0.001});
        t.spans.push_back({LaneState::Io, -1, 2.0, 2.0, -1, -1});
        t.events.push_back({3, 1.75, -1, 4});
        t.droppedEvents = 2;
        for (int form = 0; form < 2; ++form) {
            TaskTrace back;
            QString error;
            const bool ok = form == 0 ? TaskTrace::fromJson(t.toJson(), &back, &error)
                                      : TaskTrace::fromCbor(t.toCbor(), &back, &error);
            QVERIFY2(ok, qPrintable(error));
            QCOMPARE(back.spans.size(), size_t(2));
            QCOMPARE(back.spans[0].state, LaneState::Condition);
            QCOMPARE(back.spans[0].primitive, qint16(3));
            QCOMPARE(back.spans[0].culpritTask, 4);
            QCOMPARE(back.spans[0].wakeLatency_s, 0.001);
            QCOMPARE(back.spans[1].wakeLatency_s, -1.0);  // null: unknown
            QCOMPARE(back.events[0].value, -1);
            QCOMPARE(back.droppedEvents, qint64(2));
        }
    }

    void malformedTracesAreRefused_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("needle");
        QTest::newRow("unknown state") << QByteArray(R"({"spans":[["nap",0,1,2,-1,null]]})") << "span 0";
        QTest::newRow("end before start") << QByteArray(R"({"spans":[["lock",0,2,1,-1,null]]})") << "span 0";
        QTest::newRow("short span") << QByteArray(R"({"spans":[["lock",0,1]]})") << "span 0";
        QTest::newRow("event without time") << QByteArray(R"({"events":[[0,"x",1,2]]})") << "event 0";
    }

    void malformedTracesAreRefused()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, needle);
        TaskTrace t;
        QString error;
        QVERIFY(!TaskTrace::fromJson(QJsonDocument::fromJson(json).object(), &t, &error));
        QVERIFY2(error.contains(needle), qPrintable(error));
        QVERIFY(!TaskTrace::fromCbor(QByteArray("\xa1\x00", 2), &t, &error));
        QVERIFY(!error.isEmpty());
    }

    void aRunRecordKeepsVariantPrimitivesAndTracesThroughJson()
    {
        RunRecord r;
        r.model = QStringLiteral("threads");
        r.variant = QStringLiteral("mutex");
        r.primitives = {{QStringLiteral("counter lock"), QStringLiteral("mutex"), 0},
                        {QStringLiteral("permits"), QStringLiteral("semaphore"), 4}};
        TaskResult t;
        t.id = 1;
        t.ok = true;
        auto trace = std::make_shared<TaskTrace>();
        trace->spans.push_back({LaneState::Lock, 0, 0.25, 0.5, 0, 0.00002});
        t.trace = trace;
        r.tasks.push_back(t);
        r.tasks.push_back(TaskResult{});
        QString error;
        const std::optional<RunRecord> back = RunRecord::fromJson(r.toJson(), &error);
        QVERIFY2(back, qPrintable(error));
        QCOMPARE(back->variant, QStringLiteral("mutex"));
        QCOMPARE(back->primitives.size(), size_t(2));
        QCOMPARE(back->primitives[1].capacity, 4);
        QCOMPARE(back->primitives[0].kind, QStringLiteral("mutex"));
        QVERIFY(back->tasks[0].trace && back->tasks[0].trace->spans.size() == 1);
        QCOMPARE(back->tasks[0].trace->spans[0].culpritTask, 0);
        QVERIFY(!back->tasks[1].trace);
        QVERIFY(!back->extra.contains(QStringLiteral("variant")));
        QVERIFY(!back->extra.contains(QStringLiteral("primitives")));
    }

    void shiftRebasesEveryTime()
    {
        TaskTrace t;
        t.spans.push_back({LaneState::Sleep, -1, 1000.5, 1001.0, -1, -1});
        t.events.push_back({0, 1000.75, 1, 0});
        t.shift(-1000.0);
        QCOMPARE(t.spans[0].start_s, 0.5);
        QCOMPARE(t.spans[0].end_s, 1.0);
        QCOMPARE(t.events[0].t_s, 0.75);
    }
};

QTEST_GUILESS_MAIN(TestStateTrace)
#include "tst_statetrace.moc"
