#pragma once
#include "experimentspec.h"
#include "sampling/cpusampler.h"
#include "summary.h"
#include "workloads/task.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace lab {

struct ThroughputPoint {
    double t_s = 0;        // end of the bin, seconds since run start
    double tasksPerS = 0;
    double mbPerS = 0;     // I/O workloads
};

QJsonObject taskResultToJson(const TaskResult &t);
TaskResult taskResultFromJson(const QJsonObject &o);

// The emulated GIL's statistics of one gil-threads run (JSON key "gil"). Span times are
// seconds relative to the run's t0.
struct GilStats {
    struct Thread {
        int worker = 0;
        double held_s = 0;
        double wait_s = 0;
        qint64 acquisitions = 0;
        qint64 dropRequests = 0;
        qint64 forcedSwitches = 0;
    };
    struct Span {
        int worker = 0;
        double start_s = 0;
        double end_s = 0;
    };
    double switchIntervalMs = 0;
    qint64 switches = 0;           // tenure changes; the first acquisition is not a switch
    double switchesPerS = 0;
    std::vector<Thread> threads;
    std::vector<Span> spans;       // bounded; spansDropped counts the rest
    qint64 spansDropped = 0;

    QJsonObject toJson() const;
    static GilStats fromJson(const QJsonObject &o);
};

// How a process pool's task round trips split into IPC and computing (key "ipc"), and the
// worker start-up median in ms (top-level "spawn_ms_median", kept for older readers).
struct IpcSplit {
    double dispatchMedian_s = 0;
    double computeMedian_s = 0;
    double dispatchShare = 0;      // of the workers' windows, the time not running tasks, 0..1
    int protocolVersion = 0;
    double spawnMedian_ms = -1;    // negative: no worker started
    // Protocol 3 on: tasks per message, the per-task deadline, and the time from starting the
    // first worker to the last one's handshake. Absent (0 / negative) in older files.
    int chunkSize = 0;
    double taskTimeout_s = 0;
    double readyMs = -1;
    double parentCpu_s = -1;       // CPU the app's pool thread spent feeding the workers
    // dispatchShare split by where it went, shares of the same windows (they add up to it):
    // a worker's first task sent to its start, the gaps between one message's last task and
    // the next one's first, and its last task's end to its answer read. Negative: not
    // measured (no answer, or a file from before these).
    double startShare = -1;
    double gapsShare = -1;
    double endShare = -1;

    void writeJson(QJsonObject &run) const;
    static std::optional<IpcSplit> fromJson(const QJsonObject &run);
};

// The real interpreter a python-* run used (key "python"); version and pid come from the
// script's hello line and are missing when it never said hello.
struct PythonInfo {
    QString interpreter;
    QString script;
    QString mode;
    QString version;
    std::optional<qint64> pid;

    QJsonObject toJson() const;
    static PythonInfo fromJson(const QJsonObject &o);
};

// Per-core CPU usage sampled during an experiment (key "cpu"), shaped like `monitor --json`:
// {"hz", "cores", "samples": [{"t", "total", "per_core"}]}, t in seconds from `t0`, percent
// 0..100, null for an offline core.
struct CpuSeries {
    double hz = 0;
    std::vector<CpuSample> samples;

    int cores() const;
    static QJsonObject sampleToJson(const CpuSample &s, double t0);
    QJsonObject toJson(double t0) const;
    static CpuSeries fromJson(const QJsonObject &o);
};

// Everything measured about one model running one experiment once. Scalars that do not apply
// are negative here and null in JSON ("–" on screen).
struct RunRecord {
    QString runId;              // "<experiment id>/<index>": stable across save and load
    QString model;
    QString variant;            // the workload's variant (Variant::name); empty: it has none
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
    double spawn_us_median = -1; // median worker start cost (µs), what it is: spawnWhat; -1: none
    QString spawnWhat;          // "thread start to running", "process start to handshake", ...
    // Peak resident memory of what ran this run's tasks, in kB (see Runner::run): the app
    // process's high-water mark during the run for in-process models, the sum of the
    // workers' peaks for process models. -1: not measured.
    long peak_rss_kb = 0;
    // Figures that newer runs carry and older files lack: nullopt = the key is absent (an
    // older file; written back absent), a negative value = null (does not apply / unknown).
    // dispatch_us_per_task: (wall of the task phase - task compute / workers) / tasks, the
    // model's cost per task, as for CPython's Pool.map. pss_kb: proportional set size of what
    // ran the tasks (sum of the workers' largest samples for process models, the app at the
    // run's end for in-process ones); app_pss_kb: the app itself at the run's end.
    std::optional<double> dispatch_us_per_task;
    std::optional<long> pss_kb;
    std::optional<long> app_pss_kb;
    double ui_lag_p99_ms = -1;  // filled by the GUI
    // Cores other programs kept busy while the run went (sampling/foreignload.h); nullopt: not
    // measured (JSON null).
    std::optional<double> foreign_busy_cores;
    // CPU seconds the app's own threads (GUI, sampler, ..., not the runner or its workers)
    // used during the run: filled by the GUI, -1 (null) in the CLI.
    double app_cpu_s = -1;
    bool ranOnUiThread = false; // the app's deliberate freeze demo
    QString note;               // a caveat about how this model ran the spec (python-*)
    QString error;              // run-level failure (model could not start, ...)
    std::vector<TaskResult> tasks;
    std::vector<ThroughputPoint> throughput;
    std::optional<GilStats> gil;
    std::optional<IpcSplit> ipc;
    std::optional<PythonInfo> python;
    // The primitives the tasks' traces refer to (Workload::primitives), one timeline lane each.
    std::vector<PrimitiveInfo> primitives;
    RunSummaryPtr workloadSummary;  // the workload's typed summary (io, convoy, ...); may be null
    QJsonObject extra;          // keys no typed field knows (workload sections until read by a
                                // summary reader, newer files); written back verbatim

    // Derive tasks_ok/failed, verified, busy_cores, throughput from tasks/wall/cpu; with
    // expectedTasks, tasks that produced no result count as failed.
    void finalize(int expectedTasks = 0);
    // Run times (t0) are written relative to timeBase.
    QJsonObject toJson(double timeBase = 0) const;
    // Reads what toJson writes (and schema 1 runs); keys it does not know go to extra.
    static std::optional<RunRecord> fromJson(const QJsonObject &o, QString *error);
};

struct MachineInfo {
    int cores = 0;              // online
    int usableCores = 0;        // in this process's CPU affinity mask; 0: unknown
    QString cpuModel;
    QString kernel;             // "linux 6.1.0-28-amd64"
    QString qtVersion;          // at run time
    QString pythonVersion;      // known after a python-* run; empty: unknown (null in JSON)
    QJsonObject extra;
    static MachineInfo current();
    QJsonObject toJson() const;
    static MachineInfo fromJson(const QJsonObject &o);
};

// The run a model's speedup refers to: real CPython models compare with CPython's own
// sequential run, every native model with the native sequential one.
QString baselineModel(const QString &model);
// Sets speedup/efficiency of every run against the median wall time of the good runs
// (not cancelled, no error, something done) of its baseline model; -1 where none exists.
void applySpeedups(std::vector<RunRecord> &runs);

// A whole experiment as saved and loaded (docs/results-format.md).
struct ExperimentResult {
    static constexpr int kSchema = 2;

    QString experimentId;       // unique per experiment ("20261201T215801Z-3fa9c2")
    QString startedAt;          // ISO 8601 UTC
    double t0 = 0;              // time base of the JSON's relative times (monotonic seconds;
                                // 0 for a loaded result, whose times are already relative)
    ExperimentSpec spec;
    MachineInfo machine;
    std::vector<RunRecord> runs;
    std::optional<CpuSeries> cpu;
    bool cancelled = false;
    QString error;
    QStringList warnings;       // why the figures may not hold (foreign load, ...); JSON "warnings"
    QJsonObject extra;          // unknown top-level keys

    void computeSpeedups() { applySpeedups(runs); }
    bool allOk() const;
    // One row per run with a variant outcome (JSON "variants", derived on save, not read back):
    // variant, model, repetition, run_id and VariantOutcome's keys.
    QJsonArray variantTable() const;
    QJsonObject toJson() const;

    static QString newExperimentId();
    static QString runIdFor(const QString &experimentId, int index);

    // Loads a file written by the app or the CLI, schema 1 or 2. On failure nullopt and one
    // line in *error: malformed JSON (with line and column), not a result, a newer schema.
    static std::optional<ExperimentResult> fromJson(const QByteArray &json, QString *error);
    static std::optional<ExperimentResult> fromJsonObject(const QJsonObject &o, QString *error);
};

// Live task events: workers push, the UI/CLI polls. One short lock per event. Two per task,
// kept until the next experiment: packed into 32 bytes (was 48).
struct LiveEvent {
    enum Type : quint8 { TaskStarted, TaskFinished };
    LiveEvent() = default;
    // In the order the models name them (the fields are laid out by size).
    LiveEvent(Type type_, int taskId_, int worker_, double t_, bool ok_ = false, qint64 bytes_ = 0, int cpu_ = -1)
        : t(t_), bytes(bytes_), taskId(taskId_), worker(worker_), cpu(qint16(cpu_)), type(type_), ok(ok_)
    {
    }
    double t = 0;        // monotonic seconds
    qint64 bytes = 0;
    int taskId = 0;
    int worker = 0;
    qint16 cpu = -1;
    qint16 run = 0;      // index of the run within the experiment (stamped by LiveLog)
    Type type = TaskStarted;
    bool ok = false;
};

class LiveLog {
public:
    void push(LiveEvent e);
    // Several at once, under one lock (a process pool's burst of results).
    void push(const LiveEvent *events, size_t count);
    // Room for `more` events, its pages touched now: a run's pushes then neither reallocate
    // nor fault while it is being timed.
    void reserve(size_t more);
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
