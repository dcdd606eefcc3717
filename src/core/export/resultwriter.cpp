#include "resultwriter.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>

namespace lab {

namespace {

QByteArray csvField(const QString &s)
{
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n')))
        return s.toUtf8();
    QString q = s;
    q.replace(QLatin1String("\""), QLatin1String("\"\""));
    return "\"" + q.toUtf8() + "\"";
}

QByteArray num(double v, int prec = 6)
{
    return v < 0 ? QByteArray() : QByteArray::number(v, 'f', prec);
}

} // namespace

QByteArray resultToJson(const ExperimentResult &result)
{
    // Indented for a person to read, unless that makes a large file several times larger:
    // runs with thread-state traces hold hundreds of thousands of short arrays, and indenting
    // each number on a line of its own made lock-contention's result 88 MB instead of 13 MB.
    const QJsonDocument doc(result.toJson());
    QByteArray compact = doc.toJson(QJsonDocument::Compact);
    if (compact.size() > kIndentedJsonLimit)
        return compact;
    return doc.toJson(QJsonDocument::Indented);
}

QByteArray runsToCsv(const std::vector<RunRecord> &runs)
{
    QByteArray out = "model,repetition,workers,wall_s,cpu_s,busy_cores,speedup,efficiency,tasks_total,tasks_ok,"
                     "tasks_failed,verified,cancelled,worker_restarts,spawn_us_median,peak_rss_kb,ui_lag_p99_ms\n";
    for (const RunRecord &r : runs) {
        out += csvField(r.model) + ',' + QByteArray::number(r.repetition) + ',' + QByteArray::number(r.workers) + ','
               + num(r.wall_s) + ',' + num(r.cpu_s) + ',' + num(r.busy_cores, 3) + ',' + num(r.speedup, 3) + ','
               + num(r.efficiency, 3) + ',' + QByteArray::number(r.tasks_total) + ','
               + QByteArray::number(r.tasks_ok) + ',' + QByteArray::number(r.tasks_failed) + ','
               + (r.verified ? "true" : "false") + ',' + (r.cancelled ? "true" : "false") + ','
               + QByteArray::number(r.worker_restarts) + ',' + num(r.spawn_us_median, 1) + ','
               + QByteArray::number(qint64(r.peak_rss_kb)) + ',' + num(r.ui_lag_p99_ms, 2) + '\n';
    }
    return out;
}

QByteArray tasksToCsv(const std::vector<RunRecord> &runs)
{
    QByteArray out = "model,repetition,id,worker,start_s,end_s,cpu_start,cpu_end,ok,verified,attempts,compute_s,"
                     "dispatch_s,url,status,bytes,error\n";
    for (const RunRecord &r : runs) {
        for (const TaskResult &t : r.tasks) {
            out += csvField(r.model) + ',' + QByteArray::number(r.repetition) + ',' + QByteArray::number(t.id) + ','
                   + QByteArray::number(t.worker) + ',' + num(t.start_s) + ',' + num(t.end_s) + ','
                   + QByteArray::number(t.cpu_start) + ',' + QByteArray::number(t.cpu_end) + ','
                   + (t.ok ? "true" : "false") + ',' + (t.verified ? "true" : "false") + ','
                   + QByteArray::number(t.attempts) + ',' + num(t.compute_s) + ',' + num(t.dispatch_s) + ','
                   + csvField(t.url) + ',' + QByteArray::number(t.httpStatus) + ','
                   + QByteArray::number(t.bytes) + ',' + csvField(t.error) + '\n';
        }
    }
    return out;
}

namespace {
// Seconds at the traces' ns resolution, without trailing zeros ("0.01005").
QByteArray seconds(double v)
{
    QByteArray s = QByteArray::number(v, 'f', 9);
    while (s.endsWith('0'))
        s.chop(1);
    if (s.endsWith('.'))
        s.chop(1);
    return s;
}
} // namespace

QByteArray statesToCsv(const std::vector<RunRecord> &runs)
{
    QByteArray out;
    for (const RunRecord &r : runs) {
        for (const TaskResult &t : r.tasks) {
            if (!t.trace)
                continue;
            for (const StateSpan &s : t.trace->spans) {
                const QString primitive = s.primitive >= 0 && s.primitive < int(r.primitives.size())
                                              ? r.primitives[size_t(s.primitive)].name
                                              : s.primitive >= 0 ? QString::number(s.primitive) : QString();
                out += csvField(r.runId) + ',' + QByteArray::number(t.id) + ',' + QByteArray::number(t.worker) + ','
                       + laneStateId(s.state).toUtf8() + ',' + csvField(primitive) + ',' + seconds(s.start_s) + ','
                       + seconds(s.end_s) + ',' + (s.culpritTask >= 0 ? QByteArray::number(s.culpritTask) : QByteArray())
                       + ',' + (s.wakeLatency_s >= 0 ? seconds(s.wakeLatency_s) : QByteArray()) + '\n';
            }
        }
    }
    if (out.isEmpty())
        return out;
    return "run,task,worker,state,primitive,start_s,end_s,culprit,wake_s\n" + out;
}

std::optional<ExperimentResult> loadResultFile(const QString &path, QString *error)
{
    constexpr qint64 kMaxBytes = 512ll * 1024 * 1024;
    QFile f(path);
    if (!QFileInfo(path).isFile()) {
        *error = QStringLiteral("%1: no such file").arg(path);
        return std::nullopt;
    }
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read: %2").arg(path, f.errorString());
        return std::nullopt;
    }
    if (f.size() > kMaxBytes) {
        *error = QStringLiteral("%1: too large for a result file (%2 MB)").arg(path).arg(f.size() >> 20);
        return std::nullopt;
    }
    QString why;
    auto result = ExperimentResult::fromJson(f.readAll(), &why);
    if (!result)
        *error = QStringLiteral("%1: %2").arg(path, why);
    return result;
}

bool writeFileAtomically(const QString &path, const QByteArray &data, QString *error)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
        *error = QStringLiteral("%1: cannot write: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

QStringList csvFilePaths(const QString &path)
{
    const QFileInfo fi(path);
    const QString base = fi.path() + QLatin1Char('/') + fi.completeBaseName();
    return {path, base + QStringLiteral(".tasks.csv"), base + QStringLiteral(".states.csv")};
}

bool writeCsvFiles(const ExperimentResult &result, const QString &path, QStringList *written, QString *error)
{
    const QStringList paths = csvFilePaths(path);
    const QByteArray states = statesToCsv(result.runs);
    const QByteArray data[] = {runsToCsv(result.runs), tasksToCsv(result.runs), states};
    for (int i = 0; i < 3; ++i) {
        if (i == 2 && states.isEmpty())
            break;
        if (!writeFileAtomically(paths[i], data[i], error))
            return false;
        if (written)
            written->append(paths[i]);
    }
    return true;
}

} // namespace lab
