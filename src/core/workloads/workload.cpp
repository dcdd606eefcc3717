#include "workload.h"

#include "experiment/experimentspec.h"
#include "models/executionmodel.h"

#include <QJsonArray>
#include <algorithm>
#include <cmath>

namespace lab {

QString Workload::validate(const QJsonObject &) const
{
    return {};
}

int Workload::defaultWorkers(const QJsonObject &) const
{
    return 0;
}

double Workload::estimatedSequentialSeconds(const QJsonObject &) const
{
    return 0;
}

qint64 Workload::taskCount(const QJsonObject &params) const
{
    return qint64(makeTasks(params, nullptr).size());
}

QString Workload::whyNotOn(const ModelInfo &model) const
{
    if (model.family == ModelFamily::Async)
        return QStringLiteral("the async model multiplexes non-blocking HTTP transfers on one thread; "
                              "the %1 workload has none")
            .arg(id());
    if (model.family == ModelFamily::CPython && pythonScript().isEmpty())
        return QStringLiteral("the %1 workload has no CPython twin yet").arg(id());
    return {};
}

QString Workload::whyNotOnVariant(const ModelInfo &model, const QJsonObject &) const
{
    return whyNotOn(model);
}

std::vector<Variant> Workload::variants(const QJsonObject &) const
{
    return {};
}

std::vector<PrimitiveInfo> Workload::primitives(const QJsonObject &) const
{
    return {};
}

QJsonObject withVariant(const QJsonObject &params, const Variant &variant)
{
    QJsonObject merged = params;
    for (auto it = variant.params.begin(); it != variant.params.end(); ++it)
        merged.insert(it.key(), it.value());
    return merged;
}

QString Workload::checkTask(const TaskSpec &) const
{
    return {};
}

std::unique_ptr<WorkloadState> Workload::setUp(const QJsonObject &, QString *) const
{
    return {};
}

RunSummaryPtr Workload::summarize(const RunRecord &, WorkloadState *) const
{
    return {};
}

RunSummaryPtr Workload::summaryFromJson(const QJsonObject &) const
{
    return {};
}

QJsonObject Workload::pythonJob(const std::vector<TaskSpec> &, const QJsonObject &) const
{
    return {};
}

void Workload::judgePython(const TaskSpec &, const QJsonObject &event, TaskResult &r) const
{
    r.verified = event.value(QStringLiteral("verified")).toBool();
    r.ok = r.verified;
    if (!r.ok)
        r.error = QStringLiteral("the CPython %1 task could not verify its work").arg(id());
}

const Workload *findWorkload(const QString &id)
{
    // Each id() builds its string: asking every workload for it cost an allocation or more per
    // task, twice per task in a worker (its parameters checked, then run). The ids, built once:
    static const std::vector<std::pair<QString, const Workload *>> byId = [] {
        std::vector<std::pair<QString, const Workload *>> v;
        for (const auto &w : workloadRegistry())
            v.emplace_back(w->id(), w.get());
        return v;
    }();
    for (const auto &[name, w] : byId)
        if (name == id)
            return w;
    return nullptr;
}

QStringList workloadIds()
{
    QStringList ids;
    for (const auto &w : workloadRegistry())
        ids << w->id();
    return ids;
}

namespace {

QString range(const ParamInfo &p)
{
    return QStringLiteral("%1..%2").arg(p.min, 0, 'f', p.type == ParamInfo::Type::Number ? -1 : 0).arg(p.max, 0, 'f',
                                                                                                       p.type == ParamInfo::Type::Number ? -1 : 0);
}

bool readWhole(const QJsonValue &v, const ParamInfo &p, const QString &name, double *out, QString *error)
{
    if (!v.isDouble()) {
        *error = QStringLiteral("%1 must be a number").arg(name);
        return false;
    }
    // NaN compares false with every bound and infinity is "whole": refuse both by name first.
    if (!std::isfinite(v.toDouble())) {
        *error = QStringLiteral("%1 must be a finite number").arg(name);
        return false;
    }
    const double d = v.toDouble();
    if (d != std::floor(d)) {
        *error = QStringLiteral("%1 must be a whole number (got %2)").arg(name).arg(d, 0, 'g', 17);
        return false;
    }
    if (d < 0 && p.min >= 0) {
        *error = QStringLiteral("%1 must not be negative (got %2)").arg(name).arg(d, 0, 'f', 0);
        return false;
    }
    if (d > p.max && p.max >= 1e9) {
        *error = QStringLiteral("%1 = %2 is too large (at most %3)").arg(name).arg(d, 0, 'f', 0).arg(p.max, 0, 'f', 0);
        return false;
    }
    if (d < p.min || d > p.max) {
        *error = QStringLiteral("%1 = %2 is out of range (%3)").arg(name).arg(d, 0, 'f', 0).arg(range(p));
        return false;
    }
    *out = d;
    return true;
}

std::optional<QJsonValue> readParam(const ParamInfo &p, const QJsonValue &v, QString *error)
{
    const QString name = QStringLiteral("workload.") + p.key;
    switch (p.type) {
    case ParamInfo::Type::Int: {
        double d = 0;
        if (!readWhole(v, p, name, &d, error))
            return std::nullopt;
        return QJsonValue(d);
    }
    case ParamInfo::Type::Number: {
        if (!v.isDouble()) {
            *error = QStringLiteral("%1 must be a number").arg(name);
            return std::nullopt;
        }
        if (!std::isfinite(v.toDouble())) {
            *error = QStringLiteral("%1 must be a finite number").arg(name);
            return std::nullopt;
        }
        if (v.toDouble() < p.min || v.toDouble() > p.max) {
            *error = QStringLiteral("%1 = %2 is out of range (%3)").arg(name).arg(v.toDouble()).arg(range(p));
            return std::nullopt;
        }
        return v;
    }
    case ParamInfo::Type::Bool:
        if (!v.isBool()) {
            *error = QStringLiteral("%1 must be true or false").arg(name);
            return std::nullopt;
        }
        return v;
    case ParamInfo::Type::String:
        if (!v.isString()) {
            *error = QStringLiteral("%1 must be a string").arg(name);
            return std::nullopt;
        }
        return v;
    case ParamInfo::Type::StringList: {
        if (!v.isArray() || v.toArray().isEmpty()) {
            *error = QStringLiteral("%1 must be a non-empty list of strings").arg(name);
            return std::nullopt;
        }
        const QJsonArray a = v.toArray();
        const double most = p.max > 0 ? std::min<double>(p.max, ParamInfo::kMaxListItems) : ParamInfo::kMaxListItems;
        if (a.size() > most) {
            *error = QStringLiteral("%1 has %2 items (at most %3)").arg(name).arg(a.size()).arg(most, 0, 'f', 0);
            return std::nullopt;
        }
        for (qsizetype i = 0; i < a.size(); ++i) {
            if (!a.at(i).isString()) {
                *error = QStringLiteral("%1 must contain strings").arg(name);
                return std::nullopt;
            }
            if (a.at(i).toString().trimmed().isEmpty()) {
                *error = QStringLiteral("%1 contains an empty string").arg(name);
                return std::nullopt;
            }
        }
        return v;
    }
    case ParamInfo::Type::IntList: {
        QJsonArray out;
        if (v.isArray()) {
            const QJsonArray a = v.toArray();
            if (a.size() > ParamInfo::kMaxListItems) {
                *error = QStringLiteral("%1 has %2 items: too many tasks (at most %3)")
                             .arg(name)
                             .arg(a.size())
                             .arg(ParamInfo::kMaxListItems);
                return std::nullopt;
            }
            for (qsizetype i = 0; i < a.size(); ++i) {
                double d = 0;
                if (!readWhole(a.at(i), p, QStringLiteral("%1[%2]").arg(name).arg(i), &d, error))
                    return std::nullopt;
                out.append(d);
            }
        } else if (v.isObject()) {
            // {"start": 5000000, "count": 20}: the seed's [5_000_000 + x for x in range(20)]
            const QJsonObject r = v.toObject();
            double start = 0, count = 0;
            ParamInfo countInfo = p;
            countInfo.min = 0;
            countInfo.max = ParamInfo::kMaxListItems;
            if (!readWhole(r.value(QStringLiteral("start")), p, name + QStringLiteral(".start"), &start, error)
                || !readWhole(r.value(QStringLiteral("count")), countInfo, name + QStringLiteral(".count"), &count,
                              error))
                return std::nullopt;
            if (start + count - 1 > p.max) {
                *error = QStringLiteral("%1: the last number %2 is out of range (%3)")
                             .arg(name)
                             .arg(start + count - 1, 0, 'f', 0)
                             .arg(range(p));
                return std::nullopt;
            }
            for (double x = 0; x < count; ++x)
                out.append(start + x);
        } else {
            *error = QStringLiteral("%1 must be a list of integers or {\"start\": N, \"count\": K}").arg(name);
            return std::nullopt;
        }
        if (out.isEmpty()) {
            *error = QStringLiteral("%1 is empty: nothing to compute").arg(name);
            return std::nullopt;
        }
        return QJsonValue(out);
    }
    }
    return std::nullopt;
}

} // namespace

std::optional<QJsonObject> parseWorkloadParams(const Workload &workload, const QJsonObject &json, QString *error)
{
    QJsonObject out;
    const std::vector<ParamInfo> params = workload.params();
    QStringList known{QStringLiteral("kind")};
    for (const ParamInfo &p : params) {
        known << p.key;
        QJsonValue v = json.value(p.key);
        if (v.isUndefined() || v.isNull()) {
            if (p.defaultValue.isUndefined()) {
                *error = QStringLiteral("workload.%1 is missing (%2)").arg(p.key, p.tooltip);
                return std::nullopt;
            }
            v = p.defaultValue;  // defaults take the same path, so {"start", "count"} expands
        }
        const std::optional<QJsonValue> value = readParam(p, v, error);
        if (!value)
            return std::nullopt;
        out.insert(p.key, *value);
    }
    for (auto it = json.begin(); it != json.end(); ++it)
        if (!known.contains(it.key())) {
            known.removeFirst();
            *error = QStringLiteral("unknown key workload.%1 (the %2 workload takes: %3)")
                         .arg(literalText(it.key()), workload.id(), known.join(QStringLiteral(", ")));
            return std::nullopt;
        }
    // The checks that hold for the parameters the tasks are made from: the workload's own, the
    // task cap, the time guard (summed over the variants, which run one after another).
    double seconds = 0;
    const auto check = [&](const QJsonObject &p, const QString &where) {
        const QString problem = workload.validate(p);
        if (!problem.isEmpty()) {
            *error = where + problem;
            return false;
        }
        const qint64 tasks = workload.taskCount(p);
        if (tasks > Workload::kMaxTasks) {
            *error = QStringLiteral("%1the %2 workload would make %3 tasks per run: too many tasks (at most %4)")
                         .arg(where, workload.id())
                         .arg(tasks)
                         .arg(Workload::kMaxTasks);
            return false;
        }
        seconds += workload.estimatedSequentialSeconds(p);
        return true;
    };
    const std::vector<Variant> variants = workload.variants(out);
    if (variants.empty() && !check(out, {}))
        return std::nullopt;
    for (const Variant &v : variants) {
        const QString where = QStringLiteral("variant %1: ").arg(v.name);
        // A variant's overrides pass the same type and range checks as the spec's own keys.
        for (const ParamInfo &p : params) {
            if (!v.params.contains(p.key))
                continue;
            if (!readParam(p, v.params.value(p.key), error)) {
                *error = where + *error;
                return std::nullopt;
            }
        }
        if (!check(withVariant(out, v), where))
            return std::nullopt;
    }
    if (!(seconds <= Workload::kMaxSequentialSeconds)) {
        *error = QStringLiteral("the %1 workload would take about %2 hours sequentially; the limit is %3 hour "
                                "(fewer or smaller tasks)")
                     .arg(workload.id(), QString::number(seconds / 3600.0, 'f', 1),
                          QString::number(Workload::kMaxSequentialSeconds / 3600.0));
        return std::nullopt;
    }
    return out;
}

} // namespace lab
