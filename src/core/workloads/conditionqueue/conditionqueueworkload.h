#pragma once
#include "workloads/workload.h"

#include <optional>

namespace lab {

// A run of the producer/consumer queue (key "queue"): items moved per second, whether every
// item arrived exactly once (count, sum and a hash of the ids against the expected), how deep
// the queue got and how often each side blocked.
struct ConditionQueueSummary : RunSummary {
    qint64 items = 0;            // M, expected
    qint64 received = 0;
    bool exactlyOnce = false;
    int producers = 0, consumers = 0;
    int capacity = 0;
    QString transport;           // "condition queue", "pipe", "queue.Queue", "multiprocessing.Queue"
    std::optional<double> itemsPerS, nsPerItem;
    std::optional<double> maxDepth;
    int emptyWaits = 0, fullWaits = 0;
    std::optional<double> wakeP50Us;
    qint64 droppedEvents = 0;
    qint64 droppedSpans = 0;     // waits past the trace's bound: counted, not in the waits above

    void writeJson(QJsonObject &run) const override;
    std::vector<Figure> figures() const override;
    std::optional<VariantOutcome> outcome() const override;
    static std::shared_ptr<ConditionQueueSummary> fromJson(const QJsonObject &run);
};

// P producers and C consumers move M items through a bounded queue: on threads a queue on one
// mutex and two condition variables (sync/tracedqueue.h), on processes a named pipe between the
// pool's worker processes (the app makes it in a private temporary folder per run and removes
// it after), in CPython queue.Queue and multiprocessing.Queue. Tasks 0..P-1 produce, P..P+C-1
// consume; all must run at once (a side blocked with no progress anywhere for 5 s gives up).
class ConditionQueueWorkload : public Workload {
public:
    static constexpr const char *kId = "condition-queue";

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    int defaultWorkers(const QJsonObject &params) const override;
    QString autoWorkersText() const override;
    QString whyNotOn(const ModelInfo &model) const override;
    qint64 taskCount(const QJsonObject &params) const override;
    std::vector<PrimitiveInfo> primitives(const QJsonObject &params) const override;
    std::unique_ptr<WorkloadState> setUp(const QJsonObject &params, QString *error) const override;
    std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const override;
    QString checkTask(const TaskSpec &task) const override;
    void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const override;
    RunSummaryPtr summarize(const RunRecord &run, WorkloadState *state) const override;
    RunSummaryPtr summaryFromJson(const QJsonObject &run) const override;
    RunSummaryPtr emptySummary() const override { return std::make_shared<ConditionQueueSummary>(); }
    QString pythonScript() const override { return QStringLiteral("condition_queue.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;

    // The checksum of ids 0..items-1 that the consumers' hashes must add up to (mod 2^64).
    static quint64 idHash(quint64 id);
    static quint64 expectedHash(qint64 items);
};

} // namespace lab
