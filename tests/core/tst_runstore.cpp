#include "store/runstore.h"
#include "testutil.h"

#include <QSignalSpy>
#include <QTest>

using namespace lab;

namespace {

ExperimentSpec cpuSpec(int count = 12)
{
    return test::specFromJson(
        QStringLiteral(R"({"name":"t","workload":{"kind":"cpu","numbers":{"start":300000,"count":%1}}})")
            .arg(count)
            .toUtf8());
}

RunRecord run(const QString &model, int rep, double wall, int workers = 2, double t0 = 100)
{
    RunRecord r;
    r.model = model;
    r.repetition = rep;
    r.workers = workers;
    r.t0 = t0;
    r.wall_s = wall;
    r.cpu_s = wall;
    r.tasks_total = r.tasks_ok = 4;
    return r;
}

CpuSample sample(double t)
{
    return {t, 50, {40, 60}};
}

} // namespace

class TestRunStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void variantsAreRunsOfTheirOwnNotRepetitions()
    {
        // Two variants x two models x two repetitions: four medians, each against its own
        // variant's sequential run, variants in the order they ran.
        std::vector<RunRecord> runs;
        const struct {
            const char *variant, *model;
            double walls[2];
        } table[] = {{"mutex", "sequential", {4.0, 5.0}},
                     {"mutex", "threads", {8.0, 9.0}},
                     {"atomic", "sequential", {1.0, 1.5}},
                     {"atomic", "threads", {0.5, 0.75}}};
        for (int rep = 0; rep < 2; ++rep)
            for (const auto &row : table) {
                RunRecord r = run(QLatin1String(row.model), rep, row.walls[rep]);
                r.variant = QLatin1String(row.variant);
                runs.push_back(r);
            }
        const std::vector<RunRecord> medians = RunStore::medianRuns(runs);
        QCOMPARE(int(medians.size()), 4);

        RunStore store;
        store.beginExperiment(cpuSpec());
        for (size_t i = 0; i < runs.size(); ++i)
            store.runFinished(runs[i]);
        const std::vector<RunRecord> cmp = store.comparisonRuns();
        QCOMPARE(int(cmp.size()), 4);
        QCOMPARE(cmp[0].variant, QStringLiteral("mutex"));
        QCOMPARE(cmp[0].model, QStringLiteral("sequential"));
        QCOMPARE(cmp[1].variant, QStringLiteral("mutex"));
        QCOMPARE(cmp[1].wall_s, 8.0);  // the lower median of 8 and 9
        QCOMPARE(cmp[1].speedup, 0.5);  // 4 / 8: against mutex's sequential, not atomic's
        QCOMPARE(cmp[3].variant, QStringLiteral("atomic"));
        QCOMPARE(cmp[3].speedup, 2.0);  // 1 / 0.5
        const QHash<QString, RunStore::Spread> spread = store.comparisonSpread();
        QCOMPARE(spread.value(QStringLiteral("atomic/threads")).runs, 2);
        QCOMPARE(spread.value(QStringLiteral("mutex/threads")).maxWall, 9.0);
        QCOMPARE(RunStore::comparisonKey(cmp[0]), QStringLiteral("mutex/sequential"));
    }

    void liveExperimentMedianAndSpeedups()
    {
        RunStore store;
        QSignalSpy added(&store, &RunStore::experimentAdded);
        QSignalSpy current(&store, &RunStore::currentExperimentChanged);
        QSignalSpy runs(&store, &RunStore::runAdded);
        QSignalSpy finished(&store, &RunStore::experimentFinished);
        const int id = store.beginExperiment(cpuSpec());
        QVERIFY(id > 0);
        QCOMPARE(added.count(), 1);
        QCOMPARE(current.count(), 1);
        QCOMPARE(store.currentId(), id);
        QVERIFY(store.current()->live);

        // Three repetitions of each: the median (by wall time) is kept, not the last one.
        const double seq[] = {2.0, 1.0, 3.0};
        const double thr[] = {0.6, 0.5, 0.9};
        int index = 0;
        for (int rep = 0; rep < 3; ++rep) {
            store.runStarted(index, QStringLiteral("sequential"), 1, 100 + index);
            QCOMPARE(int(store.startedRuns().size()), 1);
            store.runFinished(run(QStringLiteral("sequential"), rep, seq[rep], 1, 100 + index));
            QVERIFY(store.startedRuns().empty());
            ++index;
            store.runStarted(index, QStringLiteral("threads"), 2, 100 + index);
            store.runFinished(run(QStringLiteral("threads"), rep, thr[rep], 2, 100 + index));
            ++index;
        }
        QCOMPARE(runs.count(), 6);
        QCOMPARE(runs.last().at(1).toInt(), 5);
        QCOMPARE(int(store.current()->result.runs.size()), 6);

        const std::vector<RunRecord> cmp = store.comparisonRuns();
        QCOMPARE(int(cmp.size()), 2);
        QCOMPARE(cmp[0].model, QStringLiteral("sequential"));  // registry order
        QCOMPARE(cmp[0].wall_s, 2.0);
        QCOMPARE(cmp[1].wall_s, 0.6);
        QCOMPARE(cmp[0].speedup, 1.0);
        QVERIFY(qFuzzyCompare(cmp[1].speedup, 2.0 / 0.6));
        QVERIFY(qFuzzyCompare(cmp[1].efficiency, 2.0 / 0.6 / 2));
        // Speedups inside the experiment: against the median of all baseline runs (2.0).
        QVERIFY(qFuzzyCompare(store.current()->result.runs[1].speedup, 2.0 / 0.6));

        ExperimentResult final = store.current()->result;
        final.cancelled = false;
        store.finishExperiment(final);
        QCOMPARE(finished.count(), 1);
        QVERIFY(!store.current()->live);
        QVERIFY(!store.liveExperiment());
    }

    void separateClicksStayComparable()
    {
        RunStore store;
        store.beginExperiment(cpuSpec());
        store.runFinished(run(QStringLiteral("sequential"), 0, 2.0, 1));
        store.runFinished(run(QStringLiteral("processes"), 0, 1.0));
        store.finishExperiment(store.current()->result);
        // Only threads this time: the kept sequential and processes runs stay, threads is
        // compared with the sequential run of the earlier click.
        store.beginExperiment(cpuSpec());
        store.runFinished(run(QStringLiteral("threads"), 0, 0.5));
        std::vector<RunRecord> cmp = store.comparisonRuns();
        QCOMPARE(int(cmp.size()), 3);
        QCOMPARE(cmp[0].model, QStringLiteral("sequential"));
        QCOMPARE(cmp[1].model, QStringLiteral("threads"));
        QCOMPARE(cmp[2].model, QStringLiteral("processes"));
        QCOMPARE(cmp[1].speedup, 4.0);
        store.finishExperiment(store.current()->result);

        // A new sequential run replaces the old one for every comparison.
        store.beginExperiment(cpuSpec());
        store.runFinished(run(QStringLiteral("sequential"), 0, 3.0, 1));
        cmp = store.comparisonRuns();
        QCOMPARE(cmp[0].wall_s, 3.0);
        QCOMPARE(cmp[1].speedup, 6.0);
        store.finishExperiment(store.current()->result);

        // Another workload starts a fresh comparison.
        store.beginExperiment(cpuSpec(24));
        QVERIFY(store.comparisonRuns().empty());
        store.runFinished(run(QStringLiteral("threads"), 0, 0.5));
        cmp = store.comparisonRuns();
        QCOMPARE(int(cmp.size()), 1);
        QCOMPARE(cmp[0].speedup, -1.0);  // no baseline: no speedup, not 0
        QCOMPARE(store.experimentCount(), 4);
    }

    void cancelledRunsNeverCount()
    {
        RunStore store;
        store.beginExperiment(cpuSpec());
        store.runFinished(run(QStringLiteral("sequential"), 0, 2.0, 1));
        RunRecord stopped = run(QStringLiteral("threads"), 0, 0.1);
        stopped.cancelled = true;
        store.runFinished(stopped);
        const std::vector<RunRecord> cmp = store.comparisonRuns();
        QCOMPARE(int(cmp.size()), 1);
        QCOMPARE(cmp[0].model, QStringLiteral("sequential"));
        QCOMPARE(store.current()->result.runs[1].speedup, -1.0);
    }

    // Python models compare with CPython's own sequential run, native ones with the native one.
    void pythonBaseline()
    {
        RunStore store;
        store.beginExperiment(cpuSpec());
        store.runFinished(run(QStringLiteral("sequential"), 0, 1.0, 1));
        store.runFinished(run(QStringLiteral("python-sequential"), 0, 8.0, 1));
        store.runFinished(run(QStringLiteral("python-processes"), 0, 4.0));
        store.runFinished(run(QStringLiteral("threads"), 0, 0.5));
        for (const RunRecord &r : store.comparisonRuns()) {
            if (r.model == QLatin1String("python-processes"))
                QCOMPARE(r.speedup, 2.0);
            if (r.model == QLatin1String("threads"))
                QCOMPARE(r.speedup, 2.0);
        }
    }

    void loadedExperimentStandsAlone()
    {
        RunStore store;
        store.beginExperiment(cpuSpec());
        store.runFinished(run(QStringLiteral("sequential"), 0, 2.0, 1));
        store.finishExperiment(store.current()->result);
        const int liveId = store.currentId();

        ExperimentResult saved;
        saved.spec = cpuSpec();
        saved.runs = {run(QStringLiteral("sequential"), 0, 4.0, 1, 10), run(QStringLiteral("threads"), 0, 1.0, 2, 15)};
        QSignalSpy added(&store, &RunStore::experimentAdded);
        QSignalSpy current(&store, &RunStore::currentExperimentChanged);
        const int id = store.addLoaded(saved, {sample(12), sample(11)}, 10, QStringLiteral("/x/results.json"));
        QCOMPARE(added.count(), 1);
        QCOMPARE(current.count(), 1);
        QCOMPARE(store.currentId(), id);
        const StoredExperiment *e = store.current();
        QVERIFY(e->isLoaded());
        QCOMPARE(e->source, QStringLiteral("/x/results.json"));
        QCOMPARE(int(e->cpuSamples.size()), 2);
        QCOMPARE(e->cpuSamples[0].t, 11.0);  // sorted
        QCOMPARE(e->cpuHz, 10.0);
        QCOMPARE(e->result.runs[1].speedup, 4.0);  // computed on load
        std::vector<RunRecord> cmp = store.comparisonRuns();
        QCOMPARE(int(cmp.size()), 2);
        QCOMPARE(cmp[0].wall_s, 4.0);  // the file's own baseline, not the session's

        QVERIFY(store.setCurrentExperiment(liveId));
        QCOMPARE(int(store.comparisonRuns().size()), 1);
        QVERIFY(!store.setCurrentExperiment(999));
        QCOMPARE(store.currentId(), liveId);
    }

    void samplesOfALiveExperiment()
    {
        RunStore store;
        QSignalSpy samples(&store, &RunStore::cpuSampleAdded);
        const double now = monotonicSeconds();
        store.addCpuSample(sample(now - 5));   // long before: session only
        store.addCpuSample(sample(now - 0.5)); // within a second of the start: kept
        store.addCpuSample(sample(now - 0.6)); // out of order: dropped
        QCOMPARE(samples.count(), 2);
        store.beginExperiment(cpuSpec());
        store.runFinished(run(QStringLiteral("sequential"), 0, 0.2, 1, now));
        store.addCpuSample(sample(now + 0.1));
        store.finishExperiment(store.current()->result);
        store.addCpuSample(sample(now + 0.9));  // the second after the end: kept
        store.addCpuSample(sample(now + 5));    // later: session only
        QCOMPARE(int(store.sessionSamples().size()), 5);
        QCOMPARE(int(store.current()->cpuSamples.size()), 3);
        QCOMPARE(store.current()->cpuSamples.back().t, now + 0.9);
    }
};

QTEST_GUILESS_MAIN(TestRunStore)
#include "tst_runstore.moc"
