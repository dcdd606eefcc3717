#include "faultisolationworkload.h"

#include "experiment/runrecord.h"
#include "models/executionmodel.h"
#include "models/pythonmodel.h"
#include "workloads/cpu/cpuwork.h"
#include "workloads/cpu/cpuworkload.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <cstdlib>

#include <sys/prctl.h>
#include <sys/resource.h>

namespace lab {

namespace {

const QString kTasks = QStringLiteral("tasks");
const QString kFaultTask = QStringLiteral("fault_task");
const QString kFault = QStringLiteral("fault");
const QString kN = QStringLiteral("n");
const QString kNone = QStringLiteral("none");
const QString kSegfault = QStringLiteral("segfault");
const QString kAbort = QStringLiteral("abort");
const QString kHang = QStringLiteral("hang");
const QString kPoolMap = QStringLiteral("pool-map-segfault");
const QString kExecutor = QStringLiteral("executor-segfault");

bool cpythonPoolFault(const QString &fault)
{
    return fault == kPoolMap || fault == kExecutor;
}

// The run's parameters, for summarize(); also the mark of a task running in the app's own
// process (TaskEnv::state is set only there), where a fault is refused.
struct FaultState : WorkloadState {
    QString fault;
    int faultTask = -1;
    int tasks = 0;
};

// A volatile pointer to volatile: the compiler must load the pointer and must do the store
// (with a plain int* GCC drops the store as dead before the endless loop below).
volatile int *volatile g_nowhere = nullptr;
volatile quint64 g_spin = 0;

[[noreturn]] void fault(const QString &kind)
{
    // A crash on purpose leaves no core file behind (in the working directory, /tmp or a
    // crash collector).
    const rlimit none{0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    ::prctl(PR_SET_DUMPABLE, 0);
    if (kind == kSegfault) {
        *g_nowhere = 1;  // SIGSEGV
        std::abort();    // not reached
    }
    if (kind == kAbort)
        std::abort();
    // hang: spin for ever, honouring nothing (no checkpoint, no cancel).
    for (;;)
        g_spin = g_spin + 1;
}

QString plural(int n, const QString &one, const QString &many)
{
    return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? one : many);
}

} // namespace

QStringList FaultIsolationWorkload::faults()
{
    return {kNone, kSegfault, kAbort, kHang, kPoolMap, kExecutor};
}

QString FaultIsolationWorkload::label() const
{
    return QStringLiteral("Fault isolation (a crash in a thread vs in a process)");
}

QString FaultIsolationWorkload::description() const
{
    return QStringLiteral("Small CPU tasks, one of which crashes (null pointer, abort) or hangs: a process pool loses "
                          "that one task, threads sharing a process lose every unfinished task with it.");
}

std::vector<ParamInfo> FaultIsolationWorkload::params() const
{
    using T = ParamInfo::Type;
    return {
        {kTasks, QStringLiteral("Tasks"), T::Int, 1, 10000, 20, {}, QStringLiteral("how many tasks run")},
        {kFaultTask, QStringLiteral("Faulting task"), T::Int, 0, 9999, 3, {},
         QStringLiteral("the index of the task that faults (0 is the first)")},
        {kFault, QStringLiteral("Fault"), T::String, 0, 0, kNone, {},
         QStringLiteral("none, segfault (a null pointer read), abort, hang (an endless loop: only the task deadline "
                        "ends it), pool-map-segfault or executor-segfault (CPython's own pools); each variant "
                        "sets it")},
        {kN, QStringLiteral("Work per task n"), T::Int, 1, 100000000, 300000, {},
         QStringLiteral("each task computes sum(i*i for i in range(n)), checked against the closed form")},
    };
}

QString FaultIsolationWorkload::validate(const QJsonObject &params) const
{
    const QString f = params.value(kFault).toString();
    if (!faults().contains(f))
        return QStringLiteral("workload.fault = \"%1\" is not a fault (%2)").arg(f, faults().join(QStringLiteral(", ")));
    if (params.value(kFaultTask).toInt() >= params.value(kTasks).toInt())
        return QStringLiteral("workload.fault_task = %1 is not a task: there are %2 tasks (0..%3)")
            .arg(params.value(kFaultTask).toInt())
            .arg(params.value(kTasks).toInt())
            .arg(params.value(kTasks).toInt() - 1);
    return {};
}

double FaultIsolationWorkload::estimatedSequentialSeconds(const QJsonObject &params) const
{
    // The hang has no end of its own: the task deadline is its estimate, not counted here.
    return params.value(kTasks).toDouble() * params.value(kN).toDouble() * cpuSecondsPerIteration();
}

qint64 FaultIsolationWorkload::taskCount(const QJsonObject &params) const
{
    return params.value(kTasks).toInt();
}

QString FaultIsolationWorkload::whyNotOnVariant(const ModelInfo &model, const QJsonObject &params) const
{
    const QString why = whyNotOn(model);
    const QString f = params.value(kFault).toString();
    if (!why.isEmpty() || f == kNone)
        return why;
    if (cpythonPoolFault(f))
        return model.id == PythonModel::idFor(PythonModel::Mode::Processes)
                   ? QString()
                   : QStringLiteral("multiprocessing.Pool.map and ProcessPoolExecutor are CPython's own pools: "
                                    "python-processes only");
    if (model.family == ModelFamily::InProcess)
        return QStringLiteral("a %1 in a thread of the app's own process would take the app down with it; "
                              "threads-hosted runs the same threads in a sacrificial process")
            .arg(f == kHang ? QStringLiteral("hung task that nothing can stop") : f);
    return {};
}

std::vector<Variant> FaultIsolationWorkload::variants(const QJsonObject &) const
{
    const auto v = [](const QString &name, const QString &label) {
        return Variant{name, label, QJsonObject{{kFault, name}}};
    };
    return {v(kNone, QStringLiteral("No fault")),
            v(kSegfault, QStringLiteral("Segfault")),
            v(kAbort, QStringLiteral("abort()")),
            v(kHang, QStringLiteral("Hang")),
            v(kPoolMap, QStringLiteral("Pool.map, segfault")),
            v(kExecutor, QStringLiteral("ProcessPoolExecutor, segfault"))};
}

std::unique_ptr<WorkloadState> FaultIsolationWorkload::setUp(const QJsonObject &params, QString *) const
{
    auto s = std::make_unique<FaultState>();
    s->fault = params.value(kFault).toString();
    s->faultTask = params.value(kFaultTask).toInt();
    s->tasks = params.value(kTasks).toInt();
    return s;
}

std::vector<TaskSpec> FaultIsolationWorkload::makeTasks(const QJsonObject &params, WorkloadState *) const
{
    const int count = params.value(kTasks).toInt();
    const int faultTask = params.value(kFaultTask).toInt();
    const QString f = params.value(kFault).toString();
    std::vector<TaskSpec> tasks;
    tasks.reserve(size_t(count));
    for (int i = 0; i < count; ++i) {
        TaskSpec t;
        t.id = i;
        t.workload = id();
        t.params.insert(kN, params.value(kN).toInteger());
        // CPython's pool variants crash a pool worker the same way: a segfault.
        t.params.insert(kFault, i == faultTask && f != kNone ? (cpythonPoolFault(f) ? kSegfault : f) : kNone);
        tasks.push_back(std::move(t));
    }
    return tasks;
}

QString FaultIsolationWorkload::checkTask(const TaskSpec &task) const
{
    const QCborValue n = task.params.value(kN);
    if (!n.isInteger() || n.toInteger() < 1 || n.toInteger() > 100000000)
        return QStringLiteral("n must be an integer in 1..100000000");
    const QString f = task.params.value(kFault).toString();
    if (f != kNone && f != kSegfault && f != kAbort && f != kHang)
        return QStringLiteral("fault must be none, segfault, abort or hang");
    return {};
}

void FaultIsolationWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &r) const
{
    const QString f = task.params.value(kFault).toString();
    if (f != kNone) {
        if (env.state) {
            // In the app's own process (whyNotOnVariant keeps the Runner from it): refuse.
            r.error = QStringLiteral("task %1 would %2 the app's own process; it runs only in a worker or host process")
                          .arg(task.id)
                          .arg(f == kHang ? QStringLiteral("hang") : QStringLiteral("crash"));
            r.errorCategory = QStringLiteral("refused");
            return;
        }
        fault(f);
    }
    CpuWorkload::crunch(quint64(task.integer(QLatin1String("n"))), 1, env, r);
}

QJsonObject FaultIsolationWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const
{
    QJsonArray list;
    for (const TaskSpec &t : tasks) {
        const double n = double(t.integer(QLatin1String("n")));
        list.append(QJsonObject{{QStringLiteral("id"), t.id},
                                {kN, n},
                                {kFault, t.params.value(kFault).toString()},
                                {QStringLiteral("estimate_s"), n * PythonModel::secondsPerCpuIteration()}});
    }
    // "pool": which of CPython's pools runs the processes mode (the supervised one of every
    // other twin, multiprocessing.Pool.map, or ProcessPoolExecutor).
    const QString f = params.value(kFault).toString();
    return {{QStringLiteral("tasks"), list},
            {QStringLiteral("pool"), f == kPoolMap ? QStringLiteral("pool-map")
                                     : f == kExecutor ? QStringLiteral("executor")
                                                      : QStringLiteral("supervised")}};
}

void FaultIsolationWorkload::judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &r) const
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

RunSummaryPtr FaultIsolationWorkload::summarize(const RunRecord &run, WorkloadState *state) const
{
    const auto *st = dynamic_cast<const FaultState *>(state);
    if (!st)
        return {};
    auto s = std::make_shared<FaultSummary>();
    s->fault = st->fault;
    s->faultTask = st->faultTask;
    s->total = st->tasks;
    const TaskResult *faulted = nullptr;
    for (const TaskResult &t : run.tasks) {
        if (t.ok && t.verified)
            ++s->completed;
        else if (!t.cancelled)
            ++s->lost;
        if (t.id == st->faultTask)
            faulted = &t;
    }
    const bool faultLost = faulted && !faulted->ok;
    const bool accounted = s->completed + s->lost == s->total;
    // Why the faulting task was lost, in a word or a clause.
    if (faulted && !faulted->ok) {
        const QString &e = faulted->error;
        const QRegularExpressionMatch sig = QRegularExpression(QStringLiteral("\\bSIG[A-Z0-9]+")).match(e);
        if (e.contains(QLatin1String("Pool.map")) || e.contains(QLatin1String("BrokenProcessPool")))
            s->cause = e.section(QLatin1Char(';'), 0, 0).trimmed();
        else if (run.extra.value(QStringLiteral("host")).isObject())
            s->cause = run.extra.value(QStringLiteral("host")).toObject().value(QStringLiteral("ended")).toString();
        else if (faulted->errorCategory == QLatin1String("timed-out"))
            s->cause = QStringLiteral("killed at its deadline");
        else if (sig.hasMatch())
            s->cause = sig.captured(0);
        else
            s->cause = faulted->errorCategory.isEmpty() ? QStringLiteral("failed") : faulted->errorCategory.toString();
    }
    const bool pythonProcesses = run.model == PythonModel::idFor(PythonModel::Mode::Processes);
    const bool isolating = run.model == QLatin1String("processes") || (pythonProcesses && !cpythonPoolFault(s->fault));
    const QString head = QStringLiteral("%1 of %2 lost").arg(s->lost).arg(s->total);
    if (s->fault == kNone) {
        s->expected = QStringLiteral("all %1 complete").arg(s->total);
        s->ok = s->completed == s->total;
    } else if (isolating) {
        s->expected = QStringLiteral("only task %1 lost").arg(s->faultTask);
        s->ok = faultLost && s->lost == 1 && accounted;
    } else if (s->fault == kHang) {
        // Whatever runs it is killed at the deadline; what else goes depends on the model (the
        // host's other tasks had finished, a fresh interpreter runs the ones left).
        s->expected = QStringLiteral("task %1 lost at its deadline").arg(s->faultTask);
        s->ok = faultLost && accounted;
    } else if (s->fault == kPoolMap) {
        s->expected = QStringLiteral("every result lost: Pool.map returns all or nothing");
        s->ok = faultLost && s->lost == s->total;
    } else {
        s->expected = QStringLiteral("task %1 and every unfinished task lost").arg(s->faultTask);
        s->ok = faultLost && accounted;
    }
    if (s->lost == 0)
        s->words = QStringLiteral("all %1 completed").arg(s->total);
    else if ((isolating || s->fault == kHang) && s->lost == 1)
        s->words = QStringLiteral("%1: %2; the other %3 completed%4")
                       .arg(head, s->cause)
                       .arg(s->completed)
                       .arg(isolating && run.worker_restarts > 0 ? QStringLiteral(" in a replaced worker") : QString());
    else
        s->words = QStringLiteral("%1: %2; %3").arg(head, s->cause.isEmpty() ? QStringLiteral("failed") : s->cause,
                                                    s->completed > 0 ? QString(plural(s->completed, QStringLiteral("task"), QStringLiteral("tasks"))
                                                                               + QStringLiteral(" had completed before"))
                                                                     : QStringLiteral("none had completed"));
    return s;
}

RunSummaryPtr FaultIsolationWorkload::emptySummary() const
{
    return std::make_shared<FaultSummary>();
}

RunSummaryPtr FaultIsolationWorkload::summaryFromJson(const QJsonObject &run) const
{
    return FaultSummary::fromJson(run);
}

void FaultSummary::writeJson(QJsonObject &run) const
{
    run.insert(QStringLiteral("fault"), QJsonObject{{QStringLiteral("fault"), fault},
                                                    {QStringLiteral("fault_task"), faultTask},
                                                    {QStringLiteral("tasks"), total},
                                                    {QStringLiteral("completed"), completed},
                                                    {QStringLiteral("lost"), lost},
                                                    {QStringLiteral("cause"), cause.isEmpty() ? QJsonValue() : QJsonValue(cause)},
                                                    {QStringLiteral("expected"), expected},
                                                    {QStringLiteral("words"), words},
                                                    {QStringLiteral("ok"), ok}});
}

std::vector<Figure> FaultSummary::figures() const
{
    return {{QStringLiteral("tasks_completed"), QStringLiteral("completed"), double(completed), {}, 0,
             QStringLiteral("tasks that finished and were verified")},
            {QStringLiteral("tasks_lost"), QStringLiteral("lost"), double(lost), {}, 0,
             QStringLiteral("tasks the fault took with it (crashed with, killed with, or timed out)")}};
}

std::optional<VariantOutcome> FaultSummary::outcome() const
{
    VariantOutcome o;
    o.expected = expected;
    o.actual = QStringLiteral("%1 completed, %2 lost").arg(completed).arg(lost);
    o.ok = ok;
    o.words = words;
    return o;
}

std::shared_ptr<const FaultSummary> FaultSummary::fromJson(const QJsonObject &run)
{
    const QJsonValue v = run.value(QStringLiteral("fault"));
    if (!v.isObject())
        return {};
    const QJsonObject o = v.toObject();
    auto s = std::make_shared<FaultSummary>();
    s->fault = o.value(QStringLiteral("fault")).toString();
    s->faultTask = o.value(QStringLiteral("fault_task")).toInt(-1);
    s->total = o.value(QStringLiteral("tasks")).toInt();
    s->completed = o.value(QStringLiteral("completed")).toInt();
    s->lost = o.value(QStringLiteral("lost")).toInt();
    s->cause = o.value(QStringLiteral("cause")).toString();
    s->expected = o.value(QStringLiteral("expected")).toString();
    s->words = o.value(QStringLiteral("words")).toString();
    s->ok = o.value(QStringLiteral("ok")).toBool();
    return s;
}

} // namespace lab
