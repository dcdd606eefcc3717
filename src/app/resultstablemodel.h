#pragma once
#include "experiment/runrecord.h"
#include "store/runstore.h"

#include <QAbstractTableModel>
#include <vector>

namespace lab {

// Every summary figure of the last run of each model (one row per model, registry order).
// Qt::DisplayRole is formatted text; Qt::UserRole is the raw value the proxy sorts on.
class ResultsTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Model, Variant, Workers, Wall, Latency, Speedup, Efficiency, BusyCores, Cpu, Throughput, Tasks, Verified,
        Spawn, PeakRss, UiLag, Outcome, Error, ColumnCount
    };
    explicit ResultsTableModel(QObject *parent = nullptr);

    void setRuns(const std::vector<RunRecord> &runs, const QHash<QString, RunStore::Spread> &spread = {});
    // An experiment with variants: one row per (variant, model) run given, plus a row of "–"
    // for each pair in `absent` (a model that cannot run that variant).
    void setVariantRuns(const std::vector<RunRecord> &runs, const QList<QPair<QString, QString>> &absent);
    bool hasVariants() const;
    bool isAbsentRow(int row) const { return row >= 0 && row < int(m_absent.size()) && m_absent[size_t(row)]; }
    // What went wrong in a run, in one line: its error, or "45 of 45 requests failed: DNS
    // lookup failed" (the most frequent reason). Empty when nothing failed.
    static QString failureText(const RunRecord &r);
    // Other programs' load during the run when it disturbed the figures; empty otherwise.
    static QString disturbanceText(const RunRecord &r);
    const std::vector<RunRecord> &runs() const { return m_runs; }
    bool hasLatency() const;  // some run measured request/round-trip latency

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<RunRecord> m_runs;
    std::vector<bool> m_absent;  // parallel to m_runs: a pair that did not run
    QHash<QString, RunStore::Spread> m_spread;
};

} // namespace lab
