#pragma once
#include "experimentspec.h"
#include "summary.h"
#include "workloads/task.h"

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <mutex>
#include <vector>

namespace lab {

struct ThroughputPoint {
    double t_s = 0;        // end of the bin, seconds since run start
    double tasksPerS = 0;
    double mbPerS = 0;     // I/O workloads
};

// Everything measured about one model running one experiment once.
struct RunRecord {
    QString model;
    int repetition = 0;
    int workers = 0;
    double t0 = 0;              // monotonic seconds when the run started (shared time base)
    double wall_s = 0;
    double cpu_s = 0;           // user+sys of the run's own threads/processes
    double busy_cores = 0;      // cpu_s / wall_s
    double speedup = -1;        // vs sequential wall time of the same spec; -1: no baseline
    double efficiency = -1;     // speedup / workers
    int tasks_total = 0;
    int tasks_ok = 0;
    int tasks_failed = 0;
    bool verified = false;      // every task ok and verified
    bool cancelled = false;
    int worker_restarts = 0;
    double spawn_us_median = 0; // thread start-to-running, or process start-to-handshake (µs)
    long peak_rss_kb = 0;       // app + workers
    double ui_lag_p99_ms = -1;  // filled by the GUI
    QString error;              // run-level failure (model could not start, ...)
    std::vector<TaskResult> tasks;
    std::vector<ThroughputPoint> throughput;
    QJsonObject extra;          // model-specific sections (gil, ipc, ...)
    RunSummaryPtr workloadSummary;  // the workload's typed summary (io, convoy, ...); may be null

    // Derive tasks_ok/failed, verified, busy_cores, throughput from tasks/wall/cpu; with
    // expectedTasks, tasks that produced no result count as failed.
    void finalize(int expectedTasks = 0);
    QJsonObject toJson() const;
};

struct MachineInfo {
    int cores = 0;
    QString cpuModel;
    static MachineInfo current();
    QJsonObject toJson() const;
};

// The run a model's speedup refers to: real CPython models compare with CPython's own
// sequential run, every native model with the native sequential one.
QString baselineModel(const QString &model);
// Sets speedup/efficiency of every run against the median wall time of the good runs
// (not cancelled, no error, something done) of its baseline model; -1 where none exists.
void applySpeedups(std::vector<RunRecord> &runs);

struct ExperimentResult {
    ExperimentSpec spec;
    MachineInfo machine;
    std::vector<RunRecord> runs;
    bool cancelled = false;
    QString error;

    void computeSpeedups() { applySpeedups(runs); }
    bool allOk() const;
    QJsonObject toJson() const;
};

// Live task events: workers push, the UI/CLI polls. One short lock per event.
struct LiveEvent {
    enum Type : quint8 { TaskStarted, TaskFinished };
    Type type = TaskStarted;
    int taskId = 0;
    int worker = 0;
    double t = 0;        // monotonic seconds
    bool ok = false;
    qint64 bytes = 0;
    int cpu = -1;
    int run = 0;         // index of the run within the experiment (stamped by LiveLog)
};

class LiveLog {
public:
    void push(LiveEvent e);
    void setCurrentRun(int run);
    // Events after *cursor; advances the cursor.
    std::vector<LiveEvent> since(size_t *cursor) const;
    void clear();
    int finishedCount() const;

private:
    mutable std::mutex m_mutex; // guards m_events, m_finished
    std::vector<LiveEvent> m_events;
    int m_finished = 0;
    int m_run = 0;
};

} // namespace lab

Q_DECLARE_METATYPE(lab::RunRecord)
Q_DECLARE_METATYPE(lab::ExperimentResult)
