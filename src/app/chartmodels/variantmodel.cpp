#include "variantmodel.h"

#include "store/runstore.h"

#include "models/executionmodel.h"
#include "workloads/workload.h"

#include <QCoreApplication>
#include <QHash>
#include <algorithm>
#include <cmath>

namespace lab {

namespace {
int registryOrder(const QString &model)
{
    const std::vector<ModelInfo> &models = modelRegistry();
    for (int i = 0; i < int(models.size()); ++i)
        if (models[size_t(i)].id == model)
            return i;
    return int(models.size());
}
} // namespace

VariantModel::VariantModel(QObject *parent) : QObject(parent) {}

std::optional<VariantOutcome> VariantModel::outcomeOf(const RunRecord &r)
{
    return r.workloadSummary ? r.workloadSummary->outcome() : std::nullopt;
}

std::optional<double> VariantModel::metricValue(Metric m, const VariantOutcome &o)
{
    switch (m) {
    case Metric::NsPerOp: return o.nsPerOp;
    case Metric::UsPerOp: return o.usPerOp;
    case Metric::GbPerS: return o.gbPerS;
    case Metric::None: break;
    }
    return std::nullopt;
}

QString VariantModel::metricUnit(Metric m)
{
    switch (m) {
    case Metric::NsPerOp: return QStringLiteral("ns/op");
    case Metric::UsPerOp: return QStringLiteral("µs/op");
    case Metric::GbPerS: return QStringLiteral("GB/s");
    case Metric::None: break;
    }
    return {};
}

QString VariantModel::metricLabel() const
{
    switch (m_metric) {
    case Metric::NsPerOp: return tr("nanoseconds per operation");
    case Metric::UsPerOp: return tr("microseconds per operation");
    case Metric::GbPerS: return tr("gigabytes per second");
    case Metric::None: break;
    }
    return {};
}

QString VariantModel::runLabel(const RunRecord &r, const QHash<QString, QString> &variantLabels)
{
    const ModelInfo *m = findModel(r.model);
    QString label = m && !m->label.isEmpty() ? m->label : r.model;
    if (!r.variant.isEmpty())
        label += QStringLiteral(" · ") + variantLabels.value(r.variant, r.variant);
    return label + tr(" · repetition %1").arg(r.repetition + 1);
}

QHash<QString, QString> VariantModel::variantLabelsOf(const ExperimentSpec &spec)
{
    QHash<QString, QString> labels;
    if (const Workload *w = spec.workloadImpl())
        for (const Variant &v : w->variants(spec.params))
            if (!v.name.isEmpty())
                labels.insert(v.name, v.label.isEmpty() ? v.name : v.label);
    return labels;
}

QString VariantModel::outcomeText(const VariantOutcome &o)
{
    QString head = o.ok ? tr("as expected") : o.failsByDesign ? tr("fails by design") : tr("NOT as expected");
    QString text = tr("%1: %2 (expected %3)").arg(head, o.actual.isEmpty() ? QStringLiteral("–") : o.actual,
                                                  o.expected.isEmpty() ? QStringLiteral("–") : o.expected);
    if (!o.words.isEmpty())
        text += QStringLiteral(" — ") + o.words;
    return text;
}

bool VariantModel::wantsLogScale(const std::vector<double> &values)
{
    double lo = qInf(), hi = 0;
    for (double v : values)
        if (std::isfinite(v) && v > 0) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    return hi > 0 && std::isfinite(lo) && hi / lo > kLogRatio;
}

std::vector<RunRecord> VariantModel::medianPerVariant(const std::vector<RunRecord> &runs, const QStringList &variantOrder)
{
    // The store's median per (variant, model) pair, ordered as the chart groups them.
    std::vector<RunRecord> out = RunStore::medianRuns(runs);
    QStringList variants = variantOrder;
    for (const RunRecord &r : out)
        if (!variants.contains(r.variant))
            variants << r.variant;
    std::stable_sort(out.begin(), out.end(), [&](const RunRecord &a, const RunRecord &b) {
        const qsizetype va = variants.indexOf(a.variant), vb = variants.indexOf(b.variant);
        return va != vb ? va < vb : registryOrder(a.model) < registryOrder(b.model);
    });
    applySpeedups(out);  // each variant against its own baseline
    return out;
}

void VariantModel::clear()
{
    m_variants.clear();
    m_labels.clear();
    m_models.clear();
    m_bars.clear();
    m_median.clear();
    m_metric = Metric::None;
    m_log = false;
    Q_EMIT changed();
}

void VariantModel::setExperiment(const ExperimentSpec &spec, const std::vector<RunRecord> &runs)
{
    m_variants.clear();
    m_labels.clear();
    m_models.clear();
    m_bars.clear();
    m_median.clear();
    m_metric = Metric::None;
    m_log = false;
    bool any = false;
    for (const RunRecord &r : runs)
        any = any || !r.variant.isEmpty();
    if (!any) {
        Q_EMIT changed();
        return;
    }
    // The workload's order and labels where it knows the variants; others as they came.
    QHash<QString, QString> labels;
    if (const Workload *w = spec.workloadImpl())
        for (const Variant &v : w->variants(spec.params)) {
            m_variants << v.name;
            labels.insert(v.name, v.label.isEmpty() ? v.name : v.label);
        }
    QStringList seen;
    for (const RunRecord &r : runs)
        if (!r.cancelled && !seen.contains(r.variant))
            seen << r.variant;
    QStringList order;
    for (const QString &v : std::as_const(m_variants))
        if (seen.contains(v))
            order << v;
    for (const QString &v : std::as_const(seen))
        if (!order.contains(v))
            order << v;
    m_variants = order;
    for (const QString &v : std::as_const(m_variants))
        m_labels << labels.value(v, v.isEmpty() ? tr("(none)") : v);
    m_median = medianPerVariant(runs, m_variants);
    for (const RunRecord &r : m_median)
        if (!m_models.contains(r.model))
            m_models << r.model;
    std::stable_sort(m_models.begin(), m_models.end(), [](const QString &a, const QString &b) { return registryOrder(a) < registryOrder(b); });

    // The figure most outcomes carry; ties go to the first of ns, µs, GB/s.
    int counts[4] = {};
    for (const RunRecord &r : m_median)
        if (const auto o = outcomeOf(r)) {
            counts[1] += o->nsPerOp ? 1 : 0;
            counts[2] += o->usPerOp ? 1 : 0;
            counts[3] += o->gbPerS ? 1 : 0;
        }
    for (int m = 1; m <= 3; ++m)
        if (counts[m] > counts[int(m_metric)])
            m_metric = Metric(m);

    const int slotCount = std::max<int>(1, int(m_models.size()));
    const double width = 0.8 / slotCount;
    std::vector<double> values;
    for (const RunRecord &r : m_median) {
        Bar b;
        b.group = int(m_variants.indexOf(r.variant));
        b.slot = int(m_models.indexOf(r.model));
        b.width = width;
        b.key = b.group - 0.4 + (b.slot + 0.5) * width;
        b.model = r.model;
        b.variant = r.variant;
        b.repetitions = 0;
        for (const RunRecord &rep : runs)
            b.repetitions += (!rep.cancelled && rep.variant == r.variant && rep.model == r.model) ? 1 : 0;
        if (const auto o = outcomeOf(r)) {
            b.value = metricValue(m_metric, *o);
            b.ok = o->ok;
            b.failsByDesign = o->failsByDesign;
            b.words = o->words;
        }
        if (b.value)
            values.push_back(*b.value);
        m_bars.push_back(b);
    }
    m_log = wantsLogScale(values);
    Q_EMIT changed();
}

} // namespace lab
