#pragma once
#include "experiment/runrecord.h"

#include <QAbstractTableModel>
#include <vector>

namespace lab {

// Every summary figure of the last run of each model (one row per model, registry order).
// Qt::DisplayRole is formatted text; Qt::UserRole is the raw value the proxy sorts on.
class ResultsTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Model, Workers, Wall, Latency, Speedup, Efficiency, BusyCores, Cpu, Throughput, Tasks, Verified,
        Spawn, PeakRss, UiLag, Error, ColumnCount
    };
    explicit ResultsTableModel(QObject *parent = nullptr);

    void setRuns(const std::vector<RunRecord> &runs);
    const std::vector<RunRecord> &runs() const { return m_runs; }
    bool hasLatency() const;  // some run measured request/round-trip latency

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<RunRecord> m_runs;
};

} // namespace lab
