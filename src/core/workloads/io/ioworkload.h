#pragma once
#include "workloads/workload.h"

#include <QJsonArray>
#include <map>
#include <optional>

namespace lab {

// The I/O measurements of one run: keys "io" (requests/s, MB/s, latency percentiles, bytes
// verified, client vs server CPU, failures by category), "requests" (one entry per request)
// and "server_cpu_s" (the local server's CPU during the run; absent without one).
struct IoSummary : RunSummary {
    int requests = 0;
    int requestsOk = 0;
    int requestsVerified = 0;
    std::optional<double> requestsPerS;
    std::optional<double> mbPerS;
    double bytes = 0;
    double bytesVerified = 0;
    std::optional<double> latencyP50Ms, latencyP95Ms, latencyP99Ms, ttfbP50Ms;
    std::optional<double> clientCpuS;
    std::optional<double> serverCpuS;
    std::map<QString, int> failuresByCategory;
    QJsonArray failed;        // {id, url, category, error} per failed request
    QJsonArray requestList;   // {id, url, status, bytes, ok, verified, checksum, ttfb_s, total_s, start_s, end_s}

    static IoSummary compute(const std::vector<TaskResult> &tasks, double wallSeconds, double clientCpuSeconds,
                             double serverCpuSeconds);
    static std::shared_ptr<IoSummary> fromJson(const QJsonObject &run);
    void writeJson(QJsonObject &run) const override;
    std::vector<Figure> figures() const override;
};

// The seed's web scraper: one blocking HTTP(S) GET per task with libcurl, every body checked
// (size, checksum, byte by byte for the local server's deterministic bodies). "{server}" in a URL
// is the project's own server on 127.0.0.1, started for each run (its CPU shows apart).
class IoWorkload : public Workload {
public:
    static constexpr const char *kId = "io";

    QString id() const override { return QString::fromLatin1(kId); }
    QString label() const override;
    QString description() const override;
    std::vector<ParamInfo> params() const override;
    int defaultWorkers(const QJsonObject &params) const override;
    QString autoWorkersText() const override;
    QString whyNotOn(const ModelInfo &model) const override;
    std::unique_ptr<WorkloadState> setUp(const QJsonObject &params, QString *error) const override;
    std::vector<TaskSpec> makeTasks(const QJsonObject &params, WorkloadState *state) const override;
    qint64 taskCount(const QJsonObject &params) const override;
    void execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const override;
    RunSummaryPtr summarize(const RunRecord &run, WorkloadState *state) const override;
    RunSummaryPtr summaryFromJson(const QJsonObject &run) const override;
    RunSummaryPtr emptySummary() const override { return std::make_shared<IoSummary>(); }
    QString pythonScript() const override { return QStringLiteral("web_scraper.py"); }
    QJsonObject pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &params) const override;
    void judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &result) const override;

    static bool usesLocalServer(const QJsonObject &params);
};

} // namespace lab
