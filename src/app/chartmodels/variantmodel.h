#pragma once
#include "experiment/runrecord.h"

#include <QHash>
#include <QObject>
#include <QStringList>
#include <optional>
#include <vector>

namespace lab {

// What the variant chart and the results table show of an experiment with variants: per
// variant and model the median repetition (a model x variant pair is never mixed with another
// pair's repetitions), its outcome, and the headline figure the outcomes carry (ns/op, µs/op or
// GB/s) as bars grouped by variant, one slot per model.
class VariantModel : public QObject {
    Q_OBJECT
public:
    enum class Metric : quint8 { None, NsPerOp, UsPerOp, GbPerS };
    struct Bar {
        int group = 0;             // index into variants()
        int slot = 0;              // index into models()
        double key = 0;            // x position: group - 0.4 .. group + 0.4
        double width = 0;
        QString model;
        QString variant;
        std::optional<double> value;  // the metric; none when the outcome lacks it
        bool ok = false;
        bool failsByDesign = false;
        int repetitions = 1;
        QString words;
    };
    // Values spanning more than this ratio get a log axis.
    static constexpr double kLogRatio = 30;

    explicit VariantModel(QObject *parent = nullptr);

    // The experiment's spec (for the variants' order and labels) and all its runs.
    void setExperiment(const ExperimentSpec &spec, const std::vector<RunRecord> &runs);
    void clear();

    bool hasVariants() const { return !m_variants.isEmpty(); }
    QStringList variants() const { return m_variants; }       // names, display order
    QStringList variantLabels() const { return m_labels; }
    QStringList models() const { return m_models; }
    const std::vector<Bar> &bars() const { return m_bars; }
    // The median run of each (variant, model) pair, variants in order, models in registry order.
    const std::vector<RunRecord> &medianRuns() const { return m_median; }
    Metric metric() const { return m_metric; }
    QString metricLabel() const;   // "ns per operation", ...
    static QString metricUnit(Metric m);
    bool logScale() const { return m_log; }
    // True when the positive values span more than kLogRatio.
    static bool wantsLogScale(const std::vector<double> &values);

    static std::optional<VariantOutcome> outcomeOf(const RunRecord &r);
    static std::optional<double> metricValue(Metric m, const VariantOutcome &o);
    // "Threads · Mutex, 4 · repetition 2" (a run's name in lists): the variant by its label in
    // `variantLabels` (variantLabelsOf), else by its name.
    static QString runLabel(const RunRecord &r, const QHash<QString, QString> &variantLabels = {});
    // The workload's label of each of the spec's variants, by name ("mutex-4" -> "Mutex, 4").
    static QHash<QString, QString> variantLabelsOf(const ExperimentSpec &spec);
    // The outcome in the results table's words: "ok: 4000000 (expected 4000000) — ...".
    static QString outcomeText(const VariantOutcome &o);
    // The median repetition per (variant, model) of `runs`, applySpeedups applied to them.
    static std::vector<RunRecord> medianPerVariant(const std::vector<RunRecord> &runs, const QStringList &variantOrder = {});

Q_SIGNALS:
    void changed();

private:
    QStringList m_variants, m_labels, m_models;
    std::vector<Bar> m_bars;
    std::vector<RunRecord> m_median;
    Metric m_metric = Metric::None;
    bool m_log = false;
};

} // namespace lab
