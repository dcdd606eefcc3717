#pragma once
#include "workloads/workload.h"

#include <optional>

namespace lab {

// A shared counter after W tasks added 1 to it K times each (key "race_counter"): what should be
// there, what is, and what one increment cost across the whole concurrent phase.
struct RaceCounterSummary : RunSummary {
    QString method;             // unsynchronised, mutex, atomic, local-sums
    int tasks = 0;
    qint64 increments = 0;      // per task
    qint64 expected = 0;
    std::optional<qint64> actual;
    std::optional<double> nsPerIncrement;  // (last loop end - first loop start) / (W x K)
    std::optional<double> overlapShare;    // share of that phase with two or more loops running
    bool cpython = false;

    std::optional<qint64> lost() const { return actual ? std::optional<qint64>(expected - *actual) : std::nullopt; }
    static std::shared_ptr<RaceCounterSummary> fromJson(const QJsonObject &run);
    void writeJson(QJsonObject &run) const override;
    std::vector<Figure> figures() const override;
    std::optional<VariantOutcome> outcome() const override;
};

// The lost update: W tasks add 1 to one counter K times each, unsynchronised (a load then a
// store: increments in between are overwritten), under a mutex, with an atomic add, or with
// private sums added up at the end. The counter and its lock live in shared memory, so the same
// variants run on threads and on processes.
class RaceCounterWorkload : public Workload {
public:
    static constexpr const char *kId = "race-counter";

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    QString validate(const QJsonObject &params) const override;
    int defaultWorkers(const QJsonObject &params) const override;
    QString autoWorkersText() const override;
    qint64 taskCount(const QJsonObject &params) const override;
    double estimatedSequentialSeconds(const QJsonObject &params) const override;
    QString whyNotOnVariant(const ModelInfo &model, const QJsonObject &variantParams) const override;
    std::vector<Variant> variants(const QJsonObject &params) const override;
    std::vector<PrimitiveInfo> primitives(const QJsonObject &params) const override;
    std::unique_ptr<WorkloadState> setUp(const QJsonObject &params, QString *error) const override;
    std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const override;
    QString checkTask(const TaskSpec &task) const override;
    void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const override;
    RunSummaryPtr summarize(const RunRecord &run, WorkloadState *state) const override;
    RunSummaryPtr summaryFromJson(const QJsonObject &run) const override;
    RunSummaryPtr emptySummary() const override { return std::make_shared<RaceCounterSummary>(); }
    QString pythonScript() const override { return QStringLiteral("race_counter.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;
};

} // namespace lab
