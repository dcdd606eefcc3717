#pragma once
#include <QJsonObject>
#include <QJsonValue>
#include <cmath>
#include <QString>
#include <memory>
#include <optional>
#include <vector>

namespace lab {

// One figure of a run that a table, the CLI or a chart can show without knowing where it came
// from. A value that does not apply is nullopt ("–" on screen, null in JSON), never 0.
struct Figure {
    QString key;        // stable, e.g. "latency_p50_ms"
    QString label;      // short column header, e.g. "p50 latency"
    std::optional<double> value;
    QString unit;       // "ms", "req/s", "" ...
    int decimals = 2;
    QString tooltip;
};

// How one variant of an experiment came out (race-counter's "mutex", ipc-cost's "pipe-1MiB"):
// what it should give, what it gave, and its headline cost. The CLI's JSON lists one per run
// ("variants"), the app's variants table and charts draw them.
struct VariantOutcome {
    QString expected;           // "4000000", "at most 4 in flight"
    QString actual;             // "2731554", "4 at most"
    bool ok = false;            // actual is what was expected
    // The variant exists to show a failure (the unsynchronised counter): !ok is its lesson, not
    // a fault; the app does not mark the run as failed.
    bool failsByDesign = false;
    QString words;              // one plain sentence: "lost 1,268,446 of 4,000,000 updates (31.7 %)"
    std::optional<double> nsPerOp, usPerOp, gbPerS;

    QJsonObject toJson() const;  // expected, actual, ok, fails_by_design, words, ns_per_op, us_per_op, gb_per_s
    static std::optional<VariantOutcome> fromJson(const QJsonObject &o);
};

// A typed summary of one run, produced by a workload (workloads/<name>/) or a model. Concrete
// summaries are plain structs deriving from this; code that knows the type reads its fields
// (dynamic_cast), generic code (results table, CLI, exports) uses figures() and the JSON.
class RunSummary {
public:
    virtual ~RunSummary() = default;
    // Inserts this summary's keys into the run's JSON object (today's keys: "io", "requests",
    // "convoy", ...). Reading back is the job of whoever created it (Workload::summaryFromJson).
    virtual void writeJson(QJsonObject &run) const = 0;
    virtual std::vector<Figure> figures() const = 0;
    // The run's outcome as a variant of its experiment; none for workloads without variants.
    virtual std::optional<VariantOutcome> outcome() const { return std::nullopt; }
};

// A figure for JSON: rounded to `decimals`, null when not finite.
inline QJsonValue roundedJson(double v, int decimals)
{
    if (!std::isfinite(v))
        return QJsonValue();
    const double scale = std::pow(10.0, decimals);
    return std::round(v * scale) / scale;
}

// Reads a figure written by roundedJson (null or missing: nullopt).
inline std::optional<double> optionalDouble(const QJsonValue &v)
{
    return v.isDouble() ? std::optional<double>(v.toDouble()) : std::nullopt;
}

inline QJsonObject VariantOutcome::toJson() const
{
    const auto opt = [](const std::optional<double> &v, int decimals) {
        return v ? roundedJson(*v, decimals) : QJsonValue();
    };
    QJsonObject o{{QStringLiteral("expected"), expected},
                  {QStringLiteral("actual"), actual},
                  {QStringLiteral("ok"), ok},
                  {QStringLiteral("words"), words},
                  {QStringLiteral("ns_per_op"), opt(nsPerOp, 2)},
                  {QStringLiteral("us_per_op"), opt(usPerOp, 3)},
                  {QStringLiteral("gb_per_s"), opt(gbPerS, 4)}};
    if (failsByDesign)
        o.insert(QStringLiteral("fails_by_design"), true);
    return o;
}

inline std::optional<VariantOutcome> VariantOutcome::fromJson(const QJsonObject &o)
{
    if (!o.value(QStringLiteral("ok")).isBool())
        return std::nullopt;
    VariantOutcome v;
    v.expected = o.value(QStringLiteral("expected")).toString();
    v.actual = o.value(QStringLiteral("actual")).toString();
    v.ok = o.value(QStringLiteral("ok")).toBool();
    v.failsByDesign = o.value(QStringLiteral("fails_by_design")).toBool();
    v.words = o.value(QStringLiteral("words")).toString();
    v.nsPerOp = optionalDouble(o.value(QStringLiteral("ns_per_op")));
    v.usPerOp = optionalDouble(o.value(QStringLiteral("us_per_op")));
    v.gbPerS = optionalDouble(o.value(QStringLiteral("gb_per_s")));
    return v;
}

using RunSummaryPtr = std::shared_ptr<const RunSummary>;

} // namespace lab
