#include "chartmodels/chartmodels.h"
#include "charts/comparisonchart.h"
#include "charts/cpuchart.h"
#include "charts/throughputchart.h"
#include "charts/timelinechart.h"
#include "experimentpanel.h"
#include "exportactions.h"
#include "exportdialog.h"
#include "mainwindow.h"
#include "presentationmode.h"
#include "resultstablemodel.h"
#include "runcontroller.h"
#include "store/runstore.h"
#include "util/sysinfo.h"

#include <QCheckBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace lab;

namespace {

// A CPU spec small enough for a test: `count` tasks of n near `start`, `repeat` times each.
QString writeSpec(const QTemporaryDir &dir, const QString &name, int count, int start, int repeat,
                  const QStringList &models, int repetitions = 1)
{
    const QJsonObject spec{
        {QStringLiteral("name"), name},
        {QStringLiteral("title"), QStringLiteral("test spec")},
        {QStringLiteral("workload"),
         QJsonObject{{QStringLiteral("kind"), QStringLiteral("cpu")},
                     {QStringLiteral("numbers"), QJsonObject{{QStringLiteral("start"), start}, {QStringLiteral("count"), count}}},
                     {QStringLiteral("repeat"), repeat}}},
        {QStringLiteral("models"), QJsonArray::fromStringList(models)},
        {QStringLiteral("workers"), 2},
        {QStringLiteral("repetitions"), repetitions}};
    const QString path = dir.filePath(name + QStringLiteral(".json"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(QJsonDocument(spec).toJson());
    return path;
}

// Worker children of this test process still running (zombies excluded).
QList<qint64> childWorkers()
{
    QList<qint64> pids;
    for (const ChildProcess &p : childProcesses(QCoreApplication::applicationPid()))
        if (p.state != 'Z' && p.argv0.contains("worker"))
            pids << p.pid;
    return pids;
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_small;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qputenv("XDG_CONFIG_HOME", m_dir.filePath(QStringLiteral("config")).toUtf8());
        // ~10 ms per task at 0.6 ns per iteration; 8 tasks.
        m_small = writeSpec(m_dir, QStringLiteral("small"), 8, 2000000, 8,
                            {QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("processes")});
        QVERIFY(!m_small.isEmpty());
    }

    void windowOpens()
    {
        MainWindow w(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.panel());
        QVERIFY(!w.panel()->spec().models.isEmpty());
        // The CPU chart is live before any run.
        QTRY_VERIFY_WITH_TIMEOUT(w.cpuChart()->sampleCount() >= 2, 3000);
        QCOMPARE(w.cpuChart()->coreCount(), onlineCores());
        QVERIFY(!w.isRunning());
    }

    void runFillsEveryChart()
    {
        MainWindow w(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.loadSpec(m_small), qPrintable(w.lastError()));
        QSignalSpy done(&w, &MainWindow::experimentDone);
        QSignalSpy runs(w.controller(), &RunController::runFinished);
        QSignalSpy liveEvents(w.controller(), &RunController::liveEventsArrived);
        QSignalSpy progress(w.controller(), &RunController::progressChanged);
        w.runExperiment(false);
        QVERIFY(w.isRunning());
        QVERIFY(done.wait(60000));
        QVERIFY(!w.isRunning());
        // Live path: task events reached the timeline before each run's final record.
        QVERIFY(liveEvents.count() > 0);
        QVERIFY(progress.count() > 0);
        QCOMPARE(progress.last().at(0).toInt(), 3 * 8);
        QCOMPARE(progress.last().at(1).toInt(), 3 * 8);
        const ExperimentResult result = w.lastResult();
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QCOMPARE(int(result.runs.size()), 3);
        QCOMPARE(runs.count(), 3);
        for (const RunRecord &r : result.runs) {
            QVERIFY2(r.verified, qPrintable(r.model + QStringLiteral(": ") + r.error));
            QCOMPARE(r.tasks_ok, 8);
            QVERIFY2(r.ui_lag_p99_ms >= 0, qPrintable(r.model));
            QVERIFY(r.ui_lag_p99_ms < 5000);
        }
        QCOMPARE(result.runs.front().model, QStringLiteral("sequential"));
        QVERIFY(result.runs.back().speedup > 0);

        QCOMPARE(w.timelineChart()->barCount(), 3 * 8);
        QCOMPARE(w.throughputChart()->models().size(), 3);
        for (const QString &m : w.throughputChart()->models())
            QVERIFY2(w.throughputChart()->pointCount(m) > 0, qPrintable(m));
        QVERIFY(w.throughputChart()->referenceRate() > 0);
        QCOMPARE(w.comparisonChart()->runCount(), 3);
        QCOMPARE(w.resultsModel()->rowCount(), 3);
        QCOMPARE(w.resultsModel()->columnCount(), int(ResultsTableModel::ColumnCount));
        QCOMPARE(w.resultsModel()->data(w.resultsModel()->index(0, ResultsTableModel::Model), Qt::UserRole).toString(),
                 QStringLiteral("sequential"));
        QVERIFY(w.cpuChart()->sampleCount() > 0);

        // Results of a second, single-model click join the kept ones instead of replacing them.
        w.panel()->setModelChecked(QStringLiteral("processes"), false);
        w.panel()->setModelChecked(QStringLiteral("sequential"), false);
        w.runExperiment(false);
        QVERIFY(done.wait(60000));
        QCOMPARE(int(w.lastResult().runs.size()), 1);
        QCOMPARE(w.resultsModel()->rowCount(), 3);
        QCOMPARE(w.comparisonChart()->runCount(), 3);
        for (const RunRecord &r : w.keptRuns())
            QVERIFY(r.speedup > 0);
    }

    // With repetitions the comparison keeps each model's median run, not the last one.
    void repetitionsKeepTheMedianRun()
    {
        QTemporaryDir dir;
        const QString path = writeSpec(dir, QStringLiteral("reps"), 4, 200000, 2, {QStringLiteral("threads")}, 3);
        MainWindow w(false);
        QVERIFY2(w.loadSpec(path), qPrintable(w.lastError()));
        QSignalSpy done(&w, &MainWindow::experimentDone);
        w.runExperiment(false);
        QVERIFY(done.wait(60000));
        const ExperimentResult result = w.lastResult();
        QCOMPARE(int(result.runs.size()), 3);
        std::vector<double> walls;
        for (const RunRecord &r : result.runs)
            walls.push_back(r.wall_s);
        std::sort(walls.begin(), walls.end());
        QCOMPARE(w.keptRuns().size(), size_t(1));
        QCOMPARE(w.keptRuns().front().wall_s, walls[1]);
    }

    void stopMidRunKeepsFinishedRuns()
    {
        // Sequential about 1 s, then threads and processes: stop during the second run.
        const QString spec = writeSpec(m_dir, QStringLiteral("stop"), 24, 5000000, 12,
                                       {QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("processes")});
        MainWindow w(false);
        w.show();
        QVERIFY(w.loadSpec(spec));
        QSignalSpy done(&w, &MainWindow::experimentDone);
        QSignalSpy runs(w.controller(), &RunController::runFinished);
        QSignalSpy started(w.controller(), &RunController::runStarted);
        w.runExperiment(false);
        QVERIFY(runs.wait(60000));
        QTRY_VERIFY_WITH_TIMEOUT(started.count() >= 2, 10000);
        QTest::qWait(150);
        QElapsedTimer clock;
        clock.start();
        w.stopExperiment();
        QVERIFY(done.wait(10000));
        const qint64 stopMs = clock.elapsed();
        qInfo("stop took %lld ms", stopMs);
        QVERIFY2(stopMs < 3000, qPrintable(QString::number(stopMs)));
        QVERIFY(w.lastResult().cancelled);
        QVERIFY(!w.isRunning());
        QCOMPARE(w.keptRuns().size(), size_t(1));
        QCOMPARE(w.keptRuns().front().model, QStringLiteral("sequential"));
        QVERIFY(w.keptRuns().front().verified);
        QCOMPARE(w.resultsModel()->rowCount(), 1);
        QVERIFY(w.timelineChart()->barCount() >= 24);
        // The window can run again at once.
        w.runExperiment(false);
        QVERIFY(w.isRunning());
        w.stopExperiment();
        QVERIFY(done.wait(10000));
    }

    void stopBeforeTheRunnerStartsIsHonoured()
    {
        // Stop right after start: the Runner resets its cancel flag when it begins, so the
        // controller must cancel again once it sees the experiment start.
        QString error;
        const auto spec = ExperimentSpec::fromJson(
            R"({"name":"s","workload":{"kind":"cpu","numbers":{"start":5000000,"count":100},"repeat":20},
                "models":["sequential","threads"]})",
            &error);
        QVERIFY2(spec, qPrintable(error));
        RunController controller;
        QSignalSpy finished(&controller, &RunController::experimentFinished);
        QElapsedTimer clock;
        clock.start();
        controller.start(*spec);
        controller.stop();
        QVERIFY(finished.wait(10000));
        QVERIFY2(clock.elapsed() < 3000, qPrintable(QString::number(clock.elapsed())));
        const auto result = finished.constFirst().constFirst().value<ExperimentResult>();
        QVERIFY(result.cancelled);
        for (const RunRecord &r : result.runs)
            QVERIFY(r.cancelled);
        QVERIFY(!controller.isRunning());
    }

    void uiThreadRunFreezesAndIsMeasured()
    {
        // ~0.5 s of work on the GUI thread: the lag meter must see the freeze.
        const QString spec = writeSpec(m_dir, QStringLiteral("ui"), 8, 5000000, 20, {QStringLiteral("sequential")});
        MainWindow w(false);
        w.show();
        QVERIFY(w.loadSpec(spec));
        auto *box = w.panel()->findChild<QCheckBox *>(QStringLiteral("uiThreadCheck"));
        QVERIFY(box);
        QVERIFY(box->isEnabled());
        box->setChecked(true);
        QSignalSpy done(&w, &MainWindow::experimentDone);
        w.runExperiment(false);
        QVERIFY(done.wait(60000));
        const ExperimentResult r = w.lastResult();
        QCOMPARE(int(r.runs.size()), 1);
        QVERIFY(r.runs.front().verified);
        QVERIFY(r.runs.front().ranOnUiThread);
        qInfo("UI-thread run: wall %.3f s, ui lag p99 %.1f ms", r.runs.front().wall_s, r.runs.front().ui_lag_p99_ms);
        QVERIFY(r.runs.front().ui_lag_p99_ms > 0.3 * r.runs.front().wall_s * 1000);
    }

    void exportWritesValidFiles()
    {
        MainWindow w(false);
        w.resize(1400, 900);
        w.show();
        QVERIFY(w.loadSpec(m_small));
        QSignalSpy done(&w, &MainWindow::experimentDone);
        w.runExperiment(false);
        QVERIFY(done.wait(60000));

        const QString dir = m_dir.filePath(QStringLiteral("export"));
        QStringList written;
        QString error;
        ChartExportSettings settings;
        settings.size = QSize(800, 500);
        settings.dpi = 96;
        QVERIFY2(exportCharts(w.namedPlots(), dir, {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf")},
                              settings, &written, &error),
                 qPrintable(error));
        QCOMPARE(written.size(), 12);
        for (const QString &path : std::as_const(written)) {
            QFile f(path);
            QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(path));
            const QByteArray data = f.readAll();
            QVERIFY2(data.size() > 1000, qPrintable(path));
            if (path.endsWith(QLatin1String(".png"))) {
                const QImage img(path);
                QVERIFY2(!img.isNull(), qPrintable(path));
                QCOMPARE(img.size(), QSize(800, 500));
                // Not a blank image: a white-background chart has dark pixels (text, axes).
                int dark = 0;
                for (int y = 0; y < img.height(); y += 4)
                    for (int x = 0; x < img.width(); x += 4)
                        dark += qGray(img.pixel(x, y)) < 100;
                QVERIFY2(dark > 50, qPrintable(path));
            } else if (path.endsWith(QLatin1String(".svg"))) {
                QVERIFY2(data.contains("<svg"), qPrintable(path));
            } else {
                QVERIFY2(data.startsWith("%PDF"), qPrintable(path));
            }
        }

        // Export of everything: charts + data in one action.
        written.clear();
        const QString all = m_dir.filePath(QStringLiteral("all"));
        QVERIFY2(w.exportAll(all, &written, &error), qPrintable(error));
        for (const QString &name : {QStringLiteral("cpu.png"), QStringLiteral("timeline.svg"),
                                    QStringLiteral("results.json"), QStringLiteral("results.csv"),
                                    QStringLiteral("results.tasks.csv"), QStringLiteral("trace.json")})
            QVERIFY2(QFileInfo(QDir(all).filePath(name)).size() > 0, qPrintable(name));
        QFile json(QDir(all).filePath(QStringLiteral("results.json")));
        QVERIFY(json.open(QIODevice::ReadOnly));
        const QJsonArray runs = QJsonDocument::fromJson(json.readAll()).object().value(QStringLiteral("runs")).toArray();
        QCOMPARE(runs.size(), 3);
        for (const QJsonValue &r : runs)
            QVERIFY(r.toObject().contains(QStringLiteral("ui_lag_p99_ms")));

        // A path that cannot be written gives an error, not a crash.
        written.clear();
        QVERIFY(!exportCharts(w.namedPlots(), QStringLiteral("/proc/no/such/dir"), {QStringLiteral("png")}, settings,
                              &written, &error));
        QVERIFY(!error.isEmpty());
    }

    void exportDialogChecksTheFileName()
    {
        ExportDialog d(m_dir.filePath(QStringLiteral("chart.txt")));
        d.show();
        d.accept();
        QCOMPARE(d.result(), int(QDialog::Rejected));
        auto *error = d.findChild<QLabel *>(QStringLiteral("errorLabel"));
        QVERIFY(error);
        QVERIFY2(error->text().contains(QLatin1String(".png")), qPrintable(error->text()));
        d.findChild<QLineEdit *>(QStringLiteral("fileEdit"))->setText(m_dir.filePath(QStringLiteral("chart.SVG")));
        d.setPixelSize(QSize(1024, 640));
        d.accept();
        QCOMPARE(d.result(), int(QDialog::Accepted));
        QCOMPARE(d.pixelSize(), QSize(1024, 640));
        QVERIFY(d.whiteBackground());
        QCOMPARE(d.dpi(), 96.0);
    }

    void badSpecFileShowsMessage()
    {
        MainWindow w(false);
        w.show();
        const QString before = w.panel()->spec().name;
        const QString bad = m_dir.filePath(QStringLiteral("bad.json"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{ \"name\": \"x\", \"workload\": { \"kind\": \"cpu\", ");
        f.close();
        QVERIFY(!w.loadSpec(bad));
        QVERIFY2(w.lastError().contains(QLatin1String("bad.json")), qPrintable(w.lastError()));
        QMessageBox *box = w.findChild<QMessageBox *>(QStringLiteral("errorMessageBox"));
        QVERIFY(box);
        QVERIFY(box->isVisible());
        QCOMPARE(box->text(), w.lastError());
        box->close();
        QCOMPARE(w.panel()->spec().name, before);

        QVERIFY(!w.loadSpec(m_dir.filePath(QStringLiteral("missing.json"))));
        QVERIFY2(w.lastError().contains(QLatin1String("no such file")), qPrintable(w.lastError()));
        QVERIFY(!w.loadSpec(QStringLiteral("no-such-preset")));
        QVERIFY2(w.lastError().contains(QLatin1String("unknown preset")), qPrintable(w.lastError()));
        // Still usable.
        QVERIFY(w.loadSpec(m_small));
        QVERIFY(w.lastError().isEmpty());
    }

    void settingsRoundTrip()
    {
        // XDG_CONFIG_HOME points into the temporary folder (initTestCase).
        QCoreApplication::setOrganizationName(QStringLiteral("ConcurrencyLabTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
        {
            MainWindow w(true);
            w.show();
            QVERIFY(w.loadSpec(m_small));
            w.setDarkTheme(true);
            // The Story dock (made by the presentation mode, after the settings were read) moved left.
            w.resize(1600, 1000);
            w.addDockWidget(Qt::LeftDockWidgetArea, w.presentation()->storyDock());
            QVERIFY(w.close());
        }
        {
            MainWindow w(true);
            QVERIFY(w.isDarkTheme());
            QCOMPARE(w.dockWidgetArea(w.presentation()->storyDock()), Qt::LeftDockWidgetArea);
            QCOMPARE(w.panel()->spec().name, QStringLiteral("small"));
            QCOMPARE(w.panel()->source(), m_small);
            w.setDarkTheme(false);
            w.close();
        }
        MainWindow w(true);
        QVERIFY(!w.isDarkTheme());
        w.close();
    }

    // A saved experiment (here: the one just run, as the loader will hand it over) is drawn
    // in every chart as it looked live, and exported like a live one.
    void loadedResultFillsEveryChart()
    {
        MainWindow w(false);
        w.resize(1400, 900);
        w.show();
        QVERIFY(w.loadSpec(m_small));
        QSignalSpy done(&w, &MainWindow::experimentDone);
        w.runExperiment(false);
        QVERIFY(done.wait(60000));
        QTest::qWait(1200);  // a second of samples after the run
        const StoredExperiment live = *w.store()->current();
        QCOMPARE(int(live.result.runs.size()), 3);
        QVERIFY2(live.cpuSamples.size() >= 3, qPrintable(QString::number(live.cpuSamples.size())));
        const int liveBars = w.timelineChart()->barCount();
        const int liveComparison = w.comparisonChart()->runCount();

        LoadedResult loaded{live.result, live.cpuSamples, live.cpuHz};
        QVERIFY(w.showLoadedResult(loaded, m_dir.filePath(QStringLiteral("saved.json"))));
        QVERIFY(w.store()->current()->isLoaded());
        QCOMPARE(w.store()->experimentCount(), 2);
        QCOMPARE(w.timelineChart()->barCount(), liveBars);
        QCOMPARE(w.comparisonChart()->runCount(), liveComparison);
        QCOMPARE(w.throughputChart()->models().size(), 3);
        for (const QString &m : w.throughputChart()->models())
            QVERIFY2(w.throughputChart()->pointCount(m) > 0, qPrintable(m));
        QCOMPARE(w.cpuChart()->sampleCount(), int(live.cpuSamples.size()));
        QCOMPARE(w.cpuChart()->timeOrigin(), live.result.runs.front().t0);
        QVERIFY(!w.cpuChart()->isFollowingLive());
        QCOMPARE(w.resultsModel()->rowCount(), 3);
        // The live sampler goes on, but into the session, not into the saved experiment's chart.
        const int shown = w.cpuChart()->sampleCount();
        QTest::qWait(300);
        QCOMPARE(w.cpuChart()->sampleCount(), shown);

        const QString dir = m_dir.filePath(QStringLiteral("loaded-export"));
        QStringList written;
        QString error;
        QVERIFY2(w.exportAll(dir, &written, &error), qPrintable(error));
        QFile json(QDir(dir).filePath(QStringLiteral("results.json")));
        QVERIFY(json.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(json.readAll()).object().value(QStringLiteral("runs")).toArray().size(), 3);
        QFile trace(QDir(dir).filePath(QStringLiteral("trace.json")));
        QVERIFY(trace.open(QIODevice::ReadOnly));
        QVERIFY(trace.readAll().contains("\"ph\":\"C\""));  // the saved CPU samples as counters
        const QImage timeline(QDir(dir).filePath(QStringLiteral("timeline.png")));
        QVERIFY(!timeline.isNull());

        // A new run goes back to the live view; once it is done the charts hold it (issue 10:
        // results stay until the next experiment).
        w.runExperiment(false);
        QVERIFY(w.cpuChart()->isFollowingLive());
        QVERIFY(done.wait(60000));
        QVERIFY(!w.store()->current()->isLoaded());
        QVERIFY(!w.cpuChart()->isFollowingLive());
        QCOMPARE(w.cpuChart()->timeOrigin(), w.chartModels()->sessionOrigin());
    }

    void openResultsLoadsSavedFilesAndRefusesOthers()
    {
        MainWindow w(false);
        w.show();
        auto *action = w.findChild<QAction *>(QStringLiteral("openResultsAction"));
        QVERIFY(action);
        auto *recent = w.findChild<QMenu *>(QStringLiteral("recentResultsMenu"));
        QVERIFY(recent);
        QVERIFY(!recent->isEnabled());
        QVERIFY(!w.openResults(m_dir.filePath(QStringLiteral("no-such-results.json"))));
        QVERIFY2(w.lastError().contains(QLatin1String("no-such-results.json")), qPrintable(w.lastError()));
        const QString path = m_dir.filePath(QStringLiteral("results-for-open.json"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{}");
        f.close();
        QVERIFY(!w.openResults(path));
        QVERIFY2(w.lastError().contains(QLatin1String("not a Concurrency Lab result")), qPrintable(w.lastError()));
        QVERIFY(w.recentResultFiles().isEmpty());  // only files that opened are remembered
        QCOMPARE(w.store()->experimentCount(), 0);
        // A result the CLI saved (schema 1) opens, with every run, and is remembered.
        const QString golden = QStringLiteral(LAB_TEST_DATA_DIR "/result-v1-cpu-quick.json");
        QVERIFY2(w.openResults(golden), qPrintable(w.lastError()));
        QCOMPARE(w.store()->experimentCount(), 1);
        QCOMPARE(int(w.keptRuns().size()), 4);
        QCOMPARE(w.recentResultFiles().value(0), golden);
    }

    void closeDuringRunCancelsCleanly()
    {
        const QString spec = writeSpec(m_dir, QStringLiteral("close"), 40, 5000000, 20, {QStringLiteral("processes")});
        auto *w = new MainWindow(false);
        w->show();
        QVERIFY(w->loadSpec(spec));
        QSignalSpy started(w->controller(), &RunController::runStarted);
        w->runExperiment(false);
        QVERIFY(started.wait(20000));
        QTRY_VERIFY_WITH_TIMEOUT(!childWorkers().isEmpty(), 5000);
        QElapsedTimer clock;
        clock.start();
        QVERIFY(w->close());
        delete w;
        qInfo("close during run took %lld ms", clock.elapsed());
        QVERIFY(clock.elapsed() < 5000);
        QTRY_VERIFY_WITH_TIMEOUT(childWorkers().isEmpty(), 3000);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
