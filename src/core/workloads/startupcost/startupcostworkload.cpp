#include "startupcostworkload.h"

#include "startupwork.h"
#include "experiment/runrecord.h"
#include "models/executionmodel.h"
#include "util/sysinfo.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <numeric>

namespace lab {

namespace {

const QString kThreads = QStringLiteral("threads");
const QString kProcesses = QStringLiteral("processes");
const QString kMechanism = QStringLiteral("mechanism");  // set by the variants
const QString kCount = QStringLiteral("count");

struct MechanismInfo {
    const char *name;
    const char *label;
    const char *what;        // "create and join a thread"
    bool native;
    bool cpython;
    double nativeUs;         // a generous cost per start (a busy 2-core box), for the time guard and deadlines
    double cpythonUs;
};

constexpr MechanismInfo kMechanisms[] = {
    {"thread", "Thread", "create and join a thread", true, true, 50, 200},
    {"fork", "fork()", "fork a child that exits at once, and reap it", true, true, 1000, 2000},
    {"posix-spawn", "posix_spawn()", "spawn /bin/true and reap it", true, true, 1500, 2000},
    {"qprocess", "QProcess", "run /bin/true with QProcess and wait for it", true, false, 3000, 0},
    {"mp-fork", "multiprocessing fork", "start and join a multiprocessing.Process (fork)", false, true, 0, 30000},
    {"mp-spawn", "multiprocessing spawn", "start and join a multiprocessing.Process (spawn: a fresh python3)", false,
     true, 0, 300000},
    {"mp-forkserver", "multiprocessing forkserver", "start and join a multiprocessing.Process (forkserver)", false,
     true, 0, 100000},
};

const MechanismInfo *mechanismInfo(const QString &name)
{
    for (const MechanismInfo &m : kMechanisms)
        if (name == QLatin1String(m.name))
            return &m;
    return nullptr;
}

int countFor(const QJsonObject &params, const QString &mechanism)
{
    return mechanism == QLatin1String("thread") ? params.value(kThreads).toInt(1000)
                                                : params.value(kProcesses).toInt(100);
}

QJsonValue opt(const std::optional<double> &v)
{
    return v ? roundedJson(*v, 2) : QJsonValue();
}

// The value both sides' tasks carry: the statistics of the samples.
QString statsValue(const QString &mechanism, int asked, int completed, std::vector<double> us)
{
    QJsonObject o{{kMechanism, mechanism}, {QStringLiteral("asked"), asked}, {QStringLiteral("completed"), completed},
                  {kCount, int(us.size())}};
    if (!us.empty()) {
        o.insert(QStringLiteral("median_us"), roundedJson(median(us), 2));
        o.insert(QStringLiteral("p99_us"), roundedJson(percentile(us, 99), 2));
        o.insert(QStringLiteral("mean_us"), roundedJson(std::accumulate(us.begin(), us.end(), 0.0) / double(us.size()), 2));
        o.insert(QStringLiteral("max_us"), roundedJson(*std::max_element(us.begin(), us.end()), 2));
    }
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

} // namespace

QString StartupCostWorkload::label() const
{
    return QStringLiteral("Start-up cost (threads vs processes)");
}

QString StartupCostWorkload::description() const
{
    return QStringLiteral("Creates and joins threads, starts and reaps processes (fork, posix_spawn, QProcess; "
                          "CPython's start methods) one after another: what it costs to get a worker at all.");
}

std::vector<ParamInfo> StartupCostWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {kThreads, QStringLiteral("Threads"), T::Int, 1, 100000, 1000, {},
         QStringLiteral("threads created and joined, one after another")},
        {kProcesses, QStringLiteral("Processes"), T::Int, 1, 10000, 100, {},
         QStringLiteral("processes started and reaped per process variant, one after another")},
    };
}

double StartupCostWorkload::estimatedSequentialSeconds(const QJsonObject &params) const
{
    const MechanismInfo *m = mechanismInfo(params.value(kMechanism).toString());
    if (!m || !m->native)
        return 0;
    return countFor(params, QString::fromLatin1(m->name)) * m->nativeUs / 1e6;
}

QString StartupCostWorkload::whyNotOn(const ModelInfo &model) const
{
    if (model.id != QLatin1String("sequential") && model.id != QLatin1String("python-sequential"))
        return QStringLiteral("each variant times its starts one after another in one task: it runs on sequential "
                              "(C++) and python-sequential (CPython)");
    return Workload::whyNotOn(model);
}

QString StartupCostWorkload::whyNotOnVariant(const ModelInfo &model, const QJsonObject &variantParams) const
{
    const MechanismInfo *m = mechanismInfo(variantParams.value(kMechanism).toString());
    const bool cpython = model.family == ModelFamily::CPython;
    if (m && cpython && !m->cpython)
        return QStringLiteral("QProcess is the app's Qt class; CPython's closest is posix-spawn");
    if (m && !cpython && !m->native)
        return QStringLiteral("multiprocessing's start methods are CPython's");
    return whyNotOn(model);
}

std::vector<Variant> StartupCostWorkload::variants(const QJsonObject &) const
{
    std::vector<Variant> out;
    for (const MechanismInfo &m : kMechanisms)
        out.push_back({QString::fromLatin1(m.name), QString::fromUtf8(m.label),
                       QJsonObject{{kMechanism, QString::fromLatin1(m.name)}}});
    return out;
}

std::vector<TaskSpec> StartupCostWorkload::makeTasks(const QJsonObject &params, WorkloadState *) const
{
    const QString mechanism = params.value(kMechanism).toString(QStringLiteral("thread"));
    TaskSpec t;
    t.id = 0;
    t.workload = id();
    t.params.insert(kMechanism, mechanism);
    t.params.insert(kCount, countFor(params, mechanism));
    return {t};
}

QString StartupCostWorkload::checkTask(const TaskSpec &task) const
{
    if (!mechanismInfo(task.string(QLatin1String("mechanism"))))
        return QStringLiteral("mechanism \"%1\" is unknown").arg(task.string(QLatin1String("mechanism")));
    if (task.integer(QLatin1String("count")) < 1)
        return QStringLiteral("count must be at least 1");
    return {};
}

void StartupCostWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const
{
    const QString name = task.string(QLatin1String("mechanism"));
    const std::optional<StartupMechanism> mechanism = startupMechanismFromName(name);
    if (!mechanism) {
        result.ok = false;
        result.error = QStringLiteral("%1 runs only in CPython").arg(name);
        return;
    }
    const int count = int(task.integer(QLatin1String("count"), 1));
    StartupMeasurement m;
    {
        BlockingSection blocking(env.hooks);
        m = measureStartup(*mechanism, count, env.cancel);
    }
    result.cancelled = m.cancelled;
    result.verified = m.ok;
    result.ok = m.ok;
    result.value = statsValue(name, count, m.completed, m.us);
    if (!m.ok)
        result.error = m.error;
}

std::shared_ptr<StartupCostSummary> StartupCostSummary::fromTask(const TaskResult &task, const QString &mechanism)
{
    auto s = std::make_shared<StartupCostSummary>();
    const QJsonObject v = QJsonDocument::fromJson(task.value.toUtf8()).object();
    s->mechanism = v.value(kMechanism).toString(mechanism);
    s->asked = v.value(QStringLiteral("asked")).toInt();
    s->count = v.value(QStringLiteral("completed")).toInt();
    s->verified = task.ok && task.verified;
    s->error = task.error;
    if (s->verified) {
        s->medianUs = optionalDouble(v.value(QStringLiteral("median_us")));
        s->p99Us = optionalDouble(v.value(QStringLiteral("p99_us")));
        s->meanUs = optionalDouble(v.value(QStringLiteral("mean_us")));
        s->maxUs = optionalDouble(v.value(QStringLiteral("max_us")));
    }
    return s;
}

std::shared_ptr<StartupCostSummary> StartupCostSummary::fromJson(const QJsonObject &run)
{
    const QJsonValue v = run.value(QStringLiteral("startup_cost"));
    if (!v.isObject())
        return {};
    const QJsonObject o = v.toObject();
    auto s = std::make_shared<StartupCostSummary>();
    s->mechanism = o.value(kMechanism).toString();
    s->asked = o.value(QStringLiteral("asked")).toInt();
    s->count = o.value(kCount).toInt();
    s->medianUs = optionalDouble(o.value(QStringLiteral("median_us")));
    s->p99Us = optionalDouble(o.value(QStringLiteral("p99_us")));
    s->meanUs = optionalDouble(o.value(QStringLiteral("mean_us")));
    s->maxUs = optionalDouble(o.value(QStringLiteral("max_us")));
    s->verified = o.value(QStringLiteral("verified")).toBool();
    s->error = o.value(QStringLiteral("error")).toString();
    return s;
}

void StartupCostSummary::writeJson(QJsonObject &run) const
{
    QJsonObject o{{kMechanism, mechanism},         {QStringLiteral("asked"), asked},
                  {kCount, count},                 {QStringLiteral("median_us"), opt(medianUs)},
                  {QStringLiteral("p99_us"), opt(p99Us)}, {QStringLiteral("mean_us"), opt(meanUs)},
                  {QStringLiteral("max_us"), opt(maxUs)}, {QStringLiteral("verified"), verified}};
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    run.insert(QStringLiteral("startup_cost"), o);
}

std::vector<Figure> StartupCostSummary::figures() const
{
    return {
        {kCount, QStringLiteral("starts"), count > 0 ? std::optional<double>(count) : std::nullopt, {}, 0,
         QStringLiteral("starts completed and verified (joined, or reaped with exit code 0)")},
        {QStringLiteral("median_us"), QStringLiteral("median start"), medianUs, QStringLiteral("µs"), 1,
         QStringLiteral("median time from the creating call to the join or reap")},
        {QStringLiteral("p99_us"), QStringLiteral("p99 start"), p99Us, QStringLiteral("µs"), 1, {}},
    };
}

std::optional<VariantOutcome> StartupCostSummary::outcome() const
{
    const MechanismInfo *m = mechanismInfo(mechanism);
    const bool thread = mechanism == QLatin1String("thread");
    VariantOutcome o;
    o.expected = QStringLiteral("%1 %2").arg(asked).arg(thread ? QStringLiteral("joined") : QStringLiteral("reaped, exit code 0"));
    o.actual = QStringLiteral("%1 %2").arg(count).arg(thread ? QStringLiteral("joined") : QStringLiteral("reaped, exit code 0"));
    o.ok = verified;
    if (!verified) {
        o.words = error.isEmpty() ? QStringLiteral("the starts could not be verified") : error;
        return o;
    }
    o.usPerOp = medianUs;
    o.words = QStringLiteral("%1 µs median, %2 µs p99 to %3 (%4 times)")
                  .arg(medianUs.value_or(0), 0, 'f', 1)
                  .arg(p99Us.value_or(0), 0, 'f', 1)
                  .arg(m ? QString::fromLatin1(m->what) : mechanism)
                  .arg(count);
    return o;
}

RunSummaryPtr StartupCostWorkload::summarize(const RunRecord &run, WorkloadState *) const
{
    if (run.tasks.empty())
        return {};
    return StartupCostSummary::fromTask(run.tasks.front(), run.variant);
}

RunSummaryPtr StartupCostWorkload::summaryFromJson(const QJsonObject &run) const
{
    return StartupCostSummary::fromJson(run);
}

QJsonObject StartupCostWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &) const
{
    QJsonArray list;
    for (const TaskSpec &t : tasks) {
        const QString name = t.string(QLatin1String("mechanism"));
        const MechanismInfo *m = mechanismInfo(name);
        const double count = double(t.integer(QLatin1String("count")));
        list.append(QJsonObject{{QStringLiteral("id"), t.id},
                                {kMechanism, name},
                                {kCount, count},
                                {QStringLiteral("program"), QString::fromLatin1(startupProgram())},
                                {QStringLiteral("estimate_s"), 0.5 + count * (m ? m->cpythonUs : 10000) / 1e6}});
    }
    return {{QStringLiteral("tasks"), list}};
}

void StartupCostWorkload::judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &r) const
{
    const QString name = task.string(QLatin1String("mechanism"));
    const int asked = int(task.integer(QLatin1String("count")));
    std::vector<double> us;
    for (const QJsonValue &v : event.value(QStringLiteral("us")).toArray())
        if (v.isDouble() && v.toDouble() >= 0)
            us.push_back(v.toDouble());
    const int completed = event.value(QStringLiteral("completed")).toInt(-1);
    r.value = statsValue(name, asked, completed, us);
    r.verified = event.value(QStringLiteral("verified")).toBool() && completed == asked && int(us.size()) == asked;
    r.ok = r.verified;
    if (!r.ok)
        r.error = event.value(QStringLiteral("error")).toString(
            QStringLiteral("CPython completed %1 of %2 starts").arg(completed).arg(asked));
}

} // namespace lab
