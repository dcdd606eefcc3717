#include "resultstablemodel.h"

#include "charts/chartstyle.h"
#include "chartmodels/variantmodel.h"

#include "sampling/foreignload.h"

#include <QApplication>
#include <QColor>
#include <QIcon>
#include <QPainter>
#include <QPixmap>
#include <QStyle>
#include <algorithm>
#include <QJsonObject>

namespace lab {

ResultsTableModel::ResultsTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void ResultsTableModel::setRuns(const std::vector<RunRecord> &runs, const QHash<QString, RunStore::Spread> &spread)
{
    beginResetModel();
    m_runs = runs;
    m_absent.assign(m_runs.size(), false);
    m_spread = spread;
    endResetModel();
}

QString ResultsTableModel::failureText(const RunRecord &r)
{
    if (!r.error.isEmpty())
        return r.error;
    if (r.tasks_failed <= 0)
        return {};
    // The most frequent reason among the failed tasks.
    QHash<QString, int> reasons;
    QString top;
    for (const TaskResult &t : r.tasks) {
        if (t.ok || t.cancelled)
            continue;
        const QString why = t.error.isEmpty() ? tr("no reason given") : t.error.toString();
        const int n = ++reasons[why];
        if (top.isEmpty() || n > reasons.value(top))
            top = why;
    }
    const bool io = std::any_of(r.tasks.begin(), r.tasks.end(), [](const TaskResult &t) { return !t.url.isEmpty(); });
    QString text = io ? tr("%1 of %2 requests failed").arg(r.tasks_failed).arg(r.tasks_total)
                      : tr("%1 of %2 tasks failed").arg(r.tasks_failed).arg(r.tasks_total);
    if (!top.isEmpty())
        text += QStringLiteral(": ") + top;
    if (reasons.size() > 1)
        text += tr(" (and %n other reason(s))", nullptr, int(reasons.size()) - 1);
    return text;
}

QString ResultsTableModel::disturbanceText(const RunRecord &r)
{
    return r.foreign_busy_cores ? foreignLoadWarning(*r.foreign_busy_cores) : QString();
}

static QIcon rowIcon(const QColor &color, bool warn)
{
    // The model's colour, with a warning sign beside it for a disturbed or failed run.
    QPixmap pm(warn ? 34 : 16, 16);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.fillRect(QRect(1, 2, 12, 12), color);
    p.setPen(color.darker(140));
    p.drawRect(QRect(1, 2, 12, 12));
    if (warn)
        QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning).paint(&p, QRect(17, 0, 16, 16));
    p.end();
    return QIcon(pm);
}

int ResultsTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

int ResultsTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

static double throughputOf(const RunRecord &r)
{
    return r.wall_s > 0 ? r.tasks_ok / r.wall_s : 0;
}

// The latency users compare across models: per request for I/O runs, per blocking round trip
// beside the CPU thread(s) for the convoy experiment. p50 and p99 in ms; {-1,-1} if none.
static std::pair<double, double> latencyOf(const RunRecord &r)
{
    std::pair<double, double> out{-1, -1};
    if (!r.workloadSummary)
        return out;
    for (const Figure &f : r.workloadSummary->figures()) {
        if (f.key == QLatin1String("latency_p50_ms") && f.value)
            out.first = *f.value;
        else if (f.key == QLatin1String("latency_p99_ms") && f.value)
            out.second = *f.value;
    }
    return out;
}

bool ResultsTableModel::hasLatency() const
{
    return std::any_of(m_runs.begin(), m_runs.end(), [](const RunRecord &r) { return latencyOf(r).first >= 0; });
}

bool ResultsTableModel::hasVariants() const
{
    return std::any_of(m_runs.begin(), m_runs.end(), [](const RunRecord &r) { return !r.variant.isEmpty(); });
}

void ResultsTableModel::setVariantRuns(const std::vector<RunRecord> &runs, const QList<QPair<QString, QString>> &absent)
{
    beginResetModel();
    m_runs = runs;
    m_absent.assign(m_runs.size(), false);
    for (const auto &[variant, model] : absent) {
        RunRecord placeholder;
        placeholder.variant = variant;
        placeholder.model = model;
        // Next to the variant's other rows.
        auto at = std::find_if(m_runs.rbegin(), m_runs.rend(), [&](const RunRecord &r) { return r.variant == variant; });
        const size_t pos = at == m_runs.rend() ? m_runs.size() : size_t(m_runs.rend() - at);
        m_runs.insert(m_runs.begin() + qsizetype(pos), placeholder);
        m_absent.insert(m_absent.begin() + qsizetype(pos), true);
    }
    m_spread.clear();  // spreads are per model; a variant row is one pair's median
    endResetModel();
}

QVariant ResultsTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_runs.size()))
        return {};
    const RunRecord &r = m_runs[size_t(index.row())];
    const int c = index.column();
    std::optional<VariantOutcome> outcome;
    if (c == Outcome)
        outcome = VariantModel::outcomeOf(r);
    if (isAbsentRow(index.row())) {
        // A model that cannot run this variant: nothing was measured.
        if (role == Qt::DisplayRole)
            return c == Model ? modelLabel(r.model) : c == Variant ? r.variant : QStringLiteral("–");
        if (role == Qt::UserRole)
            return c == Model ? r.model : c == Variant ? r.variant : QVariant();
        if (role == Qt::ToolTipRole)
            return tr("%1 cannot run the variant %2: not run").arg(modelLabel(r.model), r.variant);
        if (role == Qt::TextAlignmentRole)
            return c == Model || c == Variant || c == Outcome || c == Error ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                                                            : QVariant(Qt::AlignRight | Qt::AlignVCenter);
        if (role == Qt::DecorationRole && c == Model)
            return rowIcon(modelColor(r.model), false);
        return {};
    }
    if (c == Variant && (role == Qt::DisplayRole || role == Qt::UserRole))
        return r.variant.isEmpty() ? QStringLiteral("–") : r.variant;
    if (c == Outcome) {
        if (role == Qt::DisplayRole || role == Qt::UserRole)
            return outcome ? VariantModel::outcomeText(*outcome) : QStringLiteral("–");
        if (role == Qt::ToolTipRole && outcome)
            return tr("expected: %1\nactual: %2\n%3").arg(outcome->expected, outcome->actual, outcome->words);
        // A failure by design is the lesson, not an error: only an unexpected one is coloured.
        if (role == Qt::ForegroundRole && outcome && !outcome->ok && !outcome->failsByDesign)
            return QColor(0xD5, 0x5E, 0x00);
        if (role == Qt::TextAlignmentRole)
            return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    }
    if (role == Qt::UserRole) {
        switch (c) {
        case Model: return r.model;
        case Workers: return r.workers;
        case Wall: return r.wall_s;
        case Speedup: return r.speedup;
        case Efficiency: return r.efficiency;
        case Latency: return latencyOf(r).first;
        case BusyCores: return r.busy_cores;
        case Cpu: return r.cpu_s;
        case Throughput: return throughputOf(r);
        case Tasks: return r.tasks_ok;
        case Verified: return r.verified;
        case Spawn: return r.spawn_us_median;
        case PeakRss: return double(r.peak_rss_kb);
        case UiLag: return r.ui_lag_p99_ms;
        case Error: return r.error;
        }
        return {};
    }
    if (role == Qt::DisplayRole) {
        auto num = [](double v, int decimals) { return v < 0 ? QStringLiteral("–") : QString::number(v, 'f', decimals); };
        switch (c) {
        case Model: return modelLabel(r.model);
        case Workers: return r.workers;
        case Wall: {
            const auto sp = m_spread.constFind(RunStore::comparisonKey(r));
            return sp != m_spread.constEnd() && sp->runs > 1 ? tr("%1 (median of %2)").arg(num(r.wall_s, 3)).arg(sp->runs)
                                                              : num(r.wall_s, 3);
        }
        case Speedup: return r.speedup < 0 ? QStringLiteral("–") : QStringLiteral("%1×").arg(r.speedup, 0, 'f', 2);
        case Efficiency: return r.efficiency < 0 ? QStringLiteral("–") : QStringLiteral("%1 %").arg(r.efficiency * 100, 0, 'f', 0);
        case Latency: {
            const auto [p50, p99] = latencyOf(r);
            return p50 < 0 ? QStringLiteral("–") : QStringLiteral("%1 / %2").arg(num(p50, 2), num(p99, 2));
        }
        case BusyCores: return num(r.busy_cores, 2);
        case Cpu: return num(r.cpu_s, 3);
        case Throughput: return num(throughputOf(r), 1);
        case Tasks: return QStringLiteral("%1 / %2").arg(r.tasks_ok).arg(r.tasks_total);
        case Verified: return r.verified ? tr("yes") : tr("NO");
        case Spawn: return num(r.spawn_us_median, 0);
        case PeakRss: return num(r.peak_rss_kb / 1024.0, 1);
        case UiLag: return num(r.ui_lag_p99_ms, 1);
        case Error: {
            QStringList parts;
            if (!failureText(r).isEmpty())
                parts << failureText(r);
            if (!disturbanceText(r).isEmpty())
                parts << disturbanceText(r);
            return parts.join(QStringLiteral("; "));
        }
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole)
        return c == Model || c == Error ? QVariant(Qt::AlignLeft | Qt::AlignVCenter) : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::DecorationRole && c == Model)
        return rowIcon(modelColor(r.model), !failureText(r).isEmpty() || !disturbanceText(r).isEmpty());
    if (role == Qt::ForegroundRole && c == Verified && !r.verified)
        return QColor(0xD5, 0x5E, 0x00);
    if (role == Qt::ForegroundRole && c == Error && !failureText(r).isEmpty())
        return QColor(0xD5, 0x5E, 0x00);
    if (role == Qt::ToolTipRole && (c == Error || c == Model)) {
        QStringList parts;
        if (!failureText(r).isEmpty())
            parts << failureText(r);
        if (!disturbanceText(r).isEmpty())
            parts << disturbanceText(r);
        if (!r.note.isEmpty())
            parts << r.note;
        return parts.join(QLatin1Char('\n'));
    }
    if (role == Qt::ToolTipRole && c == Wall) {
        const auto sp = m_spread.constFind(RunStore::comparisonKey(r));
        if (sp != m_spread.constEnd() && sp->runs > 1)
            return tr("Median of %1 runs: %2 – %3 s").arg(sp->runs).arg(sp->minWall, 0, 'f', 3).arg(sp->maxWall, 0, 'f', 3);
    }
    if (role == Qt::ToolTipRole && c == Speedup)
        return tr("Against %1").arg(modelLabel(baselineModel(r.model)));
    if (role == Qt::ToolTipRole && c == Spawn)  // what the figure measures differs per model
        return r.spawnWhat.isEmpty() ? tr("does not apply: this model starts no worker") : r.spawnWhat;
    return {};
}

QVariant ResultsTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Model: return tr("Model");
        case Workers: return tr("Workers");
        case Wall: return tr("Wall (s)");
        case Speedup: return tr("Speedup");
        case Efficiency: return tr("Efficiency");
        case Latency: return tr("Latency p50 / p99 (ms)");
        case BusyCores: return tr("Busy cores");
        case Cpu: return tr("CPU (s)");
        case Throughput: return tr("Tasks/s");
        case Tasks: return tr("Tasks ok");
        case Verified: return tr("Verified");
        case Spawn: return tr("Spawn (µs)");
        case PeakRss: return tr("Peak RSS (MB)");
        case UiLag: return tr("UI lag p99 (ms)");
        case Error: return tr("Errors, warnings");
        case Variant: return tr("Variant");
        case Outcome: return tr("Outcome");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Speedup: return tr("Wall time of the model's own sequential run (Sequential for C++ models, CPython "
                                "sequential for CPython) / this model's wall time");
        case Efficiency: return tr("Speedup / workers");
        case Latency: return tr("I/O: per request. GIL convoy: per blocking round trip beside the CPU thread");
        case BusyCores: return tr("CPU time / wall time: how many cores were busy on average");
        case Spawn: return tr("Median start cost of one worker (µs): thread start to running, process start to "
                              "handshake, or interpreter start-up (hover a cell)");
        case UiLag: return tr("99th percentile of the GUI event-loop lag during the run");
        }
    }
    return {};
}

} // namespace lab
