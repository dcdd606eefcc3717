#pragma once
#include "workloads/workload.h"

#include <optional>

namespace lab {

// What one ipc-cost run measured (key "ipc_cost"): one transport, one payload size, `messages`
// payloads each acknowledged with its sequence number and checksum.
struct IpcCostSummary : RunSummary {
    QString transport;        // thread, pipe, socket, shm, queue
    qint64 payloadBytes = 0;
    qint64 messages = 0;      // timed messages acknowledged in order
    qint64 requested = 0;     // timed messages asked for
    std::optional<double> seconds, usPerMessage, gbPerS;
    QString expectedSum, actualSum;  // hex; the CPython twin's are adler32-based
    bool verified = false;
    QString error;

    static std::shared_ptr<IpcCostSummary> fromTask(const TaskResult &task, const QJsonObject &params);
    static std::shared_ptr<IpcCostSummary> fromJson(const QJsonObject &run);
    void writeJson(QJsonObject &run) const override;
    std::vector<Figure> figures() const override;
    std::optional<VariantOutcome> outcome() const override;
};

// ipc-cost: what it costs to move bytes between two threads and between two processes (pipe,
// Unix socket pair, shared memory; CPython also multiprocessing.Queue). Each variant is one
// transport and one payload size, measured by a single task on `sequential` (native) or
// `python-sequential` (the CPython twin, ipc_cost.py).
class IpcCostWorkload : public Workload {
public:
    static constexpr const char *kId = "ipc-cost";

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    QString validate(const QJsonObject &params) const override;
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
    RunSummaryPtr emptySummary() const override { return std::make_shared<IpcCostSummary>(); }
    QString pythonScript() const override { return QStringLiteral("ipc_cost.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;

    // "64B", "4KiB", "1MiB", "64MiB", "1000B": the payload part of a variant's name.
    static QString sizeName(qint64 bytes);
    // Timed messages of one variant: round_trips, fewer for large payloads (total_bytes).
    static qint64 messagesFor(const QJsonObject &params, qint64 payloadBytes);
    // MemAvailable of /proc/meminfo in bytes; -1 when unknown.
    static qint64 availableMemoryBytes();
};

} // namespace lab
