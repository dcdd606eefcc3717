#pragma once
#include "workloads/exechooks.h"
#include "workloads/task.h"

#include <atomic>

namespace lab {

class WorkloadState;

// Runs one task in the calling thread: the same code for every native model (sequential,
// threads, GIL threads, inside a worker process), dispatched to the task's workload. Fills
// ok/verified/value/error/compute_s/cpu_*; start_s/end_s are absolute monotonic seconds (the
// model rebases them). `state` is the run's shared workload state (null in a worker process).
TaskResult executeTask(const TaskSpec &task, const std::atomic<bool> &cancel, ExecHooks &hooks,
                       WorkloadState *state = nullptr);

} // namespace lab
