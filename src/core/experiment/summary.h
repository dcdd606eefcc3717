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

using RunSummaryPtr = std::shared_ptr<const RunSummary>;

} // namespace lab
