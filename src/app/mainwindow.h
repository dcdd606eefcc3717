#pragma once
#include "experiment/runrecord.h"
#include "exportactions.h"
#include "resultfile.h"

#include <QMainWindow>
#include <memory>

class QAction;
class QActionGroup;
class QComboBox;
class QTabWidget;
class QCustomPlot;
class QLabel;
class QMenu;
class QSortFilterProxyModel;
class QThread;
class QToolButton;
namespace Ui {
class MainWindow;
}

namespace lab {

class ComparisonChart;
class StateTimelineChart;
class VariantChart;
class ChartModels;
class CpuChart;
class CpuSampler;
class ExperimentPanel;
class ForeignLoadMonitor;
class PresentationMode;
class ResultsTableModel;
class RunController;
class RunStore;
class ThroughputChart;
class TimelineChart;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // useSettings false: QSettings are neither read nor written (tests, scripted figures).
    explicit MainWindow(bool useSettings = true, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Loads a preset name or spec file into the panel. On failure shows a (non-blocking)
    // message box, keeps the current spec and returns false; lastError() has the text.
    bool loadSpec(const QString &pathOrPreset);
    // Asks first (Run anyway / Wait) when other programs keep more than kForeignLoadLimit
    // cores busy; scripted runs that print errors go ahead and print the warning.
    void runExperiment(bool allModels);
    void stopExperiment();
    bool isRunning() const;
    // Waiting (after "Wait") for the other programs' load to drop before running.
    bool isWaitingForQuiet() const { return m_waitingForQuiet; }
    ForeignLoadMonitor *foreignLoadMonitor() const { return m_foreign; }
    // Ask before a disturbed run (default: when settings are used, i.e. a person is there).
    void setForeignLoadPrompt(bool ask) { m_foreignPrompt = ask; }
    // The time charts scroll with live data (the View menu's "Follow live").
    bool isFollowingLive() const;
    void setFollowLive(bool follow);
    // Narrow windows (a 1024x768 projector): comparison and table share the bottom as tabs.
    bool isCompactLayout() const { return m_compact; }
    // One line for exported charts: experiment, date, machine, cores.
    QString exportCaption() const;
    // What the header above the charts says (the experiment the results belong to).
    QString resultsTitle() const;
    void setDarkTheme(bool dark);
    bool isDarkTheme() const { return m_dark; }

    // Every chart as PNG and SVG plus results.json/CSV/trace.json into dir.
    bool exportAll(const QString &dir, QStringList *written, QString *error);
    QList<NamedPlot> namedPlots() const;

    // Shows a saved results file in every chart (File → Open results…, --open). On failure
    // shows the message (see showError) and returns false; lastError() has the text.
    bool openResults(const QString &path);
    // A saved experiment (with its CPU samples) into the store; every chart shows it.
    bool showLoadedResult(const LoadedResult &loaded, const QString &source);
    QStringList recentResultFiles() const { return m_recentResults; }
    // The time charts show the current experiment's runs (scripted figures).
    void zoomChartsToExperiment();
    // Every chart draws its current data now (exports, screenshots).
    void renderChartsNow();

    // A message box (non-blocking), or one line on stderr for scripted runs that quit.
    void showError(const QString &title, const QString &text);
    // A status-bar message cut with "…" to the room the permanent widgets leave (never clipped
    // mid-word), the whole text in the bar's tooltip.
    void showStatus(const QString &text, int timeoutMs = 0);
    void setErrorsToStderr(bool toStderr) { m_errorsToStderr = toStderr; }

    QString lastError() const { return m_lastError; }
    RunStore *store() const { return m_store; }
    ChartModels *chartModels() const { return m_chartModels; }
    ExperimentPanel *panel() const { return m_panel; }
    RunController *controller() const { return m_controller; }
    CpuChart *cpuChart() const { return m_cpu; }
    ThroughputChart *throughputChart() const { return m_throughput; }
    TimelineChart *timelineChart() const { return m_timeline; }
    ComparisonChart *comparisonChart() const { return m_comparison; }
    StateTimelineChart *stateTimelineChart() const { return m_states; }
    VariantChart *variantChart() const { return m_variantChart; }
    ResultsTableModel *resultsModel() const { return m_resultsModel; }
    // The story panel, presentation mode (F11) and the lesson deck.
    PresentationMode *presentation() const { return m_presentation; }
    // The current experiment of the store (the last one run or opened).
    ExperimentResult lastResult() const;
    // What the comparison and the table show: each model's median run (RunStore::comparisonRuns).
    std::vector<RunRecord> keptRuns() const;

Q_SIGNALS:
    void experimentDone(const lab::ExperimentResult &result);
    // A spec was put on the panel (a preset, a file, a loaded result's spec): panel()->spec().
    void specLoaded();

protected:
    void closeEvent(QCloseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void createCharts();
    void createActions();
    void createStatusBar();
    void restoreSettings();
    void saveSettings();
    void updateStatus();
    void updateResultsTable();
    void updateStateRuns();
    void addRecentResultFile(const QString &path);
    void rebuildRecentMenu();
    void openResultsInteractive();
    void setSamplerRate(double hz);
    void setChartWindow(double seconds);
    void attachChartMenu(QCustomPlot *plot, const QString &name);
    void exportChartInteractive(QCustomPlot *plot, const QString &name);
    void exportAllInteractive();
    void exportDataInteractive(const QString &format);
    bool haveResult();
    void openSpecInteractive();

    void onExperimentStarted(const ExperimentSpec &spec, int runCount, int tasksPerRun);
    void onRunStarted(int index, const QString &model, int workers, double t0);
    void onRunFinished(const RunRecord &record);
    void onExperimentFinished(const ExperimentResult &result);
    void startExperiment(bool allModels);
    void askAboutForeignLoad(bool allModels, const QString &warning);
    void onForeignLoad(double cores);
    void updateResultsTitle();
    void updateFollowIndicator();
    void fitToScreen();
    void setCompactLayout(bool compact);
    void fitCompactSplitter();
    void stopSampling();
    // Runs fn with the time charts zoomed to the experiment shown (exports), then restores.
    template<typename Fn>
    auto withExperimentShown(Fn &&fn);

    std::unique_ptr<Ui::MainWindow> m_ui;
    bool m_useSettings = true;
    ExperimentPanel *m_panel = nullptr;
    RunController *m_controller = nullptr;
    CpuSampler *m_sampler = nullptr;
    RunStore *m_store = nullptr;
    ChartModels *m_chartModels = nullptr;
    CpuChart *m_cpu = nullptr;
    ThroughputChart *m_throughput = nullptr;
    TimelineChart *m_timeline = nullptr;
    ComparisonChart *m_comparison = nullptr;
    StateTimelineChart *m_states = nullptr;
    VariantChart *m_variantChart = nullptr;
    ::QTabWidget *m_timelineTabs = nullptr;
    ::QTabWidget *m_comparisonTabs = nullptr;
    ::QComboBox *m_stateRunBox = nullptr;
    ResultsTableModel *m_resultsModel = nullptr;
    QSortFilterProxyModel *m_resultsProxy = nullptr;
    PresentationMode *m_presentation = nullptr;

    QLabel *m_coresLabel = nullptr;
    QLabel *m_samplerLabel = nullptr;
    QLabel *m_lagLabel = nullptr;
    QLabel *m_foreignLabel = nullptr;
    QLabel *m_followLabel = nullptr;
    QLabel *m_resultsTitle = nullptr;
    QAction *m_followAction = nullptr;
    QThread *m_samplerThread = nullptr;  // the CPU sampler and the foreign-load monitor: off the GUI thread
    ForeignLoadMonitor *m_foreign = nullptr;
    bool m_foreignPrompt = true;
    bool m_compact = false;
    bool m_splitterMoved = false;  // by the user: compact layouts keep their sizes
    class QTabWidget *m_bottomTabs = nullptr;
    // In the compact layout, the comparison's "Models | Variants" choice in the corner of the
    // bottom tabs (one row of tabs, not two).
    QWidget *m_viewSwitch = nullptr;
    QToolButton *m_viewModels = nullptr;
    QToolButton *m_viewVariants = nullptr;
    void updateViewSwitch();
    bool m_waitingForQuiet = false;
    bool m_waitAllModels = false;
    int m_quietReadings = 0;
    QAction *m_runAction = nullptr;
    QAction *m_runAllAction = nullptr;
    QAction *m_stopAction = nullptr;
    QAction *m_darkAction = nullptr;
    QActionGroup *m_windowGroup = nullptr;
    QActionGroup *m_rateGroup = nullptr;
    QMenu *m_recentMenu = nullptr;

    bool m_dark = false;
    double m_chartWindow = 30;
    bool m_errorsToStderr = false;
    QString m_lastError;
    QStringList m_recentResults;  // newest first
};

} // namespace lab
