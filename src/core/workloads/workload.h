#pragma once
#include "experiment/summary.h"
#include "workloads/exechooks.h"
#include "workloads/task.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>
#include <atomic>
#include <memory>
#include <optional>
#include <vector>

namespace lab {

struct ModelInfo;
struct RunRecord;

// One parameter a workload takes: the spec parser checks it, the experiment panel builds its
// form field from it, docs and `concurrency-lab-cli workloads` list it.
struct ParamInfo {
    enum class Type {
        Int,         // a whole number in [min, max]
        Number,      // a finite real in [min, max]
        Bool,
        String,
        StringList,  // non-empty strings; at most `max` items
        IntList,     // whole numbers in [min, max]; also {"start": S, "count": C}; at most kMaxListItems
    };
    QString key;          // JSON key inside "workload"
    QString label;        // form label
    Type type = Type::Int;
    double min = 0;
    double max = 0;
    QJsonValue defaultValue;   // Undefined: the spec must give it
    QString unit;              // shown as a suffix ("ms", "µs", ...)
    QString tooltip;           // one or two sentences for the form

    static constexpr int kMaxListItems = 100000;  // any list; Workload::kMaxTasks caps the tasks they make
};

// Per-run shared state of a workload (a shared counter, a semaphore, a queue, a local server, a
// meeting board): set up before the run's clock starts, torn down by its destructor after the
// run. It lives in the process that drives the model; tasks of in-process models reach it
// through TaskEnv::state, tasks in a worker process get null.
class WorkloadState {
public:
    virtual ~WorkloadState() = default;
};

// One variant of an experiment: a named set of parameter overrides. The Runner runs every
// variant on every selected model that fits it (Workload::whyNotOnVariant), so one click shows
// "unsynchronised / mutex / atomic / local sums" or "pipe-1MiB / shm-1MiB ..." side by side.
struct Variant {
    QString name;          // stable, for --variants, JSON and scripts ("mutex", "pipe-1MiB")
    QString label;         // on screen ("Mutex", "Pipe, 1 MiB")
    QJsonObject params;    // merged over the spec's workload parameters for this variant's runs
};

// What a task body gets besides its TaskSpec.
struct TaskEnv {
    const std::atomic<bool> &cancel;
    ExecHooks &hooks;
    WorkloadState *state = nullptr;
};

// A workload plug-in (one folder under workloads/, one line in registry.cpp). Every method is
// const and thread-safe: one instance serves all runs. Parameters reach the methods as the
// validated JSON object of the spec's "workload" (defaults filled in, "kind" removed).
class Workload {
public:
    virtual ~Workload() = default;

    // One cap for every way of listing tasks (a list, a range, a list times a repeat count):
    // the parser refuses a spec with more tasks per run.
    static constexpr qint64 kMaxTasks = ParamInfo::kMaxListItems;
    // The one time guard: the parser refuses a spec whose sequential estimate is longer.
    static constexpr double kMaxSequentialSeconds = 3600.0;

    virtual QString id() const = 0;            // the spec's workload.kind
    virtual QString label() const = 0;         // short, for the panel's workload picker
    virtual QString description() const = 0;  // one sentence
    virtual std::vector<ParamInfo> params() const = 0;

    // Checks beyond the declared types and ranges (relations between parameters, run-time
    // estimates). Empty when fine, else one line naming the parameter.
    virtual QString validate(const QJsonObject &params) const;
    // Workers when the spec says "auto" (0); 0 here means one per usable core.
    virtual int defaultWorkers(const QJsonObject &params) const;
    // How the panel words "auto" workers, e.g. "auto (1 per request)"; empty: "auto (N cores)".
    virtual QString autoWorkersText() const { return {}; }
    // Seconds the sequential model would need at least, or 0 when unknown (I/O).
    virtual double estimatedSequentialSeconds(const QJsonObject &params) const;
    // Tasks per run, without building them (the parser checks kMaxTasks with it, so it must be
    // cheap for any parameters that passed the type and range checks). The default builds the
    // tasks: override it where a parameter multiplies them.
    virtual qint64 taskCount(const QJsonObject &params) const;

    // Empty when `model` can run this workload; otherwise the reason, shown beside the disabled
    // model. The default: every model but "async" (which needs non-blocking transfers), and the
    // CPython models only with a Python twin.
    virtual QString whyNotOn(const ModelInfo &model) const;
    // The same for one variant (its merged parameters): e.g. CPython has no atomic counter. The
    // default is whyNotOn(model). The Runner skips a pair that does not fit; the JSON and the
    // variants table say "–" there.
    virtual QString whyNotOnVariant(const ModelInfo &model, const QJsonObject &variantParams) const;

    // The experiment's variants for these parameters, in display order; empty (the default):
    // the workload has none and each model runs once per repetition, as before.
    virtual std::vector<Variant> variants(const QJsonObject &params) const;
    // The primitives the run's tasks record waits on (TaskTrace::primitive indexes this list):
    // each gets a lane on the thread-state timeline. Empty: no trace.
    virtual std::vector<PrimitiveInfo> primitives(const QJsonObject &params) const;

    // Per-run shared state; null with *error empty means "none needed".
    virtual std::unique_ptr<WorkloadState> setUp(const QJsonObject &params, QString *error) const;
    // The run's tasks (ids 0..N-1); `state` may be null (counting tasks without a run).
    virtual std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const = 0;
    // Checks one task's parameters as they arrive from elsewhere (a worker reading its pipe):
    // empty when the task can run, else one line naming the field.
    virtual QString checkTask(const TaskSpec &task) const;
    // The task body, run by every native model in the calling thread (or a worker process):
    // fills ok/verified/value/error/bytes...; times and CPU fields are the caller's.
    virtual void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const = 0;
    // The typed summary of a finished run (null: none), and reading it back from saved JSON.
    virtual RunSummaryPtr summarize(const RunRecord &run, WorkloadState *state) const;
    virtual RunSummaryPtr summaryFromJson(const QJsonObject &run) const;
    // A summary with nothing measured (null: the workload reports no figures of its own): its
    // figures() name what every run of this workload reports, so a lesson can ask for one by key.
    virtual RunSummaryPtr emptySummary() const { return {}; }

    // The CPython twin: a script in this workload's folder (embedded as :/python/NAME) that reads pythonJob() on stdin and
    // prints JSON event lines (labcommon.py); empty: no twin.
    virtual QString pythonScript() const { return {}; }
    virtual QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const;
    // Turns a script's "finish" event into the task's outcome and verifies it against the
    // expected result, as strictly as execute() verifies the native one.
    virtual void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const;
};

// The parameters one variant's runs use: `params` with the variant's overrides.
QJsonObject withVariant(const QJsonObject &params, const Variant &variant);

// The registry (registry.cpp): every workload, in the panel's order.
const std::vector<std::unique_ptr<Workload>> &workloadRegistry();
const Workload *findWorkload(const QString &id);
QStringList workloadIds();

// The one place that reads a workload's JSON parameters: type and range checks with messages
// that name the key ("workload.timeout_ms = 0 is out of range (1..3600000)"), NaN and
// infinities refused, defaults filled in, unknown keys refused, then the task cap (kMaxTasks)
// and the time guard (kMaxSequentialSeconds). Returns the normalised object (IntList ranges
// expanded).
std::optional<QJsonObject> parseWorkloadParams(const Workload &workload, const QJsonObject &json, QString *error);

} // namespace lab
