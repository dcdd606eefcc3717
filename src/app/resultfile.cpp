#include "resultfile.h"

#include "export/resultwriter.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace lab {

namespace {

// A run's summary plus the outcome the file's "variants" table gives it, for runs whose
// workload summary does not produce one when read back (a workload this build lacks, a summary
// reader that predates outcomes). Writes back exactly what the summary wrote.
class FileOutcomeSummary : public RunSummary {
public:
    FileOutcomeSummary(RunSummaryPtr inner, VariantOutcome outcome) : m_inner(std::move(inner)), m_outcome(std::move(outcome)) {}
    void writeJson(QJsonObject &run) const override
    {
        if (m_inner)
            m_inner->writeJson(run);
    }
    std::vector<Figure> figures() const override { return m_inner ? m_inner->figures() : std::vector<Figure>{}; }
    std::optional<VariantOutcome> outcome() const override { return m_outcome; }

private:
    RunSummaryPtr m_inner;
    VariantOutcome m_outcome;
};

// The "variants" rows of the file by run id (ExperimentResult::fromJson derives the table
// from the summaries and does not keep it).
QHash<QString, VariantOutcome> fileOutcomes(const QString &path)
{
    QHash<QString, VariantOutcome> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    const QJsonArray rows = QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("variants")).toArray();
    for (const QJsonValue &v : rows) {
        const QJsonObject row = v.toObject();
        const QString id = row.value(QStringLiteral("run_id")).toString();
        if (id.isEmpty())
            continue;
        if (const std::optional<VariantOutcome> o = VariantOutcome::fromJson(row))
            out.insert(id, *o);
    }
    return out;
}

} // namespace

void attachFileOutcomes(ExperimentResult &result, const QHash<QString, VariantOutcome> &outcomes)
{
    for (RunRecord &r : result.runs) {
        if (r.workloadSummary && r.workloadSummary->outcome())
            continue;
        const auto it = outcomes.constFind(r.runId);
        if (it != outcomes.constEnd())
            r.workloadSummary = std::make_shared<FileOutcomeSummary>(r.workloadSummary, *it);
    }
}

std::optional<LoadedResult> readResultFile(const QString &path, QString *error)
{
    std::optional<ExperimentResult> result = loadResultFile(path, error);
    if (!result)
        return std::nullopt;
    attachFileOutcomes(*result, fileOutcomes(path));
    LoadedResult loaded;
    if (result->cpu) {
        loaded.cpuSamples = result->cpu->samples;
        loaded.cpuHz = result->cpu->hz;
    }
    loaded.result = std::move(*result);
    return loaded;
}

} // namespace lab
