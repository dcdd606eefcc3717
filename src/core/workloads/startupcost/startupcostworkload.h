#pragma once
#include "workloads/workload.h"

#include <optional>

namespace lab {

// What one startup-cost run measured (key "startup_cost"): `count` starts of one mechanism, each
// timed from its creating call to its join or reap (µs).
struct StartupCostSummary : RunSummary {
    QString mechanism;      // thread, fork, posix-spawn, qprocess, mp-fork, mp-spawn, mp-forkserver
    int asked = 0;
    int count = 0;          // starts completed and verified (joined / reaped with exit code 0)
    std::optional<double> medianUs, p99Us, meanUs, maxUs;
    bool verified = false;
    QString error;

    static std::shared_ptr<StartupCostSummary> fromTask(const TaskResult &task, const QString &mechanism);
    static std::shared_ptr<StartupCostSummary> fromJson(const QJsonObject &run);
    void writeJson(QJsonObject &run) const override;
    std::vector<Figure> figures() const override;
    std::optional<VariantOutcome> outcome() const override;
};

// startup-cost: create-and-join threads, start-and-reap processes (fork, posix_spawn, QProcess;
// CPython: threading.Thread and multiprocessing's three start methods). Each variant is one
// mechanism, timed by a single task on `sequential` or `python-sequential`.
class StartupCostWorkload : public Workload {
public:
    static constexpr const char *kId = "startup-cost";

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    int defaultWorkers(const QJsonObject &) const override { return 1; }
    double estimatedSequentialSeconds(const QJsonObject &params) const override;
    qint64 taskCount(const QJsonObject &) const override { return 1; }
    QString whyNotOn(const ModelInfo &model) const override;
    QString whyNotOnVariant(const ModelInfo &model, const QJsonObject &variantParams) const override;
    std::vector<Variant> variants(const QJsonObject &params) const override;
    std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const override;
    QString checkTask(const TaskSpec &task) const override;
    void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const override;
    RunSummaryPtr summarize(const RunRecord &run, WorkloadState *state) const override;
    RunSummaryPtr summaryFromJson(const QJsonObject &run) const override;
    RunSummaryPtr emptySummary() const override { return std::make_shared<StartupCostSummary>(); }
    QString pythonScript() const override { return QStringLiteral("startup_cost.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;
};

} // namespace lab
