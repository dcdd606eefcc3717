#pragma once
#include "chartmodels/timelinemodel.h"
#include "timechart.h"

#include <QPointer>
#include <vector>

class QCPBars;

namespace lab {

class TimelineBarsPlottable;
class GilSpansPlottable;

// Gantt chart of a run: one lane per worker, one bar per task coloured by model, GIL-held
// spans overlaid. A view of a TimelineModel (its own unless setModel() shares one); times are
// monotonic seconds on the shared time axis (seconds since the origin). Hover shows a task
// tooltip. Redraws on the shared clock, and keeps redrawing while tasks run (bars grow).
class TimelineChart : public TimeChart {
    Q_OBJECT
public:
    using Bar = TimelineModel::Bar;
    using GilSpan = TimelineModel::GilSpan;
    static constexpr int kMaxBars = TimelineModel::kMaxBars;
    static constexpr int kMaxGilSpans = TimelineModel::kMaxGilSpans;

    explicit TimelineChart(QWidget *parent = nullptr);
    ~TimelineChart() override;

    void setModel(TimelineModel *model);
    TimelineModel *model() const { return m_model; }
    // Optional: task specs of the experiment, so tooltips can show n (CPU) or the URL.
    void setTaskSpecs(const std::vector<TaskSpec> &tasks);

    int barCount() const { return int(m_model->bars().size()); }
    int gilSpanCount() const { return int(m_model->gilSpans().size()); }
    int laneCount() const { return m_model->laneCount(); }
    // Rows drawn: one per lane, or one per group of groupSize() lanes when lanes do not fit
    // at kMinRowPx (the group's row shows how many of its lanes are busy).
    static constexpr int kMinRowPx = 14;
    // Below this height for the lanes, the legend row gives way (fitLegendAndTitles).
    static constexpr int kMinLanesPx = 40;
    bool legendShown() const { return !m_legendDropped; }
    int groupSize() const { return m_groupSize; }
    int rowCount() const { return (laneCount() + m_groupSize - 1) / m_groupSize; }
    // Spans the last redraw drew (after merging and grouping).
    int lastSpanCount() const { return m_lastSpanCount; }
    // Replots synchronously; returns the time taken (ms). For benches and tests.
    double renderNow();
    const std::vector<Bar> &bars() const { return m_model->bars(); }
    QStringList models() const { return m_model->models(); }
    // Tooltip text for a point in widget coordinates (empty when over no bar).
    QString toolTipAt(const QPointF &pos) const;

public Q_SLOTS:
    // Convenience: forwarded to the model.
    void clear();
    // A finished run, with its index in the experiment: replaces that run's (live) bars.
    void setRun(int run, const lab::RunRecord &r);
    // setRun with the next index (a chart fed run by run).
    void addRun(const lab::RunRecord &r);
    // Live bars from the runner's events (e.run: the run's index).
    void addLiveEvent(const lab::LiveEvent &e, double runT0, const QString &model);
    // Shows the span of the most recent run (like a user zoom: every chart on the range follows).
    void zoomToRun();

protected:
    void applyThemeColors(bool dark) override;
    void liveFollowResumed() override;
    void timeOriginApplied() override;
    void redraw() override;
    bool wantsAnotherFrame() const override { return m_model->hasOpenTasks(); }

private:
    friend class TimelineBarsPlottable;
    friend class GilSpansPlottable;

    void updateLanesAxis();
    void updateGrouping();
    bool fitLegendAndTitles();  // to the size laid out; true if the layout must be redone
    QString lanesTitle() const;  // "worker", or "workers" when a row groups several
    QString describeGroup(int row, double t) const;
    void updateLegend();
    void fitAll();
    void onHover(QMouseEvent *event);
    const Bar *barAt(const QPointF &pos) const;
    QString describe(const Bar &b) const;

    QPointer<TimelineModel> m_model;
    QVector<QCPBars *> m_legendSwatches;
    QCPBars *m_gilSwatch = nullptr;
    TimelineBarsPlottable *m_barsPlottable = nullptr;
    GilSpansPlottable *m_gilPlottable = nullptr;
    int m_groupSize = 1;
    bool m_legendDropped = false;
    int m_lastSpanCount = 0;
};

} // namespace lab
