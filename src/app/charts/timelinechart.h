#pragma once
#include "experiment/runrecord.h"
#include "timechart.h"
#include "workloads/task.h"

#include <QHash>
#include <QTimer>
#include <vector>

class QCPBars;

namespace lab {

class TimelineBarsPlottable;
class GilSpansPlottable;

// Gantt chart of a run: one lane per worker, one bar per task coloured by model, GIL-held
// spans overlaid (from RunRecord::extra["gil"]["spans"]). Times are monotonic seconds on the
// same axis as CpuChart (seconds since the time origin). Hover shows a task tooltip.
class TimelineChart : public TimeChart {
    Q_OBJECT
public:
    struct Bar {
        double t0 = 0;          // monotonic seconds
        double t1 = qQNaN();    // NaN while the task runs (live)
        int lane = 0;
        int modelIndex = 0;
        int taskId = 0;
        int cpuStart = -1;
        int cpuEnd = -1;
        bool ok = true;
        double runT0 = 0;       // identifies the run
        QString url;
        QString error;
    };
    struct GilSpan {
        double t0 = 0, t1 = 0;  // monotonic seconds
        int lane = 0;
        double runT0 = 0;
    };
    static constexpr int kMaxBars = 200000;
    static constexpr int kMaxGilSpans = 400000;

    explicit TimelineChart(QWidget *parent = nullptr);
    ~TimelineChart() override;

    // Optional: task specs of the experiment, so tooltips can show n (CPU) or the URL.
    void setTaskSpecs(const std::vector<TaskSpec> &tasks);

    int barCount() const { return int(m_bars.size()); }
    int gilSpanCount() const { return int(m_gil.size()); }
    int laneCount() const { return m_lanes; }
    const std::vector<Bar> &bars() const { return m_bars; }
    QStringList models() const { return m_models; }
    // Tooltip text for a point in widget coordinates (empty when over no bar).
    QString toolTipAt(const QPointF &pos) const;

public Q_SLOTS:
    void clear();
    // Shows a finished run: replaces the bars of the same run (same t0, or the same model in
    // the run's time span, e.g. its live bars) and keeps other runs' bars.
    void setRun(const lab::RunRecord &r);
    // Live bars from the runner's events; a started task grows until it finishes.
    void addLiveEvent(const lab::LiveEvent &e, double runT0, const QString &model);
    // Shows the span of the most recent run and tells linked charts (like a user zoom).
    void zoomToRun();

protected:
    void applyThemeColors(bool dark) override;
    void liveFollowResumed() override;
    void timeOriginApplied() override;
    void scheduleRedraw() override { m_dirty = true; }  // the timer redraws (if visible)

private:
    friend class TimelineBarsPlottable;
    friend class GilSpansPlottable;

    int modelIndex(const QString &model);
    void rebuildLaneIndex();
    void updateLanesAxis();
    void updateLegend();
    void fitAll();
    void onTick();
    void onHover(QMouseEvent *event);
    const Bar *barAt(const QPointF &pos) const;
    QString describe(const Bar &b) const;

    std::vector<Bar> m_bars;
    std::vector<GilSpan> m_gil;
    std::vector<std::vector<int>> m_laneBars;      // bar indices per lane, by start time
    std::vector<std::vector<int>> m_laneGil;       // GIL span indices per lane, by start time
    QHash<quint64, int> m_open;                    // (run, task id) -> bar index of a running task
    QStringList m_models;
    QHash<int, TaskSpec> m_specs;
    QVector<QCPBars *> m_legendSwatches;
    QCPBars *m_gilSwatch = nullptr;
    TimelineBarsPlottable *m_barsPlottable = nullptr;
    GilSpansPlottable *m_gilPlottable = nullptr;
    int m_lanes = 1;
    double m_lastRunT0 = qQNaN(), m_lastRunT1 = qQNaN();
    bool m_dirty = false;
    QTimer m_timer;
};

} // namespace lab
