#pragma once
#include "workloads/workload.h"

#include <optional>

namespace lab {

// How a deadlock run ended (key "deadlock"): the wait-for cycle that was found (tasks, and the
// lock each of them waited for: task i waits for lock i held by task i+1), who found it, and
// how many tasks finished.
struct DeadlockSummary : RunSummary {
    QString order;                  // opposite, ordered
    int tasks = 0;
    int finished = 0;               // tasks that took both locks and finished
    bool detected = false;
    QString detectedBy;             // "watchdog" (wait-for graph), "timeout" (a wait gave up), "cpython"
    std::vector<int> cycleTasks;
    QStringList cycleLocks;         // the lock cycleTasks[i] waited for
    std::optional<double> detectMs; // from the run's first lock wait to the detection, where known

    QString words() const;          // "task 0 holds lock A and waits for lock B held by task 1, which waits for lock A"
    static std::shared_ptr<DeadlockSummary> fromJson(const QJsonObject &run);
    void writeJson(QJsonObject &run) const override;
    std::vector<Figure> figures() const override;
    std::optional<VariantOutcome> outcome() const override;
};

// "task 0 holds lock A and waits for lock B held by task 1, which waits for lock A".
QString deadlockCycleWords(const std::vector<int> &tasks, const QStringList &locks);

// The deadlock: tasks take two locks each, task i lock i then lock i+1 (two tasks: A then B
// and B then A), holding the first a moment so that every task has its first lock before it
// asks for its second. A watchdog in the run's state reads the locks' holders and waiters,
// finds the cycle in the wait-for graph and makes the waits give up, so the run ends with the
// tasks failed ("deadlock") and the cycle in the summary. The variant "ordered" takes the locks
// in one global order and finishes: the fix.
class DeadlockWorkload : public Workload {
public:
    static constexpr const char *kId = "deadlock";
    static constexpr int kMaxTasks = 8;

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    QString validate(const QJsonObject &params) const override;
    int defaultWorkers(const QJsonObject &params) const override;
    QString autoWorkersText() const override;
    qint64 taskCount(const QJsonObject &params) const override;
    double estimatedSequentialSeconds(const QJsonObject &params) const override;
    std::vector<Variant> variants(const QJsonObject &params) const override;
    std::vector<PrimitiveInfo> primitives(const QJsonObject &params) const override;
    std::unique_ptr<WorkloadState> setUp(const QJsonObject &params, QString *error) const override;
    std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const override;
    QString checkTask(const TaskSpec &task) const override;
    void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const override;
    RunSummaryPtr summarize(const RunRecord &run, WorkloadState *state) const override;
    RunSummaryPtr summaryFromJson(const QJsonObject &run) const override;
    RunSummaryPtr emptySummary() const override { return std::make_shared<DeadlockSummary>(); }
    QString pythonScript() const override { return QStringLiteral("deadlock.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;
};

} // namespace lab
