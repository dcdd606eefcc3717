#include "cpuworkload.h"

#include "cpuwork.h"
#include "models/pythonmodel.h"

#include <QJsonArray>

namespace lab {

namespace {
constexpr double kMaxSequentialSeconds = 3600.0;
const QString kN = QStringLiteral("n");
const QString kRepeat = QStringLiteral("repeat");
} // namespace

QString CpuWorkload::label() const
{
    return QStringLiteral("CPU-bound (number crunching)");
}

QString CpuWorkload::description() const
{
    return QStringLiteral("The seed's number cruncher: each task computes sum(i*i for i in range(n)), checked "
                          "against the closed form.");
}

std::vector<ParamInfo> CpuWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {QStringLiteral("numbers"), QStringLiteral("Numbers n"), T::IntList, 0, double(kCpuMaxN),
         QJsonObject{{QStringLiteral("start"), 5000000}, {QStringLiteral("count"), 20}}, {},
         QStringLiteral("one task per n; a list (5000000, 5000001) or a range start..end (the seed: "
                        "5000000..5000019)")},
        {kRepeat, QStringLiteral("Repeat"), T::Int, 1, 1000000, 1, QStringLiteral("×"),
         QStringLiteral("each task computes its sum this many times (stretches the fast C++ loop; CPython runs "
                        "each task once)")},
    };
}

std::vector<quint64> CpuWorkload::numbers(const QJsonObject &params)
{
    std::vector<quint64> out;
    const QJsonArray a = params.value(QStringLiteral("numbers")).toArray();
    out.reserve(size_t(a.size()));
    for (const QJsonValue &v : a)
        out.push_back(quint64(v.toDouble()));
    return out;
}

QString CpuWorkload::validate(const QJsonObject &params) const
{
    const double est = estimatedSequentialSeconds(params);
    if (est > kMaxSequentialSeconds)
        return QStringLiteral("this workload would take about %1 hours sequentially; the limit is 1 hour "
                              "(lower n, the number of tasks or repeat)")
            .arg(est / 3600.0, 0, 'f', 1);
    return {};
}

double CpuWorkload::estimatedSequentialSeconds(const QJsonObject &params) const
{
    double iterations = 0;
    for (quint64 n : numbers(params))
        iterations += double(n);
    return iterations * params.value(kRepeat).toDouble(1) * cpuSecondsPerIteration();
}

TaskSpec CpuWorkload::task(int id, quint64 n, int repeat)
{
    TaskSpec t;
    t.id = id;
    t.workload = QString::fromLatin1(kId);
    t.params.insert(kN, qint64(n));
    t.params.insert(kRepeat, repeat);
    return t;
}

std::vector<TaskSpec> CpuWorkload::makeTasks(const QJsonObject &params, WorkloadState *) const
{
    const int repeat = params.value(kRepeat).toInt(1);
    std::vector<TaskSpec> tasks;
    for (quint64 n : numbers(params))
        tasks.push_back(task(int(tasks.size()), n, repeat));
    return tasks;
}

qint64 CpuWorkload::taskCount(const QJsonObject &params) const
{
    return params.value(QStringLiteral("numbers")).toArray().size();
}

QString CpuWorkload::checkTask(const TaskSpec &task) const
{
    const QCborValue n = task.params.value(kN);
    const QCborValue repeat = task.params.value(kRepeat);
    if (!n.isInteger() || n.toInteger() < 0 || quint64(n.toInteger()) > kCpuMaxN)
        return QStringLiteral("n must be an integer in 0..2^40");
    if (!repeat.isInteger() || repeat.toInteger() < 1 || repeat.toInteger() > 1000000)
        return QStringLiteral("repeat must be an integer in 1..1000000");
    return {};
}

void CpuWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &r) const
{
    crunch(quint64(task.integer(QLatin1String("n"))), int(task.integer(QLatin1String("repeat"), 1)), env, r);
}

void CpuWorkload::crunch(quint64 n, int repeat, TaskEnv &env, TaskResult &r)
{
    const CpuOutcome out = computeSumSquares(n, repeat, env.cancel, env.hooks);
    if (!out.completed) {
        r.cancelled = true;
        r.error = QStringLiteral("cancelled");
        r.errorCategory = QStringLiteral("cancelled");
        return;
    }
    r.value = toDecimal(out.value);
    r.verified = out.verified;
    r.ok = out.verified;
    if (!out.verified)
        r.error = QStringLiteral("sum of squares for n=%1 is %2, closed form says %3")
                      .arg(n)
                      .arg(r.value, toDecimal(sumSquaresClosedForm(n)));
}

QJsonObject CpuWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &) const
{
    QJsonArray list;
    for (const TaskSpec &t : tasks)
    {
        // estimate_s: what CPython needs for this n, from which the model derives its deadline.
        const double n = double(t.integer(QLatin1String("n")));
        list.append(QJsonObject{{QStringLiteral("id"), t.id},
                                {kN, n},
                                {QStringLiteral("estimate_s"), n * PythonModel::secondsPerCpuIteration()}});
    }
    return {{QStringLiteral("tasks"), list}};
}

void CpuWorkload::judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &r) const
{
    const quint64 n = quint64(task.integer(QLatin1String("n")));
    r.value = event.value(QStringLiteral("value")).toString();
    const QString expected = toDecimal(sumSquaresClosedForm(n));
    r.verified = r.value == expected;
    r.ok = r.verified;
    if (!r.ok)
        r.error = QStringLiteral("CPython says sum of squares for n=%1 is %2, closed form says %3")
                      .arg(n)
                      .arg(r.value, expected);
}

} // namespace lab
