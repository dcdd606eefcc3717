#include "iowork.h"

namespace lab {

// Placeholder until the I/O workload lands: refuses clearly instead of pretending.
void runIoTask(const TaskSpec &task, const std::atomic<bool> &, ExecHooks &, TaskResult &result)
{
    result.ok = false;
    result.error = QStringLiteral("I/O workload not available in this build (%1)").arg(task.url);
    result.errorCategory = QStringLiteral("unsupported");
}

} // namespace lab
