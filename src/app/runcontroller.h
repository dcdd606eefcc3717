#pragma once
#include "experiment/runner.h"
#include "sampling/foreignload.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QThread>
#include <QTimer>
#include <atomic>
#include <memory>
#include <vector>

namespace lab {

class ForeignLoadMonitor;
class AppCpuMeter;
class LagMeter;

// Drives experiments for the GUI. The Runner lives on its own QThread; this object lives on
// the GUI thread, polls the LiveLog at 20 Hz and turns the Runner's queued signals into
// GUI-side signals, dropping those of stale generations. It stamps every RunRecord with the
// UI lag p99 measured while that run was going. Optionally runs the sequential model on the
// GUI thread itself, to show what a frozen event loop looks like.
class RunController : public QObject {
    Q_OBJECT
public:
    explicit RunController(QObject *parent = nullptr);
    ~RunController() override;

    bool isRunning() const { return m_running; }
    LagMeter *lagMeter() const { return m_lag; }
    // Its figure before a run goes into the experiment's warnings; an injected reading
    // (ForeignLoadMonitor::setOverride) also stands for the load measured during each run.
    void setForeignLoadMonitor(ForeignLoadMonitor *monitor) { m_foreign = monitor; }
    // The app's own CPU (not the runner's or its workers'); stamped into each RunRecord.
    AppCpuMeter *appCpuMeter() const { return m_appCpu; }
    const ExperimentResult &lastResult() const { return m_result; }

    // sequentialOnUiThread: the sequential model (if selected) runs here, blocking the event loop.
    void start(const ExperimentSpec &spec, bool sequentialOnUiThread = false);
    void stop();
    // Cancels any run and joins the Runner's thread. Safe to call twice.
    void shutdown();

Q_SIGNALS:
    void experimentStarted(const lab::ExperimentSpec &spec, int runCount, int tasksPerRun);
    void runStarted(int index, const QString &model, int workers, double t0);
    // Task events of the run in progress; LiveEvent::run is the run's index in the experiment.
    void liveEventsArrived(const QString &model, double runT0, const std::vector<lab::LiveEvent> &events);
    void liveThroughput(const QString &model, double tRel, double tasksPerS, double mbPerS);
    void progressChanged(int done, int total, double elapsedS, double remainingS);
    void runFinished(const lab::RunRecord &record);
    void experimentFinished(const lab::ExperimentResult &result);

private:
    struct RunInfo {
        QString model;
        double t0 = 0;
    };
    void onExperimentStarted(quint64 gen, int runCount, int tasksPerRun);
    void onRunStarted(quint64 gen, int index, const QString &model, int workers, double t0);
    void onRunFinished(quint64 gen, RunRecord record);
    void onExperimentFinished(quint64 gen, ExperimentResult result);
    void poll();
    void startOnRunner(const ExperimentSpec &spec);
    void runSequentialOnUiThread(ExperimentSpec spec, ExperimentSpec rest);
    void finishLocally();
    void appendRun(RunRecord record);
    void beginForeignMeasure();
    std::optional<double> endForeignMeasure();

    QThread m_thread;
    Runner *m_runner = nullptr;           // lives on m_thread; deleted after the thread is joined
    Runner *m_uiRunner = nullptr;         // GUI thread: the "run on the UI thread" demo
    bool m_uiRunStarted = false;
    std::shared_ptr<std::atomic<bool>> m_shutdown = std::make_shared<std::atomic<bool>>(false);
    LagMeter *m_lag = nullptr;
    ForeignLoadMonitor *m_foreign = nullptr;
    std::optional<LoadSnapshot> m_loadAtRunStart;
    double m_foreignBefore = -1;          // cores busy elsewhere before the experiment; <0: unknown
    AppCpuMeter *m_appCpu = nullptr;
    double m_appCpuAtRunStart = 0;        // m_appCpu->cpuSeconds() when the current run started
    QTimer m_pollTimer;
    QElapsedTimer m_clock;

    // State of the experiment in progress (GUI thread only).
    bool m_running = false;
    bool m_stopRequested = false;
    bool m_runnerStarted = false;         // experimentStarted seen for m_generation
    quint64 m_requested = 0;              // starts handed to the Runner (= its generation counter)
    quint64 m_generation = 0;             // generation whose signals count
    ExperimentSpec m_spec;
    ExperimentResult m_result;            // accumulates the records of the current experiment
    int m_runOffset = 0;                  // runs done on the UI thread before the Runner's
    int m_runCount = 0;
    int m_tasksPerRun = 0;
    int m_tasksDoneInFinishedRuns = 0;
    int m_currentRun = -1;                // global index of the run in progress, -1: none
    size_t m_cursor = 0;
    std::vector<LiveEvent> m_pending;     // events whose runStarted has not arrived yet
    QHash<int, RunInfo> m_runs;           // Runner index -> model, t0
    std::vector<std::pair<double, qint64>> m_recentDone; // (t, bytes) of finished tasks, current run
};

} // namespace lab
