#include "runrecord.h"

#include "util/sysinfo.h"

#include <QHash>
#include <QJsonArray>
#include <cmath>

namespace lab {

static QJsonValue number(double v, int decimals = 6)
{
    if (!std::isfinite(v))
        return QJsonValue();
    const double scale = std::pow(10.0, decimals);
    return std::round(v * scale) / scale;
}

void RunRecord::finalize(int expectedTasks)
{
    tasks_total = std::max(int(tasks.size()), expectedTasks);
    tasks_ok = 0;
    bool allVerified = !tasks.empty();
    for (const TaskResult &t : tasks) {
        if (t.ok)
            ++tasks_ok;
        allVerified = allVerified && t.ok && t.verified;
    }
    tasks_failed = tasks_total - tasks_ok;  // tasks without a result count as failed
    verified = allVerified && !cancelled && tasks_failed == 0;
    busy_cores = wall_s > 0 ? cpu_s / wall_s : 0;

    // Throughput in 100 ms bins from task end times (10 points per second).
    throughput.clear();
    constexpr double bin = 0.1;
    const int bins = std::max(1, int(std::ceil(wall_s / bin)));
    std::vector<double> done(size_t(bins), 0.0), bytes(size_t(bins), 0.0);
    for (const TaskResult &t : tasks) {
        if (!t.ok)
            continue;
        const int b = std::clamp(int(t.end_s / bin), 0, bins - 1);
        done[size_t(b)] += 1;
        bytes[size_t(b)] += double(t.bytes);
    }
    for (int b = 0; b < bins; ++b)
        throughput.push_back({(b + 1) * bin, done[size_t(b)] / bin, bytes[size_t(b)] / bin / 1e6});
}

QJsonObject RunRecord::toJson() const
{
    QJsonObject o = extra;
    if (workloadSummary)
        workloadSummary->writeJson(o);
    o.insert(QStringLiteral("model"), model);
    o.insert(QStringLiteral("repetition"), repetition);
    o.insert(QStringLiteral("workers"), workers);
    o.insert(QStringLiteral("wall_s"), number(wall_s));
    o.insert(QStringLiteral("cpu_s"), number(cpu_s));
    o.insert(QStringLiteral("busy_cores"), number(busy_cores, 3));
    o.insert(QStringLiteral("speedup"), speedup < 0 ? QJsonValue() : number(speedup, 3));
    o.insert(QStringLiteral("efficiency"), efficiency < 0 ? QJsonValue() : number(efficiency, 3));
    o.insert(QStringLiteral("tasks_total"), tasks_total);
    o.insert(QStringLiteral("tasks_ok"), tasks_ok);
    o.insert(QStringLiteral("tasks_failed"), tasks_failed);
    o.insert(QStringLiteral("verified"), verified);
    o.insert(QStringLiteral("cancelled"), cancelled);
    o.insert(QStringLiteral("worker_restarts"), worker_restarts);
    o.insert(QStringLiteral("spawn_us_median"), number(spawn_us_median, 1));
    o.insert(QStringLiteral("peak_rss_kb"), double(peak_rss_kb));
    if (ui_lag_p99_ms >= 0)
        o.insert(QStringLiteral("ui_lag_p99_ms"), number(ui_lag_p99_ms, 2));
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    QJsonArray ts;
    for (const TaskResult &t : tasks) {
        QJsonObject j{{QStringLiteral("id"), t.id},
                      {QStringLiteral("worker"), t.worker},
                      {QStringLiteral("start_s"), number(t.start_s)},
                      {QStringLiteral("end_s"), number(t.end_s)},
                      {QStringLiteral("cpu_start"), t.cpu_start},
                      {QStringLiteral("cpu_end"), t.cpu_end},
                      {QStringLiteral("ok"), t.ok},
                      {QStringLiteral("verified"), t.verified},
                      {QStringLiteral("attempts"), t.attempts},
                      {QStringLiteral("compute_s"), number(t.compute_s)},
                      {QStringLiteral("dispatch_s"), number(t.dispatch_s)}};
        if (!t.value.isEmpty())
            j.insert(QStringLiteral("value"), t.value);
        if (!t.error.isEmpty()) {
            j.insert(QStringLiteral("error"), t.error);
            j.insert(QStringLiteral("error_category"), t.errorCategory);
        }
        if (!t.url.isEmpty()) {
            j.insert(QStringLiteral("url"), t.url);
            j.insert(QStringLiteral("status"), t.httpStatus);
            j.insert(QStringLiteral("bytes"), double(t.bytes));
            j.insert(QStringLiteral("ttfb_s"), number(t.ttfb_s));
            j.insert(QStringLiteral("checksum"), t.checksum);
        }
        ts.append(j);
    }
    o.insert(QStringLiteral("tasks"), ts);
    QJsonArray tp;
    for (const ThroughputPoint &p : throughput)
        tp.append(QJsonArray{number(p.t_s, 3), number(p.tasksPerS, 3), number(p.mbPerS, 4)});
    o.insert(QStringLiteral("throughput"), tp);
    o.insert(QStringLiteral("throughput_columns"),
             QJsonArray{QStringLiteral("t_s"), QStringLiteral("tasks_per_s"), QStringLiteral("mb_per_s")});
    return o;
}

MachineInfo MachineInfo::current()
{
    return {onlineCores(), lab::cpuModel()};
}

QJsonObject MachineInfo::toJson() const
{
    return {{QStringLiteral("cores"), cores}, {QStringLiteral("cpu_model"), cpuModel}};
}

QString baselineModel(const QString &model)
{
    return model.startsWith(QLatin1String("python-")) ? QStringLiteral("python-sequential") : QStringLiteral("sequential");
}

void applySpeedups(std::vector<RunRecord> &runs)
{
    QHash<QString, std::vector<double>> walls;
    for (const RunRecord &r : runs)
        if (!r.cancelled && r.error.isEmpty() && r.wall_s > 0 && r.tasks_ok > 0)
            walls[r.model].push_back(r.wall_s);
    for (RunRecord &r : runs) {
        const double base = median(walls.value(baselineModel(r.model)));
        const bool usable = base > 0 && r.wall_s > 0 && !r.cancelled && r.error.isEmpty();
        r.speedup = usable ? base / r.wall_s : -1;
        r.efficiency = usable ? r.speedup / std::max(1, r.workers) : -1;
    }
}

bool ExperimentResult::allOk() const
{
    for (const RunRecord &r : runs)
        if (r.tasks_failed > 0 || !r.error.isEmpty())
            return false;
    return true;
}

QJsonObject ExperimentResult::toJson() const
{
    QJsonArray rs;
    for (const RunRecord &r : runs)
        rs.append(r.toJson());
    QJsonObject o{{QStringLiteral("spec"), spec.toJson()},
                  {QStringLiteral("machine"), machine.toJson()},
                  {QStringLiteral("runs"), rs},
                  {QStringLiteral("cancelled"), cancelled},
                  {QStringLiteral("generator"), QStringLiteral("concurrency-lab")}};
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    return o;
}

void LiveLog::push(LiveEvent e)
{
    std::lock_guard lock(m_mutex);
    e.run = m_run;
    m_events.push_back(e);
    if (e.type == LiveEvent::TaskFinished)
        ++m_finished;
}

std::vector<LiveEvent> LiveLog::since(size_t *cursor) const
{
    std::lock_guard lock(m_mutex);
    std::vector<LiveEvent> out;
    if (*cursor < m_events.size())
        out.assign(m_events.begin() + qsizetype(*cursor), m_events.end());
    *cursor = m_events.size();
    return out;
}

void LiveLog::clear()
{
    std::lock_guard lock(m_mutex);
    m_events.clear();
    m_finished = 0;
    m_run = 0;
}

void LiveLog::setCurrentRun(int run)
{
    std::lock_guard lock(m_mutex);
    m_run = run;
    m_finished = 0;
}

int LiveLog::finishedCount() const
{
    std::lock_guard lock(m_mutex);
    return m_finished;
}

} // namespace lab
