#include "taskexec.h"

#include "util/sysinfo.h"
#include "workload.h"

namespace lab {

TaskResult executeTask(const TaskSpec &task, const std::atomic<bool> &cancel, ExecHooks &hooks, WorkloadState *state)
{
    TaskResult r;
    r.id = task.id;
    r.cpu_start = currentCpu();
    const double cpu0 = threadCpuSeconds();
    r.start_s = monotonicSeconds();
    if (const Workload *w = findWorkload(task.workload)) {
        TaskEnv env{cancel, hooks, state};
        w->execute(task, env, r);
    } else {
        r.error = QStringLiteral("unknown workload \"%1\"").arg(task.workload);
        r.errorCategory = QStringLiteral("unknown-workload");
    }
    r.end_s = monotonicSeconds();
    r.compute_s = r.end_s - r.start_s;
    r.cpuTime_s = threadCpuSeconds() - cpu0;
    r.cpu_end = currentCpu();
    return r;
}

} // namespace lab
