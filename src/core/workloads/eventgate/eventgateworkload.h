#pragma once
#include "workloads/workload.h"

#include <optional>

namespace lab {

// A run of the event gate (key "event_gate"): per round, how long after the set the first and
// the last waiter ran (the release spread), and every waiter's wake-up latency.
struct EventGateSummary : RunSummary {
    int waiters = 0;
    int rounds = 0;
    int roundsAllReleased = 0;   // rounds in which every waiter passed the gate
    int roundsMeasured = 0;      // rounds in which every waiter was blocked when the gate opened
    std::optional<double> spreadP50Us, spreadMaxUs, wakeP50Us, wakeP99Us, firstWakeP50Us;

    void writeJson(QJsonObject &run) const override;
    std::vector<Figure> figures() const override;
    std::optional<VariantOutcome> outcome() const override;
    static std::shared_ptr<EventGateSummary> fromJson(const QJsonObject &run);
};

// W waiters block on one event, a starter sets it (rounds times, a fresh event each round):
// how fast does one set() reach every waiter? Threads share an in-process event, processes an
// event in shared memory (a process-shared pthread condition), CPython threading.Event and
// multiprocessing.Event. Task 0 is the starter, tasks 1..W the waiters: all must run at once.
class EventGateWorkload : public Workload {
public:
    static constexpr const char *kId = "event-gate";
    static constexpr int kMaxRounds = 200;

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
    RunSummaryPtr emptySummary() const override { return std::make_shared<EventGateSummary>(); }
    QString pythonScript() const override { return QStringLiteral("event_gate.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;
};

} // namespace lab
