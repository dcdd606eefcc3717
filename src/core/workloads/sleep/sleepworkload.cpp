#include "sleepworkload.h"

#include "util/sysinfo.h"

#include <QJsonArray>
#include <algorithm>
#include <chrono>
#include <thread>

namespace lab {

namespace {

const QString kTasks = QStringLiteral("tasks");
const QString kMs = QStringLiteral("ms");
constexpr double kSliceS = 0.02;  // a cancel is seen within this

// A sleep is verified when it lasted at least what was asked (the clock and the kernel only
// ever oversleep); the value is the measured sleep.
void judge(double askedMs, double sleptMs, TaskResult &r)
{
    r.value = QStringLiteral("%1 ms").arg(sleptMs, 0, 'f', 3);
    r.verified = sleptMs + 1e-3 >= askedMs;
    r.ok = r.verified;
    if (!r.ok)
        r.error = QStringLiteral("slept %1 ms of the %2 ms asked").arg(sleptMs, 0, 'f', 3).arg(askedMs, 0, 'f', 3);
}

} // namespace

QString SleepWorkload::label() const
{
    return QStringLiteral("Waiting only (sleep)");
}

QString SleepWorkload::description() const
{
    return QStringLiteral("Each task only waits (time.sleep): the purest I/O-bound work, no CPU and no network.");
}

std::vector<ParamInfo> SleepWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {kTasks, QStringLiteral("Tasks"), T::Int, 1, 100000, 20, {}, QStringLiteral("how many tasks wait")},
        {kMs, QStringLiteral("Wait"), T::Number, 0, 60000, 100, QStringLiteral("ms"),
         QStringLiteral("how long each task waits")},
    };
}

int SleepWorkload::defaultWorkers(const QJsonObject &params) const
{
    return std::clamp(params.value(kTasks).toInt(1), 1, 256);
}

QString SleepWorkload::autoWorkersText() const
{
    return QStringLiteral("auto (1 per task)");
}

std::vector<TaskSpec> SleepWorkload::makeTasks(const QJsonObject &params, WorkloadState *) const
{
    std::vector<TaskSpec> tasks(size_t(params.value(kTasks).toInt(1)));
    for (size_t i = 0; i < tasks.size(); ++i) {
        tasks[i].id = int(i);
        tasks[i].workload = id();
        tasks[i].params.insert(kMs, params.value(kMs).toDouble());
    }
    return tasks;
}

void SleepWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &r) const
{
    const double askedMs = task.real(QLatin1String("ms"));
    const double start = monotonicSeconds();
    const double end = start + askedMs / 1000.0;
    {
        BlockingSection blocking(env.hooks);
        for (double now = start; now < end; now = monotonicSeconds()) {
            if (env.cancel.load(std::memory_order_relaxed)) {
                r.cancelled = true;
                r.error = QStringLiteral("cancelled");
                r.errorCategory = QStringLiteral("cancelled");
                return;
            }
            std::this_thread::sleep_for(std::chrono::duration<double>(std::min(kSliceS, end - now)));
        }
    }
    judge(askedMs, (monotonicSeconds() - start) * 1000.0, r);
}

QJsonObject SleepWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &) const
{
    QJsonArray list;
    for (const TaskSpec &t : tasks)
        list.append(QJsonObject{{QStringLiteral("id"), t.id},
                                {kMs, t.real(QLatin1String("ms"))},
                                {QStringLiteral("estimate_s"), t.real(QLatin1String("ms")) / 1000.0}});
    return {{QStringLiteral("tasks"), list}};
}

void SleepWorkload::judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &r) const
{
    judge(task.real(QLatin1String("ms")), event.value(QStringLiteral("slept_ms")).toDouble(-1), r);
}

} // namespace lab
