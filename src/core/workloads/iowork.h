#pragma once
#include "exechooks.h"
#include "task.h"

#include <atomic>

namespace lab {

// One blocking HTTP(S) GET with libcurl, verified against the task's expected size/checksum.
// Blocking waits are bracketed by hooks.beginBlocking()/endBlocking() (GIL released).
void runIoTask(const TaskSpec &task, const std::atomic<bool> &cancel, ExecHooks &hooks, TaskResult &result);

} // namespace lab
