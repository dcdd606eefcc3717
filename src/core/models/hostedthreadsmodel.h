#pragma once
#include "executionmodel.h"

namespace lab {

// The threads model inside a sacrificial child: one concurrency-lab-worker in --host mode
// (its own process group, PR_SET_PDEATHSIG) gets the spec and every task over its stdin, runs
// them on W threads (ThreadPoolModel) and reports each task as it finishes. What it shows is
// the failure model of threads: a crash in one task kills the host and every task it had not
// reported ("host-died", with the signal); a hung task can only be stopped by killing the
// whole host (past the spec's task deadline: "timed-out"). Tasks already reported are kept;
// the app survives. The host is never replaced. Cancel SIGKILLs the host's process group, and
// the host is reaped before run() returns.
class HostedThreadsModel : public ExecutionModel {
public:
    HostedThreadsModel();
    QString id() const override { return QStringLiteral("threads-hosted"); }
    void run(const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record) override;

    // Default: lab::siblingExecutable("concurrency-lab-worker"). Tests point it elsewhere.
    void setHostProgram(const QString &path) { m_program = path; }

private:
    QString m_program;
};

} // namespace lab
