#pragma once
#include "exechooks.h"
#include "task.h"

#include <QJsonObject>
#include <atomic>
#include <vector>

namespace lab {

// One blocking HTTP(S) GET with libcurl, verified against the task's expected size/checksum
// and, for the local server's deterministic bodies, byte by byte. Blocking waits are bracketed
// by hooks.beginBlocking()/endBlocking() (GIL released); the body callback re-takes the GIL.
// A cancel stops the transfer within ~50 ms. Each calling thread keeps one libcurl handle and
// connection cache (reused across its requests, freed when the thread ends).
void runIoTask(const TaskSpec &task, const std::atomic<bool> &cancel, ExecHooks &hooks, TaskResult &result);

// The I/O measurements of one run, added to RunRecord::extra: "io" (requests/s, MB/s, latency
// percentiles, bytes verified, client vs server CPU, failures by category) and "requests"
// (url, status, bytes, ok, error, start_s, end_s per request). serverCpuSeconds < 0: no local server.
void insertIoMeasurements(QJsonObject &extra, const std::vector<TaskResult> &tasks, double wallSeconds,
                          double clientCpuSeconds, double serverCpuSeconds);

} // namespace lab
