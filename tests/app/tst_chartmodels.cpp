// The chart models, the time range and the redraw clock, without a single widget.
#include "chartmodels/chartmodels.h"
#include "chartmodels/redrawclock.h"
#include "store/runstore.h"
#include "testutil.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <cmath>

using namespace lab;

namespace {

ExperimentSpec cpuSpec()
{
    return test::specFromJson(R"({"name":"m","workload":{"kind":"cpu","numbers":{"start":300000,"count":4}}})");
}

RunRecord run(const QString &model, int rep, double t0, double wall, int tasks = 4, int workers = 2)
{
    RunRecord r;
    r.model = model;
    r.repetition = rep;
    r.workers = workers;
    r.t0 = t0;
    r.wall_s = wall;
    r.cpu_s = wall * workers;
    for (int i = 0; i < tasks; ++i) {
        TaskResult t;
        t.id = i;
        t.worker = i % workers;
        t.start_s = wall * i / tasks;
        t.end_s = wall * (i + 1) / tasks;
        t.ok = t.verified = true;
        r.tasks.push_back(t);
    }
    r.finalize(tasks);
    return r;
}

CpuSample sample(double t, double total = 50)
{
    return {t, total, {total - 10, total + 10}};
}

LiveEvent liveEvent(LiveEvent::Type type, int run, int task, int worker, double t)
{
    LiveEvent e;
    e.type = type;
    e.run = run;
    e.taskId = task;
    e.worker = worker;
    e.t = t;
    e.ok = true;
    return e;
}

} // namespace

class TestChartModels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void timeRange()
    {
        TimeRange range;
        QSignalSpy changed(&range, &TimeRange::rangeChanged);
        QSignalSpy follow(&range, &TimeRange::followLiveChanged);
        QVERIFY(range.followsLive());
        range.setLiveRange(10, 40);
        QCOMPARE(range.lower(), 10.0);
        QCOMPARE(changed.count(), 1);
        range.setLiveRange(10, 40);  // unchanged: no signal
        QCOMPARE(changed.count(), 1);
        range.setRange(12, 14);      // a user zoom leaves live follow
        QVERIFY(!range.followsLive());
        QCOMPARE(follow.count(), 1);
        range.setLiveRange(20, 50);  // ignored while not following
        QCOMPARE(range.upper(), 14.0);
        range.setRange(5, 4);        // empty: ignored
        QCOMPARE(range.lower(), 12.0);
        range.setOrigin(100);        // same moments: the range shifts by the origin's change
        QCOMPARE(range.lower(), 12.0 - 100);
        QCOMPARE(range.origin(), 100.0);
        QSignalSpy cursor(&range, &TimeRange::cursorChanged);
        range.setCursor(qQNaN());    // already hidden
        QCOMPARE(cursor.count(), 0);
        range.setCursor(3);
        range.setCursor(3);
        QCOMPARE(cursor.count(), 1);
    }

    void redrawClockCoalesces()
    {
        RedrawClock clock(20);
        QSignalSpy ticks(&clock, &RedrawClock::tick);
        QVERIFY(!clock.isArmed());
        for (int i = 0; i < 100; ++i)
            clock.arm();
        QVERIFY(clock.isArmed());
        QVERIFY(ticks.wait(1000));
        QTest::qWait(100);
        QCOMPARE(ticks.count(), 1);  // one tick for the burst, none while nothing changes
        clock.arm();
        QVERIFY(ticks.wait(1000));
        QCOMPARE(clock.tickCount(), 2);
    }

    void cpuSeriesModel()
    {
        CpuSeriesModel m;
        QSignalSpy cores(&m, &CpuSeriesModel::coreCountChanged);
        m.addSample(sample(1));
        m.addSample(sample(2));
        m.addSample(sample(1.5));  // out of order: dropped
        QCOMPARE(m.sampleCount(), 2);
        QCOMPARE(m.coreCount(), 2);
        QCOMPARE(cores.count(), 1);
        QCOMPARE(m.newestTime(), 2.0);
        m.addSample({3, 20, {10, 20, 30, 40}});  // a core came online: a new ring
        QCOMPARE(m.coreCount(), 4);
        QCOMPARE(m.sampleCount(), 1);
        m.markRunStarted(1, QStringLiteral("sequential"));
        m.markRunStarted(2, QStringLiteral("threads"));  // closes the open span
        QCOMPARE(m.spans().front().t1, 2.0);
        QVERIFY(std::isnan(m.spans().back().t1));
        m.markRunFinished(2.5);
        QCOMPARE(m.spans().back().t1, 2.5);
        for (int i = 0; i < 300; ++i)
            m.markRunStarted(10 + i, QStringLiteral("threads"));
        QCOMPARE(int(m.spans().size()), CpuSeriesModel::kMaxSpans);
        m.setSamples({sample(5), sample(6), sample(6)});
        QCOMPARE(m.sampleCount(), 2);
        QCOMPARE(m.coreCount(), 2);
    }

    void comparisonModel()
    {
        ComparisonModel m;
        RunRecord seq = run(QStringLiteral("sequential"), 0, 10, 2.0, 4, 1);
        RunRecord thr = run(QStringLiteral("threads"), 0, 13, 1.0);
        RunRecord bad = run(QStringLiteral("processes"), 0, 15, 1.0);
        bad.error = QStringLiteral("no worker");
        std::vector<RunRecord> runs{seq, thr, bad};
        applySpeedups(runs);
        m.setRuns(runs);
        QCOMPARE(m.models(), (QStringList{QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("processes")}));
        QCOMPARE(int(m.bars().size()), 3);
        QCOMPARE(*m.bars()[1].value[ComparisonModel::Speedup], 2.0);
        QCOMPARE(*m.bars()[1].value[ComparisonModel::Efficiency], 100.0);
        QCOMPARE(*m.bars()[0].value[ComparisonModel::WallTime], 2.0);
        QVERIFY(m.bars()[2].failed);
        QVERIFY(!m.bars()[2].value[ComparisonModel::WallTime]);  // an error has no figures, not 0
        QCOMPARE(m.idealSpeedup(1), 2);
        QVERIFY(m.hasBaseline(QStringLiteral("threads")));
        QVERIFY(!m.hasBaseline(QStringLiteral("python-threads")));
        m.setRuns({thr});  // no baseline: no speedup
        thr.speedup = -1;
        m.setRuns({thr});
        QVERIFY(!m.bars()[0].value[ComparisonModel::Speedup]);
        QVERIFY(m.bars()[0].value[ComparisonModel::BusyCores].has_value());
    }

    // A finished run replaces its own live bars by run index, whenever they started; another
    // run that started at the same moment keeps its bars (no matching by start time).
    void timelineMatchesRunsByIndex()
    {
        TimelineModel m;
        const double t0 = 100;
        m.addLiveEvent(liveEvent(LiveEvent::TaskStarted, 0, 0, 0, t0 + 0.1), t0, QStringLiteral("sequential"));
        m.addLiveEvent(liveEvent(LiveEvent::TaskStarted, 1, 0, 1, t0 - 3), t0 - 3, QStringLiteral("threads"));
        m.addLiveEvent(liveEvent(LiveEvent::TaskStarted, 1, 1, 0, t0 - 3), t0 - 3, QStringLiteral("threads"));
        QVERIFY(m.hasOpenTasks());
        QCOMPARE(int(m.bars().size()), 3);
        QCOMPARE(m.laneCount(), 2);
        m.setRun(1, run(QStringLiteral("threads"), 0, t0, 1.0, 6));  // its record says t0 = 100
        QCOMPARE(int(m.bars().size()), 1 + 6);
        int run0 = 0;
        for (const TimelineModel::Bar &b : m.bars())
            run0 += b.run == 0;
        QCOMPARE(run0, 1);
        QCOMPARE(m.nextRunIndex(), 2);
        RunRecord gil = run(QStringLiteral("gil-threads"), 0, t0, 1.0, 4);
        gil.gil = GilStats{};
        gil.gil->spans = {{0, 0.0, 0.2}, {1, 0.2, 0.4}};
        m.addRun(gil);
        QCOMPARE(int(m.gilSpans().size()), 2);
        QCOMPARE(m.gilSpans().front().run, 2);
        QCOMPARE(m.gilSpans().back().t0, t0 + 0.2);
        QCOMPARE(m.models().size(), 3);
        double lo = 0, hi = 0;
        QVERIFY(m.timeSpan(t0 + 10, &lo, &hi));
        QCOMPARE(lo, t0);
        QCOMPARE(hi, t0 + 10);  // the open bar of run 0 grows to "now"
        m.clear();
        QVERIFY(!m.timeSpan(0, &lo, &hi));
    }

    void throughputModel()
    {
        ThroughputModel m;
        QSignalSpy changed(&m, &ThroughputModel::changed);
        m.beginRun(QStringLiteral("threads"));
        m.addPoint(QStringLiteral("threads"), 0.5, 8, 0);
        m.addPoint(QStringLiteral("threads"), qQNaN(), 8, 0);  // no time: dropped
        QCOMPARE(m.pointCount(QStringLiteral("threads")), 1);
        RunRecord r = run(QStringLiteral("threads"), 0, 10, 2.0, 40);
        m.setRunRecord(r);
        QCOMPARE(m.pointCount(QStringLiteral("threads")), int(r.throughput.size()) + 1);
        QCOMPARE(m.series(QStringLiteral("threads")).front().t, 0.0);
        QVERIFY(m.smoothing() >= 0.1);
        // Smoothing keeps the mean rate: 40 tasks in 2 s.
        double sum = 0;
        for (size_t i = 1; i < m.series(QStringLiteral("threads")).size(); ++i)
            sum += m.series(QStringLiteral("threads"))[i].rate;
        QVERIFY(std::abs(sum / double(r.throughput.size()) - 20) < 4);
        m.setReferenceRate(-1);
        QCOMPARE(m.referenceRate(), 0.0);
        QVERIFY(changed.count() >= 3);
        QCOMPARE(m.pointCount(QStringLiteral("nobody")), 0);
    }

    void liveExperimentFeedsEveryModel()
    {
        RunStore store;
        ChartModels models;
        const double origin = monotonicSeconds() - 5;
        models.setSessionOrigin(origin);
        models.setStore(&store);
        store.addCpuSample(sample(origin + 1));
        QCOMPARE(models.cpu()->sampleCount(), 1);
        QVERIFY(models.showsLive());

        store.beginExperiment(cpuSpec());
        const double t0 = origin + 2;
        store.runStarted(0, QStringLiteral("sequential"), 1, t0);
        QCOMPARE(int(models.cpu()->spans().size()), 1);
        models.addLiveEvents(QStringLiteral("sequential"), t0,
                             {liveEvent(LiveEvent::TaskStarted, 0, 0, 0, t0 + 0.01)});
        models.addLiveThroughput(QStringLiteral("sequential"), 0.3, 5, 0);
        QCOMPARE(int(models.timeline()->bars().size()), 1);
        QCOMPARE(models.throughput()->pointCount(QStringLiteral("sequential")), 1);
        store.runFinished(run(QStringLiteral("sequential"), 0, t0, 2.0, 4, 1));
        QCOMPARE(int(models.timeline()->bars().size()), 4);  // the record replaced the live bar
        QCOMPARE(models.cpu()->spans().front().t1, t0 + 2.0);
        QCOMPARE(models.comparison()->runCount(), 1);
        QCOMPARE(models.throughput()->referenceRate(), 2.0);  // 4 tasks in 2 s

        store.runStarted(1, QStringLiteral("threads"), 2, t0 + 2.1);
        store.runFinished(run(QStringLiteral("threads"), 0, t0 + 2.1, 1.0));
        QCOMPARE(int(models.timeline()->bars().size()), 8);
        QCOMPARE(models.comparison()->runCount(), 2);
        QCOMPARE(*models.comparison()->bars()[1].value[ComparisonModel::Speedup], 2.0);
        QCOMPARE(models.throughput()->models().size(), 2);
        store.finishExperiment(store.current()->result);

        // The next click on the same workload starts fresh lines but keeps the comparison.
        store.beginExperiment(cpuSpec());
        QCOMPARE(int(models.timeline()->bars().size()), 0);
        QCOMPARE(models.throughput()->models().size(), 0);
        QCOMPARE(models.comparison()->runCount(), 2);
        QCOMPARE(models.throughput()->referenceRate(), 2.0);
    }

    // A saved experiment draws in every model as it looked live; a new run returns to the session.
    void loadedExperimentAsItLookedLive()
    {
        RunStore store;
        ChartModels models;
        const double session = monotonicSeconds();
        models.setSessionOrigin(session);
        models.setStore(&store);
        store.addCpuSample(sample(session + 0.1));

        ExperimentResult saved;
        saved.spec = cpuSpec();
        const double t0 = 5000;  // the saving process's monotonic clock
        saved.runs = {run(QStringLiteral("sequential"), 0, t0, 2.0, 4, 1), run(QStringLiteral("sequential"), 1, t0 + 2, 3.0, 4, 1),
                      run(QStringLiteral("threads"), 0, t0 + 5, 1.0)};
        RunRecord gil = run(QStringLiteral("gil-threads"), 0, t0 + 6, 2.0);
        gil.gil = GilStats{};
        gil.gil->spans = {{0, 0.0, 1.0}};
        saved.runs.push_back(gil);
        std::vector<CpuSample> samples;
        for (int i = 0; i < 90; ++i)
            samples.push_back(sample(t0 - 0.5 + i * 0.1, 60));
        store.addLoaded(saved, samples, 10, QStringLiteral("saved.json"));

        QVERIFY(!models.showsLive());
        QCOMPARE(models.cpu()->sampleCount(), 90);
        QCOMPARE(int(models.cpu()->spans().size()), 4);
        QCOMPARE(models.cpu()->spans()[2].t0, t0 + 5);
        QCOMPARE(int(models.timeline()->bars().size()), 4 * 4);
        QCOMPARE(int(models.timeline()->gilSpans().size()), 1);
        QCOMPARE(models.throughput()->models().size(), 3);
        // The comparison shows each model's median repetition: sequential's 2.0 s run.
        QCOMPARE(models.comparison()->runCount(), 3);
        QCOMPARE(*models.comparison()->bars()[0].value[ComparisonModel::WallTime], 2.0);
        QCOMPARE(models.throughput()->referenceRate(), 2.0);
        // 0 s is the first run's start; the view frames the runs and does not scroll.
        TimeRange *range = models.timeRange();
        QCOMPARE(range->origin(), t0);
        QVERIFY(!range->followsLive());
        QVERIFY(range->lower() < 0 && range->lower() > -1);
        QVERIFY(range->upper() > 8 && range->upper() < 9);
        // Live samples do not scribble over the saved ones.
        store.addCpuSample(sample(session + 0.2));
        QCOMPARE(models.cpu()->sampleCount(), 90);
        models.addLiveEvents(QStringLiteral("threads"), t0, {liveEvent(LiveEvent::TaskStarted, 0, 0, 0, t0)});
        QCOMPARE(int(models.timeline()->bars().size()), 16);

        store.beginExperiment(cpuSpec());
        QVERIFY(models.showsLive());
        QCOMPARE(range->origin(), session);
        QVERIFY(range->followsLive());
        QCOMPARE(models.cpu()->sampleCount(), 2);  // the session's samples again
        QCOMPARE(models.comparison()->runCount(), 0);  // session runs never mix with a file's
    }
};

QTEST_GUILESS_MAIN(TestChartModels)
#include "tst_chartmodels.moc"
