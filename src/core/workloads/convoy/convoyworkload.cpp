#include "convoyworkload.h"

#include "convoywork.h"
#include "experiment/runrecord.h"
#include "models/executionmodel.h"
#include "models/pythonmodel.h"
#include "workloads/cpu/cpuwork.h"

#include <QJsonDocument>

namespace lab {

namespace {

const QString kRoundTrips = QStringLiteral("round_trips");
const QString kCpuThreads = QStringLiteral("cpu_threads");
const QString kChunkN = QStringLiteral("chunk_n");
const QString kEchoUs = QStringLiteral("echo_us");

struct ConvoyState : WorkloadState {
    ConvoyBoard board;
};

QJsonValue opt(const std::optional<double> &v)
{
    return v ? QJsonValue(*v) : QJsonValue();
}

} // namespace

std::shared_ptr<ConvoySummary> ConvoySummary::fromTasks(const std::vector<TaskResult> &tasks)
{
    for (const TaskResult &t : tasks) {
        if (!t.ok || !t.value.startsWith(QLatin1Char('{')))
            continue;
        const QJsonObject v = QJsonDocument::fromJson(t.value.toUtf8()).object();
        if (!v.contains(QStringLiteral("beside")))
            continue;
        const QJsonObject beside = v.value(QStringLiteral("beside")).toObject();
        const QJsonObject alone = v.value(QStringLiteral("alone")).toObject();
        auto s = std::make_shared<ConvoySummary>();
        s->roundTrips = beside.value(QStringLiteral("n")).toInt();
        s->cpuThreads = beside.value(QStringLiteral("cpu_threads")).toInt();
        s->besideP50Us = optionalDouble(beside.value(QStringLiteral("p50_us")));
        s->besideP99Us = optionalDouble(beside.value(QStringLiteral("p99_us")));
        s->aloneP50Us = optionalDouble(alone.value(QStringLiteral("p50_us")));
        s->aloneP99Us = optionalDouble(alone.value(QStringLiteral("p99_us")));
        if (s->aloneP50Us && *s->aloneP50Us > 0 && s->besideP50Us)
            s->multiplierP50 = std::round(*s->besideP50Us / *s->aloneP50Us * 100) / 100;
        return s;
    }
    return {};
}

std::shared_ptr<ConvoySummary> ConvoySummary::fromJson(const QJsonObject &run)
{
    const QJsonValue cv = run.value(QStringLiteral("convoy"));
    if (!cv.isObject())
        return {};
    const QJsonObject c = cv.toObject();
    auto s = std::make_shared<ConvoySummary>();
    s->roundTrips = c.value(kRoundTrips).toInt();
    s->cpuThreads = c.value(kCpuThreads).toInt();
    s->besideP50Us = optionalDouble(c.value(QStringLiteral("beside_p50_us")));
    s->besideP99Us = optionalDouble(c.value(QStringLiteral("beside_p99_us")));
    s->aloneP50Us = optionalDouble(c.value(QStringLiteral("alone_p50_us")));
    s->aloneP99Us = optionalDouble(c.value(QStringLiteral("alone_p99_us")));
    s->multiplierP50 = optionalDouble(c.value(QStringLiteral("multiplier_p50")));
    return s;
}

void ConvoySummary::writeJson(QJsonObject &run) const
{
    QJsonObject o{{kRoundTrips, roundTrips},
                  {kCpuThreads, cpuThreads},
                  {QStringLiteral("beside_p50_us"), opt(besideP50Us)},
                  {QStringLiteral("beside_p99_us"), opt(besideP99Us)},
                  {QStringLiteral("alone_p50_us"), opt(aloneP50Us)},
                  {QStringLiteral("alone_p99_us"), opt(aloneP99Us)}};
    if (multiplierP50)
        o.insert(QStringLiteral("multiplier_p50"), *multiplierP50);
    run.insert(QStringLiteral("convoy"), o);
}

std::vector<Figure> ConvoySummary::figures() const
{
    auto ms = [](const std::optional<double> &us) { return us ? std::optional<double>(*us / 1000.0) : std::nullopt; };
    return {
        {QStringLiteral("latency_p50_ms"), QStringLiteral("p50 latency"), ms(besideP50Us), QStringLiteral("ms"), 2,
         QStringLiteral("median round trip of the I/O thread beside the CPU thread(s)")},
        {QStringLiteral("latency_p99_ms"), QStringLiteral("p99 latency"), ms(besideP99Us), QStringLiteral("ms"), 2, {}},
        {QStringLiteral("alone_p50_ms"), QStringLiteral("p50 alone"), ms(aloneP50Us), QStringLiteral("ms"), 3,
         QStringLiteral("median round trip with no CPU thread running")},
        {QStringLiteral("multiplier_p50"), QStringLiteral("slowdown"), multiplierP50, QStringLiteral("×"), 1,
         QStringLiteral("p50 beside the CPU thread(s) / p50 alone")},
    };
}

QString ConvoyWorkload::label() const
{
    return QStringLiteral("GIL convoy (I/O beside CPU)");
}

QString ConvoyWorkload::description() const
{
    return QStringLiteral("One thread makes short blocking round trips beside CPU-bound threads, then alone: under a "
                          "GIL every round trip waits for the switch interval.");
}

std::vector<ParamInfo> ConvoyWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {kRoundTrips, QStringLiteral("Round trips"), T::Int, 1, 1000000, 1000, {},
         QStringLiteral("blocking socketpair round trips of the I/O thread, beside the CPU threads and then alone")},
        {kCpuThreads, QStringLiteral("CPU threads"), T::Int, 0, 64, 1, {},
         QStringLiteral("threads summing squares while the I/O thread runs")},
        {kChunkN, QStringLiteral("CPU chunk n"), T::Int, 1, double(kCpuMaxN), 100000, {},
         QStringLiteral("the CPU threads sum squares in chunks of this n")},
        {kEchoUs, QStringLiteral("Echo time"), T::Int, 0, 1000000, 25, QStringLiteral("µs"),
         QStringLiteral("the echo peer's service time per message (a Python peer: ~20-30 µs)")},
    };
}

int ConvoyWorkload::defaultWorkers(const QJsonObject &params) const
{
    return 1 + params.value(kCpuThreads).toInt(1);
}

QString ConvoyWorkload::autoWorkersText() const
{
    return QStringLiteral("auto (1 + CPU threads)");
}

QString ConvoyWorkload::whyNotOn(const ModelInfo &model) const
{
    if (model.family == ModelFamily::ChildProcesses)
        return QStringLiteral("the convoy's threads must meet in one process, under one GIL");
    if (model.family == ModelFamily::CPython && model.fixedSingleWorker)
        return QStringLiteral("the convoy needs threads running at the same time");
    if (model.family == ModelFamily::CPython && model.id.endsWith(QLatin1String("processes")))
        return QStringLiteral("the convoy's threads must meet in one process, under one GIL");
    return Workload::whyNotOn(model);
}

std::unique_ptr<WorkloadState> ConvoyWorkload::setUp(const QJsonObject &, QString *) const
{
    return std::make_unique<ConvoyState>();
}

std::vector<TaskSpec> ConvoyWorkload::makeTasks(const QJsonObject &params, WorkloadState *) const
{
    const int cpuThreads = params.value(kCpuThreads).toInt(1);
    std::vector<TaskSpec> tasks;
    for (int i = 0; i <= cpuThreads; ++i) {
        TaskSpec t;
        t.id = i;
        t.workload = id();
        t.params.insert(kRoundTrips, i == 0 ? params.value(kRoundTrips).toInt(1000) : 0);
        t.params.insert(kCpuThreads, cpuThreads);
        t.params.insert(kChunkN, qint64(params.value(kChunkN).toDouble(100000)));
        t.params.insert(kEchoUs, params.value(kEchoUs).toInt(25));
        tasks.push_back(t);
    }
    return tasks;
}

void ConvoyWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const
{
    ConvoyTask t;
    t.roundTrips = int(task.integer(QLatin1String("round_trips")));
    t.cpuThreads = int(task.integer(QLatin1String("cpu_threads")));
    t.chunkN = quint64(task.integer(QLatin1String("chunk_n"), 100000));
    t.echoUs = int(task.integer(QLatin1String("echo_us"), 25));
    auto *state = dynamic_cast<ConvoyState *>(env.state);
    static ConvoyBoard processBoard;  // a task without a run's state (a worker process) meets here
    runConvoyTask(t, env.cancel, env.hooks, state ? state->board : processBoard, result);
}

RunSummaryPtr ConvoyWorkload::summarize(const RunRecord &run, WorkloadState *) const
{
    return ConvoySummary::fromTasks(run.tasks);
}

RunSummaryPtr ConvoyWorkload::summaryFromJson(const QJsonObject &run) const
{
    return ConvoySummary::fromJson(run);
}

QJsonObject ConvoyWorkload::pythonJob(const std::vector<TaskSpec> &, const QJsonObject &params) const
{
    // The estimate (for the model's deadline and time guard): each round trip beside the CPU
    // threads waits up to two switch intervals (estimate_switches, scaled by the model), alone
    // about the echo; the CPU threads stop at the end of a chunk.
    const double roundTrips = params.value(kRoundTrips).toDouble(1000);
    const double echoS = params.value(kEchoUs).toDouble(25) * 1e-6;
    const double chunkS = params.value(kChunkN).toDouble(100000) * PythonModel::secondsPerCpuIteration();
    return {{kRoundTrips, params.value(kRoundTrips)},
            {kCpuThreads, params.value(kCpuThreads)},
            {kChunkN, params.value(kChunkN)},
            {kEchoUs, params.value(kEchoUs)},
            {QStringLiteral("estimate_s"), roundTrips * (2 * echoS + 100e-6) + chunkS},
            {QStringLiteral("estimate_switches"), params.value(kCpuThreads).toInt(1) > 0 ? 2 * roundTrips : 0.0}};
}

void ConvoyWorkload::judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &r) const
{
    Workload::judgePython(task, event, r);
    r.bytes = qint64(event.value(QStringLiteral("bytes")).toDouble());
}

} // namespace lab
