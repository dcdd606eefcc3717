// The chart models, the time range and the redraw clock, without a single widget.
#include "chartmodels/appcpumeter.h"
#include "chartmodels/chartmodels.h"
#include "chartmodels/redrawclock.h"
#include "store/runstore.h"
#include "testutil.h"

#include <QJsonArray>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
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

// `tasks` back-to-back tasks of `seconds` each per lane, from t0, in one run.
RunRecord packedRun(const QString &model, int lanes, int tasksPerLane, double seconds, double t0)
{
    RunRecord r;
    r.model = model;
    r.workers = lanes;
    r.t0 = t0;
    for (int lane = 0; lane < lanes; ++lane) {
        for (int i = 0; i < tasksPerLane; ++i) {
            TaskResult t;
            t.id = lane * tasksPerLane + i;
            t.worker = lane;
            t.start_s = i * seconds;
            t.end_s = (i + 1) * seconds;
            t.ok = t.verified = true;
            r.tasks.push_back(t);
        }
    }
    r.wall_s = tasksPerLane * seconds;
    r.finalize();
    return r;
}

// Burns `seconds` of this thread's CPU time (not wall time: load elsewhere does not matter).
void burnCpu(double seconds)
{
    const double start = threadCpuSeconds();
    volatile double x = 0;
    while (threadCpuSeconds() - start < seconds)
        for (int i = 0; i < 10000; ++i)
            x = x + std::sqrt(double(i));
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

    void redrawClockTicksAtOnceAfterAQuietIntervalAndThrottlesAfterATick()
    {
        RedrawClock clock(300);
        QSignalSpy ticks(&clock, &RedrawClock::tick);
        QElapsedTimer t;
        t.start();
        clock.arm();  // nothing drawn for longer than the interval: at once
        QVERIFY(ticks.wait(1000));
        QVERIFY2(t.elapsed() < 150, qPrintable(QString::number(t.elapsed())));
        t.restart();
        clock.arm();  // right after a tick: the rest of the interval
        QVERIFY(ticks.wait(1000));
        QVERIFY2(t.elapsed() >= 250, qPrintable(QString::number(t.elapsed())));
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

    // Per-pixel reduction: sub-pixel bars of one lane merge into one span; wide bars, other
    // models, failures and gaps keep their own; what is outside the view is not even visited.
    void timelineReductionMergesSubPixelBars()
    {
        TimelineModel m;
        const double t0 = 1000;
        m.setRun(0, packedRun(QStringLiteral("threads"), 1, 1000, 0.001, t0));  // 1000 x 1 ms
        // 1 s over 100 px: each bar is 0.1 px; all of them are one span of the whole width.
        TimelineModel::Frame f = m.reduce(t0, t0 + 1, 100, 1, t0 + 5);
        QCOMPARE(f.rows, 1);
        QCOMPARE(int(f.spans.size()), 1);
        QCOMPARE(f.spans[0].tasks, 1000);
        QVERIFY(std::abs(f.spans[0].x0) < 1e-3 && std::abs(f.spans[0].x1 - 100) < 1e-2);
        QCOMPARE(f.spans[0].kind, TimelineModel::SpanKind::Done);
        // Zoomed in to 10 ms over 100 px: 10 px per bar, each its own span; only the bars
        // around the view are looked at.
        f = m.reduce(t0 + 0.5, t0 + 0.51, 100, 1, t0 + 5);
        QVERIFY2(f.spans.size() >= 10 && f.spans.size() <= 12, qPrintable(QString::number(f.spans.size())));
        for (const TimelineModel::Span &sp : f.spans)
            QCOMPARE(sp.tasks, 1);
        QVERIFY2(f.barsVisited <= 13, qPrintable(QString::number(f.barsVisited)));
        // Nothing in view: nothing drawn, nothing visited beyond the search.
        f = m.reduce(t0 + 10, t0 + 11, 100, 1, t0 + 20);
        QVERIFY(f.spans.empty());
        QVERIFY(f.barsVisited <= 1);

        // Another model right after, a failed task, a running one and a gap of 5 px.
        RunRecord other = packedRun(QStringLiteral("processes"), 1, 100, 0.001, t0 + 1.0);  // 1.0 .. 1.1 s
        other.tasks[50].ok = false;
        m.setRun(1, other);
        LiveEvent start;
        start.type = LiveEvent::TaskStarted;
        start.run = 2;
        start.taskId = 0;
        start.worker = 0;
        start.t = t0 + 1.15;  // 0.5 px after the gap at 100 px per s... below: 1000 px per s
        m.addLiveEvent(start, t0 + 1.15, QStringLiteral("threads"));
        // 1.2 s over 1200 px: the first run's bars are 1 px each, so they merge; then the other
        // model; its failed task alone; the running bar from 1150 px to "now" at 1.2 s.
        f = m.reduce(t0, t0 + 1.2, 1200, 1, t0 + 1.2);
        QVERIFY(f.spans.size() >= 5);
        QCOMPARE(f.spans.front().modelIndex, 0);
        QCOMPARE(f.spans.front().tasks, 1000);
        int failed = 0, running = 0, otherModel = 0;
        for (const TimelineModel::Span &sp : f.spans) {
            failed += sp.kind == TimelineModel::SpanKind::Failed;
            running += sp.kind == TimelineModel::SpanKind::Running;
            otherModel += sp.modelIndex == 1 && sp.kind == TimelineModel::SpanKind::Done ? sp.tasks : 0;
        }
        QCOMPARE(failed, 1);
        QCOMPARE(running, 1);
        QCOMPARE(otherModel, 99);
        const TimelineModel::Span &live = f.spans.back();
        QCOMPARE(live.kind, TimelineModel::SpanKind::Running);
        QVERIFY(std::abs(live.x0 - 1150) < 0.01 && std::abs(live.x1 - 1200) < 0.01);
        // Spans of one row go left to right and never overlap.
        for (size_t i = 1; i < f.spans.size(); ++i)
            QVERIFY(f.spans[i].x0 >= f.spans[i - 1].x1 - 1e-3);
    }

    // More lanes than rows: groups of lanes, each row the busy share of its lanes per column.
    void timelineGroupsLanes()
    {
        QCOMPARE(TimelineModel::groupSizeFor(8, 20), 1);
        QCOMPARE(TimelineModel::groupSizeFor(256, 20), 16);
        QCOMPARE(TimelineModel::groupSizeFor(256, 16), 16);
        QCOMPARE(TimelineModel::groupSizeFor(256, 15), 32);
        QCOMPARE(TimelineModel::groupSizeFor(5, 0), 8);

        TimelineModel m;
        const double t0 = 50;
        // 256 lanes busy for 1 s; lanes with an odd number stop after 0.5 s.
        RunRecord r = packedRun(QStringLiteral("threads"), 256, 1, 1.0, t0);
        for (TaskResult &t : r.tasks)
            if (t.worker % 2)
                t.end_s = 0.5;
        m.setRun(0, r);
        QCOMPARE(m.laneCount(), 256);
        const TimelineModel::Frame f = m.reduce(t0, t0 + 1, 200, 16, t0 + 2);
        QCOMPARE(f.rows, 16);
        QCOMPARE(f.groupSize, 16);
        QCOMPARE(f.barsVisited, 256);
        // Per row: all 16 busy for the first half, 8 of 16 for the second: two spans each.
        QCOMPARE(int(f.spans.size()), 32);
        for (int row = 0; row < 16; ++row) {
            const TimelineModel::Span &a = f.spans[size_t(2 * row)];
            const TimelineModel::Span &b = f.spans[size_t(2 * row + 1)];
            QCOMPARE(a.row, row);
            QCOMPARE(b.row, row);
            QCOMPARE(a.fill, 1.0f);
            QCOMPARE(b.fill, 0.5f);
            QCOMPARE(a.x0, 0.0f);
            QCOMPARE(a.x1, 100.0f);
            QCOMPARE(b.x1, 200.0f);
        }
        // A lane busy a little still shows.
        TimelineModel one;
        one.setRun(0, packedRun(QStringLiteral("threads"), 32, 1, 0.001, t0));
        const TimelineModel::Frame g = one.reduce(t0, t0 + 1, 100, 16, t0 + 2);
        QCOMPARE(int(g.spans.size()), 2);
        // 0.1 px of column 0 in each of 16 lanes: a tenth busy, rounded to the 16 levels.
        QVERIFY2(g.spans[0].fill > 0 && g.spans[0].fill <= 0.125f, qPrintable(QString::number(g.spans[0].fill)));
        QCOMPARE(g.spans[0].x1 - g.spans[0].x0, 1.0f);

        // Who is busy at a moment (hover): the bars of the group's lanes running then.
        const std::vector<int> atStart = m.barsAt(16, 16, t0 + 0.25, 0, t0 + 2);
        QCOMPARE(int(atStart.size()), 16);
        const std::vector<int> late = m.barsAt(16, 16, t0 + 0.75, 0, t0 + 2);
        QCOMPARE(int(late.size()), 8);
        for (int idx : late)
            QCOMPARE(m.bars()[size_t(idx)].lane % 2, 0);
        QVERIFY(m.barsAt(0, 16, t0 + 5, 0.1, t0 + 6).empty());
    }

    // Bars that arrive out of start order still cull correctly; the time span is kept up to
    // date without scanning every bar.
    void timelineCullingWithLateEvents()
    {
        TimelineModel m;
        m.addLiveEvent(liveEvent(LiveEvent::TaskStarted, 1, 0, 0, 20), 20, QStringLiteral("threads"));
        m.addLiveEvent(liveEvent(LiveEvent::TaskFinished, 1, 0, 0, 21), 20, QStringLiteral("threads"));
        m.addLiveEvent(liveEvent(LiveEvent::TaskStarted, 0, 0, 0, 10), 10, QStringLiteral("sequential"));
        m.addLiveEvent(liveEvent(LiveEvent::TaskFinished, 0, 0, 0, 11), 10, QStringLiteral("sequential"));
        QCOMPARE(m.laneBars()[0].size(), size_t(2));
        QCOMPARE(m.bars()[size_t(m.laneBars()[0][0])].t0, 10.0);  // start order
        auto [first, last] = m.visibleBars(0, 10.2, 10.8, 30);
        QCOMPARE(last - first, 1);
        QCOMPARE(m.bars()[size_t(m.laneBars()[0][size_t(first)])].t0, 10.0);
        std::tie(first, last) = m.visibleBars(0, 12, 19, 30);
        QCOMPARE(last - first, 0);
        double lo = 0, hi = 0;
        QVERIFY(m.timeSpan(30, &lo, &hi));
        QCOMPARE(lo, 10.0);
        QCOMPARE(hi, 21.0);
        // A running bar reaches "now" and is visible from its start on.
        m.addLiveEvent(liveEvent(LiveEvent::TaskStarted, 1, 1, 0, 22), 20, QStringLiteral("threads"));
        std::tie(first, last) = m.visibleBars(0, 25, 26, 30);
        QCOMPARE(last - first, 1);
        QVERIFY(m.timeSpan(30, &lo, &hi));
        QCOMPARE(hi, 30.0);
    }

    // The app's own CPU: its threads count, the runner's (and what it starts) do not.
    void appCpuMeterCountsOnlyTheApp()
    {
        const auto t = AppCpuMeter::parseTaskStat("4242 (lab runner) x) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1", 100);
        QVERIFY(t);
        QCOMPARE(t->comm, QByteArray("lab runner) x"));
        QCOMPARE(t->cpuSeconds, 3.0);
        QVERIFY(!AppCpuMeter::parseTaskStat("4242 (short) S 1 2", 100));
        QVERIFY(!AppCpuMeter::parseTaskStat("garbage", 100));
        QVERIFY(AppCpuMeter::isExperimentThread("lab-runner"));
        QVERIFY(AppCpuMeter::isExperimentThread("lab-worker-3"));
        QVERIFY(!AppCpuMeter::isExperimentThread("tst_chartmodels"));

        AppCpuMeter meter;
        QVERIFY(std::isnan(meter.percentOfCore()));
        const double c0 = meter.cpuSeconds();
        QThread runner;
        runner.setObjectName(QStringLiteral("lab-runner"));  // as RunController names it
        QObject onRunner;
        onRunner.moveToThread(&runner);
        runner.start();
        QMetaObject::invokeMethod(&onRunner, [] { burnCpu(0.3); }, Qt::BlockingQueuedConnection);
        const double c1 = meter.cpuSeconds();
        QVERIFY2(c1 - c0 < 0.1, qPrintable(QString::number(c1 - c0)));
        burnCpu(0.3);  // this (the "GUI") thread
        const double c2 = meter.cpuSeconds();
        QVERIFY2(c2 - c1 >= 0.28, qPrintable(QString::number(c2 - c1)));
        runner.quit();
        runner.wait();
        // A thread that ended keeps what it used: the total never goes down.
        QVERIFY(meter.cpuSeconds() >= c2);
        meter.update();
        meter.update();
        QVERIFY(meter.percentOfCore() >= 0);
        // Another process's threads (a missing directory) leave the total as it was.
        meter.setTaskDirectory(QStringLiteral("/proc/0/no-such-task-dir"));
        QCOMPARE(meter.cpuSeconds(), 0.0);

        // The figure in a run's JSON: seconds, null where no GUI measured it.
        RunRecord r = run(QStringLiteral("threads"), 0, 0, 1.0);
        QVERIFY(r.toJson(0).value(QStringLiteral("app_cpu_s")).isNull());
        r.app_cpu_s = 0.0123;
        const QJsonObject o = r.toJson(0);
        QVERIFY(std::abs(o.value(QStringLiteral("app_cpu_s")).toDouble() - 0.0123) < 1e-9);
        QString error;
        const auto back = RunRecord::fromJson(o, &error);
        QVERIFY2(back, qPrintable(error));
        QVERIFY(std::abs(back->app_cpu_s - 0.0123) < 1e-9);
        QVERIFY(!back->extra.contains(QStringLiteral("app_cpu_s")));
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

        // The next click on the same workload starts fresh lines (and no old reference line) but keeps the comparison.
        store.beginExperiment(cpuSpec());
        QCOMPARE(int(models.timeline()->bars().size()), 0);
        QCOMPARE(models.throughput()->models().size(), 0);
        QCOMPARE(models.comparison()->runCount(), 2);
        QCOMPARE(models.throughput()->referenceRate(), 0.0);  // the reference line belongs to the experiment shown
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
