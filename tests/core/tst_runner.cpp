#include "experiment/runner.h"
#include "export/resultwriter.h"
#include "models/executionmodel.h"
#include "sampling/procstat.h"
#include "testutil.h"
#include "util/sysinfo.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <thread>

using namespace lab;
using lab::test::TimingTry;

static ExperimentSpec smallSpec(QStringList models, int repeat = 1)
{
    QString error;
    auto spec = ExperimentSpec::fromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":{"start":300000,"count":12}}})",
                                         &error);
    spec->models = std::move(models);
    spec->params.insert(QStringLiteral("repeat"), repeat);
    return *spec;
}

class TestRunner : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sequentialAndThreadsAgree()
    {
        Runner runner;
        const ExperimentResult r = runner.run(smallSpec({QStringLiteral("threads"), QStringLiteral("sequential")}));
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(r.runs.size(), size_t(2));
        QCOMPARE(r.runs[0].model, QStringLiteral("sequential"));  // baseline first
        QCOMPARE(r.runs[0].workers, 1);
        for (const RunRecord &run : r.runs) {
            QVERIFY(run.verified);
            QCOMPARE(run.tasks_total, 12);
            QCOMPARE(run.tasks_ok, 12);
            QVERIFY(run.cpu_s > 0);
            QVERIFY(run.speedup > 0);
            QVERIFY(!run.throughput.empty());
            for (size_t i = 0; i < run.tasks.size(); ++i) {
                QCOMPARE(run.tasks[i].id, int(i));
                QCOMPARE(run.tasks[i].value, r.runs[0].tasks[i].value);
                QVERIFY(run.tasks[i].start_s >= 0 && run.tasks[i].end_s <= run.wall_s + 1e-3);
            }
        }
        QCOMPARE(r.runs[0].speedup, 1.0);
        QVERIFY(r.allOk());
    }

    // Wide physical bound: 2 native threads on 2 cores keep more than one core busy.
    void threadsUseSeveralCores()
    {
        if (onlineCores() < 2)
            QSKIP("needs 2 cores");
        ExperimentSpec spec = smallSpec({QStringLiteral("threads")}, 200);
        spec.workers = 2;
        LAB_VERIFY_TIMING([&](TimingTry &t) {
            Runner runner;
            const ExperimentResult r = runner.run(spec);
            QVERIFY(r.runs[0].verified);
            if (r.runs[0].busy_cores <= 1.3)
                t.miss(QStringLiteral("2 threads kept %1 cores busy").arg(r.runs[0].busy_cores, 0, 'f', 2));
        });
    }

    void cancelStopsThreadsWithin100ms()
    {
        ExperimentSpec spec = smallSpec({QStringLiteral("threads")}, 100000);
        spec.workers = 4;
        LAB_VERIFY_TIMING([&](TimingTry &t) {
            Runner runner;
            ExperimentResult result;
            std::thread th([&] { result = runner.run(spec); });
            QTest::qWait(300);
            QElapsedTimer sinceCancel;
            sinceCancel.start();
            runner.requestCancel();
            th.join();
            if (sinceCancel.elapsed() >= 100)
                t.miss(QStringLiteral("the run stopped %1 ms after the cancel").arg(sinceCancel.elapsed()));
            QVERIFY(result.cancelled);
            QCOMPARE(result.runs.size(), size_t(1));
            QVERIFY(result.runs[0].cancelled);
            QVERIFY(!result.runs[0].verified);
            QCOMPARE(result.runs[0].tasks_total, 12);
        });
    }

    void unknownModelIsAnError()
    {
        Runner runner;
        const ExperimentResult r = runner.run(smallSpec({QStringLiteral("fibers")}));
        QVERIFY(r.error.contains(QStringLiteral("unknown model")));
        QVERIFY(r.runs.empty());
    }

    void jsonHasTheDocumentedKeys()
    {
        Runner runner;
        const ExperimentResult r = runner.run(smallSpec({QStringLiteral("sequential")}));
        const QJsonObject o = QJsonDocument::fromJson(resultToJson(r)).object();
        for (const char *k : {"spec", "machine", "runs"})
            QVERIFY2(o.contains(QLatin1String(k)), k);
        QVERIFY(o[QStringLiteral("machine")].toObject().contains(QStringLiteral("cpu_model")));
        QCOMPARE(o[QStringLiteral("machine")].toObject()[QStringLiteral("cores")].toInt(), onlineCores());
        const QJsonObject run = o[QStringLiteral("runs")].toArray().at(0).toObject();
        for (const char *k : {"model", "workers", "wall_s", "cpu_s", "busy_cores", "speedup", "efficiency",
                              "tasks_total", "tasks_ok", "tasks_failed", "verified", "worker_restarts",
                              "spawn_us_median", "peak_rss_kb", "tasks"})
            QVERIFY2(run.contains(QLatin1String(k)), k);
        const QJsonObject task = run[QStringLiteral("tasks")].toArray().at(0).toObject();
        for (const char *k : {"id", "worker", "start_s", "end_s", "cpu_start", "cpu_end", "ok"})
            QVERIFY2(task.contains(QLatin1String(k)), k);
        QVERIFY(run[QStringLiteral("peak_rss_kb")].toDouble() > 1000);
        const QByteArray csv = runsToCsv(r.runs);
        QVERIFY(csv.startsWith("model,repetition,workers,wall_s"));
        QCOMPARE(csv.count('\n'), 2);
        QCOMPARE(tasksToCsv(r.runs).count('\n'), 13);
    }

    // CPython runs compare with CPython's sequential run, native runs with the native one;
    // failed or cancelled baselines give no speedup rather than a wrong one.
    void speedupsUseTheirOwnBaseline()
    {
        auto run = [](const char *model, double wall, int workers = 2) {
            RunRecord r;
            r.model = QLatin1String(model);
            r.wall_s = wall;
            r.workers = workers;
            r.tasks_ok = 4;
            return r;
        };
        std::vector<RunRecord> runs{run("sequential", 2.0, 1), run("threads", 1.0), run("python-sequential", 8.0, 1),
                                    run("python-threads", 8.0), run("python-processes", 4.0)};
        applySpeedups(runs);
        QCOMPARE(runs[1].speedup, 2.0);
        QCOMPARE(runs[1].efficiency, 1.0);
        QCOMPARE(runs[3].speedup, 1.0);
        QCOMPARE(runs[4].speedup, 2.0);
        QCOMPARE(baselineModel(QStringLiteral("gil-threads")), QStringLiteral("sequential"));
        runs[0].error = QStringLiteral("broken");
        applySpeedups(runs);
        QCOMPARE(runs[1].speedup, -1.0);
        QCOMPARE(runs[4].speedup, 2.0);
    }

    void liveLogSeesEveryTask()
    {
        Runner runner;
        runner.run(smallSpec({QStringLiteral("threads")}));
        size_t cursor = 0;
        const auto events = runner.live().since(&cursor);
        int started = 0, finished = 0;
        for (const LiveEvent &e : events)
            (e.type == LiveEvent::TaskStarted ? started : finished)++;
        QCOMPARE(started, 12);
        QCOMPARE(finished, 12);
        QCOMPARE(runner.live().since(&cursor).size(), size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestRunner)
#include "tst_runner.moc"
