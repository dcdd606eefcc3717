#pragma once
#include "workloads/workload.h"

#include <vector>

namespace lab {

// The seed's number cruncher: one task per n, each computing sum(i*i for i in range(n)) `repeat`
// times in 128-bit arithmetic, verified against the closed form (cpuwork.h).
class CpuWorkload : public Workload {
public:
    static constexpr const char *kId = "cpu";

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    QString validate(const QJsonObject &params) const override;
    double estimatedSequentialSeconds(const QJsonObject &params) const override;
    std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const override;
    qint64 taskCount(const QJsonObject &params) const override;
    QString checkTask(const TaskSpec &task) const override;
    void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const override;
    QString pythonScript() const override { return QStringLiteral("number_cruncher.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;

    // One task of this workload (tests, benches).
    static TaskSpec task(int id, quint64 n, int repeat = 1);
    // The task body: sum(i*i for i < n), `repeat` times, verified against the closed form (also
    // the healthy tasks of workloads that wrap the cruncher, such as fault-isolation).
    static void crunch(quint64 n, int repeat, TaskEnv &env, TaskResult &r);
    static std::vector<quint64> numbers(const QJsonObject &params);
};

} // namespace lab
