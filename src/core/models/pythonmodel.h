#pragma once
#include "executionmodel.h"

#include <optional>

namespace lab {

// Real CPython beside the emulation: runs each workload's Python twin (workloads/<name>/*.py) (the seed's number cruncher,
// its web scraper, the GIL convoy) with a python3 child process in sequential, threads or
// processes form, with the spec's numbers, task list, worker count and switch interval, and
// turns the script's JSON event lines into TaskResults verified like the native models'.
// CPython is ~100x slower than the C++ loop, so CPU tasks run once each: the spec's `repeat`
// is ignored (see note()). Interpreter: $LAB_PYTHON, else python3 on PATH.
class PythonModel : public ExecutionModel {
public:
    enum class Mode { Sequential, Threads, Processes };
    explicit PythonModel(Mode mode);
    QString id() const override;
    void run(const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record) override;

    static QString idFor(Mode mode);
    static QString interpreter();        // absolute path, empty when none is usable
    static QString unavailableReason();  // empty when interpreter() is usable
    static QString note();

    // CPython's seconds per iteration of the cpu workload's loop: the C++ loop's rate (measured
    // once per process) times kCpythonSlowdown (measured on this project's machines: 0.6 ns
    // against 40-70 ns per iteration; /work/shared/reference/measured-here.md).
    static constexpr double kCpythonSlowdown = 100;
    static double secondsPerCpuIteration();
    // How long the python-sequential model would take for the spec, from the workload's
    // estimates in its pythonJob(); 0 when unknown (I/O, waits).
    static double estimatedSequentialSeconds(const ExperimentSpec &spec);
    // Empty, or the one line why the spec's CPython models would run past the one-hour limit.
    static QString timeGuard(const ExperimentSpec &spec);
    // A task's deadline: the spec's task_timeout_s when set, else kDeadlineFactor x its estimate
    // (at least kMinDeadlineS); a task that misses it is killed and reported timed-out.
    static constexpr double kDeadlineFactor = 20;
    static constexpr double kMinDeadlineS = 10;
    static double taskDeadlineSeconds(double estimateSeconds, const ExperimentSpec &spec);
    static std::optional<double> taskTimeoutOverride(const ExperimentSpec &spec);

private:
    Mode m_mode;
};

} // namespace lab
