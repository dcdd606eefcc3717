#pragma once
#include "experiment/runrecord.h"

#include <QHash>
#include <QObject>
#include <QStringList>
#include <optional>
#include <vector>

namespace lab {

// What the comparison chart draws: one bar per run in four panels (wall time, speedup,
// efficiency, busy cores), grouped by model in order of first appearance. A figure that does
// not apply (no baseline, an error) has no value, never 0.
class ComparisonModel : public QObject {
    Q_OBJECT
public:
    enum Panel { WallTime, Speedup, Efficiency, BusyCores, PanelCount };

    struct Bar {
        QString model;
        int group = 0;          // index into models()
        double key = 0;         // x position: group - 0.4 .. group + 0.4
        double width = 0.8;
        std::optional<double> value[PanelCount];  // efficiency in %
        bool failed = false;    // run-level error
        bool cancelled = false;
        int tasksFailed = 0;
        int tasksTotal = 0;
        bool disturbed = false; // other programs used more than kForeignLoadLimit cores
        int repetitions = 1;    // the bar is the median of this many runs
        double minWall = 0, maxWall = 0;  // their spread (wall time, s)
    };
    struct Spread {
        int runs = 1;
        double minWall = 0, maxWall = 0;
    };

    explicit ComparisonModel(QObject *parent = nullptr);

    const std::vector<RunRecord> &runs() const { return m_runs; }
    int runCount() const { return int(m_runs.size()); }
    QStringList models() const { return m_models; }
    const std::vector<Bar> &bars() const { return m_bars; }
    // Ideal speedup of a model's group: its (largest) worker count.
    int idealSpeedup(int group) const;
    // The run each model's speedup is measured against, and whether it is among the runs.
    static QString baselineOf(const QString &model) { return baselineModel(model); }
    bool hasBaseline(const QString &model) const;
    int machineCores() const { return m_machineCores; }
    QString title() const { return m_title; }
    int maxRepetitions() const;
    static std::optional<double> value(Panel panel, const RunRecord &r);

public Q_SLOTS:
    void setRuns(const std::vector<lab::RunRecord> &runs);
    // Runs plus, per model, how many repetitions each bar is the median of.
    void setRunsWithSpread(const std::vector<lab::RunRecord> &runs, const QHash<QString, Spread> &spread);
    // What the chart says it shows ("cpu-seed · 14:02"); empty: no title.
    void setTitle(const QString &title);
    void setMachineCores(int cores);
    void clear();

Q_SIGNALS:
    void changed();

private:
    void layout();

    std::vector<RunRecord> m_runs;
    QHash<QString, Spread> m_spread;
    QString m_title;
    QStringList m_models;
    std::vector<Bar> m_bars;
    int m_machineCores = 1;
};

} // namespace lab
