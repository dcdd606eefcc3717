#pragma once
#include "workloads/workload.h"

#include <optional>

namespace lab {

// Round-trip latency of the convoy's I/O thread, beside the CPU threads and alone (key
// "convoy"; µs). multiplierP50 = beside / alone.
struct ConvoySummary : RunSummary {
    int roundTrips = 0;
    int cpuThreads = 0;
    std::optional<double> besideP50Us, besideP99Us, aloneP50Us, aloneP99Us, multiplierP50;

    // From the I/O role's result among a run's tasks; null when the run has none.
    static std::shared_ptr<ConvoySummary> fromTasks(const std::vector<TaskResult> &tasks);
    static std::shared_ptr<ConvoySummary> fromJson(const QJsonObject &run);
    void writeJson(QJsonObject &run) const override;
    std::vector<Figure> figures() const override;
};

// The GIL convoy (CPython bpo-7946): one thread doing short blocking round trips on a
// socketpair beside CPU threads, then alone (convoywork.h). Threads of one process only.
class ConvoyWorkload : public Workload {
public:
    static constexpr const char *kId = "convoy";

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    int defaultWorkers(const QJsonObject &params) const override;
    QString autoWorkersText() const override;
    QString whyNotOn(const ModelInfo &model) const override;
    std::unique_ptr<WorkloadState> setUp(const QJsonObject &params, QString *error) const override;
    std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const override;
    qint64 taskCount(const QJsonObject &params) const override;
    double estimatedSequentialSeconds(const QJsonObject &params) const override;
    void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const override;
    RunSummaryPtr summarize(const RunRecord &run, WorkloadState *state) const override;
    RunSummaryPtr summaryFromJson(const QJsonObject &run) const override;
    RunSummaryPtr emptySummary() const override { return std::make_shared<ConvoySummary>(); }
    QString pythonScript() const override { return QStringLiteral("gil_convoy.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;
};

} // namespace lab
