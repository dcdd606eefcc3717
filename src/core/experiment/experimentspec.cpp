#include "experimentspec.h"

#include "models/executionmodel.h"
#include "models/pythonmodel.h"
#include "util/sysinfo.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QUrl>
#include <algorithm>
#include <cmath>

#include <cmath>

namespace lab {

namespace {

bool readInt(const QJsonObject &obj, const QString &key, int lo, int hi, int *out, QString *error,
             const QString &where = {})
{
    if (!obj.contains(key))
        return true;
    const QJsonValue v = obj.value(key);
    const QString name = where.isEmpty() ? key : where + QLatin1Char('.') + key;
    if (!v.isDouble() || !std::isfinite(v.toDouble()) || v.toDouble() != std::floor(v.toDouble())) {
        *error = QStringLiteral("%1 must be a whole number").arg(name);
        return false;
    }
    const double d = v.toDouble();
    if (d < lo || d > hi) {
        *error = QStringLiteral("%1 = %2 is out of range (%3..%4)").arg(name, QString::number(d), QString::number(lo),
                                                                      QString::number(hi));
        return false;
    }
    *out = int(d);
    return true;
}

QString checkSwitchInterval(double ms)
{
    // Written so that NaN fails too.
    if (!(ms >= 0.1 && ms <= 100))
        return QStringLiteral("gil.switch_interval_ms must be a number between 0.1 and 100");
    return {};
}

QString checkResultSize(const ExperimentSpec &s)
{
    if (s.estimatedResultBytes() <= ExperimentSpec::kMaxResultBytes)
        return {};
    return QStringLiteral("%1 tasks x %2 runs (repetitions x models) would keep about %3 GiB of results; the "
                          "limit is %4 GiB (fewer tasks, repetitions or models)")
        .arg(QString::number(s.taskCount()), QString::number(s.runCount()),
             QString::number(double(s.estimatedResultBytes()) / double(qint64(1) << 30), 'f', 1),
             QString::number(ExperimentSpec::kMaxResultBytes >> 30));
}

} // namespace

// Text from a spec or a result file (names, titles, URLs, error messages quoting them) as it is
// printed or quoted in a one-line message: control characters (C0, DEL, C1: ESC starts
// terminal escape sequences) and the invisible bidirectional controls become \xHH / \uHHHH, so
// a name cannot move the cursor, recolour the terminal, split a line or reorder what is shown.
QString literalText(const QString &text)
{
    QString s;
    s.reserve(text.size());
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        const bool control = u < 0x20 || (u >= 0x7f && u <= 0x9f);
        const bool bidi = (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069) || u == 0x200e || u == 0x200f
                          || u == 0x061c;
        if (control)
            s += QStringLiteral("\\x") + QString::number(u, 16).rightJustified(2, QLatin1Char('0'));
        else if (bidi)
            s += QStringLiteral("\\u") + QString::number(u, 16).rightJustified(4, QLatin1Char('0'));
        else
            s += c;
    }
    return s;
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
        *error = QStringLiteral("unknown workload.kind \"%1\" (expected \"%2\")").arg(literalText(kind), kinds);
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
    const QJsonValue variants = obj.value(QStringLiteral("variants"));
    if (!variants.isUndefined()) {
        const std::vector<Variant> all = workload->variants(s.params);
        QStringList names;
        for (const Variant &v : all)
            names << v.name;
        if (!variants.isArray() || variants.toArray().isEmpty()) {
            *error = QStringLiteral("variants must be a non-empty list of variant names");
            return std::nullopt;
        }
        for (const QJsonValue &v : variants.toArray()) {
            if (!names.contains(v.toString())) {
                *error = names.isEmpty()
                             ? QStringLiteral("the %1 workload has no variants (variants: \"%2\")").arg(kind, literalText(v.toString()))
                             : QStringLiteral("unknown variant \"%1\" (the %2 workload has: %3)")
                                   .arg(literalText(v.toString()), kind, names.join(QStringLiteral(", ")));
                return std::nullopt;
            }
            if (!s.variants.contains(v.toString()))
                s.variants << v.toString();
        }
    }
    if (!readInt(obj, QStringLiteral("workers"), 0, kMaxWorkers, &s.workers, error)
        || !readInt(obj, QStringLiteral("repetitions"), 1, kMaxRepetitions, &s.repetitions, error)
        || !readInt(obj, QStringLiteral("chunk_size"), 0, kMaxChunkSize, &s.chunkSize, error))
        return std::nullopt;
    if (obj.contains(QStringLiteral("task_timeout_s"))) {
        const QJsonValue v = obj.value(QStringLiteral("task_timeout_s"));
        const double t = v.toDouble(-1);
        if (!v.isDouble() || !std::isfinite(t) || t < 0 || t > kMaxTaskTimeoutS) {
            *error = QStringLiteral("task_timeout_s must be a number of seconds, 0 (derived from the estimate) to %1")
                         .arg(kMaxTaskTimeoutS);
            return std::nullopt;
        }
        s.taskTimeout_s = t;
    }
    const QJsonObject gil = obj.value(QStringLiteral("gil")).toObject();
    if (gil.contains(QStringLiteral("switch_interval_ms"))) {
        const double ms = gil.value(QStringLiteral("switch_interval_ms")).toDouble(-1);
        *error = checkSwitchInterval(ms);
        if (!error->isEmpty())
            return std::nullopt;
        s.gil.switchIntervalMs = ms;
    }
    static const QStringList known = {QStringLiteral("name"),   QStringLiteral("title"),
                                      QStringLiteral("description"), QStringLiteral("workload"),
                                      QStringLiteral("models"), QStringLiteral("workers"),
                                      QStringLiteral("repetitions"), QStringLiteral("gil"),
                                      QStringLiteral("chunk_size"), QStringLiteral("task_timeout_s"),
                                      QStringLiteral("variants")};
    for (auto it = obj.begin(); it != obj.end(); ++it)
        if (!known.contains(it.key()))
            s.extra.insert(it.key(), it.value());
    // Everything validate() checks was just read and checked above (the workload's parameters
    // by parseWorkloadParams): no second pass over a list of up to 100,000 numbers.
    *error = checkResultSize(s);
    if (!error->isEmpty())
        return std::nullopt;
    return s;
}

QString ExperimentSpec::validate() const
{
    if (workers < 0 || workers > kMaxWorkers)
        return QStringLiteral("workers = %1 is out of range (1..%2)").arg(workers).arg(kMaxWorkers);
    if (repetitions < 1 || repetitions > kMaxRepetitions)
        return QStringLiteral("repetitions = %1 is out of range (1..%2)").arg(repetitions).arg(kMaxRepetitions);
    const QString interval = checkSwitchInterval(gil.switchIntervalMs);
    if (!interval.isEmpty())
        return interval;
    if (chunkSize < 0 || chunkSize > kMaxChunkSize)
        return QStringLiteral("chunk_size = %1 is out of range (0 = auto, 1..%2)").arg(chunkSize).arg(kMaxChunkSize);
    if (!std::isfinite(taskTimeout_s) || taskTimeout_s < 0 || taskTimeout_s > kMaxTaskTimeoutS)
        return QStringLiteral("task_timeout_s must be 0 (derived from the estimate) to %1 seconds").arg(kMaxTaskTimeoutS);
    const Workload *w = workloadImpl();
    if (!w)
        return QStringLiteral("unknown workload \"%1\"").arg(workload);
    if (!variants.isEmpty()) {
        QStringList names;
        for (const Variant &v : w->variants(params))
            names << v.name;
        for (const QString &v : variants)
            if (!names.contains(v))
                return names.isEmpty() ? QStringLiteral("the %1 workload has no variants").arg(workload)
                                       : QStringLiteral("unknown variant \"%1\" (the %2 workload has: %3)")
                                             .arg(literalText(v), workload, names.join(QStringLiteral(", ")));
    }
    // Specs built in code (the panel) go through the same checks as parsed ones.
    QJsonObject json = params;
    json.insert(QStringLiteral("kind"), workload);
    QString error;
    const std::optional<QJsonObject> parsed = parseWorkloadParams(*w, json, &error);
    if (!parsed)
        return error;
    ExperimentSpec normalised = *this;  // counted as it will run ({start, count} expanded)
    normalised.params = *parsed;
    const QString size = checkResultSize(normalised);
    if (!size.isEmpty())
        return size;
    // The workload's own guard counts the C++ loop; CPython models need their own estimate.
    return PythonModel::timeGuard(normalised);
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

qint64 ExperimentSpec::taskCount() const
{
    const Workload *w = workloadImpl();
    return w ? w->taskCount(params) : 0;
}

std::vector<Variant> ExperimentSpec::selectedVariants() const
{
    const Workload *w = workloadImpl();
    std::vector<Variant> out;
    if (w)
        for (Variant &v : w->variants(params))
            if (variants.isEmpty() || variants.contains(v.name))
                out.push_back(std::move(v));
    if (out.empty())
        out.push_back(Variant{});
    return out;
}

std::vector<ExperimentSpec::PlannedRun> ExperimentSpec::plan(const QStringList &models) const
{
    const Workload *w = workloadImpl();
    QStringList ordered = models;
    ordered.removeDuplicates();
    // Baselines first: every later run gets its speedup at once (see baselineModel()).
    for (const QString &base : {QStringLiteral("python-sequential"), QStringLiteral("sequential")})
        if (ordered.removeAll(base) > 0)
            ordered.prepend(base);
    std::vector<PlannedRun> out;
    for (const Variant &v : selectedVariants()) {
        const QJsonObject p = withVariant(params, v);
        for (const QString &id : std::as_const(ordered)) {
            const ModelInfo *m = findModel(id);
            if (w && m && w->whyNotOnVariant(*m, p).isEmpty())
                out.push_back({v, id});
        }
    }
    return out;
}

qint64 ExperimentSpec::runCount() const
{
    QStringList named = this->models;
    if (named.isEmpty())
        for (const ModelInfo &m : modelRegistry())
            if (m.supports(workload))
                named << m.id;
    return qint64(repetitions) * std::max<qint64>(qint64(plan(named).size()), 1);
}

qint64 ExperimentSpec::estimatedResultBytes() const
{
    // The largest variant stands for all (variants differ in sizes, not in task counts, so far).
    const Workload *w = workloadImpl();
    qint64 tasks = taskCount();
    if (w)
        for (const Variant &v : selectedVariants())
            tasks = std::max(tasks, w->taskCount(withVariant(params, v)));
    return tasks * runCount() * kResultBytesPerTask;
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
    if (!variants.isEmpty())
        o.insert(QStringLiteral("variants"), QJsonArray::fromStringList(variants));
    o.insert(QStringLiteral("workers"), workers);
    o.insert(QStringLiteral("repetitions"), repetitions);
    // Written only when set, so specs and results of older versions read and write unchanged.
    if (chunkSize > 0)
        o.insert(QStringLiteral("chunk_size"), chunkSize);
    if (taskTimeout_s > 0)
        o.insert(QStringLiteral("task_timeout_s"), taskTimeout_s);
    o.insert(QStringLiteral("gil"), QJsonObject{{QStringLiteral("switch_interval_ms"), gil.switchIntervalMs}});
    return o;
}

} // namespace lab
