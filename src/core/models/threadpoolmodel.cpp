#include "threadpoolmodel.h"

#include "util/sysinfo.h"
#include "workloads/taskexec.h"

#include <algorithm>
#include <mutex>
#include <thread>

namespace lab {

ThreadPoolModel::ThreadPoolModel(QString id, bool singleWorker) : m_id(std::move(id)), m_singleWorker(singleWorker) {}

std::unique_ptr<ExecHooks> ThreadPoolModel::makeHooks(int, RunContext &)
{
    return std::make_unique<ExecHooks>();
}

void ThreadPoolModel::beforeRun(RunContext &, int) {}
void ThreadPoolModel::afterRun(RunRecord &) {}

void ThreadPoolModel::run(const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record)
{
    const int workers = m_singleWorker ? 1 : std::max(1, ctx.workers);
    record.workers = workers;
    beforeRun(ctx, workers);

    std::vector<std::unique_ptr<ExecHooks>> hooks;
    for (int w = 0; w < workers; ++w)
        hooks.push_back(makeHooks(w, ctx));

    std::atomic<size_t> next{0};
    std::mutex resultsMutex;                 // guards results
    std::vector<TaskResult> results;
    results.reserve(tasks.size());
    std::vector<double> startLatencyUs(size_t(workers), 0.0);
    std::vector<double> cpuSeconds(size_t(workers), 0.0);

    auto body = [&](int w, double requested) {
        startLatencyUs[size_t(w)] = (monotonicSeconds() - requested) * 1e6;
        ExecHooks &h = *hooks[size_t(w)];
        h.attach();
        while (!ctx.cancel.load(std::memory_order_relaxed)) {
            const size_t i = next.fetch_add(1);
            if (i >= tasks.size())
                break;
            const TaskSpec &task = tasks[i];
            ctx.live.push({LiveEvent::TaskStarted, task.id, w, monotonicSeconds(), false, 0, currentCpu()});
            TaskResult r = executeTask(task, ctx.cancel, h, ctx.state);
            r.worker = w;
            r.start_s -= ctx.t0;
            r.end_s -= ctx.t0;
            ctx.live.push({LiveEvent::TaskFinished, task.id, w, ctx.t0 + r.end_s, r.ok, r.bytes, r.cpu_end});
            if (r.cancelled)
                break;  // an unfinished task is not a result
            taskFinished(r);
            std::lock_guard lock(resultsMutex);
            results.push_back(std::move(r));
        }
        h.detach();
        cpuSeconds[size_t(w)] = threadCpuSeconds();
    };

    const double phaseStart = monotonicSeconds();
    std::vector<std::thread> threads;
    threads.reserve(size_t(workers));
    for (int w = 0; w < workers; ++w)
        threads.emplace_back(body, w, monotonicSeconds());
    for (std::thread &t : threads)
        t.join();
    const double phase = monotonicSeconds() - phaseStart;

    std::sort(results.begin(), results.end(), [](const TaskResult &a, const TaskResult &b) { return a.id < b.id; });
    record.tasks = std::move(results);
    record.cpu_s = 0;
    for (double c : cpuSeconds)
        record.cpu_s += c;
    record.spawn_us_median = startLatencyUs.empty() ? -1 : median(startLatencyUs);
    record.spawnWhat = QStringLiteral("thread start to running");
    // Measured as for the process pool and CPython's pools: the task phase's wall time beyond
    // the computing spread over the workers, per task (thread start and joins included).
    double compute = 0;
    for (const TaskResult &r : record.tasks)
        compute += r.compute_s;
    record.dispatch_us_per_task =
        record.tasks.empty() ? -1.0 : std::max(0.0, phase - compute / double(workers)) / double(record.tasks.size()) * 1e6;
    afterRun(record);
}

} // namespace lab
