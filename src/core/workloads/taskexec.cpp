#include "taskexec.h"

#include "cpuwork.h"
#include "gil/convoywork.h"
#include "iowork.h"
#include "util/sysinfo.h"

namespace lab {

QString workloadKindName(WorkloadKind kind)
{
    switch (kind) {
    case WorkloadKind::Cpu:
        return QStringLiteral("cpu");
    case WorkloadKind::Io:
        return QStringLiteral("io");
    case WorkloadKind::Convoy:
        return QStringLiteral("convoy");
    }
    return QStringLiteral("unknown");
}

static void runCpu(const TaskSpec &task, const std::atomic<bool> &cancel, ExecHooks &hooks, TaskResult &r)
{
    const CpuOutcome out = computeSumSquares(task.n, task.repeat, cancel, hooks);
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
                      .arg(task.n)
                      .arg(r.value, toDecimal(sumSquaresClosedForm(task.n)));
}

TaskResult executeTask(const TaskSpec &task, const std::atomic<bool> &cancel, ExecHooks &hooks)
{
    TaskResult r;
    r.id = task.id;
    r.cpu_start = currentCpu();
    const double cpu0 = threadCpuSeconds();
    r.start_s = monotonicSeconds();
    switch (task.kind) {
    case WorkloadKind::Cpu:
        runCpu(task, cancel, hooks, r);
        break;
    case WorkloadKind::Io:
        runIoTask(task, cancel, hooks, r);
        break;
    case WorkloadKind::Convoy:
        runConvoyTask(task, cancel, hooks, r);
        break;
    }
    r.end_s = monotonicSeconds();
    r.compute_s = r.end_s - r.start_s;
    r.cpuTime_s = threadCpuSeconds() - cpu0;
    r.cpu_end = currentCpu();
    return r;
}

} // namespace lab
