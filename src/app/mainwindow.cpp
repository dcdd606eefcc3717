#include "mainwindow.h"

#include "chartmodels/appcpumeter.h"
#include "charts/chartexport.h"
#include "charts/chartstyle.h"
#include "charts/comparisonchart.h"
#include "charts/cpuchart.h"
#include "charts/throughputchart.h"
#include "charts/statetimelinechart.h"
#include "charts/timelinechart.h"
#include "charts/variantchart.h"
#include "chartmodels/chartmodels.h"
#include "experiment/presets.h"
#include "export/chrometrace.h"
#include "export/resultwriter.h"
#include "experimentpanel.h"
#include "exportdialog.h"
#include "labconfig.h"
#include "models/executionmodel.h"
#include "presentationmode.h"
#include "resultstablemodel.h"
#include "runcontroller.h"
#include "sampling/cpusampler.h"
#include "sampling/foreignload.h"
#include "store/runstore.h"
#include "ui_mainwindow.h"
#include "util/lagmeter.h"
#include "util/sysinfo.h"

#include <QActionGroup>
#include <QComboBox>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QHBoxLayout>
#include <QPushButton>
#include <QScreen>
#include <QThread>
#include <QTabBar>
#include <QTabWidget>
#include <QToolButton>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QSizeGrip>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cstdio>

namespace lab {

namespace {
constexpr int kMaxRecentFiles = 8;

// The result as it is saved and exported: everything the experiment produced.
// The experiment as saved: its result with the CPU samples taken while it ran, so one file
// redraws every chart.
ExperimentResult savedResult(const StoredExperiment &e)
{
    ExperimentResult r = e.result;
    if (!e.cpuSamples.empty())
        r.cpu = CpuSeries{e.cpuHz, e.cpuSamples};
    return r;
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
    : QMainWindow(parent), m_ui(std::make_unique<Ui::MainWindow>()), m_useSettings(useSettings),
      m_foreignPrompt(useSettings)
{
    m_ui->setupUi(this);
    m_panel = new ExperimentPanel(m_ui->panelHost);
    m_ui->panelHostLayout->addWidget(m_panel);
    // Room for the panel, but never a third of a 1024 px screen (the panel scrolls instead).
    m_ui->experimentDock->setMinimumWidth(std::min(m_panel->sizeHint().width() + 24, 270));
    m_controller = new RunController(this);
    // The CPU sampler and the foreign-load monitor run on a thread of their own: a frozen
    // window (the UI-thread demo) must not stop the sampling.
    m_samplerThread = new QThread(this);
    m_samplerThread->setObjectName(QStringLiteral("lab-sampler"));
    m_sampler = new CpuSampler;
    m_foreign = new ForeignLoadMonitor;
    m_sampler->moveToThread(m_samplerThread);
    m_foreign->moveToThread(m_samplerThread);
    m_samplerThread->start();
    m_controller->setForeignLoadMonitor(m_foreign);
    m_store = new RunStore(this);
    m_chartModels = new ChartModels(this);
    m_chartModels->setSessionOrigin(monotonicSeconds());  // x = seconds since the window opened
    m_chartModels->setStore(m_store);

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
    connect(m_ui->mainSplitter, &QSplitter::splitterMoved, this, [this] { m_splitterMoved = true; });
    m_ui->topSplitter->setSizes({560, 440});
    m_ui->bottomSplitter->setSizes({660, 340});
    // Never squashed: the time charts keep room for their axes and a few lanes.
    m_ui->cpuHost->setMinimumHeight(170);
    m_ui->throughputHost->setMinimumHeight(170);
    m_ui->timelineHost->setMinimumHeight(130);
    m_ui->comparisonHost->setMinimumHeight(220);
    m_ui->resultsTable->setMinimumWidth(260);

    // Which experiment the results belong to, above the charts.
    m_resultsTitle = new QLabel(this);
    m_resultsTitle->setObjectName(QStringLiteral("resultsTitle"));
    m_resultsTitle->setWordWrap(true);
    m_resultsTitle->setTextFormat(Qt::RichText);
    m_resultsTitle->setContentsMargins(6, 2, 6, 2);
    m_ui->centralLayout->insertWidget(0, m_resultsTitle);

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
    connect(m_controller, &RunController::liveThroughput, m_chartModels, &ChartModels::addLiveThroughput);
    connect(m_controller, &RunController::liveEventsArrived, m_chartModels, &ChartModels::addLiveEvents);
    connect(m_controller->lagMeter(), &LagMeter::lagUpdated, this, &MainWindow::updateStatus);

    connect(m_store, &RunStore::currentExperimentChanged, this, &MainWindow::updateResultsTable);
    connect(m_store, &RunStore::runAdded, this, &MainWindow::updateResultsTable);
    connect(m_store, &RunStore::runChanged, this, &MainWindow::updateResultsTable);
    connect(m_store, &RunStore::experimentFinished, this, &MainWindow::updateResultsTable);
    connect(m_chartModels->timeRange(), &TimeRange::followLiveChanged, this, &MainWindow::updateFollowIndicator);
    connect(m_foreign, &ForeignLoadMonitor::measured, this, &MainWindow::onForeignLoad);

    connect(m_sampler, &CpuSampler::sampleTaken, m_store, &RunStore::addCpuSample);
    connect(m_sampler, &CpuSampler::coreCountChanged, this, &MainWindow::updateStatus);
    connect(m_sampler, &CpuSampler::readFailed, this, [this](const QString &message) {
        showStatus(tr("CPU sampler: %1").arg(message), 10000);
    });

    fitToScreen();
    restoreSettings();
    m_presentation = new PresentationMode(this);
    // Once every dock exists (the Story dock is the presentation mode's): the places they were left in.
    if (m_useSettings)
        restoreState(QSettings().value(QStringLiteral("window/state")).toByteArray());
    m_sampler->start();
    m_foreign->start();
    // The app's own CPU, shown on the CPU chart beside the machine's.
    connect(m_controller->appCpuMeter(), &AppCpuMeter::updated, m_chartModels->cpu(), &CpuSeriesModel::setAppCpuPercent);
    m_controller->appCpuMeter()->start();
    updateStatus();
    updateResultsTitle();
    updateFollowIndicator();
}

MainWindow::~MainWindow()
{
    m_controller->shutdown();
    stopSampling();
}

void MainWindow::stopSampling()
{
    if (!m_samplerThread || !m_samplerThread->isRunning())
        return;
    m_sampler->stop();
    m_foreign->stop();
    m_samplerThread->quit();
    m_samplerThread->wait();
    // Their timers are stopped and the thread is gone: safe to delete here.
    delete m_sampler;
    delete m_foreign;
    m_sampler = nullptr;
    m_foreign = nullptr;
    m_controller->setForeignLoadMonitor(nullptr);
}

void MainWindow::resizeEvent(QResizeEvent *event)
{
    QMainWindow::resizeEvent(event);
    // Hysteresis: no flapping around the threshold.
    const int w = m_ui->centralWidget->width();
    if (!m_compact && w < 1100)
        setCompactLayout(true);
    else if (m_compact && w > 1180)
        setCompactLayout(false);
    else if (m_compact && event->size().height() != event->oldSize().height())
        fitCompactSplitter();  // the window got its final height after the switch
}

void MainWindow::fitCompactSplitter()
{
    // After the layout has settled: shares of the height that keep the live charts readable
    // (tick labels and axis titles need ~200 px) and give the bars the rest. Until the user
    // moves the splitter: then the sizes are theirs.
    QTimer::singleShot(0, this, [this] {
        const int h = m_ui->mainSplitter->height();
        if (m_compact && h > 0 && !m_splitterMoved)
            m_ui->mainSplitter->setSizes({int(h * 0.29), int(h * 0.215), int(h * 0.495)});
    });
}

void MainWindow::setCompactLayout(bool compact)
{
    if (compact == m_compact)
        return;
    m_compact = compact;
    // The minimums add up to the smallest window: at 1024x768 the live charts and the bars
    // give up some of theirs, so a run that shows its thread states still fits the screen.
    m_ui->cpuHost->setMinimumHeight(compact ? 150 : 170);  // no less than a chart's own minimum
    m_ui->throughputHost->setMinimumHeight(compact ? 150 : 170);
    m_ui->comparisonHost->setMinimumHeight(compact ? 170 : 220);
    if (!m_bottomTabs) {
        m_bottomTabs = new QTabWidget(this);
        m_bottomTabs->setObjectName(QStringLiteral("bottomTabs"));
        m_bottomTabs->setDocumentMode(true);
        m_bottomTabs->hide();
        m_viewSwitch = new QWidget(m_bottomTabs);
        auto *row = new QHBoxLayout(m_viewSwitch);
        row->setContentsMargins(0, 0, 4, 0);
        row->setSpacing(2);
        m_viewModels = new QToolButton(m_viewSwitch);
        m_viewVariants = new QToolButton(m_viewSwitch);
        for (QToolButton *b : {m_viewModels, m_viewVariants}) {
            b->setCheckable(true);
            b->setAutoExclusive(true);
            b->setAutoRaise(true);
            row->addWidget(b);
        }
        m_viewModels->setText(tr("Models"));
        m_viewVariants->setText(tr("Variants"));
        m_viewModels->setObjectName(QStringLiteral("viewModels"));
        m_viewVariants->setObjectName(QStringLiteral("viewVariants"));
        m_viewModels->setToolTip(tr("The comparison by model"));
        m_viewVariants->setToolTip(tr("The comparison by variant"));
        connect(m_viewModels, &QToolButton::clicked, this, [this] { m_comparisonTabs->setCurrentIndex(0); });
        connect(m_viewVariants, &QToolButton::clicked, this, [this] { m_comparisonTabs->setCurrentIndex(1); });
        connect(m_bottomTabs, &QTabWidget::currentChanged, this, &MainWindow::updateViewSwitch);
        m_bottomTabs->setCornerWidget(m_viewSwitch, Qt::TopRightCorner);
    }
    if (compact) {
        // The comparison gets the whole width; the table is one click away with every column.
        m_bottomTabs->addTab(m_ui->comparisonHost, tr("Comparison"));
        m_bottomTabs->addTab(m_ui->resultsTable, tr("Table"));
        m_ui->mainSplitter->replaceWidget(2, m_bottomTabs);
        m_bottomTabs->show();
        fitCompactSplitter();
    } else {
        m_ui->mainSplitter->replaceWidget(2, m_ui->bottomSplitter);
        m_ui->bottomSplitter->insertWidget(0, m_ui->comparisonHost);
        m_ui->bottomSplitter->insertWidget(1, m_ui->resultsTable);
        m_ui->comparisonHost->show();
        m_ui->resultsTable->show();
        m_ui->bottomSplitter->show();
        m_bottomTabs->hide();
    }
    updateViewSwitch();
}

void MainWindow::updateViewSwitch()
{
    if (!m_comparisonTabs)
        return;
    const bool variants = m_comparisonTabs->isTabVisible(1);
    // One row of tabs: in the compact layout the choice moves into the bottom tabs' corner.
    m_comparisonTabs->tabBar()->setVisible(variants && !m_compact);
    if (!m_viewSwitch)
        return;
    m_viewSwitch->setVisible(m_compact && variants && m_bottomTabs->currentWidget() == m_ui->comparisonHost);
    (m_comparisonTabs->currentIndex() == 1 ? m_viewVariants : m_viewModels)->setChecked(true);
}

void MainWindow::fitToScreen()
{
    // The default window fits the screen it opens on (a 1024x768 projector included).
    const QScreen *s = screen() ? screen() : QApplication::primaryScreen();
    if (!s)
        return;
    const QRect avail = s->availableGeometry();
    const QSize size(std::min(1600, int(avail.width() * 0.96)), std::min(1000, int(avail.height() * 0.94)));
    resize(size);
    const int h = size.height();
    m_ui->mainSplitter->setSizes({int(h * 0.34), int(h * 0.25), int(h * 0.41)});
}

void MainWindow::createCharts()
{
    m_cpu = new CpuChart(m_ui->cpuHost);
    m_ui->cpuHostLayout->addWidget(m_cpu);
    m_throughput = new ThroughputChart(m_ui->throughputHost);
    m_ui->throughputHostLayout->addWidget(m_throughput);
    // The task timeline and, for runs that recorded their waits, the thread states: one tab each.
    m_timelineTabs = new QTabWidget(m_ui->timelineHost);
    m_timelineTabs->setObjectName(QStringLiteral("timelineTabs"));
    m_timelineTabs->setDocumentMode(true);
    m_ui->timelineHostLayout->addWidget(m_timelineTabs);
    m_timeline = new TimelineChart(m_timelineTabs);
    m_timelineTabs->addTab(m_timeline, tr("Tasks"));
    auto *statesPage = new QWidget(m_timelineTabs);
    auto *statesLayout = new QVBoxLayout(statesPage);
    statesLayout->setContentsMargins(0, 2, 0, 0);
    statesLayout->setSpacing(2);
    auto *runRow = new QHBoxLayout;
    runRow->setContentsMargins(6, 0, 6, 0);
    runRow->addWidget(new QLabel(tr("Run:"), statesPage));
    m_stateRunBox = new QComboBox(statesPage);
    m_stateRunBox->setObjectName(QStringLiteral("stateRunBox"));
    m_stateRunBox->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    runRow->addWidget(m_stateRunBox);
    runRow->addStretch(1);
    statesLayout->addLayout(runRow);
    m_states = new StateTimelineChart(statesPage);
    // The plot's own minimum (banner + legend + axes, ~250 px with a deadlock banner) would push a
    // 1024x768 window past the screen: the splitter gives the room, the minimum height below.
    m_states->setMinimumSize(200, 80);
    m_states->plot()->setMinimumSize(200, 80);
    statesLayout->addWidget(m_states, 1);
    m_timelineTabs->addTab(statesPage, tr("Thread states"));
    m_timelineTabs->setTabVisible(1, false);
    // A lone tab needs no tab bar: its room goes to the chart (a timeline of 120 px at 1024x768).
    m_timelineTabs->tabBar()->setVisible(false);

    m_comparisonTabs = new QTabWidget(m_ui->comparisonHost);
    m_comparisonTabs->setObjectName(QStringLiteral("comparisonTabs"));
    m_comparisonTabs->setDocumentMode(true);
    m_ui->comparisonHostLayout->addWidget(m_comparisonTabs);
    m_comparison = new ComparisonChart(m_comparisonTabs);
    m_comparisonTabs->addTab(m_comparison, tr("Models"));
    m_variantChart = new VariantChart(m_comparisonTabs);
    m_comparisonTabs->addTab(m_variantChart, tr("Variants"));
    m_comparisonTabs->setTabVisible(1, false);
    m_comparisonTabs->tabBar()->setVisible(false);
    connect(m_comparisonTabs, &QTabWidget::currentChanged, this, &MainWindow::updateViewSwitch);

    // Views of the chart models the store feeds; both time charts follow one time range.
    m_cpu->setModel(m_chartModels->cpu());
    m_throughput->setModel(m_chartModels->throughput());
    m_timeline->setModel(m_chartModels->timeline());
    m_comparison->setModel(m_chartModels->comparison());
    m_states->setModel(m_chartModels->states());
    m_variantChart->setModel(m_chartModels->variants());
    connect(m_chartModels->states(), &StateTimelineModel::candidatesChanged, this, &MainWindow::updateStateRuns);
    connect(m_stateRunBox, qOverload<int>(&QComboBox::activated), m_chartModels->states(), &StateTimelineModel::select);
    connect(m_chartModels->variants(), &VariantModel::changed, this, [this] {
        const bool has = m_chartModels->variants()->hasVariants();
        // An experiment of variants: its figures first, where its outcomes have one (deadlock's
        // outcomes are counts of finished tasks: the models' bars say more).
        if (has && !m_comparisonTabs->isTabVisible(1) && m_chartModels->variants()->metric() != VariantModel::Metric::None)
            m_comparisonTabs->setCurrentIndex(1);
        m_comparisonTabs->setTabVisible(1, has);
        updateViewSwitch();
        updateResultsTable();
    });
    m_cpu->setTimeRangeObject(m_chartModels->timeRange());
    m_timeline->setTimeRangeObject(m_chartModels->timeRange());
    m_cpu->setWindowSeconds(m_chartWindow);

    const QList<NamedPlot> plots = namedPlots();
    for (const NamedPlot &p : plots)
        attachChartMenu(p.plot, p.name);
    attachChartMenu(m_states->plot(), QStringLiteral("states"));
    attachChartMenu(m_variantChart->plot(), QStringLiteral("variants"));
}

void MainWindow::updateStateRuns()
{
    const StateTimelineModel *states = m_chartModels->states();
    m_stateRunBox->clear();
    m_stateRunBox->addItems(states->candidateLabels());
    m_stateRunBox->setCurrentIndex(states->selected());
    const bool has = states->hasRun();
    if (has && !m_timelineTabs->isTabVisible(1))
        m_timelineTabs->setCurrentIndex(1);  // runs that recorded their waits: show the waits
    m_timelineTabs->setTabVisible(1, has);
    m_timelineTabs->tabBar()->setVisible(has);
    // The thread states need room for their lanes: workers plus primitives.
    const int rows = has ? states->laneCount() + int(states->primitiveLanes().size()) : 0;
    const int screenH = screen() ? screen()->availableGeometry().height() : 1080;
    // About 170 px go to the tab, the run box, the legend and the time axis; each lane wants
    // 24 px, so its name fits beside it (at 20 px a row every other name was left out).
    m_ui->timelineHost->setMinimumHeight(has ? std::min(screenH / 4, 170 + 24 * rows) : 130);
}

QList<NamedPlot> MainWindow::namedPlots() const
{
    QList<NamedPlot> plots{{QStringLiteral("cpu"), m_cpu->plot()},
            {QStringLiteral("throughput"), m_throughput->plot()},
            {QStringLiteral("timeline"), m_timeline->plot()},
            {QStringLiteral("comparison"), m_comparison->plot()}};
    // The thread states and the variants, when the experiment shown has them.
    if (m_chartModels->states()->hasRun())
        plots.append({QStringLiteral("states"), m_states->plot()});
    if (m_chartModels->variants()->hasVariants())
        plots.append({QStringLiteral("variants"), m_variantChart->plot()});
    return plots;
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
    QAction *openResults = file->addAction(tr("Open &results…"), this, &MainWindow::openResultsInteractive);
    openResults->setObjectName(QStringLiteral("openResultsAction"));
    openResults->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    m_recentMenu = file->addMenu(tr("Recent res&ults"));
    m_recentMenu->setObjectName(QStringLiteral("recentResultsMenu"));
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
    m_followAction = view->addAction(tr("&Follow live"));
    m_followAction->setObjectName(QStringLiteral("followLiveAction"));
    m_followAction->setCheckable(true);
    m_followAction->setChecked(true);
    m_followAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_followAction->setToolTip(tr("Scroll the time charts with the live data. Off: they show the last "
                                  "experiment (each run switches it on; the end of an experiment off)."));
    connect(m_followAction, &QAction::toggled, this, &MainWindow::setFollowLive);
    view->addSeparator();
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
    m_followLabel = new QLabel(this);
    m_followLabel->setObjectName(QStringLiteral("followLabel"));
    auto *followButton = new QToolButton(this);
    followButton->setDefaultAction(m_followAction);
    followButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    followButton->setAutoRaise(true);
    m_coresLabel = new QLabel(this);
    m_samplerLabel = new QLabel(this);
    m_foreignLabel = new QLabel(this);
    m_foreignLabel->setObjectName(QStringLiteral("foreignLoadLabel"));
    m_foreignLabel->setToolTip(tr("CPU used by other programs: the machine's busy time minus this app's and its "
                                  "children's, over the last second. Above %1 cores the figures are disturbed.")
                                   .arg(kForeignLoadLimit));
    m_lagLabel = new QLabel(this);
    m_lagLabel->setObjectName(QStringLiteral("lagLabel"));
    m_lagLabel->setToolTip(tr("Event-loop lag of this window, measured by a watchdog thread: now, 99th percentile "
                              "and worst over the last 10 s. It stays low while worker threads saturate every core; "
                              "it jumps when work runs on the UI thread."));
    statusBar()->addPermanentWidget(m_followLabel);
    statusBar()->addPermanentWidget(followButton);
    statusBar()->addPermanentWidget(m_coresLabel);
    statusBar()->addPermanentWidget(m_samplerLabel);
    statusBar()->addPermanentWidget(m_foreignLabel);
    statusBar()->addPermanentWidget(m_lagLabel);
}

bool MainWindow::isFollowingLive() const
{
    return m_chartModels->timeRange()->followsLive();
}

void MainWindow::setFollowLive(bool follow)
{
    if (follow) {
        m_chartModels->timeRange()->setFollowLive(true);
    } else {
        // Leaving live: show the experiment (if any), else stay where the view is.
        double lower = 0, upper = 0;
        if (m_chartModels->experimentSpan(&lower, &upper))
            m_chartModels->timeRange()->setRange(lower, upper);
        else
            m_chartModels->timeRange()->setFollowLive(false);
    }
}

void MainWindow::updateFollowIndicator()
{
    const bool live = isFollowingLive();
    if (m_followAction && m_followAction->isChecked() != live) {
        const QSignalBlocker block(m_followAction);
        m_followAction->setChecked(live);
    }
    if (m_followLabel) {
        m_followLabel->setText(live ? tr("<b style=\"color:#009E73\">● LIVE</b>") : tr("<b>❚❚ held</b>"));
        m_followLabel->setToolTip(live ? tr("The time charts scroll with the live data.")
                                       : tr("The time charts hold their range (the last experiment, or your zoom). "
                                            "View → Follow live (or double-click a time chart) scrolls again."));
    }
    updateResultsTitle();
}

void MainWindow::onForeignLoad(double cores)
{
    const bool high = cores > kForeignLoadLimit;
    m_foreignLabel->setText(high ? tr("<b style=\"color:#D55E00\">⚠ others %1 cores</b>").arg(cores, 0, 'f', 1)
                                 : tr("others %1 cores").arg(cores, 0, 'f', 1));
    if (!m_waitingForQuiet)
        return;
    m_quietReadings = high ? 0 : m_quietReadings + 1;
    if (m_quietReadings >= 2) {  // quiet for about a second
        m_waitingForQuiet = false;
        startExperiment(m_waitAllModels);
    } else {
        m_panel->setIdleText(tr("Waiting until other programs leave the CPU (%1 cores busy elsewhere)… "
                                "Stop cancels.").arg(cores, 0, 'f', 1));
    }
}

void MainWindow::updateStatus()
{
    // Called 4 times a second: a label whose text did not change must not lay out the bar again.
    auto setIfChanged = [](QLabel *label, const QString &text) {
        if (label->text() != text)
            label->setText(text);
    };
    if (!m_sampler)
        return;  // closing
    const int cores = m_sampler->coreCount() > 0 ? m_sampler->coreCount() : onlineCores();
    setIfChanged(m_coresLabel, tr("%1 cores · %2 Hz").arg(cores).arg(m_sampler->rateHz()));
    m_coresLabel->setToolTip(tr("Cores of this machine · CPU sampler rate (View → CPU sampler rate)"));
    m_samplerLabel->hide();
    const LagMeter *lag = m_controller->lagMeter();
    const double worst = lag->maxMs();
    QString text = tr("UI lag %1 ms (p99 %2)").arg(lag->currentMs(), 0, 'f', 0).arg(lag->p99Ms(), 0, 'f', 0);
    // A freeze stays visible for the window's 10 s, with its true length.
    if (worst >= 300)
        text += tr(", <b>froze %1 s</b>").arg(worst / 1000.0, 0, 'f', 2);
    setIfChanged(m_lagLabel, text);
}

void MainWindow::setSamplerRate(double hz)
{
    if (!m_sampler)
        return;
    m_sampler->setRateHz(hz);
    m_store->setCpuSampleRate(m_sampler->rateHz());
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
    m_states->setDark(dark);
    m_variantChart->setDark(dark);
    if (m_presentation)
        m_presentation->setDark(dark);
}

void MainWindow::restoreSettings()
{
    QString specJson, source;
    if (m_useSettings) {
        QSettings s;
        restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
        // Sizes the user chose last time stay theirs.
        m_splitterMoved = m_ui->mainSplitter->restoreState(s.value(QStringLiteral("window/mainSplitter")).toByteArray());
        m_ui->topSplitter->restoreState(s.value(QStringLiteral("window/topSplitter")).toByteArray());
        m_ui->bottomSplitter->restoreState(s.value(QStringLiteral("window/bottomSplitter")).toByteArray());
        m_dark = s.value(QStringLiteral("view/dark"), false).toBool();
        m_chartWindow = s.value(QStringLiteral("view/chartWindow"), 30.0).toDouble();
        m_sampler->setRateHz(s.value(QStringLiteral("view/samplerHz"), 10.0).toDouble());
        specJson = s.value(QStringLiteral("spec/json")).toString();
        source = s.value(QStringLiteral("spec/source")).toString();
        m_recentResults = s.value(QStringLiteral("recent/results")).toStringList().mid(0, kMaxRecentFiles);
    }
    rebuildRecentMenu();
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
    s.setValue(QStringLiteral("recent/results"), m_recentResults);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    // Cancels a run in progress and joins the runner thread; models stop their workers.
    m_controller->shutdown();
    stopSampling();
    event->accept();
}

void MainWindow::showError(const QString &title, const QString &text)
{
    m_lastError = text;
    if (m_errorsToStderr) {
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
    QString why = spec->validate();
    for (const QString &m : spec->models)
        if (why.isEmpty() && !findModel(m))
            why = tr("unknown model \"%1\" (known models: %2)").arg(m, modelIds().join(QStringLiteral(", ")));
    if (!why.isEmpty()) {
        showError(tr("Cannot open the experiment"), QStringLiteral("%1: %2").arg(pathOrPreset, why));
        return false;
    }
    m_lastError.clear();
    m_panel->setSpec(*spec, pathOrPreset);
    Q_EMIT specLoaded();
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
    if (m_controller->isRunning() || m_waitingForQuiet)
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
    // Other programs on the CPU disturb every figure: say so before the run, not after.
    const QString warning = foreignLoadWarning(m_foreign ? m_foreign->latestCores() : -1);
    if (!warning.isEmpty()) {
        if (m_errorsToStderr || !m_foreignPrompt) {
            if (m_errorsToStderr)
                printErr(QStringLiteral("concurrency-lab: warning: %1").arg(warning));
        } else {
            askAboutForeignLoad(allModels, warning);
            return;
        }
    }
    startExperiment(allModels);
}

void MainWindow::askAboutForeignLoad(bool allModels, const QString &warning)
{
    QString text = warning;
    text[0] = text[0].toUpper();
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Another program is using the CPU"),
                                text + QLatin1Char('.'), QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("foreignLoadBox"));
    box->setInformativeText(tr("Run anyway (the runs are marked ⚠ and the results file says so), or wait until "
                               "the machine is quiet and start then."));
    QPushButton *runAnyway = box->addButton(tr("Run anyway"), QMessageBox::AcceptRole);
    runAnyway->setObjectName(QStringLiteral("runAnywayButton"));
    QPushButton *wait = box->addButton(tr("Wait"), QMessageBox::RejectRole);
    wait->setObjectName(QStringLiteral("waitButton"));
    box->setDefaultButton(wait);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::buttonClicked, this, [this, allModels, runAnyway](QAbstractButton *b) {
        if (b == runAnyway) {
            startExperiment(allModels);
            return;
        }
        m_waitingForQuiet = true;
        m_waitAllModels = allModels;
        m_quietReadings = 0;
        m_panel->setRunning(true);
        m_stopAction->setEnabled(true);
        m_panel->setIdleText(tr("Waiting until other programs leave the CPU… Stop cancels."));
        showStatus(tr("Waiting for a quiet machine before the run"));
    });
    box->open();
}

void MainWindow::startExperiment(bool allModels)
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
    if (m_waitingForQuiet) {
        m_waitingForQuiet = false;
        m_panel->setRunning(false);
        m_stopAction->setEnabled(false);
        m_panel->setProgress(0, 1, 0, 0);
        m_panel->setIdleText(tr("Not run: stopped while waiting for a quiet machine"));
        showStatus(tr("Not run"), 8000);
        return;
    }
    m_controller->stop();
}

void MainWindow::onExperimentStarted(const ExperimentSpec &spec, int runCount, int tasksPerRun)
{
    Q_UNUSED(runCount);
    Q_UNUSED(tasksPerRun);
    m_store->beginExperiment(spec);
    m_panel->setRunning(true);
    m_runAction->setEnabled(false);
    m_runAllAction->setEnabled(false);
    m_stopAction->setEnabled(true);
    showStatus(tr("Running %1…").arg(spec.title.isEmpty() ? spec.name : spec.title));
}

void MainWindow::onRunStarted(int index, const QString &model, int workers, double t0)
{
    m_store->runStarted(index, model, workers, t0);
}

void MainWindow::onRunFinished(const RunRecord &record)
{
    m_store->runFinished(record);
}

void MainWindow::updateResultsTable()
{
    if (!m_resultsModel)
        return;
    const StoredExperiment *e = m_store->current();
    const VariantModel *variants = m_chartModels->variants();
    if (e && variants->hasVariants()) {
        // One row per variant and model (its median repetition); "–" rows for the pairs a
        // model cannot run.
        QList<QPair<QString, QString>> absent;
        const std::vector<RunRecord> &rows = variants->medianRuns();
        for (const QString &v : variants->variants())
            for (const QString &m : variants->models())
                if (std::none_of(rows.begin(), rows.end(), [&](const RunRecord &r) { return r.variant == v && r.model == m; }))
                    absent.append({v, m});
        m_resultsModel->setVariantRuns(rows, absent);
    } else {
        m_resultsModel->setRuns(m_store->comparisonRuns(), m_store->comparisonSpread());
    }
    m_ui->resultsTable->setColumnHidden(ResultsTableModel::Variant, !m_resultsModel->hasVariants());
    m_ui->resultsTable->setColumnHidden(ResultsTableModel::Outcome, !m_resultsModel->hasVariants());
    updateResultsTitle();
    // CPU runs have no latency: keep the narrow table for figures that exist.
    m_ui->resultsTable->setColumnHidden(ResultsTableModel::Latency, !m_resultsModel->hasLatency());
}

void MainWindow::onExperimentFinished(const ExperimentResult &result)
{
    m_store->finishExperiment(result);
    m_panel->setRunning(false);
    m_runAction->setEnabled(true);
    m_runAllAction->setEnabled(true);
    m_stopAction->setEnabled(false);
    double wall = 0;
    int withErrors = 0;
    for (const RunRecord &r : result.runs) {
        wall += r.wall_s;
        if (!r.error.isEmpty() || r.tasks_failed > 0)
            ++withErrors;
    }
    QString text;
    if (!result.error.isEmpty())
        text = tr("Failed: %1").arg(result.error);
    else if (result.cancelled)
        text = tr("Stopped: %n finished run(s) kept", nullptr,
                  int(std::count_if(result.runs.begin(), result.runs.end(), [](const RunRecord &r) { return !r.cancelled; })));
    else if (withErrors > 0)
        text = tr("Done with errors: %1 of %n run(s) had failures (see the Error column)", nullptr,
                  int(result.runs.size())).arg(withErrors);
    else
        text = tr("Done: %n run(s), %1 s of runs", nullptr, int(result.runs.size())).arg(wall, 0, 'f', 2);
    if (!result.warnings.isEmpty())
        text += tr(" · ⚠ other programs were using the CPU: figures disturbed");
    if (result.cancelled)
        m_panel->setProgress(0, 1, 0, 0);  // the bar starts from empty again
    m_panel->setIdleText(text);
    showStatus(text, 15000);
    if (!result.error.isEmpty())
        showError(tr("The experiment failed"), result.error);
    Q_EMIT experimentDone(lastResult());
}

void MainWindow::showStatus(const QString &text, int timeoutMs)
{
    QStatusBar *bar = statusBar();
    int room = bar->width() - 16;
    for (QWidget *w : bar->findChildren<QWidget *>(Qt::FindDirectChildrenOnly))
        if (w->isVisible() && w->x() > 0 && qobject_cast<QSizeGrip *>(w) == nullptr)
            room = std::min(room, w->x() - 16);
    const QString shown = bar->fontMetrics().elidedText(text, Qt::ElideRight, std::max(80, room));
    bar->setToolTip(shown == text ? QString() : text);
    bar->showMessage(shown, timeoutMs);
}

ExperimentResult MainWindow::lastResult() const
{
    const StoredExperiment *e = m_store->current();
    return e ? e->result : ExperimentResult{};
}

std::vector<RunRecord> MainWindow::keptRuns() const
{
    return m_store->comparisonRuns();
}

bool MainWindow::openResults(const QString &path)
{
    QString error;
    const std::optional<LoadedResult> loaded = readResultFile(path, &error);
    if (!loaded) {
        showError(tr("Cannot open the results"), error);
        return false;
    }
    if (!showLoadedResult(*loaded, path))
        return false;
    addRecentResultFile(path);
    return true;
}

bool MainWindow::showLoadedResult(const LoadedResult &loaded, const QString &source)
{
    if (m_controller->isRunning()) {
        showError(tr("Cannot open the results"), tr("Stop the running experiment first."));
        return false;
    }
    m_lastError.clear();
    m_store->addLoaded(loaded.result, loaded.cpuSamples, loaded.cpuHz, source);
    // The panel shows the loaded experiment's spec, so Run repeats it on this machine.
    m_panel->setSpec(loaded.result.spec, source);
    Q_EMIT specLoaded();
    const QString name = loaded.result.spec.title.isEmpty() ? loaded.result.spec.name : loaded.result.spec.title;
    const QString text = tr("Showing %1 (%n run(s)) from %2", nullptr, int(loaded.result.runs.size()))
                             .arg(name, QFileInfo(source).fileName());
    m_panel->setIdleText(text);
    showStatus(text, 15000);
    return true;
}

void MainWindow::openResultsInteractive()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open results"), QString(),
                                                      tr("Results (*%1 *.json);;All files (*)")
                                                          .arg(QStringLiteral(LAB_RESULT_SUFFIX)));
    if (!path.isEmpty())
        openResults(path);
}

void MainWindow::addRecentResultFile(const QString &path)
{
    const QString abs = QFileInfo(path).absoluteFilePath();
    m_recentResults.removeAll(abs);
    m_recentResults.prepend(abs);
    while (m_recentResults.size() > kMaxRecentFiles)
        m_recentResults.removeLast();
    if (m_useSettings)
        QSettings().setValue(QStringLiteral("recent/results"), m_recentResults);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    for (const QString &path : std::as_const(m_recentResults)) {
        QAction *a = m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] { openResults(path); });
        a->setToolTip(path);
        a->setStatusTip(path);
    }
    if (!m_recentResults.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear list"), this, [this] {
            m_recentResults.clear();
            if (m_useSettings)
                QSettings().remove(QStringLiteral("recent/results"));
            rebuildRecentMenu();
        });
    }
    m_recentMenu->setEnabled(!m_recentResults.isEmpty());
}

void MainWindow::zoomChartsToExperiment()
{
    m_chartModels->zoomToExperiment();
}

void MainWindow::renderChartsNow()
{
    // The charts replot on the shared redraw clock; exports and screenshots draw now.
    m_cpu->renderNow();
    for (const NamedPlot &p : namedPlots())
        p.plot->replot(QCustomPlot::rpImmediateRefresh);
}

bool MainWindow::haveResult()
{
    if (m_store->current() && !m_store->current()->result.runs.empty())
        return true;
    showError(tr("Nothing to export"), tr("Run an experiment first: there are no results to export yet."));
    return false;
}

template<typename Fn>
auto MainWindow::withExperimentShown(Fn &&fn)
{
    // Exports show the experiment on screen, never the rolling live window: zoom to it for the
    // export and put the view back afterwards.
    TimeRange *range = m_chartModels->timeRange();
    const bool follow = range->followsLive();
    const double lower = range->lower(), upper = range->upper();
    if (follow)
        m_chartModels->zoomToExperiment();
    renderChartsNow();
    auto result = fn();
    if (follow) {
        range->setRange(lower, upper);
        range->setFollowLive(true);
    }
    return result;
}

QString MainWindow::exportCaption() const
{
    const StoredExperiment *e = m_store->current();
    if (!e)
        return {};
    const MachineInfo &m = e->result.machine;
    QStringList parts{ChartModels::experimentName(*e)};
    if (!m.cpuModel.isEmpty())
        parts << m.cpuModel;
    if (m.cores > 0)
        parts << (m.usableCores > 0 && m.usableCores != m.cores ? tr("%1 of %2 cores usable").arg(m.usableCores).arg(m.cores)
                                                                : (m.cores == 1 ? tr("1 core") : tr("%1 cores").arg(m.cores)));
    if (e->isLoaded())
        parts << QFileInfo(e->source).fileName();
    if (!e->result.warnings.isEmpty())
        parts << tr("⚠ other programs were using the CPU");
    parts << tr("Concurrency Lab");
    return parts.join(QStringLiteral(" · "));
}

QString MainWindow::resultsTitle() const
{
    return m_resultsTitle ? m_resultsTitle->text() : QString();
}

void MainWindow::updateResultsTitle()
{
    if (!m_resultsTitle)
        return;
    const StoredExperiment *e = m_store->current();
    if (!e) {
        m_resultsTitle->setText(tr("<b>No results yet</b>: pick a preset and press Run (F5)."));
        return;
    }
    QString text = tr("<b>Results: %1</b>").arg(ChartModels::experimentName(*e).toHtmlEscaped());
    if (e->live)
        text += tr(" · running");
    else if (e->isLoaded())
        text += tr(" · from %1").arg(QFileInfo(e->source).fileName().toHtmlEscaped());
    const int earlier = int(m_store->comparisonSources().size()) - 1;
    if (earlier > 0)
        text += tr(" · comparison and table add models from %n earlier run(s) of this workload", nullptr, earlier);
    if (!e->result.warnings.isEmpty()) {
        double worst = 0;
        for (const RunRecord &r : e->result.runs)
            if (r.foreign_busy_cores)
                worst = std::max(worst, *r.foreign_busy_cores);
        const QString what = worst > kForeignLoadLimit
                                 ? tr("another program used up to %1 cores during the runs: figures disturbed").arg(worst, 0, 'f', 1)
                                 : e->result.warnings.constFirst();
        m_resultsTitle->setToolTip(e->result.warnings.join(QLatin1Char('\n')));
        text += tr(" · <b style=\"color:#D55E00\">⚠ %1</b>").arg(what.toHtmlEscaped());
    } else {
        m_resultsTitle->setToolTip(QString());
    }
    // How C++ and CPython are compared (each against its own sequential run; what repeat means).
    bool native = false, cpython = false;
    for (const RunRecord &r : m_store->comparisonRuns()) {
        const bool py = baselineModel(r.model) != QLatin1String("sequential");
        (py ? cpython : native) = true;
    }
    if (native && cpython) {
        const int repeat = e->result.spec.workload == QLatin1String("cpu")
                               ? e->result.spec.toJson().value(QStringLiteral("workload")).toObject().value(QStringLiteral("repeat")).toInt(1)
                               : 1;
        text += QStringLiteral("<br>");
        text += tr("Speedups: each model against its own sequential run (C++ models against Sequential, CPython "
                   "models against CPython sequential).");
        if (repeat > 1)
            text += tr(" C++ repeats each task's sum %1× so that it lasts about as long as CPython running it "
                       "once: compare speedups, not wall times.").arg(repeat);
    }
    m_resultsTitle->setText(text);
}

void MainWindow::exportChartInteractive(QCustomPlot *plot, const QString &name)
{
    // A folder that exists: Pictures when there is one, else home.
    QString dir = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    if (dir.isEmpty() || !QDir(dir).exists())
        dir = QDir::homePath();
    ExportDialog dialog(QDir(dir).filePath(name + QStringLiteral(".png")), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    QString error;
    const bool ok = withExperimentShown([&] {
        return exportPlot(plot, dialog.path(), dialog.pixelSize(), dialog.dpi(), dialog.whiteBackground(), &error,
                          exportCaption());
    });
    if (!ok)
        showError(tr("Export failed"), QStringLiteral("%1: %2").arg(dialog.path(), error));
    else
        showStatus(tr("Wrote %1").arg(dialog.path()), 8000);
}

bool MainWindow::exportAll(const QString &dir, QStringList *written, QString *error)
{
    ChartExportSettings settings;
    settings.whiteBackground = !m_dark;
    settings.caption = exportCaption();
    const bool charts = withExperimentShown([&] {
        return exportCharts(namedPlots(), dir, {QStringLiteral("png"), QStringLiteral("svg")}, settings, written, error);
    });
    if (!charts)
        return false;
    // The data of the experiment on screen, with the CPU samples it recorded.
    const StoredExperiment *e = m_store->current();
    if (e && !e->result.runs.empty() && !exportResultData(savedResult(*e), e->cpuSamples, dir, written, error))
        return false;
    return true;
}

void MainWindow::exportAllInteractive()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export all charts and data to"), QDir::homePath());
    if (dir.isEmpty())
        return;
    QStringList written;
    QString error;
    if (!exportAll(dir, &written, &error))
        showError(tr("Export failed"), error);
    else
        showStatus(tr("Wrote %n file(s) to %1", nullptr, int(written.size())).arg(dir), 8000);
}

void MainWindow::exportDataInteractive(const QString &format)
{
    if (!haveResult())
        return;
    QString filter, suggested;
    if (format == QLatin1String("json")) {
        // The results' own ending (a MIME type: double-click opens it here); plain .json still loads.
        filter = tr("Concurrency Lab results (*%1);;JSON (*.json)").arg(QStringLiteral(LAB_RESULT_SUFFIX));
        suggested = QStringLiteral("results" LAB_RESULT_SUFFIX);
    } else if (format == QLatin1String("csv")) {
        filter = tr("CSV (*.csv)");
        suggested = QStringLiteral("results.csv");
    } else {
        filter = tr("Chrome trace (*.json)");
        suggested = QStringLiteral("trace.json");
    }
    QString home = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (home.isEmpty() || !QDir(home).exists())
        home = QDir::homePath();
    const QString path = QFileDialog::getSaveFileName(this, tr("Export data"), QDir(home).filePath(suggested), filter);
    if (path.isEmpty())
        return;
    QString error;
    bool ok = false;
    const StoredExperiment &e = *m_store->current();  // haveResult() checked it
    if (format == QLatin1String("json"))
        ok = writeFileAtomically(path, resultToJson(savedResult(e)), &error);
    else if (format == QLatin1String("csv"))
        ok = writeCsvFiles(e.result, path, nullptr, &error);
    else
        ok = writeFileAtomically(path, chromeTraceJson(e.result, e.cpuSamples), &error);
    if (!ok)
        showError(tr("Export failed"), error);
    else
        showStatus(tr("Wrote %1").arg(path), 8000);
}

} // namespace lab
