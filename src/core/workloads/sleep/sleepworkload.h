#pragma once
#include "workloads/workload.h"

namespace lab {

// Tasks that only wait (time.sleep): the purest I/O-bound case. Waiting releases the GIL, so
// every model overlaps the waits; the work done is none, and the CPU figures show it.
class SleepWorkload : public Workload {
public:
    static constexpr const char *kId = "sleep";

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    int defaultWorkers(const QJsonObject &params) const override;
    QString autoWorkersText() const override;
    std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const override;
    qint64 taskCount(const QJsonObject &params) const override;
    double estimatedSequentialSeconds(const QJsonObject &params) const override;
    void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const override;
    QString pythonScript() const override { return QStringLiteral("sleeper.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;
};

} // namespace lab
