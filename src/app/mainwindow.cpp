#include "mainwindow.h"

#include "charts/chartexport.h"
#include "charts/chartstyle.h"
#include "charts/comparisonchart.h"
#include "charts/cpuchart.h"
#include "charts/throughputchart.h"
#include "charts/timelinechart.h"
#include "experiment/presets.h"
#include "export/chrometrace.h"
#include "export/resultwriter.h"
#include "experimentpanel.h"
#include "exportdialog.h"
#include "models/executionmodel.h"
#include "resultstablemodel.h"
#include "runcontroller.h"
#include "ui_mainwindow.h"
#include "util/lagmeter.h"
#include "util/sysinfo.h"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <qcustomplot.h>

#include <cstdio>

namespace lab {

namespace {
constexpr double kSampleKeepS = 660;  // CPU samples kept for the Chrome trace (window max + margin)

QString workloadFingerprint(const ExperimentSpec &spec)
{
    return QString::fromUtf8(
        QJsonDocument(spec.toJson().value(QStringLiteral("workload")).toObject()).toJson(QJsonDocument::Compact));
}

QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x1f, 0x22), text(0xe6, 0xe6, 0xe6);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::red);
    p.setColor(QPalette::Highlight, QColor(0x35, 0x84, 0xe4));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x56, 0xb4, 0xe9));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x80, 0x80, 0x80));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x80, 0x80));
    return p;
}

void printErr(const QString &text)
{
    std::fputs(qPrintable(text + QLatin1Char('\n')), stderr);
    std::fflush(stderr);
}
} // namespace

MainWindow::MainWindow(bool useSettings, QWidget *parent)
    : QMainWindow(parent), m_ui(std::make_unique<Ui::MainWindow>()), m_useSettings(useSettings)
{
    m_ui->setupUi(this);
    m_panel = new ExperimentPanel(m_ui->panelHost);
    m_ui->panelHostLayout->addWidget(m_panel);
    m_ui->experimentDock->setMinimumWidth(m_panel->sizeHint().width() + 24);
    m_controller = new RunController(this);
    m_sampler = new CpuSampler(this);

    createCharts();
    createActions();
    createStatusBar();

    m_resultsModel = new ResultsTableModel(this);
    m_resultsProxy = new QSortFilterProxyModel(this);
    m_resultsProxy->setSourceModel(m_resultsModel);
    m_resultsProxy->setSortRole(Qt::UserRole);
    m_ui->resultsTable->setModel(m_resultsProxy);
    m_ui->resultsTable->verticalHeader()->hide();
    m_ui->resultsTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_ui->resultsTable->horizontalHeader()->setStretchLastSection(true);
    m_ui->resultsTable->sortByColumn(-1, Qt::AscendingOrder);

    m_ui->mainSplitter->setStretchFactor(0, 4);
    m_ui->mainSplitter->setStretchFactor(1, 3);
    m_ui->mainSplitter->setStretchFactor(2, 3);
    m_ui->mainSplitter->setSizes({340, 250, 400});
    m_ui->topSplitter->setSizes({560, 440});
    m_ui->bottomSplitter->setSizes({660, 340});

    m_panel->setPresets(presetNames());
    connect(m_panel, &ExperimentPanel::presetChosen, this, [this](const QString &key) { loadSpec(key); });
    connect(m_panel, &ExperimentPanel::openSpecRequested, this, &MainWindow::openSpecInteractive);
    connect(m_panel, &ExperimentPanel::runRequested, this, [this] { runExperiment(false); });
    connect(m_panel, &ExperimentPanel::runAllRequested, this, [this] { runExperiment(true); });
    connect(m_panel, &ExperimentPanel::stopRequested, this, &MainWindow::stopExperiment);

    connect(m_controller, &RunController::experimentStarted, this, &MainWindow::onExperimentStarted);
    connect(m_controller, &RunController::runStarted, this, &MainWindow::onRunStarted);
    connect(m_controller, &RunController::runFinished, this, &MainWindow::onRunFinished);
    connect(m_controller, &RunController::experimentFinished, this, &MainWindow::onExperimentFinished);
    connect(m_controller, &RunController::progressChanged, m_panel, &ExperimentPanel::setProgress);
    connect(m_controller, &RunController::liveThroughput, m_throughput, &ThroughputChart::addPoint);
    connect(m_controller, &RunController::liveEventsArrived, this,
            [this](const QString &model, double runT0, const std::vector<LiveEvent> &events) {
                for (const LiveEvent &e : events)
                    m_timeline->addLiveEvent(e, runT0, model);
            });
    connect(m_controller->lagMeter(), &LagMeter::lagUpdated, this, &MainWindow::updateStatus);

    connect(m_sampler, &CpuSampler::sampleTaken, this, &MainWindow::onSample);
    connect(m_sampler, &CpuSampler::coreCountChanged, this, &MainWindow::updateStatus);
    connect(m_sampler, &CpuSampler::readFailed, this, [this](const QString &message) {
        statusBar()->showMessage(tr("CPU sampler: %1").arg(message), 10000);
    });

    restoreSettings();
    m_sampler->start();
    updateStatus();
}

MainWindow::~MainWindow()
{
    m_controller->shutdown();
}

void MainWindow::createCharts()
{
    m_cpu = new CpuChart(m_ui->cpuHost);
    m_ui->cpuHostLayout->addWidget(m_cpu);
    m_throughput = new ThroughputChart(m_ui->throughputHost);
    m_ui->throughputHostLayout->addWidget(m_throughput);
    m_timeline = new TimelineChart(m_ui->timelineHost);
    m_ui->timelineHostLayout->addWidget(m_timeline);
    m_comparison = new ComparisonChart(m_ui->comparisonHost);
    m_ui->comparisonHostLayout->addWidget(m_comparison);

    // x = seconds since the window opened, on both time charts.
    m_cpu->setTimeOrigin(monotonicSeconds());
    CpuChart::linkTimeAxes(m_cpu, m_timeline);
    m_cpu->setWindowSeconds(m_chartWindow);

    const QList<NamedPlot> plots = namedPlots();
    for (const NamedPlot &p : plots)
        attachChartMenu(p.plot, p.name);
}

QList<NamedPlot> MainWindow::namedPlots() const
{
    return {{QStringLiteral("cpu"), m_cpu->plot()},
            {QStringLiteral("throughput"), m_throughput->plot()},
            {QStringLiteral("timeline"), m_timeline->plot()},
            {QStringLiteral("comparison"), m_comparison->plot()}};
}

void MainWindow::attachChartMenu(QCustomPlot *plot, const QString &name)
{
    plot->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(plot, &QWidget::customContextMenuRequested, this, [this, plot, name](const QPoint &pos) {
        QMenu menu(this);
        menu.addAction(tr("Export chart…"), this, [this, plot, name] { exportChartInteractive(plot, name); });
        menu.addAction(tr("Copy chart to clipboard"), this, [plot] { copyPlotToClipboard(plot); });
        menu.addSeparator();
        menu.addAction(tr("Export all charts…"), this, &MainWindow::exportAllInteractive);
        menu.exec(plot->mapToGlobal(pos));
    });
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open spec…"), this, &MainWindow::openSpecInteractive);
    open->setShortcut(QKeySequence::Open);
    file->addSeparator();
    QMenu *exportChart = file->addMenu(tr("Export &chart"));
    QMenu *copyChart = file->addMenu(tr("Cop&y chart to clipboard"));
    const QList<QPair<QString, QString>> titles{{QStringLiteral("cpu"), tr("Per-core CPU")},
                                                {QStringLiteral("throughput"), tr("Throughput")},
                                                {QStringLiteral("timeline"), tr("Timeline")},
                                                {QStringLiteral("comparison"), tr("Comparison")}};
    const QList<NamedPlot> plots = namedPlots();
    for (int i = 0; i < plots.size(); ++i) {
        QCustomPlot *plot = plots[i].plot;
        const QString name = plots[i].name;
        exportChart->addAction(titles[i].second + QStringLiteral("…"), this,
                               [this, plot, name] { exportChartInteractive(plot, name); });
        copyChart->addAction(titles[i].second, this, [plot] { copyPlotToClipboard(plot); });
    }
    QAction *all = file->addAction(tr("Export &all charts and data…"), this, &MainWindow::exportAllInteractive);
    all->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    file->addAction(tr("Export data as &JSON…"), this, [this] { exportDataInteractive(QStringLiteral("json")); });
    file->addAction(tr("Export data as C&SV…"), this, [this] { exportDataInteractive(QStringLiteral("csv")); });
    file->addAction(tr("Export Chrome &trace…"), this, [this] { exportDataInteractive(QStringLiteral("trace")); });
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *run = menuBar()->addMenu(tr("&Run"));
    m_runAction = run->addAction(tr("&Run"), this, [this] { runExperiment(false); });
    m_runAction->setShortcut(Qt::Key_F5);
    m_runAllAction = run->addAction(tr("Run &all models"), this, [this] { runExperiment(true); });
    m_runAllAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F5));
    m_stopAction = run->addAction(tr("&Stop"), this, &MainWindow::stopExperiment);
    m_stopAction->setShortcut(Qt::Key_Escape);
    m_stopAction->setEnabled(false);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    m_darkAction = view->addAction(tr("&Dark theme"));
    m_darkAction->setCheckable(true);
    connect(m_darkAction, &QAction::toggled, this, &MainWindow::setDarkTheme);
    QMenu *window = view->addMenu(tr("CPU chart &window"));
    m_windowGroup = new QActionGroup(this);
    const QList<QPair<double, QString>> windows{{10, tr("10 s")},  {30, tr("30 s")},   {60, tr("1 min")},
                                                {120, tr("2 min")}, {300, tr("5 min")}, {600, tr("10 min")}};
    for (const auto &[seconds, label] : windows) {
        QAction *a = window->addAction(label, this, [this, s = seconds] { setChartWindow(s); });
        a->setCheckable(true);
        a->setData(seconds);
        m_windowGroup->addAction(a);
    }
    QMenu *rate = view->addMenu(tr("CPU &sampler rate"));
    m_rateGroup = new QActionGroup(this);
    for (double hz : {1.0, 2.0, 5.0, 10.0, 20.0, 50.0}) {
        QAction *a = rate->addAction(tr("%1 Hz").arg(hz), this, [this, hz] { setSamplerRate(hz); });
        a->setCheckable(true);
        a->setData(hz);
        m_rateGroup->addAction(a);
    }
    QAction *pause = view->addAction(tr("&Pause CPU chart"));
    pause->setCheckable(true);
    connect(pause, &QAction::toggled, m_cpu, &CpuChart::setPaused);
    view->addSeparator();
    view->addAction(m_ui->experimentDock->toggleViewAction());
}

void MainWindow::createStatusBar()
{
    m_coresLabel = new QLabel(this);
    m_samplerLabel = new QLabel(this);
    m_lagLabel = new QLabel(this);
    m_lagLabel->setToolTip(tr("Event-loop lag of this window (timer drift): now and 99th percentile. "
                              "It stays low while worker threads saturate every core; it spikes when "
                              "work runs on the UI thread."));
    statusBar()->addPermanentWidget(m_coresLabel);
    statusBar()->addPermanentWidget(m_samplerLabel);
    statusBar()->addPermanentWidget(m_lagLabel);
}

void MainWindow::updateStatus()
{
    const int cores = m_sampler->coreCount() > 0 ? m_sampler->coreCount() : onlineCores();
    m_coresLabel->setText(tr("%1 cores").arg(cores));
    m_samplerLabel->setText(tr("Sampler %1 Hz").arg(m_sampler->rateHz()));
    const LagMeter *lag = m_controller->lagMeter();
    m_lagLabel->setText(tr("UI lag %1 ms (p99 %2 ms)")
                            .arg(lag->currentMs(), 0, 'f', 1)
                            .arg(lag->p99Ms(), 0, 'f', 1));
}

void MainWindow::setSamplerRate(double hz)
{
    m_sampler->setRateHz(hz);
    for (QAction *a : m_rateGroup->actions())
        a->setChecked(qFuzzyCompare(a->data().toDouble(), m_sampler->rateHz()));
    updateStatus();
}

void MainWindow::setChartWindow(double seconds)
{
    m_chartWindow = std::clamp(seconds, 10.0, 600.0);
    m_cpu->setWindowSeconds(m_chartWindow);
    for (QAction *a : m_windowGroup->actions())
        a->setChecked(qFuzzyCompare(a->data().toDouble(), m_chartWindow));
}

void MainWindow::setDarkTheme(bool dark)
{
    m_dark = dark;
    if (m_darkAction->isChecked() != dark)
        m_darkAction->setChecked(dark);
    QApplication::setPalette(dark ? darkPalette() : QApplication::style()->standardPalette());
    m_cpu->setDark(dark);
    m_throughput->setDark(dark);
    m_timeline->setDark(dark);
    m_comparison->setDark(dark);
}

void MainWindow::restoreSettings()
{
    QString specJson, source;
    if (m_useSettings) {
        QSettings s;
        restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
        restoreState(s.value(QStringLiteral("window/state")).toByteArray());
        m_ui->mainSplitter->restoreState(s.value(QStringLiteral("window/mainSplitter")).toByteArray());
        m_ui->topSplitter->restoreState(s.value(QStringLiteral("window/topSplitter")).toByteArray());
        m_ui->bottomSplitter->restoreState(s.value(QStringLiteral("window/bottomSplitter")).toByteArray());
        m_dark = s.value(QStringLiteral("view/dark"), false).toBool();
        m_chartWindow = s.value(QStringLiteral("view/chartWindow"), 30.0).toDouble();
        m_sampler->setRateHz(s.value(QStringLiteral("view/samplerHz"), 10.0).toDouble());
        specJson = s.value(QStringLiteral("spec/json")).toString();
        source = s.value(QStringLiteral("spec/source")).toString();
    }
    setChartWindow(m_chartWindow);
    setSamplerRate(m_sampler->rateHz());
    setDarkTheme(m_dark);

    QString error;
    if (!specJson.isEmpty()) {
        if (auto spec = ExperimentSpec::fromJson(specJson.toUtf8(), &error)) {
            m_panel->setSpec(*spec, source.isEmpty() ? spec->name : source);
            return;
        }
    }
    if (auto spec = loadPreset(presetDefault(), &error))
        m_panel->setSpec(*spec, presetDefault());
    else if (!presetNames().isEmpty())
        loadSpec(presetNames().constFirst());
}

void MainWindow::saveSettings()
{
    if (!m_useSettings)
        return;
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/mainSplitter"), m_ui->mainSplitter->saveState());
    s.setValue(QStringLiteral("window/topSplitter"), m_ui->topSplitter->saveState());
    s.setValue(QStringLiteral("window/bottomSplitter"), m_ui->bottomSplitter->saveState());
    s.setValue(QStringLiteral("view/dark"), m_dark);
    s.setValue(QStringLiteral("view/chartWindow"), m_chartWindow);
    s.setValue(QStringLiteral("view/samplerHz"), m_sampler->rateHz());
    s.setValue(QStringLiteral("spec/json"),
               QString::fromUtf8(QJsonDocument(m_panel->spec().toJson()).toJson(QJsonDocument::Compact)));
    s.setValue(QStringLiteral("spec/source"), m_panel->source());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    // Cancels a run in progress and joins the runner thread; models stop their workers.
    m_controller->shutdown();
    m_sampler->stop();
    event->accept();
}

void MainWindow::showError(const QString &title, const QString &text)
{
    m_lastError = text;
    if (m_scriptActive && m_script.quitWhenDone) {
        printErr(QStringLiteral("concurrency-lab: %1").arg(text));
        return;
    }
    // Non-blocking, so neither tests nor a running experiment wait on it.
    auto *box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("errorMessageBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

bool MainWindow::loadSpec(const QString &pathOrPreset)
{
    QString error;
    const auto spec = lab::loadSpec(pathOrPreset, &error);
    if (!spec) {
        showError(tr("Cannot open the experiment"), error);
        return false;
    }
    const QString why = spec->validate();
    if (!why.isEmpty()) {
        showError(tr("Cannot open the experiment"), QStringLiteral("%1: %2").arg(pathOrPreset, why));
        return false;
    }
    m_lastError.clear();
    m_panel->setSpec(*spec, pathOrPreset);
    return true;
}

void MainWindow::openSpecInteractive()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open experiment spec"), QString(),
                                                      tr("Experiment spec (*.json);;All files (*)"));
    if (!path.isEmpty())
        loadSpec(path);
}

bool MainWindow::isRunning() const
{
    return m_controller->isRunning();
}

void MainWindow::runExperiment(bool allModels)
{
    if (m_controller->isRunning())
        return;
    const ExperimentSpec spec = m_panel->spec(allModels);
    if (spec.models.isEmpty()) {
        showError(tr("Nothing to run"), tr("Check at least one model to run."));
        return;
    }
    const QString why = spec.validate();
    if (!why.isEmpty()) {
        showError(tr("Cannot run"), why);
        return;
    }
    m_lastError.clear();
    m_controller->start(spec, !allModels && m_panel->runOnUiThread());
}

void MainWindow::stopExperiment()
{
    m_controller->stop();
}

void MainWindow::onExperimentStarted(const ExperimentSpec &spec, int runCount, int tasksPerRun)
{
    Q_UNUSED(runCount);
    Q_UNUSED(tasksPerRun);
    m_runningSpec = spec;
    m_panel->setRunning(true);
    m_runAction->setEnabled(false);
    m_runAllAction->setEnabled(false);
    m_stopAction->setEnabled(true);
    m_timeline->clear();
    m_timeline->setTaskSpecs(spec.makeTasks());
    m_throughput->clear();
    m_throughput->setIoMode(spec.workload == QLatin1String("io"));
    if (workloadFingerprint(spec) == m_keptFingerprint) {
        for (const RunRecord &r : m_keptRuns)
            if (r.model == QLatin1String("sequential") && r.wall_s > 0)
                m_throughput->setReferenceRate(r.tasks_ok / r.wall_s);
    }
    statusBar()->showMessage(tr("Running %1…").arg(spec.title.isEmpty() ? spec.name : spec.title));
}

void MainWindow::onRunStarted(int index, const QString &model, int workers, double t0)
{
    Q_UNUSED(index);
    Q_UNUSED(workers);
    m_cpu->markRunStarted(t0, model);
    m_throughput->beginRun(model);
}

void MainWindow::onRunFinished(const RunRecord &record)
{
    m_cpu->markRunFinished(record.t0 + record.wall_s);
    m_throughput->setRunRecord(record);
    m_timeline->setRun(record);
    if (record.model == QLatin1String("sequential") && !record.cancelled && record.wall_s > 0 && record.tasks_ok > 0)
        m_throughput->setReferenceRate(record.tasks_ok / record.wall_s);
    keepResult(record, m_runningSpec);
}

void MainWindow::keepResult(const RunRecord &record, const ExperimentSpec &spec)
{
    if (record.cancelled)
        return;  // an incomplete run would distort the comparison
    const QString fp = workloadFingerprint(spec);
    if (fp != m_keptFingerprint) {
        m_keptRuns.clear();
        m_repetitionRuns.clear();
        m_keptFingerprint = fp;
    }
    // With repetitions the comparison shows each model's median run (by wall time), not
    // whichever repetition happened to finish last.
    std::vector<RunRecord> &reps = m_repetitionRuns[record.model];
    if (record.repetition == 0)
        reps.clear();
    reps.push_back(record);
    std::vector<RunRecord> byWall = reps;
    std::sort(byWall.begin(), byWall.end(), [](const RunRecord &a, const RunRecord &b) { return a.wall_s < b.wall_s; });
    std::erase_if(m_keptRuns, [&](const RunRecord &r) { return r.model == record.model; });
    m_keptRuns.push_back(byWall[(byWall.size() - 1) / 2]);
    const QStringList order = modelIds();
    std::stable_sort(m_keptRuns.begin(), m_keptRuns.end(), [&](const RunRecord &a, const RunRecord &b) {
        return order.indexOf(a.model) < order.indexOf(b.model);
    });
    // Speedups against the kept baseline runs: results of separate clicks stay comparable.
    applySpeedups(m_keptRuns);
    m_resultsModel->setRuns(m_keptRuns);
    // CPU runs have no latency: keep the narrow table for figures that exist.
    m_ui->resultsTable->setColumnHidden(ResultsTableModel::Latency, !m_resultsModel->hasLatency());
    m_comparison->setRuns(m_keptRuns);
}

void MainWindow::onExperimentFinished(const ExperimentResult &result)
{
    m_lastResult = result;
    m_haveResult = !result.runs.empty();
    m_panel->setRunning(false);
    m_runAction->setEnabled(true);
    m_runAllAction->setEnabled(true);
    m_stopAction->setEnabled(false);
    double wall = 0;
    for (const RunRecord &r : result.runs)
        wall += r.wall_s;
    QString text;
    if (!result.error.isEmpty())
        text = tr("Failed: %1").arg(result.error);
    else if (result.cancelled)
        text = tr("Stopped: %n finished run(s) kept", nullptr,
                  int(std::count_if(result.runs.begin(), result.runs.end(), [](const RunRecord &r) { return !r.cancelled; })));
    else
        text = tr("Done: %n run(s), %1 s of runs", nullptr, int(result.runs.size())).arg(wall, 0, 'f', 2);
    m_panel->setIdleText(text);
    statusBar()->showMessage(text, 15000);
    if (!result.error.isEmpty())
        showError(tr("The experiment failed"), result.error);
    Q_EMIT experimentDone(result);
    if (m_scriptActive)
        scriptStep(result);
}

void MainWindow::onSample(const CpuSample &sample)
{
    m_cpu->addSample(sample);
    m_samples.push_back(sample);
    while (!m_samples.empty() && m_samples.front().t < sample.t - kSampleKeepS)
        m_samples.pop_front();
}

bool MainWindow::haveResult()
{
    if (m_haveResult)
        return true;
    showError(tr("Nothing to export"), tr("Run an experiment first: there are no results to export yet."));
    return false;
}

void MainWindow::exportChartInteractive(QCustomPlot *plot, const QString &name)
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    ExportDialog dialog(QDir(dir.isEmpty() ? QDir::homePath() : dir).filePath(name + QStringLiteral(".png")), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    QString error;
    if (!exportPlot(plot, dialog.path(), dialog.pixelSize(), dialog.dpi(), dialog.whiteBackground(), &error))
        showError(tr("Export failed"), QStringLiteral("%1: %2").arg(dialog.path(), error));
    else
        statusBar()->showMessage(tr("Wrote %1").arg(dialog.path()), 8000);
}

bool MainWindow::exportAll(const QString &dir, QStringList *written, QString *error)
{
    ChartExportSettings settings;
    settings.whiteBackground = !m_dark;
    // Draw the current data first: the live charts replot on their own timers.
    m_cpu->renderNow();
    for (const NamedPlot &p : namedPlots())
        p.plot->replot(QCustomPlot::rpImmediateRefresh);
    if (!exportCharts(namedPlots(), dir, {QStringLiteral("png"), QStringLiteral("svg")}, settings, written, error))
        return false;
    if (m_haveResult && !exportResultData(m_lastResult, {m_samples.begin(), m_samples.end()}, dir, written, error))
        return false;
    return true;
}

void MainWindow::exportAllInteractive()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export all charts and data to"));
    if (dir.isEmpty())
        return;
    QStringList written;
    QString error;
    if (!exportAll(dir, &written, &error))
        showError(tr("Export failed"), error);
    else
        statusBar()->showMessage(tr("Wrote %n file(s) to %1", nullptr, int(written.size())).arg(dir), 8000);
}

void MainWindow::exportDataInteractive(const QString &format)
{
    if (!haveResult())
        return;
    QString filter, suggested;
    if (format == QLatin1String("json")) {
        filter = tr("JSON (*.json)");
        suggested = QStringLiteral("results.json");
    } else if (format == QLatin1String("csv")) {
        filter = tr("CSV (*.csv)");
        suggested = QStringLiteral("results.csv");
    } else {
        filter = tr("Chrome trace (*.json)");
        suggested = QStringLiteral("trace.json");
    }
    const QString path = QFileDialog::getSaveFileName(this, tr("Export data"), suggested, filter);
    if (path.isEmpty())
        return;
    QString error;
    bool ok = false;
    if (format == QLatin1String("json"))
        ok = writeFileAtomically(path, resultToJson(m_lastResult), &error);
    else if (format == QLatin1String("csv"))
        ok = writeCsvPair(m_lastResult, path, &error);
    else
        ok = writeFileAtomically(path, chromeTraceJson(m_lastResult, {m_samples.begin(), m_samples.end()}), &error);
    if (!ok)
        showError(tr("Export failed"), error);
    else
        statusBar()->showMessage(tr("Wrote %1").arg(path), 8000);
}

void MainWindow::startScript(const AppOptions &options)
{
    m_script = options;
    m_scriptActive = true;
    if (options.size.isValid())
        resize(options.size);
    if (!options.theme.isEmpty())
        setDarkTheme(options.theme == QLatin1String("dark"));
    if (!options.preset.isEmpty() && !loadSpec(options.preset)) {
        m_scriptActive = options.quitWhenDone;
        if (options.quitWhenDone)
            QTimer::singleShot(0, this, [this] { Q_EMIT scriptFinished(2); });
        return;
    }
    if (!options.models.isEmpty()) {
        const QStringList known = modelIds();
        for (const QString &m : options.models) {
            if (!known.contains(m)) {
                showError(tr("Unknown model"), QStringLiteral("unknown model \"%1\" (known models: %2)")
                                                   .arg(m, known.join(QStringLiteral(", "))));
                m_scriptActive = options.quitWhenDone;
                if (options.quitWhenDone)
                    QTimer::singleShot(0, this, [this] { Q_EMIT scriptFinished(2); });
                return;
            }
        }
        for (const QString &id : known)
            m_panel->setModelChecked(id, options.models.contains(id));
    }
    if (options.run) {
        runExperiment(false);
        if (!m_controller->isRunning() && options.quitWhenDone)
            QTimer::singleShot(0, this, [this] { Q_EMIT scriptFinished(2); });
        return;
    }
    if (!options.exportDir.isEmpty() || !options.screenshot.isEmpty() || options.quitWhenDone)
        QTimer::singleShot(300, this, [this] { scriptStep(m_lastResult); });
    else
        m_scriptActive = false;
}

void MainWindow::zoomTimeChartsTo(const ExperimentResult &result)
{
    if (result.runs.empty())
        return;
    double first = result.runs.front().t0, last = first;
    for (const RunRecord &r : result.runs) {
        first = std::min(first, r.t0);
        last = std::max(last, r.t0 + r.wall_s);
    }
    const double margin = std::max(0.5, 0.05 * (last - first));
    const double origin = m_cpu->timeOrigin();
    m_cpu->setTimeRange(first - margin - origin, last + margin - origin);
    m_timeline->setTimeRange(first - margin - origin, last + margin - origin);
}

void MainWindow::scriptStep(const ExperimentResult &result)
{
    // Figures for slides show the experiment, not the rolling live window.
    if (!m_script.exportDir.isEmpty() || !m_script.screenshot.isEmpty())
        zoomTimeChartsTo(result);
    // Give the live charts a few of their timer periods to show the final data.
    QTimer::singleShot(800, this, [this, result] {
        int code = (!result.runs.empty() && result.error.isEmpty() && !result.cancelled && result.allOk()) ? 0 : 1;
        if (!m_script.run)
            code = 0;
        if (!m_script.exportDir.isEmpty()) {
            QStringList written;
            QString error;
            if (!exportAll(m_script.exportDir, &written, &error)) {
                printErr(QStringLiteral("concurrency-lab: export failed: %1").arg(error));
                code = 3;
            }
        }
        if (!m_script.screenshot.isEmpty()) {
            m_cpu->renderNow();
            for (const NamedPlot &p : namedPlots())
                p.plot->replot(QCustomPlot::rpImmediateRefresh);
            const QPixmap shot = grab();
            if (shot.isNull() || !shot.save(m_script.screenshot)) {
                printErr(QStringLiteral("concurrency-lab: cannot write the screenshot %1").arg(m_script.screenshot));
                code = 3;
            }
        }
        m_scriptActive = false;  // one scripted pass; later clicks are ordinary runs
        if (m_script.quitWhenDone)
            Q_EMIT scriptFinished(code);
    });
}

} // namespace lab
