#include "taskexec.h"

#include "util/sysinfo.h"
#include "workload.h"

namespace lab {

TaskResult executeTask(const TaskSpec &task, const std::atomic<bool> &cancel, ExecHooks &hooks, WorkloadState *state)
{
    TaskResult r;
    r.id = task.id;
    r.cpu_start = currentCpu();
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
    // No per-task thread CPU clock: it is a system call (two per task doubled the in-process
    // models' bookkeeping) and nothing reads it for native tasks; runs take CPU from /proc
    // and the threads' clocks once per run.
    r.cpu_end = currentCpu();
    return r;
}

} // namespace lab
