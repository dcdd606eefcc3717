#pragma once
#include "executionmodel.h"
#include "workloads/exechooks.h"

namespace lab {

// W native threads pulling task indices from one shared counter, like
// ThreadPoolExecutor.map. With W = 1 it is the sequential model (still off the GUI thread).
class ThreadPoolModel : public ExecutionModel {
public:
    explicit ThreadPoolModel(QString id, bool singleWorker = false);
    QString id() const override { return m_id; }
    void run(const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record) override;

protected:
    // Hooks for worker `index` (0..workers-1), created before the threads start.
    virtual std::unique_ptr<ExecHooks> makeHooks(int index, RunContext &ctx);
    virtual void beforeRun(RunContext &ctx, int workers);
    virtual void afterRun(RunRecord &record);
    // Each finished task as it finishes (times relative to ctx.t0), from the worker thread that
    // ran it; the hosted model's host streams them to its parent from here.
    virtual void taskFinished(const TaskResult &) {}

private:
    QString m_id;
    bool m_singleWorker;
};

} // namespace lab
