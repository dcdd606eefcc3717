#pragma once
#include "workloads/workload.h"

#include <optional>

namespace lab {

// A run of the semaphore pool (key "semaphore"): how many downloads were in flight at most,
// proved twice (the permits-in-use values the tasks traced, and the semaphore's own counter),
// how often and how long a thread waited for a permit, and requests per second.
struct SemaphorePoolSummary : RunSummary {
    int permits = 0;            // 0: unlimited
    int requests = 0;
    int requestsOk = 0;
    int requestsVerified = 0;
    std::optional<double> maxInFlightTraced;   // from the trace's permits-in-use events
    std::optional<double> maxInFlightCounter;  // the semaphore's high-water mark (native runs)
    qint64 droppedEvents = 0;                  // trace events past the recorder's bound
    int blockedAcquires = 0;
    std::optional<double> waitP50Ms, waitMaxMs, wakeP50Us;
    std::optional<double> requestsPerS;
    std::optional<double> usPerRequest;

    // The most in flight the run proves (the larger of its two sources); nullopt: unknown.
    std::optional<double> maxInFlight() const;
    bool limitHeld() const;     // never more than permits (always true unlimited)

    void writeJson(QJsonObject &run) const override;
    std::vector<Figure> figures() const override;
    std::optional<VariantOutcome> outcome() const override;
    static std::shared_ptr<SemaphorePoolSummary> fromJson(const QJsonObject &run);
};

// The seed's scraper behind a semaphore: N downloads from the local server, W threads (or
// processes) but at most k downloads in flight, guarded by a traced counting semaphore (in
// shared memory, so pool processes share it). Variants: 1, 2, 4 permits and no limit.
class SemaphorePoolWorkload : public Workload {
public:
    static constexpr const char *kId = "semaphore-pool";

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    int defaultWorkers(const QJsonObject &params) const override;
    QString autoWorkersText() const override;
    double estimatedSequentialSeconds(const QJsonObject &params) const override;
    qint64 taskCount(const QJsonObject &params) const override;
    std::vector<Variant> variants(const QJsonObject &params) const override;
    std::vector<PrimitiveInfo> primitives(const QJsonObject &params) const override;
    std::unique_ptr<WorkloadState> setUp(const QJsonObject &params, QString *error) const override;
    std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const override;
    QString checkTask(const TaskSpec &task) const override;
    void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const override;
    RunSummaryPtr summarize(const RunRecord &run, WorkloadState *state) const override;
    RunSummaryPtr summaryFromJson(const QJsonObject &run) const override;
    RunSummaryPtr emptySummary() const override { return std::make_shared<SemaphorePoolSummary>(); }
    QString pythonScript() const override { return QStringLiteral("semaphore_pool.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;
};

} // namespace lab
