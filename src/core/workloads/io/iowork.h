#pragma once
#include "workloads/exechooks.h"
#include "workloads/task.h"

#include <atomic>
#include <vector>

namespace lab {

// One blocking HTTP(S) GET with libcurl, verified against the task's expected size/checksum
// and, for the local server's deterministic bodies, byte by byte. Blocking waits are bracketed
// by hooks.beginBlocking()/endBlocking() (GIL released); the body callback re-takes the GIL.
// A cancel stops the transfer within ~50 ms. Each calling thread keeps one libcurl handle and
// connection cache (reused across its requests, freed when the thread ends).
void runIoTask(const TaskSpec &task, const std::atomic<bool> &cancel, ExecHooks &hooks, TaskResult &result);

} // namespace lab
