#include "runrecord.h"

#include "util/sysinfo.h"
#include "workloads/workload.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSysInfo>
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
    busy_cores = wall_s > 0 ? cpu_s / wall_s : -1;

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

namespace {

// Keys a field of RunRecord reads; everything else in a run object goes to RunRecord::extra.
const QStringList &knownRunKeys()
{
    static const QStringList keys{
        QStringLiteral("run_id"), QStringLiteral("model"), QStringLiteral("repetition"), QStringLiteral("workers"),
        QStringLiteral("t0_s"), QStringLiteral("wall_s"), QStringLiteral("cpu_s"), QStringLiteral("busy_cores"),
        QStringLiteral("speedup"), QStringLiteral("efficiency"), QStringLiteral("tasks_total"),
        QStringLiteral("tasks_ok"), QStringLiteral("tasks_failed"), QStringLiteral("verified"),
        QStringLiteral("cancelled"), QStringLiteral("worker_restarts"), QStringLiteral("spawn_us_median"),
        QStringLiteral("spawn_what"), QStringLiteral("peak_rss_kb"), QStringLiteral("ui_lag_p99_ms"),
        QStringLiteral("foreign_busy_cores"), QStringLiteral("app_cpu_s"),
        QStringLiteral("ran_on_ui_thread"), QStringLiteral("note"), QStringLiteral("error"), QStringLiteral("tasks"),
        QStringLiteral("throughput"), QStringLiteral("throughput_columns"), QStringLiteral("gil"),
        QStringLiteral("ipc"), QStringLiteral("spawn_ms_median"), QStringLiteral("python"),
        QStringLiteral("dispatch_us_per_task"), QStringLiteral("pss_kb"), QStringLiteral("app_pss_kb"),
        QStringLiteral("variant"), QStringLiteral("primitives")};
    return keys;
}

// Negative means "does not apply" for the figures below.
QJsonValue orNull(double v, int decimals)
{
    return v < 0 ? QJsonValue() : number(v, decimals);
}

double orNegative(const QJsonValue &v)
{
    return v.isDouble() ? v.toDouble() : -1;
}

// Schema 1 wrote 0 for a spawn cost that does not apply (async) and did not say what the
// figure measured; the models of that time measured these.
void upgradeSchema1(RunRecord &r)
{
    if (r.model == QLatin1String("async")) {
        r.spawn_us_median = -1;
    } else if (r.spawnWhat.isEmpty() && r.spawn_us_median > 0) {
        if (r.model.startsWith(QLatin1String("python-")))
            r.spawnWhat = QStringLiteral("interpreter start-up (process start to the script's first line)");
        else if (r.model == QLatin1String("processes"))
            r.spawnWhat = QStringLiteral("process start to handshake");
        else
            r.spawnWhat = QStringLiteral("thread start to running");
    }
}

} // namespace

QJsonObject taskResultToJson(const TaskResult &t)
{
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
        j.insert(QStringLiteral("error"), t.error.toString());
        j.insert(QStringLiteral("error_category"), t.errorCategory.toString());
    }
    if (!t.url.isEmpty()) {
        j.insert(QStringLiteral("url"), t.url.toString());
        j.insert(QStringLiteral("status"), t.httpStatus);
        j.insert(QStringLiteral("bytes"), double(t.bytes));
        j.insert(QStringLiteral("ttfb_s"), number(t.ttfb_s));
        j.insert(QStringLiteral("checksum"), t.checksum.toString());
    }
    if (t.trace)
        j.insert(QStringLiteral("trace"), t.trace->toJson());
    return j;
}

TaskResult taskResultFromJson(const QJsonObject &o)
{
    TaskResult t;
    t.id = o.value(QStringLiteral("id")).toInt();
    t.worker = o.value(QStringLiteral("worker")).toInt(-1);
    t.start_s = o.value(QStringLiteral("start_s")).toDouble();
    t.end_s = o.value(QStringLiteral("end_s")).toDouble();
    t.cpu_start = o.value(QStringLiteral("cpu_start")).toInt(-1);
    t.cpu_end = o.value(QStringLiteral("cpu_end")).toInt(-1);
    t.ok = o.value(QStringLiteral("ok")).toBool();
    t.verified = o.value(QStringLiteral("verified")).toBool();
    t.attempts = o.value(QStringLiteral("attempts")).toInt(1);
    t.compute_s = o.value(QStringLiteral("compute_s")).toDouble();
    t.dispatch_s = o.value(QStringLiteral("dispatch_s")).toDouble();
    t.value = o.value(QStringLiteral("value")).toString();
    t.error = o.value(QStringLiteral("error")).toString();
    t.errorCategory = o.value(QStringLiteral("error_category")).toString();
    t.url = o.value(QStringLiteral("url")).toString();
    t.httpStatus = o.value(QStringLiteral("status")).toInt();
    t.bytes = qint64(o.value(QStringLiteral("bytes")).toDouble());
    t.ttfb_s = o.value(QStringLiteral("ttfb_s")).toDouble();
    t.checksum = o.value(QStringLiteral("checksum")).toString();
    if (o.value(QStringLiteral("trace")).isObject()) {
        auto trace = std::make_shared<TaskTrace>();
        QString ignored;  // a malformed trace is dropped; the task's own figures still stand
        if (TaskTrace::fromJson(o.value(QStringLiteral("trace")).toObject(), trace.get(), &ignored))
            t.trace = std::move(trace);
    }
    return t;
}

QJsonObject GilStats::toJson() const
{
    QJsonArray ts;
    for (const Thread &t : threads)
        ts.append(QJsonObject{{QStringLiteral("worker"), t.worker},
                              {QStringLiteral("held_s"), number(t.held_s)},
                              {QStringLiteral("wait_s"), number(t.wait_s)},
                              {QStringLiteral("acquisitions"), double(t.acquisitions)},
                              {QStringLiteral("drop_requests"), double(t.dropRequests)},
                              {QStringLiteral("forced_switches"), double(t.forcedSwitches)}});
    QJsonArray ss;
    for (const Span &s : spans)
        ss.append(QJsonArray{s.worker, number(s.start_s), number(s.end_s)});
    return {{QStringLiteral("switch_interval_ms"), switchIntervalMs},
            {QStringLiteral("switches"), double(switches)},
            {QStringLiteral("switches_per_s"), number(switchesPerS, 2)},
            {QStringLiteral("threads"), ts},
            {QStringLiteral("spans"), ss},
            {QStringLiteral("spans_dropped"), double(spansDropped)}};
}

GilStats GilStats::fromJson(const QJsonObject &o)
{
    GilStats g;
    g.switchIntervalMs = o.value(QStringLiteral("switch_interval_ms")).toDouble();
    g.switches = qint64(o.value(QStringLiteral("switches")).toDouble());
    g.switchesPerS = o.value(QStringLiteral("switches_per_s")).toDouble();
    for (const QJsonValue &v : o.value(QStringLiteral("threads")).toArray()) {
        const QJsonObject t = v.toObject();
        g.threads.push_back({t.value(QStringLiteral("worker")).toInt(), t.value(QStringLiteral("held_s")).toDouble(),
                             t.value(QStringLiteral("wait_s")).toDouble(),
                             qint64(t.value(QStringLiteral("acquisitions")).toDouble()),
                             qint64(t.value(QStringLiteral("drop_requests")).toDouble()),
                             qint64(t.value(QStringLiteral("forced_switches")).toDouble())});
    }
    for (const QJsonValue &v : o.value(QStringLiteral("spans")).toArray()) {
        const QJsonArray a = v.toArray();
        if (a.size() >= 3)
            g.spans.push_back({a.at(0).toInt(), a.at(1).toDouble(), a.at(2).toDouble()});
    }
    g.spansDropped = qint64(o.value(QStringLiteral("spans_dropped")).toDouble());
    return g;
}

void IpcSplit::writeJson(QJsonObject &run) const
{
    run.insert(QStringLiteral("ipc"), QJsonObject{{QStringLiteral("dispatch_s_median"), number(dispatchMedian_s, 7)},
                                                  {QStringLiteral("compute_s_median"), number(computeMedian_s, 7)},
                                                  {QStringLiteral("dispatch_share"), number(dispatchShare, 6)},
                                                  {QStringLiteral("protocol_version"), protocolVersion}});
    if (chunkSize > 0) {
        QJsonObject o = run.value(QStringLiteral("ipc")).toObject();
        o.insert(QStringLiteral("chunk_size"), chunkSize);
        o.insert(QStringLiteral("task_timeout_s"), number(taskTimeout_s, 3));
        o.insert(QStringLiteral("ready_ms"), orNull(readyMs, 3));
        o.insert(QStringLiteral("parent_cpu_s"), orNull(parentCpu_s, 6));
        o.insert(QStringLiteral("share_start"), orNull(startShare, 6));
        o.insert(QStringLiteral("share_gaps"), orNull(gapsShare, 6));
        o.insert(QStringLiteral("share_end"), orNull(endShare, 6));
        run.insert(QStringLiteral("ipc"), o);
    }
    run.insert(QStringLiteral("spawn_ms_median"), orNull(spawnMedian_ms, 3));
}

std::optional<IpcSplit> IpcSplit::fromJson(const QJsonObject &run)
{
    if (!run.value(QStringLiteral("ipc")).isObject())
        return std::nullopt;
    const QJsonObject o = run.value(QStringLiteral("ipc")).toObject();
    IpcSplit s;
    s.dispatchMedian_s = o.value(QStringLiteral("dispatch_s_median")).toDouble();
    s.computeMedian_s = o.value(QStringLiteral("compute_s_median")).toDouble();
    s.dispatchShare = o.value(QStringLiteral("dispatch_share")).toDouble();
    s.protocolVersion = o.value(QStringLiteral("protocol_version")).toInt();
    s.spawnMedian_ms = orNegative(run.value(QStringLiteral("spawn_ms_median")));
    s.chunkSize = o.value(QStringLiteral("chunk_size")).toInt();
    s.taskTimeout_s = o.value(QStringLiteral("task_timeout_s")).toDouble();
    s.readyMs = orNegative(o.value(QStringLiteral("ready_ms")));
    s.parentCpu_s = orNegative(o.value(QStringLiteral("parent_cpu_s")));
    s.startShare = orNegative(o.value(QStringLiteral("share_start")));
    s.gapsShare = orNegative(o.value(QStringLiteral("share_gaps")));
    s.endShare = orNegative(o.value(QStringLiteral("share_end")));
    return s;
}

QJsonObject PythonInfo::toJson() const
{
    QJsonObject o{{QStringLiteral("interpreter"), interpreter},
                  {QStringLiteral("script"), script},
                  {QStringLiteral("mode"), mode}};
    if (!version.isEmpty())
        o.insert(QStringLiteral("version"), version);
    if (pid)
        o.insert(QStringLiteral("pid"), double(*pid));
    return o;
}

PythonInfo PythonInfo::fromJson(const QJsonObject &o)
{
    PythonInfo p;
    p.interpreter = o.value(QStringLiteral("interpreter")).toString();
    p.script = o.value(QStringLiteral("script")).toString();
    p.mode = o.value(QStringLiteral("mode")).toString();
    p.version = o.value(QStringLiteral("version")).toString();
    if (o.value(QStringLiteral("pid")).isDouble())
        p.pid = qint64(o.value(QStringLiteral("pid")).toDouble());
    return p;
}

int CpuSeries::cores() const
{
    return samples.empty() ? 0 : int(samples.back().perCore.size());
}

QJsonObject CpuSeries::sampleToJson(const CpuSample &s, double t0)
{
    QJsonArray per;
    for (double v : s.perCore)
        per.append(std::isnan(v) ? QJsonValue() : number(v, 2));
    return {{QStringLiteral("t"), number(s.t - t0, 3)},
            {QStringLiteral("total"), number(s.total, 2)},
            {QStringLiteral("per_core"), per}};
}

QJsonObject CpuSeries::toJson(double t0) const
{
    QJsonArray arr;
    for (const CpuSample &s : samples)
        arr.append(sampleToJson(s, t0));
    return {{QStringLiteral("hz"), hz}, {QStringLiteral("cores"), cores()}, {QStringLiteral("samples"), arr}};
}

CpuSeries CpuSeries::fromJson(const QJsonObject &o)
{
    CpuSeries c;
    c.hz = o.value(QStringLiteral("hz")).toDouble();
    for (const QJsonValue &v : o.value(QStringLiteral("samples")).toArray()) {
        const QJsonObject j = v.toObject();
        CpuSample s;
        s.t = j.value(QStringLiteral("t")).toDouble();
        s.total = j.value(QStringLiteral("total")).toDouble();
        for (const QJsonValue &p : j.value(QStringLiteral("per_core")).toArray())
            s.perCore.push_back(p.isDouble() ? p.toDouble() : std::nan(""));
        c.samples.push_back(std::move(s));
    }
    return c;
}

QJsonObject RunRecord::toJson(double timeBase) const
{
    QJsonObject o = extra;
    if (workloadSummary)
        workloadSummary->writeJson(o);
    if (gil)
        o.insert(QStringLiteral("gil"), gil->toJson());
    if (ipc)
        ipc->writeJson(o);
    if (python)
        o.insert(QStringLiteral("python"), python->toJson());
    if (!note.isEmpty())
        o.insert(QStringLiteral("note"), note);
    if (ranOnUiThread)
        o.insert(QStringLiteral("ran_on_ui_thread"), true);
    if (!runId.isEmpty())
        o.insert(QStringLiteral("run_id"), runId);
    o.insert(QStringLiteral("model"), model);
    if (!variant.isEmpty())
        o.insert(QStringLiteral("variant"), variant);
    if (!primitives.empty()) {
        QJsonArray ps;
        for (const PrimitiveInfo &p : primitives)
            ps.append(p.toJson());
        o.insert(QStringLiteral("primitives"), ps);
    }
    o.insert(QStringLiteral("repetition"), repetition);
    o.insert(QStringLiteral("workers"), workers);
    o.insert(QStringLiteral("t0_s"), number(t0 - timeBase));
    o.insert(QStringLiteral("wall_s"), number(wall_s));
    o.insert(QStringLiteral("cpu_s"), number(cpu_s));
    o.insert(QStringLiteral("busy_cores"), orNull(busy_cores, 3));
    o.insert(QStringLiteral("speedup"), orNull(speedup, 3));
    o.insert(QStringLiteral("efficiency"), orNull(efficiency, 3));
    o.insert(QStringLiteral("tasks_total"), tasks_total);
    o.insert(QStringLiteral("tasks_ok"), tasks_ok);
    o.insert(QStringLiteral("tasks_failed"), tasks_failed);
    o.insert(QStringLiteral("verified"), verified);
    o.insert(QStringLiteral("cancelled"), cancelled);
    o.insert(QStringLiteral("worker_restarts"), worker_restarts);
    o.insert(QStringLiteral("spawn_us_median"), orNull(spawn_us_median, 1));
    o.insert(QStringLiteral("spawn_what"), spawnWhat.isEmpty() ? QJsonValue() : QJsonValue(spawnWhat));
    o.insert(QStringLiteral("peak_rss_kb"), peak_rss_kb < 0 ? QJsonValue() : QJsonValue(double(peak_rss_kb)));
    o.insert(QStringLiteral("ui_lag_p99_ms"), orNull(ui_lag_p99_ms, 2));
    o.insert(QStringLiteral("foreign_busy_cores"),
             foreign_busy_cores ? orNull(std::max(0.0, *foreign_busy_cores), 3) : QJsonValue());
    if (dispatch_us_per_task)
        o.insert(QStringLiteral("dispatch_us_per_task"), orNull(*dispatch_us_per_task, 3));
    if (pss_kb)
        o.insert(QStringLiteral("pss_kb"), *pss_kb < 0 ? QJsonValue() : QJsonValue(double(*pss_kb)));
    if (app_pss_kb)
        o.insert(QStringLiteral("app_pss_kb"), *app_pss_kb < 0 ? QJsonValue() : QJsonValue(double(*app_pss_kb)));
    o.insert(QStringLiteral("app_cpu_s"), orNull(app_cpu_s, 4));
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    QJsonArray ts;
    for (const TaskResult &t : tasks)
        ts.append(taskResultToJson(t));
    o.insert(QStringLiteral("tasks"), ts);
    QJsonArray tp;
    for (const ThroughputPoint &p : throughput)
        tp.append(QJsonArray{number(p.t_s, 3), number(p.tasksPerS, 3), number(p.mbPerS, 4)});
    o.insert(QStringLiteral("throughput"), tp);
    o.insert(QStringLiteral("throughput_columns"),
             QJsonArray{QStringLiteral("t_s"), QStringLiteral("tasks_per_s"), QStringLiteral("mb_per_s")});
    return o;
}

std::optional<RunRecord> RunRecord::fromJson(const QJsonObject &o, QString *error)
{
    if (!o.value(QStringLiteral("model")).isString()) {
        *error = QStringLiteral("a run has no model name");
        return std::nullopt;
    }
    RunRecord r;
    r.runId = o.value(QStringLiteral("run_id")).toString();
    r.model = o.value(QStringLiteral("model")).toString();
    r.variant = o.value(QStringLiteral("variant")).toString();
    for (const QJsonValue &p : o.value(QStringLiteral("primitives")).toArray())
        r.primitives.push_back(PrimitiveInfo::fromJson(p.toObject()));
    r.repetition = o.value(QStringLiteral("repetition")).toInt();
    r.workers = o.value(QStringLiteral("workers")).toInt();
    r.t0 = o.value(QStringLiteral("t0_s")).toDouble();
    r.wall_s = o.value(QStringLiteral("wall_s")).toDouble();
    r.cpu_s = o.value(QStringLiteral("cpu_s")).toDouble();
    r.busy_cores = orNegative(o.value(QStringLiteral("busy_cores")));
    r.speedup = orNegative(o.value(QStringLiteral("speedup")));
    r.efficiency = orNegative(o.value(QStringLiteral("efficiency")));
    r.tasks_total = o.value(QStringLiteral("tasks_total")).toInt();
    r.tasks_ok = o.value(QStringLiteral("tasks_ok")).toInt();
    r.tasks_failed = o.value(QStringLiteral("tasks_failed")).toInt();
    r.verified = o.value(QStringLiteral("verified")).toBool();
    r.cancelled = o.value(QStringLiteral("cancelled")).toBool();
    r.worker_restarts = o.value(QStringLiteral("worker_restarts")).toInt();
    r.spawn_us_median = orNegative(o.value(QStringLiteral("spawn_us_median")));
    r.spawnWhat = o.value(QStringLiteral("spawn_what")).toString();
    r.peak_rss_kb = long(orNegative(o.value(QStringLiteral("peak_rss_kb"))));
    r.ui_lag_p99_ms = orNegative(o.value(QStringLiteral("ui_lag_p99_ms")));
    if (o.value(QStringLiteral("foreign_busy_cores")).isDouble())
        r.foreign_busy_cores = o.value(QStringLiteral("foreign_busy_cores")).toDouble();
    if (o.contains(QStringLiteral("dispatch_us_per_task")))
        r.dispatch_us_per_task = orNegative(o.value(QStringLiteral("dispatch_us_per_task")));
    if (o.contains(QStringLiteral("pss_kb")))
        r.pss_kb = long(orNegative(o.value(QStringLiteral("pss_kb"))));
    if (o.contains(QStringLiteral("app_pss_kb")))
        r.app_pss_kb = long(orNegative(o.value(QStringLiteral("app_pss_kb"))));
    r.app_cpu_s = orNegative(o.value(QStringLiteral("app_cpu_s")));
    r.ranOnUiThread = o.value(QStringLiteral("ran_on_ui_thread")).toBool();
    r.note = o.value(QStringLiteral("note")).toString();
    r.error = o.value(QStringLiteral("error")).toString();
    for (const QJsonValue &v : o.value(QStringLiteral("tasks")).toArray())
        r.tasks.push_back(taskResultFromJson(v.toObject()));
    // Columns by name, so a file with another column order still reads.
    const QJsonArray columns = o.value(QStringLiteral("throughput_columns")).toArray();
    auto column = [&](const char *name, qsizetype fallback) {
        for (qsizetype i = 0; i < columns.size(); ++i)
            if (columns.at(i).toString() == QLatin1String(name))
                return i;
        return columns.isEmpty() ? fallback : qsizetype(-1);
    };
    const qsizetype ct = column("t_s", 0), cn = column("tasks_per_s", 1), cm = column("mb_per_s", 2);
    for (const QJsonValue &v : o.value(QStringLiteral("throughput")).toArray()) {
        const QJsonArray a = v.toArray();
        auto at = [&](qsizetype i) { return i >= 0 && i < a.size() ? a.at(i).toDouble() : 0.0; };
        r.throughput.push_back({at(ct), at(cn), at(cm)});
    }
    if (o.value(QStringLiteral("gil")).isObject())
        r.gil = GilStats::fromJson(o.value(QStringLiteral("gil")).toObject());
    r.ipc = IpcSplit::fromJson(o);
    if (o.value(QStringLiteral("python")).isObject())
        r.python = PythonInfo::fromJson(o.value(QStringLiteral("python")).toObject());
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!knownRunKeys().contains(it.key()))
            r.extra.insert(it.key(), it.value());
    // A file where "gil" or "ipc" is not the object this program writes: keep it verbatim.
    for (const char *k : {"gil", "ipc", "python"})
        if (o.contains(QLatin1String(k)) && !o.value(QLatin1String(k)).isObject())
            r.extra.insert(QLatin1String(k), o.value(QLatin1String(k)));
    return r;
}

MachineInfo MachineInfo::current()
{
    MachineInfo m;
    m.cores = onlineCores();
    m.usableCores = lab::usableCores();
    m.cpuModel = lab::cpuModel();
    m.kernel = QSysInfo::kernelType() + QLatin1Char(' ') + QSysInfo::kernelVersion();
    m.qtVersion = QString::fromLatin1(qVersion());
    return m;
}

QJsonObject MachineInfo::toJson() const
{
    auto orNullString = [](const QString &s) { return s.isEmpty() ? QJsonValue() : QJsonValue(s); };
    QJsonObject o = extra;
    o.insert(QStringLiteral("cores"), cores);
    o.insert(QStringLiteral("usable_cores"), usableCores > 0 ? QJsonValue(usableCores) : QJsonValue());
    o.insert(QStringLiteral("cpu_model"), cpuModel);
    o.insert(QStringLiteral("kernel"), orNullString(kernel));
    o.insert(QStringLiteral("qt_version"), orNullString(qtVersion));
    o.insert(QStringLiteral("python_version"), orNullString(pythonVersion));
    return o;
}

MachineInfo MachineInfo::fromJson(const QJsonObject &o)
{
    MachineInfo m;
    m.cores = o.value(QStringLiteral("cores")).toInt();
    m.usableCores = o.value(QStringLiteral("usable_cores")).toInt();
    m.cpuModel = o.value(QStringLiteral("cpu_model")).toString();
    m.kernel = o.value(QStringLiteral("kernel")).toString();
    m.qtVersion = o.value(QStringLiteral("qt_version")).toString();
    m.pythonVersion = o.value(QStringLiteral("python_version")).toString();
    static const QStringList known{QStringLiteral("cores"),      QStringLiteral("usable_cores"),
                                   QStringLiteral("cpu_model"),  QStringLiteral("kernel"),
                                   QStringLiteral("qt_version"), QStringLiteral("python_version")};
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!known.contains(it.key()))
            m.extra.insert(it.key(), it.value());
    return m;
}

QString baselineModel(const QString &model)
{
    return model.startsWith(QLatin1String("python-")) ? QStringLiteral("python-sequential") : QStringLiteral("sequential");
}

void applySpeedups(std::vector<RunRecord> &runs)
{
    // Each variant against its own baseline: "mutex on threads" vs "mutex sequential".
    QHash<QString, std::vector<double>> walls;
    const auto key = [](const QString &variant, const QString &model) -> QString { return variant + QLatin1Char('\n') + model; };
    for (const RunRecord &r : runs)
        if (!r.cancelled && r.error.isEmpty() && r.wall_s > 0 && r.tasks_ok > 0)
            walls[key(r.variant, r.model)].push_back(r.wall_s);
    for (RunRecord &r : runs) {
        const double base = median(walls.value(key(r.variant, baselineModel(r.model))));
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

QJsonArray ExperimentResult::variantTable() const
{
    QJsonArray rows;
    for (const RunRecord &r : runs) {
        const std::optional<VariantOutcome> out = r.workloadSummary ? r.workloadSummary->outcome() : std::nullopt;
        if (!out)
            continue;
        QJsonObject row = out->toJson();
        row.insert(QStringLiteral("variant"), r.variant);
        row.insert(QStringLiteral("model"), r.model);
        row.insert(QStringLiteral("repetition"), r.repetition);
        row.insert(QStringLiteral("run_id"), r.runId);
        rows.append(row);
    }
    return rows;
}

QJsonObject ExperimentResult::toJson() const
{
    QJsonArray rs;
    for (const RunRecord &r : runs)
        rs.append(r.toJson(t0));
    QJsonObject o = extra;
    o.insert(QStringLiteral("schema"), kSchema);
    o.insert(QStringLiteral("generator"), QStringLiteral("concurrency-lab"));
    o.insert(QStringLiteral("experiment_id"), experimentId.isEmpty() ? QJsonValue() : QJsonValue(experimentId));
    o.insert(QStringLiteral("started_at"), startedAt.isEmpty() ? QJsonValue() : QJsonValue(startedAt));
    o.insert(QStringLiteral("spec"), spec.toJson());
    o.insert(QStringLiteral("machine"), machine.toJson());
    o.insert(QStringLiteral("runs"), rs);
    o.insert(QStringLiteral("cpu"), cpu ? QJsonValue(cpu->toJson(t0)) : QJsonValue());
    o.insert(QStringLiteral("cancelled"), cancelled);
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    o.insert(QStringLiteral("warnings"), QJsonArray::fromStringList(warnings));
    const QJsonArray table = variantTable();
    if (!table.isEmpty())
        o.insert(QStringLiteral("variants"), table);
    return o;
}

QString ExperimentResult::newExperimentId()
{
    return QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'")) + QLatin1Char('-')
           + QString::number(QRandomGenerator::global()->bounded(0x1000000u), 16).rightJustified(6, QLatin1Char('0'));
}

QString ExperimentResult::runIdFor(const QString &experimentId, int index)
{
    return experimentId + QLatin1Char('/') + QString::number(index);
}

std::optional<ExperimentResult> ExperimentResult::fromJson(const QByteArray &json, QString *error)
{
    const auto obj = parseJsonObject(json, QStringLiteral("not a Concurrency Lab result (expected a JSON object)"), error);
    return obj ? fromJsonObject(*obj, error) : std::nullopt;
}

std::optional<ExperimentResult> ExperimentResult::fromJsonObject(const QJsonObject &o, QString *error)
{
    // Schema 1 files have no "schema" key but always the generator and the runs.
    if (o.value(QStringLiteral("generator")).toString() != QLatin1String("concurrency-lab")
        || !o.value(QStringLiteral("runs")).isArray()) {
        *error = QStringLiteral("not a Concurrency Lab result (no \"generator\": \"concurrency-lab\" with \"runs\")");
        return std::nullopt;
    }
    const QJsonValue schemaValue = o.value(QStringLiteral("schema"));
    int schema = 1;
    if (!schemaValue.isUndefined()) {
        const double d = schemaValue.toDouble(-1);
        if (!schemaValue.isDouble() || d < 1 || d != std::floor(d)) {
            *error = QStringLiteral("\"schema\" must be a whole number from 1 to %1").arg(kSchema);
            return std::nullopt;
        }
        if (d > kSchema) {
            *error = QStringLiteral("schema %1 is newer than this program understands (%2)").arg(d).arg(kSchema);
            return std::nullopt;
        }
        schema = int(d);
    }
    ExperimentResult r;
    QString specError;
    const auto spec = ExperimentSpec::fromJsonObject(o.value(QStringLiteral("spec")).toObject(), &specError);
    if (!spec) {
        *error = QStringLiteral("the result's spec does not read: %1").arg(specError);
        return std::nullopt;
    }
    r.spec = *spec;
    r.machine = MachineInfo::fromJson(o.value(QStringLiteral("machine")).toObject());
    r.experimentId = o.value(QStringLiteral("experiment_id")).toString();
    if (r.experimentId.isEmpty()) {
        // Schema 1 had no ids: derive a stable one from the content, so loading the same file
        // twice gives the same ids.
        const QByteArray canonical = QJsonDocument(o).toJson(QJsonDocument::Compact);
        r.experimentId = QStringLiteral("v1-")
                         + QString::fromLatin1(QCryptographicHash::hash(canonical, QCryptographicHash::Sha1).toHex().left(12));
    }
    r.startedAt = o.value(QStringLiteral("started_at")).toString();
    r.cancelled = o.value(QStringLiteral("cancelled")).toBool();
    r.error = o.value(QStringLiteral("error")).toString();
    for (const QJsonValue &w : o.value(QStringLiteral("warnings")).toArray())
        if (w.isString())
            r.warnings << w.toString();
    if (o.value(QStringLiteral("cpu")).isObject())
        r.cpu = CpuSeries::fromJson(o.value(QStringLiteral("cpu")).toObject());
    const Workload *workload = r.spec.workloadImpl();  // a parsed spec always has one
    const QJsonArray runs = o.value(QStringLiteral("runs")).toArray();
    double nextT0 = 0;
    for (qsizetype i = 0; i < runs.size(); ++i) {
        if (!runs.at(i).isObject()) {
            *error = QStringLiteral("run %1 is not a JSON object").arg(i + 1);
            return std::nullopt;
        }
        const QJsonObject ro = runs.at(i).toObject();
        QString runError;
        auto run = RunRecord::fromJson(ro, &runError);
        if (!run) {
            *error = QStringLiteral("run %1: %2").arg(i + 1).arg(runError);
            return std::nullopt;
        }
        if (run->runId.isEmpty())
            run->runId = runIdFor(r.experimentId, int(i));
        if (schema < 2)
            upgradeSchema1(*run);
        // Schema 1 has no start times: runs ran one after another, so lay them end to end.
        if (schema < 2 || !ro.contains(QStringLiteral("t0_s")))
            run->t0 = nextT0;
        nextT0 = run->t0 + run->wall_s;
        // The workload reads its own typed summary back; the keys it owns leave `extra`.
        if (workload) {
            run->workloadSummary = workload->summaryFromJson(ro);
            if (run->workloadSummary) {
                QJsonObject written;
                run->workloadSummary->writeJson(written);
                for (auto it = written.begin(); it != written.end(); ++it)
                    run->extra.remove(it.key());
            }
        }
        r.runs.push_back(std::move(*run));
    }
    static const QStringList known{QStringLiteral("schema"),   QStringLiteral("generator"), QStringLiteral("experiment_id"),
                                   QStringLiteral("started_at"), QStringLiteral("spec"),    QStringLiteral("machine"),
                                   QStringLiteral("runs"),     QStringLiteral("cpu"),       QStringLiteral("cancelled"),
                                   QStringLiteral("error"),    QStringLiteral("warnings"),
                                   QStringLiteral("variants")};  // derived from the runs' summaries
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!known.contains(it.key()))
            r.extra.insert(it.key(), it.value());
    return r;
}

void LiveLog::push(LiveEvent e)
{
    std::lock_guard lock(m_mutex);
    e.run = m_run;
    m_events.push_back(e);
    if (e.type == LiveEvent::TaskFinished)
        ++m_finished;
}

void LiveLog::push(const LiveEvent *events, size_t count)
{
    std::lock_guard lock(m_mutex);
    for (size_t i = 0; i < count; ++i) {
        m_events.push_back(events[i]);
        m_events.back().run = qint16(m_run);
        if (events[i].type == LiveEvent::TaskFinished)
            ++m_finished;
    }
}

void LiveLog::reserve(size_t more)
{
    std::lock_guard lock(m_mutex);
    const size_t used = m_events.size();
    if (m_events.capacity() - used >= more)
        return;
    m_events.reserve(used + more);
    m_events.resize(used + more);  // touches the new pages
    m_events.resize(used);
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
