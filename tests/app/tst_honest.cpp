// Results that stay and honest warnings: the foreign-load prompt with an injected reading
// (Run anyway / Wait) and the marks it leaves (JSON, table, bars, title); failed tasks shown
// where people look; the charts holding the last experiment and following the next; exports
// of the experiment shown with a caption; no stale reference line; unknown models refused;
// every bar's value text inside its plot at 1024x768.
#include "chartmodels/chartmodels.h"
#include "charts/chartstyle.h"
#include "charts/comparisonchart.h"
#include "charts/throughputchart.h"
#include "charts/timelinechart.h"
#include "experimentpanel.h"
#include "mainwindow.h"
#include "models/executionmodel.h"
#include "resultstablemodel.h"
#include "runcontroller.h"
#include "sampling/foreignload.h"
#include "store/runstore.h"
#include "util/lagmeter.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QFile>
#include <QFontMetricsF>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <atomic>
#include <thread>

using namespace lab;

namespace {

QString writeJson(const QTemporaryDir &dir, const QString &name, const QJsonObject &spec)
{
    const QString path = dir.filePath(name + QStringLiteral(".json"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(QJsonDocument(spec).toJson());
    return path;
}

QJsonObject cpuSpec(const QString &name, int start, const QStringList &models, int repetitions = 1)
{
    return QJsonObject{{QStringLiteral("name"), name},
                       {QStringLiteral("title"), QStringLiteral("Test %1").arg(name)},
                       {QStringLiteral("workload"),
                        QJsonObject{{QStringLiteral("kind"), QStringLiteral("cpu")},
                                    {QStringLiteral("numbers"),
                                     QJsonObject{{QStringLiteral("start"), start}, {QStringLiteral("count"), 6}}},
                                    {QStringLiteral("repeat"), 4}}},
                       {QStringLiteral("models"), QJsonArray::fromStringList(models)},
                       {QStringLiteral("workers"), 2},
                       {QStringLiteral("repetitions"), repetitions}};
}

QMessageBox *foreignBox(QWidget *w)
{
    for (QMessageBox *b : w->findChildren<QMessageBox *>(QStringLiteral("foreignLoadBox")))
        if (b->isVisible())
            return b;
    return nullptr;
}

RunRecord fakeRun(const QString &model, int workers, double wall, double speedup, double efficiency, double busy)
{
    RunRecord r;
    r.model = model;
    r.workers = workers;
    r.wall_s = wall;
    r.cpu_s = wall * busy;
    r.speedup = speedup;
    r.efficiency = efficiency;
    r.busy_cores = busy;
    r.tasks_total = r.tasks_ok = 20;
    r.verified = true;
    return r;
}

} // namespace

class TestHonest : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_cpu, m_cpu2, m_failing;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qputenv("XDG_CONFIG_HOME", m_dir.filePath(QStringLiteral("config")).toUtf8());
        m_cpu = writeJson(m_dir, QStringLiteral("honest"), cpuSpec(QStringLiteral("honest"), 1000000,
                                                                     {QStringLiteral("sequential"), QStringLiteral("threads")}));
        m_cpu2 = writeJson(m_dir, QStringLiteral("other"), cpuSpec(QStringLiteral("other"), 1100000, {QStringLiteral("threads")}));
        // Every request goes to a closed local port: connection refused, fast, no outside name.
        m_failing = writeJson(
            m_dir, QStringLiteral("failing"),
            QJsonObject{{QStringLiteral("name"), QStringLiteral("failing")},
                        {QStringLiteral("workload"),
                         QJsonObject{{QStringLiteral("kind"), QStringLiteral("io")},
                                     {QStringLiteral("urls"), QJsonArray{QStringLiteral("http://127.0.0.1:9/nothing")}},
                                     {QStringLiteral("repeat"), 5}}},
                        {QStringLiteral("models"), QJsonArray{QStringLiteral("sequential"), QStringLiteral("threads")}},
                        {QStringLiteral("workers"), 2},
                        {QStringLiteral("repetitions"), 1}});
        QVERIFY(!m_cpu.isEmpty() && !m_cpu2.isEmpty() && !m_failing.isEmpty());
    }

    void busyMachineWarnsBeforeTheRunAndMarksIt()
    {
        MainWindow w(false);
        w.setForeignLoadPrompt(true);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.loadSpec(m_cpu), qPrintable(w.lastError()));
        // A synthetic reading: another program keeps one core busy.
        w.foreignLoadMonitor()->setOverride(1.0);
        QSignalSpy done(&w, &MainWindow::experimentDone);
        w.runExperiment(false);
        QMessageBox *box = foreignBox(&w);
        QVERIFY(box);
        QVERIFY(!w.isRunning());
        QVERIFY2(box->text().contains(QLatin1String("another program uses 1.0 core: figures will be disturbed"),
                                      Qt::CaseInsensitive),
                 qPrintable(box->text()));
        QAbstractButton *runAnyway = box->findChild<QAbstractButton *>(QStringLiteral("runAnywayButton"));
        QVERIFY(runAnyway && box->findChild<QAbstractButton *>(QStringLiteral("waitButton")));
        runAnyway->click();
        QVERIFY(w.isRunning());
        QVERIFY(done.wait(60000));

        const ExperimentResult r = w.lastResult();
        QCOMPARE(int(r.runs.size()), 2);
        for (const RunRecord &run : r.runs) {
            QVERIFY(run.foreign_busy_cores);
            QCOMPARE(*run.foreign_busy_cores, 1.0);
        }
        QVERIFY2(r.warnings.size() >= 3, qPrintable(r.warnings.join(QLatin1Char('|'))));  // before + each run
        QVERIFY(r.warnings.first().contains(QLatin1String("before the experiment")));
        // JSON: a number on each run and the list on the experiment.
        const QJsonObject json = r.toJson();
        QCOMPARE(json.value(QStringLiteral("warnings")).toArray().size(), r.warnings.size());
        QCOMPARE(json.value(QStringLiteral("runs")).toArray().at(0).toObject().value(QStringLiteral("foreign_busy_cores")).toDouble(), 1.0);
        // Table rows: the warning text and a wider icon (colour + warning sign).
        ResultsTableModel *table = w.resultsModel();
        QCOMPARE(table->rowCount(), 2);
        const QString err = table->data(table->index(0, ResultsTableModel::Error), Qt::DisplayRole).toString();
        QVERIFY2(err.contains(QLatin1String("another program uses 1.0 core")), qPrintable(err));
        const QIcon icon = table->data(table->index(0, ResultsTableModel::Model), Qt::DecorationRole).value<QIcon>();
        QVERIFY(!icon.isNull());
        QVERIFY(icon.availableSizes().value(0).width() > 16);
        // Bars: every value label carries the sign.
        w.renderChartsNow();
        for (const ComparisonChart::LabelBox &b : w.comparisonChart()->valueLabelBoxes())
            QVERIFY2(b.text.startsWith(QStringLiteral("⚠")), qPrintable(b.text));
        QVERIFY(w.resultsTitle().contains(QLatin1String("another program")));
        QVERIFY(w.statusBar()->currentMessage().contains(QLatin1String("other programs")));
        QVERIFY(w.exportCaption().contains(QLatin1String("other programs")));
    }

    void waitStartsOnceTheMachineIsQuiet()
    {
        MainWindow w(false);
        w.setForeignLoadPrompt(true);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.loadSpec(m_cpu), qPrintable(w.lastError()));
        w.foreignLoadMonitor()->setOverride(2.0);
        QSignalSpy done(&w, &MainWindow::experimentDone);
        w.runExperiment(false);
        QMessageBox *box = foreignBox(&w);
        QVERIFY(box);
        QVERIFY(box->text().contains(QLatin1String("2.0 cores")));
        box->findChild<QAbstractButton *>(QStringLiteral("waitButton"))->click();
        QVERIFY(w.isWaitingForQuiet());
        QVERIFY(!w.isRunning());
        QTest::qWait(1500);  // still busy: still waiting
        QVERIFY(w.isWaitingForQuiet());
        QVERIFY(!w.isRunning());
        w.foreignLoadMonitor()->setOverride(0.0);
        QTRY_VERIFY_WITH_TIMEOUT(w.isRunning() || done.count() > 0, 10000);
        QVERIFY(!w.isWaitingForQuiet());
        QVERIFY(done.count() > 0 || done.wait(60000));
        QVERIFY(w.lastResult().warnings.isEmpty());

        // Stop while waiting: nothing runs.
        w.foreignLoadMonitor()->setOverride(2.0);
        w.runExperiment(false);
        QVERIFY(foreignBox(&w));
        foreignBox(&w)->findChild<QAbstractButton *>(QStringLiteral("waitButton"))->click();
        QVERIFY(w.isWaitingForQuiet());
        w.stopExperiment();
        QVERIFY(!w.isWaitingForQuiet());
        w.foreignLoadMonitor()->setOverride(0.0);
        QTest::qWait(1500);
        QVERIFY(!w.isRunning());
        QCOMPARE(done.count(), 1);
    }

    void failedRequestsAreShownWhereOneLooks()
    {
        MainWindow w(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.loadSpec(m_failing), qPrintable(w.lastError()));
        QSignalSpy done(&w, &MainWindow::experimentDone);
        w.runExperiment(false);
        QVERIFY(done.wait(60000));
        const ExperimentResult r = w.lastResult();
        QVERIFY(!r.runs.empty());
        QCOMPARE(r.runs.front().tasks_failed, 5);
        QVERIFY2(w.statusBar()->currentMessage().startsWith(QLatin1String("Done with errors")),
                 qPrintable(w.statusBar()->currentMessage()));
        ResultsTableModel *table = w.resultsModel();
        const QString err = table->data(table->index(0, ResultsTableModel::Error), Qt::DisplayRole).toString();
        QVERIFY2(err.startsWith(QLatin1String("5 of 5 requests failed: ")), qPrintable(err));
        QVERIFY(err.size() > QStringLiteral("5 of 5 requests failed: ").size());  // the reason follows
        w.renderChartsNow();
        const auto boxes = w.comparisonChart()->valueLabelBoxes();
        QVERIFY(!boxes.empty());
        for (const ComparisonChart::LabelBox &b : boxes)
            QVERIFY2(b.text.contains(QStringLiteral("✖")), qPrintable(b.text));
    }

    void resultsStayAndTheNextRunIsFollowed()
    {
        MainWindow w(false);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.loadSpec(m_cpu), qPrintable(w.lastError()));
        QVERIFY(w.isFollowingLive());
        QSignalSpy done(&w, &MainWindow::experimentDone);
        w.runExperiment(false);
        QVERIFY(done.wait(60000));
        // After the run: zoomed to it, not following live, and it stays so.
        TimeRange *range = w.chartModels()->timeRange();
        double lower = 0, upper = 0;
        QVERIFY(w.chartModels()->experimentSpan(&lower, &upper));
        QVERIFY(!w.isFollowingLive());
        QCOMPARE(range->lower(), lower);
        QCOMPARE(range->upper(), upper);
        QTest::qWait(1200);
        QCOMPARE(range->lower(), lower);
        QVERIFY(w.resultsTitle().contains(QLatin1String("Test honest")));
        QVERIFY(w.comparisonChart()->model()->title().contains(QLatin1String("Test honest")));
        QVERIFY(w.throughputChart()->referenceRate() > 0);

        // Exports show the experiment even when the view follows live, with a caption.
        w.setFollowLive(true);
        QVERIFY(w.isFollowingLive());
        QStringList written;
        QString error;
        const QString dir = m_dir.filePath(QStringLiteral("export"));
        QVERIFY2(w.exportAll(dir, &written, &error), qPrintable(error));
        QVERIFY(w.isFollowingLive());  // the view is put back
        QImage png(dir + QStringLiteral("/timeline.png"));
        QVERIFY(!png.isNull());
        QFile svg(dir + QStringLiteral("/comparison.svg"));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray svgText = svg.readAll();
        QVERIFY(svgText.contains("Test honest"));
        QVERIFY(svgText.contains(QByteArray(QString::number(onlineCoresForTest()).toUtf8() + " core")));
        const QString caption = w.exportCaption();
        QVERIFY2(caption.contains(QLatin1String("Test honest")) && caption.contains(QLatin1String("core")), qPrintable(caption));

        // A zoom far out, then the next experiment: it is followed live, not a sliver.
        range->setRange(-5000, 0);
        QVERIFY(!w.isFollowingLive());
        QVERIFY2(w.loadSpec(m_cpu2), qPrintable(w.lastError()));
        QSignalSpy started(w.controller(), &RunController::runStarted);
        w.runExperiment(false);
        QVERIFY(w.isFollowingLive());
        QVERIFY(range->upper() - range->lower() < 1000);
        QVERIFY(done.wait(60000));
        // No sequential run in this experiment: no reference line left from the last one.
        QCOMPARE(w.throughputChart()->referenceRate(), 0.0);
        QVERIFY(w.resultsTitle().contains(QLatin1String("Test other")));
    }

    void frozenWindowIsMeasuredWhileFrozen()
    {
        // About a second of work on the GUI thread (the freeze demo).
        const QString spec = writeJson(m_dir, QStringLiteral("freeze"),
                                       QJsonObject{{QStringLiteral("name"), QStringLiteral("freeze")},
                                                   {QStringLiteral("workload"),
                                                    QJsonObject{{QStringLiteral("kind"), QStringLiteral("cpu")},
                                                                {QStringLiteral("numbers"),
                                                                 QJsonObject{{QStringLiteral("start"), 5000000},
                                                                             {QStringLiteral("count"), 8}}},
                                                                {QStringLiteral("repeat"), 40}}},
                                                   {QStringLiteral("models"), QJsonArray{QStringLiteral("sequential")}},
                                                   {QStringLiteral("workers"), 1},
                                                   {QStringLiteral("repetitions"), 1}});
        MainWindow w(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.loadSpec(spec));
        auto *box = w.panel()->findChild<QCheckBox *>(QStringLiteral("uiThreadCheck"));
        QVERIFY(box && box->isEnabled());
        box->setChecked(true);
        QTest::qWait(1500);  // CPU samples before the run
        QSignalSpy done(&w, &MainWindow::experimentDone);
        QSignalSpy started(w.controller(), &RunController::runStarted);
        // Another thread watches the stall while the GUI thread is busy with the run.
        std::atomic<double> maxStallSeen{0};
        std::atomic<bool> stop{false};
        const LagMeter *lag = w.controller()->lagMeter();
        std::thread observer([&] {
            while (!stop) {
                maxStallSeen = std::max(maxStallSeen.load(), lag->stallMs());
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
        w.runExperiment(false);
        const bool finished = done.wait(120000);
        stop = true;
        observer.join();
        QVERIFY(finished);
        const ExperimentResult r = w.lastResult();
        QCOMPARE(int(r.runs.size()), 1);
        const RunRecord &run = r.runs.front();
        QVERIFY(run.ranOnUiThread);
        qInfo("freeze: wall %.3f s, stall seen live %.0f ms, p99 %.0f ms", run.wall_s, maxStallSeen.load(), run.ui_lag_p99_ms);
        // Seen while it lasted, from outside the frozen thread: most of the run.
        QVERIFY2(maxStallSeen > 0.6 * run.wall_s * 1000, qPrintable(QString::number(maxStallSeen)));
        QVERIFY(run.ui_lag_p99_ms > 0.6 * run.wall_s * 1000);
        // Afterwards the status bar says how long the window froze.
        QTest::qWait(400);
        auto *label = w.findChild<QLabel *>(QStringLiteral("lagLabel"));
        QVERIFY(label);
        QVERIFY2(label->text().contains(QLatin1String("froze")), qPrintable(label->text()));
        // The CPU sampler kept sampling during the freeze: no gap in the samples.
        const StoredExperiment *e = w.store()->current();
        QVERIFY(e);
        double last = -1, widest = 0;
        int during = 0;
        for (const CpuSample &s : e->cpuSamples) {
            if (s.t < run.t0 || s.t > run.t0 + run.wall_s)
                continue;
            ++during;
            if (last >= 0)
                widest = std::max(widest, s.t - last);
            last = s.t;
        }
        QVERIFY2(during >= int(run.wall_s * 5), qPrintable(QString::number(during)));
        QVERIFY2(widest < 0.6, qPrintable(QString::number(widest)));
    }

    void unknownModelIsRefusedWithAMessage()
    {
        MainWindow w(false);
        w.setErrorsToStderr(true);
        QJsonObject spec = cpuSpec(QStringLiteral("bogus"), 1000000, {QStringLiteral("threads"), QStringLiteral("warp-drive")});
        const QString path = writeJson(m_dir, QStringLiteral("bogus"), spec);
        const QStringList before = w.panel()->checkedModels();
        QVERIFY(!w.loadSpec(path));
        QVERIFY2(w.lastError().contains(QLatin1String("unknown model \"warp-drive\"")), qPrintable(w.lastError()));
        QCOMPARE(w.panel()->checkedModels(), before);
    }

    void labelsFitAt1024x768()
    {
        QFETCH(bool, dark);
        MainWindow w(false);
        w.setDarkTheme(dark);
        w.resize(1024, 768);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        // Every model, values as wide as they come.
        std::vector<RunRecord> runs{fakeRun(QStringLiteral("sequential"), 1, 9.14, 1, 1, 1),
                                    fakeRun(QStringLiteral("threads"), 2, 4.6, 116.79, 1.0, 1.99),
                                    fakeRun(QStringLiteral("gil-threads"), 2, 9.4, 0.97, 0.49, 1.0),
                                    fakeRun(QStringLiteral("processes"), 2, 4.7, 1.94, 0.97, 1.98),
                                    fakeRun(QStringLiteral("async"), 1, 123.45, 0.07, 0.07, 0.01),
                                    fakeRun(QStringLiteral("python-sequential"), 1, 8.8, 1, 1, 1),
                                    fakeRun(QStringLiteral("python-threads"), 2, 9.1, 0.97, 0.48, 1),
                                    fakeRun(QStringLiteral("python-processes"), 2, 4.9, 1.8, 0.9, 1.9)};
        runs[1].foreign_busy_cores = 1.0;  // with a ⚠, the widest label
        QTest::qWait(100);  // the layout settles, as on screen
        ComparisonChart *chart = w.comparisonChart();
        chart->model()->setRuns(runs);
        w.renderChartsNow();
        chart->plot()->replot(QCustomPlot::rpImmediateRefresh);
        if (qEnvironmentVariableIsSet("LAB_TEST_SHOT"))  // look at it: LAB_TEST_SHOT=dir
            w.grab().save(qEnvironmentVariable("LAB_TEST_SHOT") + (dark ? QStringLiteral("/fit-dark.png") : QStringLiteral("/fit-light.png")));
        const auto boxes = chart->valueLabelBoxes();
        QCOMPARE(int(boxes.size()), 8 * ComparisonChart::PanelCount);
        for (const ComparisonChart::LabelBox &b : boxes) {
            QVERIFY2(b.plotRect.width() > 50 && b.plotRect.height() > 40,
                     qPrintable(QStringLiteral("panel %1 is %2x%3").arg(b.panel).arg(b.plotRect.width()).arg(b.plotRect.height())));
            QVERIFY2(b.plotRect.adjusted(-0.5, -0.5, 0.5, 0.5).contains(b.box),
                     qPrintable(QStringLiteral("\"%1\" at %2,%3 %4x%5 leaves panel %6 (%7,%8 %9x%10)")
                                    .arg(b.text)
                                    .arg(b.box.x()).arg(b.box.y()).arg(b.box.width()).arg(b.box.height())
                                    .arg(b.panel)
                                    .arg(b.plotRect.x()).arg(b.plotRect.y()).arg(b.plotRect.width()).arg(b.plotRect.height())));
        }
        // Bar names never overlap: each one's widest line fits its slot, or the names stand upright
        // and their height fits.
        for (int p = 0; p < ComparisonChart::PanelCount; ++p) {
            QCPAxis *x = chart->panelRect(ComparisonChart::Panel(p))->axis(QCPAxis::atBottom);
            const QFontMetricsF fm(x->tickLabelFont());
            const double slot = x->coordToPixel(1) - x->coordToPixel(0);
            auto ticker = x->ticker().dynamicCast<QCPAxisTickerText>();
            QVERIFY(ticker);
            for (const QString &name : ticker->ticks()) {
                // One name per model: the registry's, perhaps on two lines, or none (the legend).
                const QString flat = QString(name).replace(QLatin1Char('\n'), QLatin1Char(' '));
                QVERIFY2(name.isEmpty() || (findModel(modelId(flat)) && modelLabel(modelId(flat)) == flat),
                         qPrintable(QStringLiteral("bar named \"%1\"").arg(name)));
                double widest = 0;
                for (const QString &line : name.split(QLatin1Char('\n')))
                    widest = std::max(widest, fm.horizontalAdvance(line));
                const double across = x->tickLabelRotation() != 0 ? fm.height() * name.count(QLatin1Char('\n')) + fm.height() : widest;
                QVERIFY2(across < slot, qPrintable(QStringLiteral("\"%1\" needs %2 px of a %3 px slot").arg(name).arg(across).arg(slot)));
            }
        }
        if (chart->namesInLegend()) {  // too narrow for names: every model named in the legend row
            QSet<QString> named;
            for (int i = 0; i < chart->plot()->legend->itemCount(); ++i)
                if (auto *item = qobject_cast<QCPPlottableLegendItem *>(chart->plot()->legend->item(i)))
                    named.insert(item->plottable()->name());
            for (const RunRecord &r : runs)
                QVERIFY2(named.contains(modelLabel(r.model)), qPrintable(r.model));
        }
        // The throughput legend names each model as the bars and the table do.
        for (int i = 0; i < w.throughputChart()->plot()->graphCount(); ++i) {
            const QCPGraph *g = w.throughputChart()->plot()->graph(i);
            const QString model = g->property("labModel").toString();
            if (!model.isEmpty())
                QVERIFY2(g->name() == modelLabel(model), qPrintable(g->name()));
        }
        // The time charts are not squashed.
        QVERIFY2(w.throughputChart()->plot()->axisRect()->height() >= 60,
                 qPrintable(QString::number(w.throughputChart()->plot()->axisRect()->height())));
        QVERIFY(w.timelineChart()->height() >= 120);
        // The window fits a 1024x768 screen.
        QVERIFY2(w.minimumSizeHint().width() <= 1024 && w.minimumSizeHint().height() <= 740,
                 qPrintable(QStringLiteral("%1x%2").arg(w.minimumSizeHint().width()).arg(w.minimumSizeHint().height())));
    }
    void labelsFitAt1024x768_data()
    {
        QTest::addColumn<bool>("dark");
        QTest::newRow("light") << false;
        QTest::newRow("dark") << true;
    }

private:
    static int onlineCoresForTest() { return QThread::idealThreadCount(); }
};

QTEST_MAIN(TestHonest)
#include "tst_honest.moc"
