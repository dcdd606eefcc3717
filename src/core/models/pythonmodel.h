#pragma once
#include "executionmodel.h"

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

private:
    Mode m_mode;
};

} // namespace lab
