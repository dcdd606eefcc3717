#pragma once
#include "experiment/experimentspec.h"
#include "experiment/runrecord.h"

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace lab {

struct RunContext {
    const ExperimentSpec &spec;
    int workers = 1;
    const std::atomic<bool> &cancel;
    LiveLog &live;
    double t0 = 0;              // monotonic seconds at run start; task times are relative to it
    WorkloadState *state = nullptr;  // the run's shared workload state, for in-process tasks
};

// An execution model runs a list of tasks and measures how. run() blocks the calling thread
// (never the GUI thread); it must return within ~100 ms once ctx.cancel becomes true, with
// every task it finished kept in record.tasks.
class ExecutionModel {
public:
    virtual ~ExecutionModel() = default;
    virtual QString id() const = 0;
    // Fills record.tasks (times relative to ctx.t0), cpu_s, spawn_us_median,
    // worker_restarts, the workers' share of peak_rss_kb, extra, error.
    virtual void run(const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record) = 0;
};

// What kind of executor a model is: workloads decide from it whether they fit
// (Workload::whyNotOn), e.g. a process-shared counter means nothing to the one-thread async model.
enum class ModelFamily {
    InProcess,       // threads of this process (sequential, threads, gil-threads)
    ChildProcesses,  // concurrency-lab-worker children fed over pipes
    Async,           // one thread multiplexing non-blocking transfers
    CPython,         // a real python3 running the workload's Python twin
};

struct ModelInfo {
    QString id;
    QString label;              // short, for legends
    QString description;        // one sentence, for the UI
    ModelFamily family = ModelFamily::InProcess;
    bool fixedSingleWorker = false;  // sequential: always 1 worker
    std::function<std::unique_ptr<ExecutionModel>()> create;
    std::function<QString()> unavailableReason;  // empty string: available (null function: always)

    // Empty when this model can run `workload`, else why not (for the panel and errors).
    QString whyNot(const QString &workload) const;
    bool supports(const QString &workload) const { return whyNot(workload).isEmpty(); }
    QString whyUnavailable() const { return unavailableReason ? unavailableReason() : QString(); }
};

const std::vector<ModelInfo> &modelRegistry();
const ModelInfo *findModel(const QString &id);
QStringList modelIds();
// Models to run for a spec: spec.models, or every available model for its workload.
// Empty list and *error set when a name is unknown or does not fit the workload.
QStringList resolveModels(const ExperimentSpec &spec, QString *error);

} // namespace lab
