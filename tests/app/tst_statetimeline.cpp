// The thread-state timeline and the variant chart: their models from scripted runs and from a
// hand-written result file, and the charts' legend, hover and axis choices (offscreen).
#include "chartmodels/chartmodels.h"
#include "chartmodels/statetimelinemodel.h"
#include "chartmodels/variantmodel.h"
#include "charts/statetimelinechart.h"
#include "charts/variantchart.h"
#include "experiment/presets.h"
#include "export/resultwriter.h"
#include "mainwindow.h"
#include "resultfile.h"
#include "resultstablemodel.h"

#include <QDir>
#include <QTabBar>
#include <QTabWidget>
#include <QToolButton>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <qcustomplot.h>

using namespace lab;

namespace {

// The scripted scenario: A (task 0, worker 0) holds the counter lock from 0 to 10 ms; B (task
// 1, worker 1) starts at 1 ms, waits for the lock from 2 ms until 10.05 ms (A released it at
// 10 ms: 50 µs wake-up), then runs until 15 ms.
RunRecord lockHandoff()
{
    RunRecord r;
    r.runId = QStringLiteral("x/0");
    r.model = QStringLiteral("threads");
    r.variant = QStringLiteral("mutex");
    r.workers = 2;
    r.wall_s = 0.016;
    r.primitives.push_back({QStringLiteral("counter lock"), QStringLiteral("mutex"), 0});
    TaskResult a;
    a.id = 0;
    a.worker = 0;
    a.start_s = 0;
    a.end_s = 0.012;
    a.ok = true;
    auto ta = std::make_shared<TaskTrace>();
    ta->events.push_back({0, 0.0, 0, 0});
    ta->events.push_back({0, 0.010, -1, 0});
    a.trace = ta;
    TaskResult b;
    b.id = 1;
    b.worker = 1;
    b.start_s = 0.001;
    b.end_s = 0.015;
    b.ok = true;
    auto tb = std::make_shared<TaskTrace>();
    tb->spans.push_back({LaneState::Lock, 0, 0.002, 0.01005, 0, 0.00005});
    tb->events.push_back({0, 0.01005, 1, 1});
    tb->events.push_back({0, 0.015, -1, 1});
    b.trace = tb;
    r.tasks = {a, b};
    return r;
}

struct Seg {
    LaneState state;
    double t0, t1;
};

std::vector<Seg> laneOf(const StateTimelineModel &m, int lane)
{
    std::vector<Seg> out;
    for (int i : m.laneSegments()[size_t(lane)]) {
        const auto &s = m.segments()[size_t(i)];
        out.push_back({s.state, s.t0, s.t1});
    }
    return out;
}

bool near(double a, double b)
{
    return std::abs(a - b) < 1e-9;
}

// A workload summary that only carries an outcome, as the variant workloads' summaries do.
class OutcomeSummary : public RunSummary {
public:
    explicit OutcomeSummary(VariantOutcome o) : m_o(std::move(o)) {}
    void writeJson(QJsonObject &) const override {}
    std::vector<Figure> figures() const override { return {}; }
    std::optional<VariantOutcome> outcome() const override { return m_o; }

private:
    VariantOutcome m_o;
};

RunRecord variantRun(const QString &model, const QString &variant, std::optional<double> gbPerS, bool ok = true,
                     bool byDesign = false, int rep = 0, double wall = 1)
{
    RunRecord r;
    r.model = model;
    r.variant = variant;
    r.repetition = rep;
    r.workers = model == QLatin1String("sequential") ? 1 : 2;
    r.wall_s = wall;
    r.runId = QStringLiteral("%1/%2/%3").arg(model, variant).arg(rep);
    VariantOutcome o;
    o.ok = ok;
    o.failsByDesign = byDesign;
    o.expected = QStringLiteral("4000");
    o.actual = ok ? QStringLiteral("4000") : QStringLiteral("2731");
    o.words = ok ? QStringLiteral("all kept") : QStringLiteral("lost 1269 of 4000 updates");
    o.gbPerS = gbPerS;
    r.workloadSummary = std::make_shared<OutcomeSummary>(o);
    return r;
}

ExperimentSpec noVariantsSpec()
{
    QString error;
    auto spec = ExperimentSpec::fromJsonObject(
        QJsonDocument::fromJson(R"({"name":"v","workload":{"kind":"sleep","tasks":2,"ms":1}})").object(), &error);
    return *spec;
}

} // namespace

class TestStateTimeline : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void segmentsOfTheHandoff()
    {
        StateTimelineModel m;
        m.setRun(lockHandoff());
        QVERIFY(m.hasRun());
        QCOMPARE(m.laneCount(), 2);
        const std::vector<Seg> a = laneOf(m, 0), b = laneOf(m, 1);
        QCOMPARE(a.size(), size_t(1));
        QCOMPARE(a[0].state, LaneState::Running);
        QVERIFY(near(a[0].t0, 0) && near(a[0].t1, 0.012));
        QCOMPARE(b.size(), size_t(3));
        QCOMPARE(b[0].state, LaneState::Running);
        QVERIFY(near(b[0].t0, 0.001) && near(b[0].t1, 0.002));
        QCOMPARE(b[1].state, LaneState::Lock);
        QVERIFY(near(b[1].t0, 0.002) && near(b[1].t1, 0.01005));
        QCOMPARE(b[2].state, LaneState::Running);
        QVERIFY(near(b[2].t0, 0.01005) && near(b[2].t1, 0.015));
        const std::vector<LaneState> states = m.statesPresent();
        QCOMPARE(states, (std::vector<LaneState>{LaneState::Running, LaneState::Lock}));
    }

    void arrowFromReleaseToWake()
    {
        StateTimelineModel m;
        m.setRun(lockHandoff());
        QCOMPARE(m.arrows().size(), size_t(1));
        const auto &arrow = m.arrows()[0];
        QCOMPARE(arrow.fromLane, 0);
        QCOMPARE(arrow.toLane, 1);
        QVERIFY(near(arrow.tFrom, 0.010));   // A's release
        QVERIFY(near(arrow.tTo, 0.01005));   // B running again
        int total = 0;
        QCOMPARE(m.visibleArrows(0, 0.016, 300, &total).size(), size_t(1));
        QCOMPARE(total, 1);
        // Out of view: no arrow.
        QCOMPARE(m.visibleArrows(0.011, 0.016, 300, &total).size(), size_t(0));
    }

    void holderSteps()
    {
        StateTimelineModel m;
        m.setRun(lockHandoff());
        QCOMPARE(m.primitiveLanes().size(), size_t(1));
        const auto &p = m.primitiveLanes()[0];
        QCOMPARE(p.shape, StateTimelineModel::PrimitiveShape::Holder);
        QCOMPARE(p.info.name, QStringLiteral("counter lock"));
        QCOMPARE(p.steps.size(), size_t(4));
        QCOMPARE(p.steps[0].value, 0);   // A holds it
        QVERIFY(near(p.steps[0].t0, 0) && near(p.steps[0].t1, 0.010));
        QCOMPARE(p.steps[1].value, -1);  // free for the wake-up
        QVERIFY(near(p.steps[1].t1, 0.01005));
        QCOMPARE(p.steps[2].value, 1);   // B holds it
        QVERIFY(near(p.steps[2].t1, 0.015));
        QCOMPARE(p.steps[3].value, -1);
        QCOMPARE(m.stepAt(0, 0.005), 0);
        QVERIFY(m.describeStep(0, 0).contains(QStringLiteral("held by task 0 on worker 0")));
        QVERIFY(m.describeStep(0, 1).contains(QStringLiteral("free")));
    }

    void hoverNamesTheCulprit()
    {
        StateTimelineModel m;
        m.setRun(lockHandoff());
        const int seg = m.segmentAt(1, 0.005, 1e-5);
        QVERIFY(seg >= 0);
        QCOMPARE(m.segments()[size_t(seg)].state, LaneState::Lock);
        const QString text = m.describeSegment(seg);
        QVERIFY2(text.contains(QStringLiteral("waiting for a lock")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("counter lock (mutex)")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("ended by task 0 on worker 0")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("50.0 µs")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("8.05 ms")), qPrintable(text));

        // The chart gives the same text for the pixel of the wait.
        StateTimelineChart chart;
        chart.resize(900, 400);
        chart.show();
        chart.model()->setRun(lockHandoff());
        chart.renderNow();
        const QString tip = chart.toolTipAt(chart.pixelFor(0.005, 1));
        QCOMPARE(tip, text);
        QVERIFY(chart.toolTipAt(chart.pixelFor(0.005, 2)).contains(QStringLiteral("held by task 0")));
        QCOMPARE(chart.legendNames(), (QStringList{QStringLiteral("Running"), QStringLiteral("Waiting for a lock"),
                                                  QStringLiteral("release → wake-up")}));
        QCOMPARE(chart.lastArrowCount(), 1);
        QVERIFY(chart.lastCellCount() >= 4);
        QCOMPARE(chart.rowCount(), 3);
    }

    void reduceKeepsStatesPerColumn()
    {
        StateTimelineModel m;
        m.setRun(lockHandoff());
        // 16 columns of 1 ms: lane 1 is running in column 1, waiting in 2..9, running 10..14.
        const auto cells = m.reduce(0, 0.016, 16);
        std::vector<StateTimelineModel::Cell> lane1;
        for (const auto &c : cells)
            if (c.lane == 1)
                lane1.push_back(c);
        QCOMPARE(lane1.size(), size_t(3));
        QCOMPARE(lane1[1].state, LaneState::Lock);
        QCOMPARE(lane1[1].x0, 2.0f);
        QCOMPARE(lane1[1].x1, 10.0f);
    }

    void gilWaitsAreTheGapsInTenures()
    {
        RunRecord r;
        r.model = QStringLiteral("gil-threads");
        r.workers = 1;
        r.wall_s = 0.010;
        TaskResult t;
        t.id = 0;
        t.worker = 0;
        t.start_s = 0;
        t.end_s = 0.010;
        r.tasks = {t};
        GilStats g;
        g.spans = {{0, 0.0, 0.003}, {0, 0.006, 0.010}};
        r.gil = g;
        StateTimelineModel m;
        m.setRun(r);
        const std::vector<Seg> lane = laneOf(m, 0);
        QCOMPARE(lane.size(), size_t(3));
        QCOMPARE(lane[1].state, LaneState::Gil);
        QVERIFY(near(lane[1].t0, 0.003) && near(lane[1].t1, 0.006));
        QCOMPARE(lane[2].state, LaneState::Running);
    }

    void deadlockBannerAndCycle()
    {
        RunRecord r = lockHandoff();
        r.tasks[1].ok = false;
        r.tasks[1].errorCategory = QStringLiteral("deadlock");
        r.tasks[1].error = QStringLiteral("task 1 waits for lock B held by task 0, which waits for lock A held by task 1");
        StateTimelineModel m;
        m.setRun(r);
        QVERIFY(m.deadlockText().startsWith(QStringLiteral("Deadlock: task 1 waits")));
        int marked = 0;
        for (const auto &s : m.segments())
            marked += s.deadlock ? 1 : 0;
        QCOMPARE(marked, 1);
        QVERIFY(m.describeSegment(m.segmentAt(1, 0.005, 0)).contains(QStringLiteral("deadlock")));
        StateTimelineModel clean;
        clean.setRun(lockHandoff());
        QVERIFY(clean.deadlockText().isEmpty());
    }

    void shortDeadlockChartKeepsEveryRowWhole()
    {
        // deadlock at 1024x768: a two-line banner, the legend and two lanes in ~200 px. The
        // legend's row was squeezed under its own height and its names cut at the top.
        RunRecord r = lockHandoff();
        r.tasks[1].ok = false;
        r.tasks[1].errorCategory = QStringLiteral("deadlock");
        r.tasks[1].error = QStringLiteral("task 1 waits for lock B held by task 0, which waits for lock A held by task 1");
        StateTimelineChart chart;
        chart.model()->setRun(r);
        chart.resize(745, 200);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.renderNow();
        chart.renderNow();
        QCustomPlot *plot = chart.plot();
        QVERIFY(!chart.bannerText().isEmpty());
        QCPLegend *legend = plot->legend;
        if (legend->visible() && legend->layout())
            QVERIFY2(legend->outerRect().height() >= legend->minimumOuterSizeHint().height(),
                     qPrintable(QStringLiteral("legend %1 px of %2").arg(legend->outerRect().height()).arg(legend->minimumOuterSizeHint().height())));
        const QRect area = plot->axisRect()->rect();
        QVERIFY2(area.height() >= 2 * 14, qPrintable(QString::number(area.height())));
        QVERIFY2(area.bottom() + plot->axisRect()->margins().bottom() <= plot->height() + 1,
                 qPrintable(QStringLiteral("axis ends at %1 of %2").arg(area.bottom() + plot->axisRect()->margins().bottom()).arg(plot->height())));
    }

    void tooManyArrowsKeepTheLongest()
    {
        RunRecord r;
        r.model = QStringLiteral("threads");
        r.workers = 2;
        r.wall_s = 1;
        TaskResult a;
        a.id = 0;
        a.worker = 0;
        a.end_s = 1;
        TaskResult b;
        b.id = 1;
        b.worker = 1;
        b.end_s = 1;
        auto tb = std::make_shared<TaskTrace>();
        for (int i = 0; i < 1000; ++i)  // wait i lasts (i % 7 + 1) µs
            tb->spans.push_back({LaneState::Lock, -1, i * 1e-3, i * 1e-3 + (i % 7 + 1) * 1e-6, 0, 1e-7});
        b.trace = tb;
        r.tasks = {a, b};
        StateTimelineModel m;
        m.setRun(r);
        int total = 0;
        const std::vector<int> shown = m.visibleArrows(0, 1, 300, &total);
        QCOMPARE(total, 1000);
        QCOMPARE(shown.size(), size_t(300));
        // 1000 waits: 142 or 143 of each length 1..7 µs; the 300 longest are 7, 6 and part of 5 µs.
        for (int i : shown) {
            const auto &s = m.segments()[size_t(m.arrows()[size_t(i)].segment)];
            QVERIFY(s.t1 - s.t0 > 4.5e-6);
        }
    }

    void variantChartPicksLogScale()
    {
        QCOMPARE(VariantModel::wantsLogScale({1, 1000}), true);
        QCOMPARE(VariantModel::wantsLogScale({1, 3}), false);
        QCOMPARE(VariantModel::wantsLogScale({0.01, 0.25}), false);
        QCOMPARE(VariantModel::wantsLogScale({}), false);

        VariantModel wide;
        wide.setExperiment(noVariantsSpec(), {variantRun(QStringLiteral("threads"), QStringLiteral("64B"), 0.01),
                                              variantRun(QStringLiteral("threads"), QStringLiteral("64MiB"), 10.0),
                                              variantRun(QStringLiteral("processes"), QStringLiteral("64B"), 0.02)});
        QVERIFY(wide.hasVariants());
        QCOMPARE(wide.metric(), VariantModel::Metric::GbPerS);
        QVERIFY(wide.logScale());
        QCOMPARE(wide.variants(), (QStringList{QStringLiteral("64B"), QStringLiteral("64MiB")}));
        QCOMPARE(wide.models(), (QStringList{QStringLiteral("threads"), QStringLiteral("processes")}));
        QCOMPARE(wide.bars().size(), size_t(3));  // processes did not run 64MiB: no bar, not 0

        VariantModel narrow;
        narrow.setExperiment(noVariantsSpec(), {variantRun(QStringLiteral("threads"), QStringLiteral("a"), 2.0),
                                                variantRun(QStringLiteral("threads"), QStringLiteral("b"), 5.0)});
        QVERIFY(!narrow.logScale());

        VariantChart chart;
        chart.resize(800, 400);
        chart.model()->setExperiment(noVariantsSpec(), {variantRun(QStringLiteral("threads"), QStringLiteral("64B"), 0.01),
                                                        variantRun(QStringLiteral("threads"), QStringLiteral("64MiB"), 10.0)});
        QVERIFY(chart.logScale());
        chart.model()->setExperiment(noVariantsSpec(), {variantRun(QStringLiteral("threads"), QStringLiteral("a"), 2.0),
                                                        variantRun(QStringLiteral("threads"), QStringLiteral("b"), 5.0,
                                                                   false, true)});
        QVERIFY(!chart.logScale());
        QCOMPARE(chart.barLabels(), (QStringList{QStringLiteral("2.00"), QStringLiteral("5.00\nby design")}));
    }

    // Names in families ("Mutex, 1" ... "Atomic, 4") that do not fit their slots flat: each
    // slot shows its own part and the family's name goes once, under its middle slot, before
    // the names are wrapped or turned (turned names cost a short chart its bars). The run list
    // of the thread-state chart names the variants by the same labels.
    void variantFamiliesShareOneName()
    {
        QString error;
        const std::optional<ExperimentSpec> spec = loadPreset(QStringLiteral("lock-contention"), &error);
        QVERIFY2(spec, qPrintable(error));
        const QHash<QString, QString> labels = VariantModel::variantLabelsOf(*spec);
        QCOMPARE(labels.value(QStringLiteral("mutex-4")), QStringLiteral("Mutex, 4"));
        std::vector<RunRecord> runs;
        for (const Variant &v : spec->selectedVariants())
            for (const QString &model : {QStringLiteral("threads"), QStringLiteral("gil-threads")})
                runs.push_back(variantRun(model, v.name, 1.0 + runs.size()));
        QCOMPARE(runs.size(), size_t(18));
        VariantChart chart;
        chart.resize(1600, 400);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.model()->setExperiment(*spec, runs);
        auto ticks = [&] {
            auto t = chart.plot()->xAxis->ticker().dynamicCast<QCPAxisTickerText>();
            return t ? t->ticks().values() : QStringList();
        };
        QCoreApplication::processEvents();
        chart.plot()->replot();
        QCOMPARE(ticks().value(0), QStringLiteral("Mutex, 1"));
        QCOMPARE(chart.plot()->xAxis->tickLabelRotation(), 0.0);
        chart.resize(620, 300);
        QCoreApplication::processEvents();
        chart.plot()->replot();
        // Each slot its own part; each family's name on a line below, on a tick of its own at
        // the family's middle.
        QCOMPARE(ticks(), (QStringList{QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("\nMutex"), QStringLiteral("4"),
                                       QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("\nSpinlock"), QStringLiteral("4"),
                                       QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("\nAtomic"), QStringLiteral("4")}));
        const QList<double> keys = chart.plot()->xAxis->ticker().dynamicCast<QCPAxisTickerText>()->ticks().keys();
        QCOMPARE(keys.size(), 12);
        QVERIFY(std::abs(keys[2] - 1) < 1e-3 && std::abs(keys[6] - 4) < 1e-3 && std::abs(keys[10] - 7) < 1e-3);
        QCOMPARE(chart.plot()->xAxis->tickLabelRotation(), 0.0);
        // Too narrow even for the families: turned.
        chart.resize(200, 300);
        QCoreApplication::processEvents();
        chart.plot()->replot();
        QCOMPARE(chart.plot()->xAxis->tickLabelRotation(), -30.0);
        // ... with room on the left for the first name, which the plot would otherwise leave out.
        QVERIFY(chart.plot()->axisRect()->minimumMargins().left() > 0);

        StateTimelineModel states;
        RunRecord traced = lockHandoff();
        traced.variant = QStringLiteral("spinlock-2");
        traced.model = QStringLiteral("threads");
        states.setRuns({traced}, labels);
        QCOMPARE(states.candidateLabels(), QStringList{QStringLiteral("Threads · Spinlock, 2 · repetition 1")});
    }

    // An experiment of variants in a 1024x768 window: one row of tabs (Comparison | Table), the
    // Models | Variants choice in its corner; a wide window keeps the comparison's own tabs.
    void variantExperimentKeepsOneRowOfTabs()
    {
        QString error;
        const std::optional<ExperimentSpec> spec = loadPreset(QStringLiteral("lock-contention"), &error);
        QVERIFY2(spec, qPrintable(error));
        std::vector<RunRecord> runs;
        for (const Variant &v : spec->selectedVariants()) {
            RunRecord r = variantRun(QStringLiteral("threads"), v.name, {});
            VariantOutcome o;
            o.ok = true;
            o.nsPerOp = 10.0 + double(runs.size());
            r.workloadSummary = std::make_shared<OutcomeSummary>(o);
            runs.push_back(r);
        }
        MainWindow w(false);
        w.resize(1024, 768);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::qWait(50);
        QVERIFY(w.isCompactLayout());
        w.chartModels()->variants()->setExperiment(*spec, runs);
        QVERIFY(w.chartModels()->variants()->hasVariants());
        auto *tabs = w.findChild<QTabWidget *>(QStringLiteral("comparisonTabs"));
        auto *models = w.findChild<QToolButton *>(QStringLiteral("viewModels"));
        auto *variants = w.findChild<QToolButton *>(QStringLiteral("viewVariants"));
        QVERIFY(tabs && models && variants);
        QCOMPARE(tabs->currentIndex(), 1);  // its figures first
        QVERIFY(!tabs->tabBar()->isVisible());
        QVERIFY(variants->isVisible() && variants->isChecked());
        models->click();
        QCOMPARE(tabs->currentIndex(), 0);
        QVERIFY(models->isChecked());
        variants->click();
        QCOMPARE(tabs->currentIndex(), 1);
        // The Table tab: no comparison choice beside it.
        auto *bottom = w.findChild<QTabWidget *>(QStringLiteral("bottomTabs"));
        QVERIFY(bottom);
        bottom->setCurrentIndex(1);
        QVERIFY(!variants->isVisible());
        bottom->setCurrentIndex(0);
        QVERIFY(variants->isVisible());
        w.resize(1600, 1000);
        QTest::qWait(50);
        QVERIFY(!w.isCompactLayout());
        QVERIFY(tabs->tabBar()->isVisible());
        QVERIFY(!variants->isVisible());
    }

    void variantsAreNotRepetitions()
    {
        // Two repetitions of two variants on one model: two rows, each its own median.
        const std::vector<RunRecord> runs{
            variantRun(QStringLiteral("threads"), QStringLiteral("mutex"), 1.0, true, false, 0, 3.0),
            variantRun(QStringLiteral("threads"), QStringLiteral("mutex"), 2.0, true, false, 1, 1.0),
            variantRun(QStringLiteral("threads"), QStringLiteral("atomic"), 7.0, true, false, 0, 0.5),
            variantRun(QStringLiteral("threads"), QStringLiteral("atomic"), 8.0, true, false, 1, 0.7)};
        const std::vector<RunRecord> median = VariantModel::medianPerVariant(runs);
        QCOMPARE(median.size(), size_t(2));
        QCOMPARE(median[0].variant, QStringLiteral("mutex"));
        QCOMPARE(median[0].repetition, 1);   // the faster of two
        QCOMPARE(median[1].variant, QStringLiteral("atomic"));
        QCOMPARE(median[1].repetition, 0);

        ResultsTableModel table;
        table.setVariantRuns(median, {{QStringLiteral("atomic"), QStringLiteral("python-threads")}});
        QCOMPARE(table.rowCount(), 3);
        QVERIFY(table.isAbsentRow(2));
        QCOMPARE(table.data(table.index(2, ResultsTableModel::Wall), Qt::DisplayRole).toString(), QStringLiteral("–"));
        QCOMPARE(table.data(table.index(2, ResultsTableModel::Outcome), Qt::DisplayRole).toString(), QStringLiteral("–"));
        QCOMPARE(table.data(table.index(0, ResultsTableModel::Variant), Qt::DisplayRole).toString(), QStringLiteral("mutex"));
        QVERIFY(table.data(table.index(0, ResultsTableModel::Outcome), Qt::DisplayRole).toString().startsWith(QStringLiteral("as expected")));
        // A failure by design is not painted as an error; an unexpected one is.
        ResultsTableModel t2;
        t2.setVariantRuns({variantRun(QStringLiteral("threads"), QStringLiteral("racy"), 1.0, false, true),
                           variantRun(QStringLiteral("threads"), QStringLiteral("mutex"), 1.0, false, false)}, {});
        QVERIFY(!t2.data(t2.index(0, ResultsTableModel::Outcome), Qt::ForegroundRole).isValid());
        QVERIFY(t2.data(t2.index(1, ResultsTableModel::Outcome), Qt::ForegroundRole).isValid());
    }

    void loadedFileDrawsAsLive()
    {
        QString error;
        const auto loaded = readResultFile(QStringLiteral(LAB_TEST_DATA_DIR "/result-v2-states.json"), &error);
        QVERIFY2(loaded, qPrintable(error));
        QCOMPARE(loaded->result.runs.size(), size_t(1));
        StateTimelineModel fromFile, live;
        fromFile.setRuns(loaded->result.runs);
        live.setRun(lockHandoff());
        QCOMPARE(fromFile.segments().size(), live.segments().size());
        for (size_t i = 0; i < live.segments().size(); ++i) {
            const auto &a = fromFile.segments()[i], &b = live.segments()[i];
            QCOMPARE(a.state, b.state);
            QCOMPARE(a.lane, b.lane);
            QVERIFY(near(a.t0, b.t0) && near(a.t1, b.t1));
            QCOMPARE(a.culpritLane, b.culpritLane);
        }
        QCOMPARE(fromFile.arrows().size(), live.arrows().size());
        QVERIFY(near(fromFile.arrows()[0].tFrom, live.arrows()[0].tFrom));
        QCOMPARE(fromFile.primitiveLanes()[0].steps.size(), live.primitiveLanes()[0].steps.size());
        QCOMPARE(fromFile.describeSegment(fromFile.segmentAt(1, 0.005, 0)), live.describeSegment(live.segmentAt(1, 0.005, 0)));
        // The file's variants table gives the run its outcome.
        const auto outcome = VariantModel::outcomeOf(loaded->result.runs[0]);
        QVERIFY(outcome);
        QCOMPARE(outcome->nsPerOp, std::optional<double>(5025));
        QCOMPARE(outcome->words, QStringLiteral("both updates kept"));
    }

    void bigTraceDrawsBounded()
    {
        // 8 workers x 20,000 recorded lock waits (the per-task bound), every one with a culprit:
        // the redraw stays bounded by pixels (cells) and kMaxArrows, whatever the record count.
        RunRecord r;
        r.model = QStringLiteral("threads");
        r.workers = 8;
        r.wall_s = 2;
        for (int w = 0; w < 8; ++w) {
            TaskResult t;
            t.id = w;
            t.worker = w;
            t.end_s = 2;
            auto tr = std::make_shared<TaskTrace>();
            for (int i = 0; i < int(TaskTrace::kMaxRecords); ++i) {
                const double t0 = i * 1e-4 + w * 1e-6;
                tr->spans.push_back({LaneState::Lock, 0, t0, t0 + 4e-5, (w + 1) % 8, 2e-6});
                tr->events.push_back({0, t0 + 4e-5, w, w});
            }
            t.trace = tr;
            r.tasks.push_back(t);
        }
        r.primitives.push_back({QStringLiteral("counter lock"), QStringLiteral("mutex"), 0});
        StateTimelineChart chart;
        chart.resize(1280, 600);
        chart.show();
        chart.model()->setRun(r);
        // Per lane 20,000 waits, the running time between them and after the last, and before
        // the first on the 7 lanes that start 1 µs late.
        QCOMPARE(int(chart.model()->segments().size()), 8 * 40000 + 7);
        QVERIFY(!chart.model()->segmentsCapped());
        chart.renderNow();
        double worst = 0;
        for (int i = 0; i < 5; ++i)
            worst = std::max(worst, chart.renderNow());
        QCOMPARE(chart.lastArrowCount(), StateTimelineModel::kMaxArrows);
        QCOMPARE(chart.lastArrowTotal(), 8 * int(TaskTrace::kMaxRecords));
        // What is left out is said on its own row, not drawn over the first lanes.
        QCOMPARE(chart.noteShown(), QStringLiteral("arrows: the %1 longest of %2 waits")
                                        .arg(StateTimelineModel::kMaxArrows)
                                        .arg(8 * int(TaskTrace::kMaxRecords)));
        QVERIFY(chart.noteClearsTheLanes());
        // Narrow, it wraps: no line wider than the chart (right-aligned, it lost its start).
        chart.resize(330, 600);
        chart.renderNow();
        const QFontMetrics nfm(chart.plot()->legend->font());
        for (const QString &line : chart.noteShown().split(QLatin1Char('\n')))
            QVERIFY2(nfm.horizontalAdvance(line) <= chart.plot()->width() - 16, qPrintable(line));
        QVERIFY(chart.noteShown().contains(QLatin1Char('\n')));
        QVERIFY(chart.noteClearsTheLanes());
        QVERIFY(chart.lastCellCount() <= 8 * 1280);
        // A figure for the report, not an assertion (timing belongs in bench/).
        qInfo("state timeline, 160,000 waits on 8 lanes at 1280x600: worst replot %.1f ms", worst);
    }

    void statesCsv()
    {
        QString error;
        auto loaded = readResultFile(QStringLiteral(LAB_TEST_DATA_DIR "/result-v2-states.json"), &error);
        QVERIFY2(loaded, qPrintable(error));
        const QStringList lines = QString::fromUtf8(statesToCsv(loaded->result.runs)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[0], QStringLiteral("run,task,worker,state,primitive,start_s,end_s,culprit,wake_s"));
        QCOMPARE(lines[1], QStringLiteral("20261202T040000Z-5a7e01/0,1,1,lock,counter lock,0.002,0.01005,0,0.00005"));
        // Nothing traced: no states file.
        QVERIFY(statesToCsv({lockHandoff()}).size() > 0);
        RunRecord plain = lockHandoff();
        for (TaskResult &t : plain.tasks)
            t.trace.reset();
        QVERIFY(statesToCsv({plain}).isEmpty());
    }
};

QTEST_MAIN(TestStateTimeline)
#include "tst_statetimeline.moc"
