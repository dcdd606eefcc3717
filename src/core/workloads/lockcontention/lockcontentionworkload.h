#pragma once
#include "workloads/workload.h"

#include <optional>

namespace lab {

// One lock-contention run (key "lock_contention"): the cost of one guarded operation and the
// share of the contenders' time spent waiting for the lock (and, under the GIL, for the GIL).
struct LockContentionSummary : RunSummary {
    QString lock;                          // mutex, spinlock, atomic
    int contenders = 0;
    qint64 ops = 0;                        // per contender
    bool exact = false;                    // the shared counter holds contenders x ops
    std::optional<double> nsPerOp;         // phase / (contenders x ops)
    std::optional<double> waitShare;       // lock waits / (phase x contenders), from every wait
    std::optional<double> traceWaitShare;  // the same from the recorded trace (null: spans were dropped)
    std::optional<double> gilWaitShare;    // gil-threads: GIL waits / (wall x workers)
    qint64 waits = 0;                      // acquisitions that blocked

    static std::shared_ptr<LockContentionSummary> fromJson(const QJsonObject &run);
    void writeJson(QJsonObject &run) const override;
    std::vector<Figure> figures() const override;
    std::optional<VariantOutcome> outcome() const override;
};

// The same short critical section (a counter increment and a few multiply-adds) taken by 1, 2
// or 4 contending threads under a mutex, a spinlock or as one atomic add: what an operation
// costs once others want the lock too, and how much of the time goes to waiting.
class LockContentionWorkload : public Workload {
public:
    static constexpr const char *kId = "lock-contention";

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    QString validate(const QJsonObject &params) const override;
    int defaultWorkers(const QJsonObject &params) const override;
    QString autoWorkersText() const override;
    qint64 taskCount(const QJsonObject &params) const override;
    double estimatedSequentialSeconds(const QJsonObject &params) const override;
    QString whyNotOn(const ModelInfo &model) const override;
    QString whyNotOnVariant(const ModelInfo &model, const QJsonObject &variantParams) const override;
    std::vector<Variant> variants(const QJsonObject &params) const override;
    std::vector<PrimitiveInfo> primitives(const QJsonObject &params) const override;
    std::unique_ptr<WorkloadState> setUp(const QJsonObject &params, QString *error) const override;
    std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const override;
    QString checkTask(const TaskSpec &task) const override;
    void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const override;
    RunSummaryPtr summarize(const RunRecord &run, WorkloadState *state) const override;
    RunSummaryPtr summaryFromJson(const QJsonObject &run) const override;
    RunSummaryPtr emptySummary() const override { return std::make_shared<LockContentionSummary>(); }
    QString pythonScript() const override { return QStringLiteral("lock_contention.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;
};

} // namespace lab
