#pragma once
#include "executionmodel.h"

namespace lab {

// W concurrency-lab-worker child processes fed chunks of tasks over their stdin/stdout, as
// multiprocessing.Pool.map does: spec.chunkSize tasks per message (0: ceil(tasks / (4 x W))),
// several in flight per worker while tasks are short, each task timed on its own in the
// worker. The workers are forks of one worker started per run in --fork-server mode (as
// CPython's Pool forks its workers on Linux): one exec and dynamic link per run, not per
// worker. As Pool.map runs after Pool() returns, no task is sent before every worker has
// said hello (or 2 s have passed). run() blocks the calling thread and spins a local QEventLoop there, so the process
// objects live and die in that thread; a QCoreApplication must exist. A worker that dies
// mid-task is replaced, the task it was running re-run once and the rest of its tasks re-queued
// (when it held several, which one it was running is unknown: each re-runs alone, so a crash
// is pinned on the task that causes it and every other task completes);
// one that sends nothing for a task's deadline (spec.taskTimeout_s, else derived from the
// estimate) is SIGKILLed and replaced and that task reported "timed-out". Cancel escalates
// from a cancel frame + stdin EOF to SIGTERM and, after 1 s, SIGKILL, and every child is reaped
// before run() returns.
class ProcessPoolModel : public ExecutionModel {
public:
    ProcessPoolModel();
    QString id() const override { return QStringLiteral("processes"); }
    void run(const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record) override;

    // Default: lab::siblingExecutable("concurrency-lab-worker"). Tests point it elsewhere.
    void setWorkerProgram(const QString &path) { m_program = path; }
    QString workerProgram() const { return m_program; }

    static QString workerName() { return QStringLiteral("concurrency-lab-worker"); }

private:
    QString m_program;
};

// Starts one worker, waits for its handshake, says bye and reaps it. Returns the time from
// QProcess::start() to the hello frame in seconds, or -1 with a reason in *error.
double measureWorkerSpawnSeconds(const QString &program, QString *error, int timeoutMs = 10000);

} // namespace lab
