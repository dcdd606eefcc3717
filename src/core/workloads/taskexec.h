#pragma once
#include "exechooks.h"
#include "task.h"

#include <atomic>

namespace lab {

// Runs one task in the calling thread: the same code for every model (sequential, threads,
// GIL threads, inside a worker process). Fills ok/verified/value/error/compute_s/cpu_*;
// start_s/end_s are absolute monotonic seconds (the model rebases them).
TaskResult executeTask(const TaskSpec &task, const std::atomic<bool> &cancel, ExecHooks &hooks);

} // namespace lab
