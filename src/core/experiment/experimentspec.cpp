#include "experimentspec.h"

#include "models/pythonmodel.h"
#include "util/sysinfo.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QUrl>

namespace lab {

namespace {

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

} // namespace

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

std::optional<QJsonObject> parseJsonObject(const QByteArray &json, const QString &notAnObject, QString *error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError) {
        *error = QStringLiteral("malformed JSON at %1: %2").arg(lineColumnOf(json, pe.offset), pe.errorString());
        return std::nullopt;
    }
    if (!doc.isObject()) {
        *error = notAnObject;
        return std::nullopt;
    }
    return doc.object();
}

std::optional<ExperimentSpec> ExperimentSpec::fromJson(const QByteArray &json, QString *error)
{
    const auto obj = parseJsonObject(json, QStringLiteral("an experiment spec must be a JSON object"), error);
    return obj ? fromJsonObject(*obj, error) : std::nullopt;
}

std::optional<ExperimentSpec> ExperimentSpec::fromJsonObject(const QJsonObject &obj, QString *error)
{
    ExperimentSpec s;
    s.name = obj.value(QStringLiteral("name")).toString(QStringLiteral("custom"));
    s.title = obj.value(QStringLiteral("title")).toString(s.name);
    s.description = obj.value(QStringLiteral("description")).toString();

    const QJsonValue wv = obj.value(QStringLiteral("workload"));
    const QString kinds = workloadIds().join(QStringLiteral("\", \""));
    if (!wv.isObject()) {
        *error = QStringLiteral("missing \"workload\" object (with \"kind\": \"%1\")").arg(kinds);
        return std::nullopt;
    }
    const QJsonObject w = wv.toObject();
    const QString kind = w.value(QStringLiteral("kind")).toString();
    const Workload *workload = findWorkload(kind);
    if (!workload) {
        *error = QStringLiteral("unknown workload.kind \"%1\" (expected \"%2\")").arg(kind, kinds);
        return std::nullopt;
    }
    s.workload = kind;
    const std::optional<QJsonObject> params = parseWorkloadParams(*workload, w, error);
    if (!params)
        return std::nullopt;
    s.params = *params;

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
    // Everything validate() checks was just read and checked above (the workload's parameters
    // by parseWorkloadParams): no second pass over a list of up to 100,000 numbers.
    return s;
}

QString ExperimentSpec::validate() const
{
    if (workers < 0 || workers > kMaxWorkers)
        return QStringLiteral("workers = %1 is out of range (1..%2)").arg(workers).arg(kMaxWorkers);
    if (repetitions < 1 || repetitions > kMaxRepetitions)
        return QStringLiteral("repetitions = %1 is out of range (1..%2)").arg(repetitions).arg(kMaxRepetitions);
    const Workload *w = workloadImpl();
    if (!w)
        return QStringLiteral("unknown workload \"%1\"").arg(workload);
    // Specs built in code (the panel) go through the same checks as parsed ones.
    QJsonObject json = params;
    json.insert(QStringLiteral("kind"), workload);
    QString error;
    if (!parseWorkloadParams(*w, json, &error))
        return error;
    // The workload's own guard counts the C++ loop; CPython models need their own estimate.
    return PythonModel::timeGuard(*this);
}

int ExperimentSpec::effectiveWorkers() const
{
    if (workers > 0)
        return workers;
    const Workload *w = workloadImpl();
    const int byWorkload = w ? w->defaultWorkers(params) : 0;
    return byWorkload > 0 ? std::min(byWorkload, int(kMaxWorkers)) : usableCores();
}

const Workload *ExperimentSpec::workloadImpl() const
{
    return findWorkload(workload);
}

std::vector<TaskSpec> ExperimentSpec::makeTasks(WorkloadState *state) const
{
    const Workload *w = workloadImpl();
    return w ? w->makeTasks(params, state) : std::vector<TaskSpec>{};
}

double ExperimentSpec::estimatedSequentialSeconds() const
{
    const Workload *w = workloadImpl();
    return w ? w->estimatedSequentialSeconds(params) : 0;
}

QJsonObject ExperimentSpec::toJson() const
{
    QJsonObject o = extra;
    o.insert(QStringLiteral("name"), name);
    o.insert(QStringLiteral("title"), title);
    if (!description.isEmpty())
        o.insert(QStringLiteral("description"), description);
    QJsonObject w = params;
    w.insert(QStringLiteral("kind"), workload);
    o.insert(QStringLiteral("workload"), w);
    o.insert(QStringLiteral("models"), QJsonArray::fromStringList(models));
    o.insert(QStringLiteral("workers"), workers);
    o.insert(QStringLiteral("repetitions"), repetitions);
    o.insert(QStringLiteral("gil"), QJsonObject{{QStringLiteral("switch_interval_ms"), gil.switchIntervalMs}});
    return o;
}

} // namespace lab
