#pragma once
#include "experiment/runrecord.h"
#include "exportactions.h"
#include "resultfile.h"

#include <QMainWindow>
#include <memory>

class QAction;
class QActionGroup;
class QCustomPlot;
class QLabel;
class QMenu;
class QSortFilterProxyModel;
namespace Ui {
class MainWindow;
}

namespace lab {

class ComparisonChart;
class ChartModels;
class CpuChart;
class CpuSampler;
class ExperimentPanel;
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
    void runExperiment(bool allModels);
    void stopExperiment();
    bool isRunning() const;
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

private:
    void createCharts();
    void createActions();
    void createStatusBar();
    void restoreSettings();
    void saveSettings();
    void updateStatus();
    void updateResultsTable();
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
    ResultsTableModel *m_resultsModel = nullptr;
    QSortFilterProxyModel *m_resultsProxy = nullptr;
    PresentationMode *m_presentation = nullptr;

    QLabel *m_coresLabel = nullptr;
    QLabel *m_samplerLabel = nullptr;
    QLabel *m_lagLabel = nullptr;
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
