#include "experimentspec.h"

#include "util/sysinfo.h"
#include "workloads/cpuwork.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QUrl>

namespace lab {

namespace {

constexpr double kMaxSequentialSeconds = 3600.0;

// The one place that turns a JSON value into an unsigned integer with a readable error.
bool readUInt(const QJsonValue &v, const QString &what, quint64 *out, QString *error)
{
    if (!v.isDouble()) {
        *error = QStringLiteral("%1 must be a number").arg(what);
        return false;
    }
    const double d = v.toDouble();
    if (d < 0) {
        *error = QStringLiteral("%1 must not be negative (got %2)").arg(what).arg(d, 0, 'g', 17);
        return false;
    }
    if (d != std::floor(d)) {
        *error = QStringLiteral("%1 must be a whole number (got %2)").arg(what).arg(d, 0, 'g', 17);
        return false;
    }
    if (d > double(kCpuMaxN)) {
        *error = QStringLiteral("%1 = %2 is too large (at most 2^40 = %3)")
                     .arg(what)
                     .arg(d, 0, 'f', 0)
                     .arg(kCpuMaxN);
        return false;
    }
    *out = quint64(d);
    return true;
}

bool readInt(const QJsonObject &obj, const QString &key, int lo, int hi, int *out, QString *error,
             const QString &where = {})
{
    if (!obj.contains(key))
        return true;
    const QJsonValue v = obj.value(key);
    const QString name = where.isEmpty() ? key : where + QLatin1Char('.') + key;
    if (!v.isDouble() || v.toDouble() != std::floor(v.toDouble())) {
        *error = QStringLiteral("%1 must be a whole number").arg(name);
        return false;
    }
    const double d = v.toDouble();
    if (d < lo || d > hi) {
        *error = QStringLiteral("%1 = %2 is out of range (%3..%4)").arg(name).arg(d).arg(lo).arg(hi);
        return false;
    }
    *out = int(d);
    return true;
}

bool parseCpu(const QJsonObject &w, CpuParams *cpu, QString *error)
{
    const QJsonValue numbers = w.value(QStringLiteral("numbers"));
    cpu->numbers.clear();
    if (numbers.isArray()) {
        const QJsonArray arr = numbers.toArray();
        for (qsizetype i = 0; i < arr.size(); ++i) {
            quint64 n = 0;
            if (!readUInt(arr.at(i), QStringLiteral("workload.numbers[%1]").arg(i), &n, error))
                return false;
            cpu->numbers.push_back(n);
        }
    } else if (numbers.isObject()) {
        // {"start": 5000000, "count": 20}: the seed's [5_000_000 + x for x in range(20)]
        const QJsonObject r = numbers.toObject();
        quint64 start = 0, count = 0;
        if (!readUInt(r.value(QStringLiteral("start")), QStringLiteral("workload.numbers.start"), &start, error)
            || !readUInt(r.value(QStringLiteral("count")), QStringLiteral("workload.numbers.count"), &count,
                         error))
            return false;
        if (count > 100000) {
            *error = QStringLiteral("workload.numbers.count = %1 is too many tasks (at most 100000)").arg(count);
            return false;
        }
        for (quint64 x = 0; x < count; ++x)
            cpu->numbers.push_back(start + x);
    } else {
        *error = QStringLiteral("workload.numbers must be a list of integers or {\"start\": N, \"count\": K}");
        return false;
    }
    if (cpu->numbers.empty()) {
        *error = QStringLiteral("workload.numbers is empty: nothing to compute");
        return false;
    }
    return readInt(w, QStringLiteral("repeat"), 1, 1000000, &cpu->repeat, error, QStringLiteral("workload"));
}

bool parseIo(const QJsonObject &w, IoParams *io, QString *error)
{
    const QJsonValue urls = w.value(QStringLiteral("urls"));
    if (!urls.isArray() || urls.toArray().isEmpty()) {
        *error = QStringLiteral("workload.urls must be a non-empty list of URLs");
        return false;
    }
    io->urls.clear();
    for (const QJsonValue &u : urls.toArray()) {
        if (!u.isString()) {
            *error = QStringLiteral("workload.urls must contain strings");
            return false;
        }
        io->urls << u.toString();
    }
    const QString w_ = QStringLiteral("workload");
    if (!readInt(w, QStringLiteral("repeat"), 1, 10000, &io->repeatUrls, error, w_)
        || !readInt(w, QStringLiteral("connect_timeout_ms"), 1, 600000, &io->connectTimeoutMs, error, w_)
        || !readInt(w, QStringLiteral("timeout_ms"), 1, 3600000, &io->timeoutMs, error, w_))
        return false;
    if (w.contains(QStringLiteral("max_body_bytes"))) {
        const double d = w.value(QStringLiteral("max_body_bytes")).toDouble(-1);
        if (d < 1 || d > 4.0 * 1024 * 1024 * 1024) {
            *error = QStringLiteral("workload.max_body_bytes must be between 1 and 4 GiB");
            return false;
        }
        io->maxBodyBytes = qint64(d);
    }
    return true;
}

bool parseConvoy(const QJsonObject &w, ConvoyParams *c, QString *error)
{
    const QString w_ = QStringLiteral("workload");
    if (!readInt(w, QStringLiteral("round_trips"), 1, 1000000, &c->roundTrips, error, w_)
        || !readInt(w, QStringLiteral("cpu_threads"), 0, 64, &c->cpuThreads, error, w_)
        || !readInt(w, QStringLiteral("echo_us"), 0, 1000000, &c->echoUs, error, w_))
        return false;
    if (w.contains(QStringLiteral("chunk_n"))
        && !readUInt(w.value(QStringLiteral("chunk_n")), QStringLiteral("workload.chunk_n"), &c->chunkN, error))
        return false;
    return true;
}

} // namespace

bool IoParams::usesLocalServer() const
{
    for (const QString &u : urls)
        if (u.contains(QLatin1String("{server}")))
            return true;
    return false;
}

QString lineColumnOf(const QByteArray &text, int offset)
{
    int line = 1, col = 1;
    for (int i = 0; i < offset && i < text.size(); ++i) {
        if (text.at(i) == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return QStringLiteral("line %1, column %2").arg(line).arg(col);
}

std::optional<ExperimentSpec> ExperimentSpec::fromJson(const QByteArray &json, QString *error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError) {
        *error = QStringLiteral("malformed JSON at %1: %2").arg(lineColumnOf(json, pe.offset), pe.errorString());
        return std::nullopt;
    }
    if (!doc.isObject()) {
        *error = QStringLiteral("an experiment spec must be a JSON object");
        return std::nullopt;
    }
    return fromJsonObject(doc.object(), error);
}

std::optional<ExperimentSpec> ExperimentSpec::fromJsonObject(const QJsonObject &obj, QString *error)
{
    ExperimentSpec s;
    s.name = obj.value(QStringLiteral("name")).toString(QStringLiteral("custom"));
    s.title = obj.value(QStringLiteral("title")).toString(s.name);
    s.description = obj.value(QStringLiteral("description")).toString();

    const QJsonValue wv = obj.value(QStringLiteral("workload"));
    if (!wv.isObject()) {
        *error = QStringLiteral("missing \"workload\" object (with \"kind\": \"cpu\" or \"io\")");
        return std::nullopt;
    }
    const QJsonObject w = wv.toObject();
    const QString kind = w.value(QStringLiteral("kind")).toString();
    if (kind == QLatin1String("cpu")) {
        s.workload = WorkloadKind::Cpu;
        if (!parseCpu(w, &s.cpu, error))
            return std::nullopt;
    } else if (kind == QLatin1String("io")) {
        s.workload = WorkloadKind::Io;
        if (!parseIo(w, &s.io, error))
            return std::nullopt;
    } else if (kind == QLatin1String("convoy")) {
        s.workload = WorkloadKind::Convoy;
        if (!parseConvoy(w, &s.convoy, error))
            return std::nullopt;
    } else {
        *error = QStringLiteral("unknown workload.kind \"%1\" (expected \"cpu\", \"io\" or \"convoy\")").arg(kind);
        return std::nullopt;
    }

    const QJsonValue models = obj.value(QStringLiteral("models"));
    if (!models.isUndefined()) {
        if (!models.isArray()) {
            *error = QStringLiteral("models must be a list of model names");
            return std::nullopt;
        }
        for (const QJsonValue &m : models.toArray())
            s.models << m.toString();
    }
    if (!readInt(obj, QStringLiteral("workers"), 0, kMaxWorkers, &s.workers, error)
        || !readInt(obj, QStringLiteral("repetitions"), 1, kMaxRepetitions, &s.repetitions, error))
        return std::nullopt;
    const QJsonObject gil = obj.value(QStringLiteral("gil")).toObject();
    if (gil.contains(QStringLiteral("switch_interval_ms"))) {
        const double ms = gil.value(QStringLiteral("switch_interval_ms")).toDouble(-1);
        if (ms < 0.1 || ms > 100) {
            *error = QStringLiteral("gil.switch_interval_ms must be between 0.1 and 100");
            return std::nullopt;
        }
        s.gil.switchIntervalMs = ms;
    }
    static const QStringList known = {QStringLiteral("name"),   QStringLiteral("title"),
                                      QStringLiteral("description"), QStringLiteral("workload"),
                                      QStringLiteral("models"), QStringLiteral("workers"),
                                      QStringLiteral("repetitions"), QStringLiteral("gil")};
    for (auto it = obj.begin(); it != obj.end(); ++it)
        if (!known.contains(it.key()))
            s.extra.insert(it.key(), it.value());

    const QString problem = s.validate();
    if (!problem.isEmpty()) {
        *error = problem;
        return std::nullopt;
    }
    return s;
}

QString ExperimentSpec::validate() const
{
    if (workers < 0 || workers > kMaxWorkers)
        return QStringLiteral("workers = %1 is out of range (1..%2)").arg(workers).arg(kMaxWorkers);
    if (repetitions < 1 || repetitions > kMaxRepetitions)
        return QStringLiteral("repetitions = %1 is out of range (1..%2)").arg(repetitions).arg(kMaxRepetitions);
    if (workload == WorkloadKind::Cpu) {
        if (cpu.numbers.empty())
            return QStringLiteral("workload.numbers is empty: nothing to compute");
        for (quint64 n : cpu.numbers)
            if (n > kCpuMaxN)
                return QStringLiteral("n = %1 is too large (at most 2^40)").arg(n);
        const double est = estimatedSequentialSeconds();
        if (est > kMaxSequentialSeconds)
            return QStringLiteral("this workload would take about %1 hours sequentially; the limit is 1 hour "
                                  "(lower n, the number of tasks or repeat)")
                .arg(est / 3600.0, 0, 'f', 1);
    } else if (workload == WorkloadKind::Convoy) {
        if (convoy.roundTrips < 1 || convoy.cpuThreads < 0 || convoy.chunkN < 1 || convoy.chunkN > kCpuMaxN)
            return QStringLiteral("workload: round_trips must be >= 1, cpu_threads >= 0, chunk_n in 1..2^40");
    } else {
        if (io.urls.isEmpty())
            return QStringLiteral("workload.urls is empty: nothing to download");
        for (const QString &u : io.urls) {
            if (u.trimmed().isEmpty())
                return QStringLiteral("workload.urls contains an empty URL");
        }
    }
    return {};
}

int ExperimentSpec::effectiveWorkers() const
{
    if (workers > 0)
        return workers;
    if (workload == WorkloadKind::Io)
        return std::clamp(int(io.urls.size()) * io.repeatUrls, 1, kMaxWorkers);
    if (workload == WorkloadKind::Convoy)
        return 1 + convoy.cpuThreads;
    return usableCores();
}

std::vector<TaskSpec> ExperimentSpec::makeTasks(const QString &serverHostPort) const
{
    std::vector<TaskSpec> tasks;
    if (workload == WorkloadKind::Cpu) {
        for (quint64 n : cpu.numbers) {
            TaskSpec t;
            t.id = int(tasks.size());
            t.kind = WorkloadKind::Cpu;
            t.n = n;
            t.repeat = cpu.repeat;
            tasks.push_back(t);
        }
    } else if (workload == WorkloadKind::Convoy) {
        for (int i = 0; i <= convoy.cpuThreads; ++i) {
            TaskSpec t;
            t.id = i;
            t.kind = WorkloadKind::Convoy;
            t.roundTrips = i == 0 ? convoy.roundTrips : 0;
            t.convoyCpuThreads = convoy.cpuThreads;
            t.echoUs = convoy.echoUs;
            t.n = convoy.chunkN;
            tasks.push_back(t);
        }
    } else {
        for (int r = 0; r < io.repeatUrls; ++r) {
            for (const QString &u : io.urls) {
                TaskSpec t;
                t.id = int(tasks.size());
                t.kind = WorkloadKind::Io;
                t.url = QString(u).replace(QLatin1String("{server}"), serverHostPort);
                t.connectTimeoutMs = io.connectTimeoutMs;
                t.timeoutMs = io.timeoutMs;
                t.maxBodyBytes = io.maxBodyBytes;
                tasks.push_back(t);
            }
        }
    }
    return tasks;
}

double ExperimentSpec::estimatedSequentialSeconds() const
{
    if (workload != WorkloadKind::Cpu)
        return 0;
    double iterations = 0;
    for (quint64 n : cpu.numbers)
        iterations += double(n) * cpu.repeat;
    return iterations * cpuSecondsPerIteration();
}

QJsonObject ExperimentSpec::toJson() const
{
    QJsonObject o = extra;
    o.insert(QStringLiteral("name"), name);
    o.insert(QStringLiteral("title"), title);
    if (!description.isEmpty())
        o.insert(QStringLiteral("description"), description);
    QJsonObject w;
    w.insert(QStringLiteral("kind"), workloadKindName(workload));
    if (workload == WorkloadKind::Cpu) {
        QJsonArray nums;
        for (quint64 n : cpu.numbers)
            nums.append(double(n));
        w.insert(QStringLiteral("numbers"), nums);
        w.insert(QStringLiteral("repeat"), cpu.repeat);
    } else if (workload == WorkloadKind::Convoy) {
        w.insert(QStringLiteral("round_trips"), convoy.roundTrips);
        w.insert(QStringLiteral("cpu_threads"), convoy.cpuThreads);
        w.insert(QStringLiteral("chunk_n"), double(convoy.chunkN));
        w.insert(QStringLiteral("echo_us"), convoy.echoUs);
    } else {
        w.insert(QStringLiteral("urls"), QJsonArray::fromStringList(io.urls));
        w.insert(QStringLiteral("repeat"), io.repeatUrls);
        w.insert(QStringLiteral("connect_timeout_ms"), io.connectTimeoutMs);
        w.insert(QStringLiteral("timeout_ms"), io.timeoutMs);
        w.insert(QStringLiteral("max_body_bytes"), double(io.maxBodyBytes));
    }
    o.insert(QStringLiteral("workload"), w);
    o.insert(QStringLiteral("models"), QJsonArray::fromStringList(models));
    o.insert(QStringLiteral("workers"), workers);
    o.insert(QStringLiteral("repetitions"), repetitions);
    o.insert(QStringLiteral("gil"), QJsonObject{{QStringLiteral("switch_interval_ms"), gil.switchIntervalMs}});
    return o;
}

} // namespace lab
