#include "export/chrometrace.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <vector>

using namespace lab;

class TestChromeTrace : public QObject {
    Q_OBJECT

    static ExperimentResult sample()
    {
        ExperimentResult res;
        res.spec.name = QStringLiteral("t");
        res.spec.params = QJsonObject{{QStringLiteral("numbers"), QJsonArray{10, 20, 30}}};
        res.machine.cores = 2;
        RunRecord seq;
        seq.model = QStringLiteral("sequential");
        seq.workers = 1;
        seq.t0 = 100.0;
        seq.wall_s = 0.3;
        for (int i = 0; i < 3; ++i) {
            TaskResult t;
            t.id = i;
            t.worker = 0;
            t.start_s = 0.1 * i;
            t.end_s = 0.1 * i + 0.09;
            t.ok = true;
            seq.tasks.push_back(t);
        }
        RunRecord gil = seq;
        gil.model = QStringLiteral("gil-threads");
        gil.t0 = 101.0;
        gil.workers = 2;
        gil.tasks[1].worker = 1;
        GilStats stats;
        stats.spans = {{0, 0.0, 0.005}, {1, 0.005, 0.010}};
        gil.gil = stats;
        res.runs = {seq, gil};
        return res;
    }

    static QJsonArray eventsOf(const QByteArray &json)
    {
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
        if (err.error != QJsonParseError::NoError)
            return {};
        return doc.object().value(QStringLiteral("traceEvents")).toArray();
    }

private Q_SLOTS:
    void tasksGilAndCounters()
    {
        std::vector<CpuSample> samples;
        for (int i = 0; i < 30; ++i)
            samples.push_back({95.0 + 0.5 * i, 50.0, {40.0, 60.0}});
        const QJsonArray events = eventsOf(chromeTraceJson(sample(), samples));
        QVERIFY(!events.isEmpty());
        int tasks = 0, gilSpans = 0, counters = 0, processes = 0;
        std::vector<double> perCoreTs, totalTs;
        double firstTaskTs = -1, gilSecondTs = -1;
        for (const QJsonValue &v : events) {
            const QJsonObject e = v.toObject();
            const QString ph = e.value(QStringLiteral("ph")).toString();
            QVERIFY(!ph.isEmpty());
            QVERIFY(e.contains(QStringLiteral("pid")));
            if (ph == QLatin1String("X") && e.value(QStringLiteral("cat")).toString() == QLatin1String("task")) {
                ++tasks;
                QVERIFY(e.value(QStringLiteral("dur")).toDouble() > 0);
                if (firstTaskTs < 0)
                    firstTaskTs = e.value(QStringLiteral("ts")).toDouble();
                QVERIFY(e.value(QStringLiteral("args")).toObject().contains(QStringLiteral("n")));
            }
            if (ph == QLatin1String("X") && e.value(QStringLiteral("cat")).toString() == QLatin1String("gil")) {
                ++gilSpans;
                gilSecondTs = e.value(QStringLiteral("ts")).toDouble();
            }
            if (ph == QLatin1String("C")) {
                ++counters;
                const QJsonObject args = e.value(QStringLiteral("args")).toObject();
                const QString name = e.value(QStringLiteral("name")).toString();
                if (name == QLatin1String("CPU per core (%)")) {
                    perCoreTs.push_back(e.value(QStringLiteral("ts")).toDouble());
                    QCOMPARE(args.value(QStringLiteral("cpu000")).toDouble(), 40.0);
                    QCOMPARE(args.value(QStringLiteral("cpu001")).toDouble(), 60.0);
                } else {
                    QCOMPARE(name, QStringLiteral("CPU total (%)"));
                    totalTs.push_back(e.value(QStringLiteral("ts")).toDouble());
                    QCOMPARE(args.value(QStringLiteral("total")).toDouble(), 50.0);
                }
            }
            if (ph == QLatin1String("M") && e.value(QStringLiteral("name")).toString() == QLatin1String("process_name"))
                ++processes;
        }
        QCOMPARE(tasks, 6);
        QCOMPARE(gilSpans, 2);
        QCOMPARE(processes, 3);  // machine + 2 runs
        QCOMPARE(firstTaskTs, 0.0);
        // Second GIL span: run 2 starts 1 s after run 1, span at +5 ms => 1005000 µs.
        QCOMPARE(gilSecondTs, 1005000.0);
        // The runs span 100 s .. 101.3 s, so the samples inside [first t0 - 1, last end + 1] are the
        // seven at 99, 99.5, ..., 102 s (the one at 102.5 s is out): two counter events each.
        QCOMPARE(counters, 14);
        const std::vector<double> expectedTs{-1e6, -0.5e6, 0, 0.5e6, 1e6, 1.5e6, 2e6};
        QCOMPARE(perCoreTs, expectedTs);
        QCOMPARE(totalTs, expectedTs);
    }

    void emptyResultIsValidJson()
    {
        const QByteArray json = chromeTraceJson(ExperimentResult{});
        QJsonParseError err;
        QJsonDocument::fromJson(json, &err);
        QCOMPARE(err.error, QJsonParseError::NoError);
    }
};

QTEST_GUILESS_MAIN(TestChromeTrace)
#include "tst_chrometrace.moc"
