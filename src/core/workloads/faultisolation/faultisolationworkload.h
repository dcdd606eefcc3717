#pragma once
#include "workloads/workload.h"

namespace lab {

// A crash in a thread vs in a process (issue 11): N small CPU tasks (the seed's sum of squares,
// verified), one of which, fault_task, faults: a real null dereference (SIGSEGV), abort()
// (SIGABRT) or an endless loop that honours nothing (only a deadline ends it). The question is
// what else a fault takes with it: one task in a process pool (its worker dies and is
// replaced), every unfinished task in threads sharing one process (threads-hosted, CPython's
// threads), and CPython's own pools (Pool.map waits for ever, ProcessPoolExecutor breaks).
// A faulting variant never runs in the app's own process (whyNotOnVariant).
class FaultIsolationWorkload : public Workload {
public:
    static constexpr const char *kId = "fault-isolation";

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    QString validate(const QJsonObject &params) const override;
    double estimatedSequentialSeconds(const QJsonObject &params) const override;
    qint64 taskCount(const QJsonObject &params) const override;
    QString whyNotOnVariant(const ModelInfo &model, const QJsonObject &variantParams) const override;
    std::vector<Variant> variants(const QJsonObject &params) const override;
    std::unique_ptr<WorkloadState> setUp(const QJsonObject &params, QString *error) const override;
    std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const override;
    QString checkTask(const TaskSpec &task) const override;
    void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const override;
    RunSummaryPtr summarize(const RunRecord &run, WorkloadState *state) const override;
    RunSummaryPtr summaryFromJson(const QJsonObject &run) const override;
    RunSummaryPtr emptySummary() const override;
    QString pythonScript() const override { return QStringLiteral("fault_isolation.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;

    // The faults, as the "fault" parameter and the variant names spell them.
    static QStringList faults();
};

// How one run came out: what the fault took with it (JSON key "fault").
struct FaultSummary : RunSummary {
    QString fault;           // "none", "segfault", ...
    int faultTask = -1;
    int total = 0;
    int completed = 0;       // ok and verified
    int lost = 0;            // failed (crashed with, killed with, timed out)
    QString cause;           // "SIGSEGV", "timed out", ...
    QString expected;
    QString words;
    bool ok = false;

    void writeJson(QJsonObject &run) const override;
    std::vector<Figure> figures() const override;
    std::optional<VariantOutcome> outcome() const override;
    static std::shared_ptr<const FaultSummary> fromJson(const QJsonObject &run);
};

} // namespace lab
