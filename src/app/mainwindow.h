#pragma once
#include "appoptions.h"
#include "experiment/runrecord.h"
#include "exportactions.h"
#include "sampling/cpusampler.h"

#include <QHash>
#include <QMainWindow>
#include <deque>
#include <map>
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
class CpuChart;
class CpuSampler;
class ExperimentPanel;
class ResultsTableModel;
class RunController;
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

    // The scripted command line: load, run, export, screenshot, quit (emits scriptFinished).
    void startScript(const AppOptions &options);

    QString lastError() const { return m_lastError; }
    ExperimentPanel *panel() const { return m_panel; }
    RunController *controller() const { return m_controller; }
    CpuChart *cpuChart() const { return m_cpu; }
    ThroughputChart *throughputChart() const { return m_throughput; }
    TimelineChart *timelineChart() const { return m_timeline; }
    ComparisonChart *comparisonChart() const { return m_comparison; }
    ResultsTableModel *resultsModel() const { return m_resultsModel; }
    const ExperimentResult &lastResult() const { return m_lastResult; }
    const std::vector<RunRecord> &keptRuns() const { return m_keptRuns; }

Q_SIGNALS:
    void experimentDone(const lab::ExperimentResult &result);
    void scriptFinished(int exitCode);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createCharts();
    void createActions();
    void createStatusBar();
    void restoreSettings();
    void saveSettings();
    void showError(const QString &title, const QString &text);
    void updateStatus();
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
    void onSample(const CpuSample &sample);
    void keepResult(const RunRecord &record, const ExperimentSpec &spec);
    void scriptStep(const ExperimentResult &result);
    void zoomTimeChartsTo(const ExperimentResult &result);

    std::unique_ptr<Ui::MainWindow> m_ui;
    bool m_useSettings = true;
    ExperimentPanel *m_panel = nullptr;
    RunController *m_controller = nullptr;
    CpuSampler *m_sampler = nullptr;
    CpuChart *m_cpu = nullptr;
    ThroughputChart *m_throughput = nullptr;
    TimelineChart *m_timeline = nullptr;
    ComparisonChart *m_comparison = nullptr;
    ResultsTableModel *m_resultsModel = nullptr;
    QSortFilterProxyModel *m_resultsProxy = nullptr;

    QLabel *m_coresLabel = nullptr;
    QLabel *m_samplerLabel = nullptr;
    QLabel *m_lagLabel = nullptr;
    QAction *m_runAction = nullptr;
    QAction *m_runAllAction = nullptr;
    QAction *m_stopAction = nullptr;
    QAction *m_darkAction = nullptr;
    QActionGroup *m_windowGroup = nullptr;
    QActionGroup *m_rateGroup = nullptr;

    bool m_dark = false;
    double m_chartWindow = 30;
    QString m_lastError;
    ExperimentSpec m_runningSpec;
    ExperimentResult m_lastResult;
    bool m_haveResult = false;
    std::vector<RunRecord> m_keptRuns;   // last run of each model, registry order
    QString m_keptFingerprint;           // workload those runs measured
    QHash<QString, std::vector<RunRecord>> m_repetitionRuns;  // this experiment's runs per model
    std::deque<CpuSample> m_samples;     // last ~11 minutes, for the Chrome trace's counters

    AppOptions m_script;
    bool m_scriptActive = false;
};

} // namespace lab
