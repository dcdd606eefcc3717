#include "chrometrace.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <cmath>

namespace lab {

namespace {

constexpr int kMachinePid = 1;
constexpr int kGilTidOffset = 10000;  // GIL lane of worker w: tid kGilTidOffset + w

double micros(double seconds)
{
    // Whole nanoseconds are plenty; keeps the file small and stable.
    return std::round(seconds * 1e9) / 1e3;
}

QJsonObject metadata(const QString &what, int pid, int tid, const QString &name)
{
    return {{QStringLiteral("ph"), QStringLiteral("M")},
            {QStringLiteral("name"), what},
            {QStringLiteral("pid"), pid},
            {QStringLiteral("tid"), tid},
            {QStringLiteral("args"), QJsonObject{{QStringLiteral("name"), name}}}};
}

QJsonObject sortIndex(int pid, int index)
{
    return {{QStringLiteral("ph"), QStringLiteral("M")},
            {QStringLiteral("name"), QStringLiteral("process_sort_index")},
            {QStringLiteral("pid"), pid},
            {QStringLiteral("tid"), 0},
            {QStringLiteral("args"), QJsonObject{{QStringLiteral("sort_index"), index}}}};
}

QJsonObject complete(const QString &name, const QString &cat, int pid, int tid, double ts, double dur,
                     const QJsonObject &args)
{
    return {{QStringLiteral("ph"), QStringLiteral("X")}, {QStringLiteral("name"), name},
            {QStringLiteral("cat"), cat},                 {QStringLiteral("pid"), pid},
            {QStringLiteral("tid"), tid},                 {QStringLiteral("ts"), ts},
            {QStringLiteral("dur"), std::max(0.0, dur)},  {QStringLiteral("args"), args}};
}

} // namespace

QByteArray chromeTraceJson(const ExperimentResult &result, const std::vector<CpuSample> &samples)
{
    QJsonArray events;
    double base = 0;
    double end = 0;
    bool haveBase = false;
    const std::vector<TaskSpec> taskSpecs = result.spec.makeTasks();
    for (const RunRecord &r : result.runs) {
        if (!haveBase || r.t0 < base)
            base = r.t0;
        haveBase = true;
        end = std::max(end, r.t0 + r.wall_s);
    }

    const int cores = result.machine.cores;
    events.append(metadata(QStringLiteral("process_name"), kMachinePid, 0,
                           QStringLiteral("Machine (%1 cores)").arg(cores)));
    events.append(sortIndex(kMachinePid, 0));

    for (size_t i = 0; i < result.runs.size(); ++i) {
        const RunRecord &r = result.runs[i];
        const int pid = int(i) + 2;
        const QString procName = QStringLiteral("%1 #%2 (%3 worker%4)")
                                     .arg(r.model)
                                     .arg(i + 1)
                                     .arg(r.workers)
                                     .arg(r.workers == 1 ? QString() : QStringLiteral("s"));
        events.append(metadata(QStringLiteral("process_name"), pid, 0, procName));
        events.append(sortIndex(pid, int(i) + 1));

        int maxWorker = -1;
        for (const TaskResult &t : r.tasks)
            maxWorker = std::max(maxWorker, t.worker);
        for (int w = 0; w <= maxWorker; ++w)
            events.append(metadata(QStringLiteral("thread_name"), pid, w + 1, QStringLiteral("worker %1").arg(w)));

        const double runTs = micros(r.t0 - base);
        events.append(complete(QStringLiteral("run %1").arg(r.model), QStringLiteral("run"), pid, 0, runTs,
                               micros(r.wall_s),
                               {{QStringLiteral("wall_s"), r.wall_s},
                                {QStringLiteral("cpu_s"), r.cpu_s},
                                {QStringLiteral("busy_cores"), r.busy_cores},
                                {QStringLiteral("speedup"), r.speedup},
                                {QStringLiteral("cancelled"), r.cancelled}}));
        events.append(metadata(QStringLiteral("thread_name"), pid, 0, QStringLiteral("run")));

        for (const TaskResult &t : r.tasks) {
            QJsonObject args{{QStringLiteral("id"), t.id},
                             {QStringLiteral("ok"), t.ok},
                             {QStringLiteral("verified"), t.verified},
                             {QStringLiteral("cpu_start"), t.cpu_start},
                             {QStringLiteral("cpu_end"), t.cpu_end},
                             {QStringLiteral("compute_ms"), t.compute_s * 1e3}};
            // The task's own parameters (n and repeat of a CPU task, ...), as the workload made them.
            if (t.id >= 0 && size_t(t.id) < taskSpecs.size())
                for (auto it = taskSpecs[size_t(t.id)].params.cbegin(); it != taskSpecs[size_t(t.id)].params.cend(); ++it)
                    if (!it.value().isMap() && !it.value().isArray() && !args.contains(it.key().toString()))
                        args.insert(it.key().toString(), it.value().toJsonValue());
            if (!t.url.isEmpty()) {
                args.insert(QStringLiteral("url"), t.url.toString());
                args.insert(QStringLiteral("bytes"), double(t.bytes));
                args.insert(QStringLiteral("status"), t.httpStatus);
            }
            if (!t.error.isEmpty())
                args.insert(QStringLiteral("error"), t.error.toString());
            events.append(complete(QStringLiteral("task %1").arg(t.id), QStringLiteral("task"), pid,
                                   std::max(0, t.worker) + 1, micros(r.t0 - base + t.start_s),
                                   micros(t.end_s - t.start_s), args));
        }

        const std::vector<GilStats::Span> noSpans;
        QList<int> gilLanes;
        for (const GilStats::Span &s : r.gil ? r.gil->spans : noSpans) {
            const int w = s.worker;
            const double a = s.start_s;
            const double b = s.end_s;
            if (!gilLanes.contains(w)) {
                gilLanes << w;
                events.append(metadata(QStringLiteral("thread_name"), pid, kGilTidOffset + w,
                                       QStringLiteral("worker %1 GIL held").arg(w)));
            }
            events.append(complete(QStringLiteral("GIL"), QStringLiteral("gil"), pid, kGilTidOffset + w,
                                   micros(r.t0 - base + a), micros(b - a), {}));
        }
    }

    // CPU counters: one "C" event per sample, one series per core plus the total; without
    // samples of its own the trace uses the result's (same time base as its runs).
    const std::vector<CpuSample> &cpu = samples.empty() && result.cpu ? result.cpu->samples : samples;
    for (const CpuSample &s : cpu) {
        if (!haveBase || s.t < base - 1.0 || s.t > end + 1.0)
            continue;
        QJsonObject args;
        for (size_t c = 0; c < s.perCore.size(); ++c)
            if (std::isfinite(s.perCore[c]))
                args.insert(QStringLiteral("cpu%1").arg(c, 3, 10, QLatin1Char('0')), std::round(s.perCore[c] * 10) / 10);
        events.append(QJsonObject{{QStringLiteral("ph"), QStringLiteral("C")},
                                  {QStringLiteral("name"), QStringLiteral("CPU per core (%)")},
                                  {QStringLiteral("pid"), kMachinePid},
                                  {QStringLiteral("tid"), 0},
                                  {QStringLiteral("ts"), micros(s.t - base)},
                                  {QStringLiteral("args"), args}});
        events.append(QJsonObject{{QStringLiteral("ph"), QStringLiteral("C")},
                                  {QStringLiteral("name"), QStringLiteral("CPU total (%)")},
                                  {QStringLiteral("pid"), kMachinePid},
                                  {QStringLiteral("tid"), 0},
                                  {QStringLiteral("ts"), micros(s.t - base)},
                                  {QStringLiteral("args"), QJsonObject{{QStringLiteral("total"),
                                                                        std::round(s.total * 10) / 10}}}});
    }

    QJsonObject other{{QStringLiteral("generator"), QStringLiteral("concurrency-lab")},
                      {QStringLiteral("experiment"), result.spec.name},
                      {QStringLiteral("workload"), result.spec.workload},
                      {QStringLiteral("cores"), cores},
                      {QStringLiteral("cpu_model"), result.machine.cpuModel},
                      {QStringLiteral("cancelled"), result.cancelled}};
    const QJsonObject doc{{QStringLiteral("traceEvents"), events},
                          {QStringLiteral("displayTimeUnit"), QStringLiteral("ms")},
                          {QStringLiteral("otherData"), other}};
    return QJsonDocument(doc).toJson(QJsonDocument::Compact);
}

} // namespace lab
