#pragma once
#include "experiment/runrecord.h"
#include "workloads/task.h"

#include <QHash>
#include <QObject>
#include <QStringList>
#include <QtNumeric>
#include <vector>

namespace lab {

// What the timeline draws: one lane per worker, a bar per task coloured by model, the spans in
// which a worker held the (emulated or real) GIL. Times are monotonic seconds. Bars belong to a
// run, identified by its index in the experiment: a finished run replaces exactly its own
// (live) bars, whenever it started.
class TimelineModel : public QObject {
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
        int run = 0;            // index of the run in its experiment
        QString url;
        QString error;
    };
    struct GilSpan {
        double t0 = 0, t1 = 0;  // monotonic seconds
        int lane = 0;
        int run = 0;
    };
    static constexpr int kMaxBars = 200000;
    static constexpr int kMaxGilSpans = 400000;

    // What a redraw draws, reduced to the pixels of the view: in each row, consecutive bars
    // narrower than kMergePx that touch (within a pixel) merge into one span; with several lanes
    // per row (groupSize > 1) a row shows its lanes' occupancy per pixel column instead.
    enum class SpanKind : quint8 { Done, Running, Failed };
    struct Span {
        float x0 = 0, x1 = 0;   // pixel columns from the left of the view, x1 > x0
        int row = 0;
        int modelIndex = 0;
        SpanKind kind = SpanKind::Done;
        float fill = 1;         // share of the row's lanes busy (1 for a single lane)
        int tasks = 1;          // bars merged into this span (single lanes)
    };
    struct Frame {
        int rows = 0;
        int groupSize = 1;
        std::vector<Span> spans;  // by row, then left to right
        int barsVisited = 0;      // bars looked at (the rest were culled)
    };
    static constexpr float kMergePx = 2.0f;
    // Occupancy levels of a grouped row: adjacent columns of one level merge into one span.
    static constexpr int kFillLevels = 16;
    // Lanes per row so that `lanes` fit in `maxRows` rows: 1, 2, 4, 8, 16, ...
    static int groupSizeFor(int lanes, int maxRows);

    explicit TimelineModel(QObject *parent = nullptr);

    const std::vector<Bar> &bars() const { return m_bars; }
    const std::vector<GilSpan> &gilSpans() const { return m_gil; }
    // Bar / GIL span indices per lane, ordered by start time.
    const std::vector<std::vector<int>> &laneBars() const { return m_laneBars; }
    const std::vector<std::vector<int>> &laneGil() const { return m_laneGil; }
    int laneCount() const { return m_lanes; }
    QStringList models() const { return m_models; }
    bool hasOpenTasks() const { return !m_open.isEmpty(); }
    const TaskSpec *taskSpec(int taskId) const;
    // Time span of the most recent run (NaN t1 while it runs).
    double lastRunStart() const { return m_lastRunT0; }
    double lastRunEnd() const { return m_lastRunT1; }
    // Earliest start and latest end of all bars (running bars end at `now`); false if none.
    bool timeSpan(double now, double *lower, double *upper) const;
    int nextRunIndex() const { return m_nextRun; }
    // [first, last) positions in laneBars()[lane] of the bars overlapping [lower, upper]
    // (running bars end at `now`); a binary search, not a scan.
    std::pair<int, int> visibleBars(int lane, double lower, double upper, double now) const;
    // The view [lower, upper] (monotonic s) over `columns` pixels, lanes grouped by `groupSize`.
    Frame reduce(double lower, double upper, int columns, int groupSize, double now) const;
    // Bars of lanes [firstLane, firstLane + count) running at time t (monotonic s).
    std::vector<int> barsAt(int firstLane, int count, double t, double tolerance, double now) const;

public Q_SLOTS:
    void clear();
    // Optional: task specs of the experiment, so tooltips can show n (CPU) or the URL.
    void setTaskSpecs(const std::vector<lab::TaskSpec> &tasks);
    // A finished run: replaces the bars and GIL spans of run `run` (its live bars), keeps the others.
    void setRun(int run, const lab::RunRecord &r);
    // setRun with the next run index.
    void addRun(const lab::RunRecord &r) { setRun(m_nextRun, r); }
    // Live bars from the runner's events (e.run: the run's index); a started task grows until
    // it finishes.
    void addLiveEvent(const lab::LiveEvent &e, double runT0, const QString &model);

Q_SIGNALS:
    void changed();
    void lanesChanged(int lanes);
    void modelsChanged();

private:
    int modelIndex(const QString &model);
    void rebuildLaneIndex();
    void updateEndMax(int lane, int from);

    std::vector<Bar> m_bars;
    std::vector<GilSpan> m_gil;
    std::vector<std::vector<int>> m_laneBars;
    // Per lane, parallel to m_laneBars: what a redraw reads of each bar, packed (24 bytes, not
    // a Bar's 88 with its strings), so reducing 100,000 bars walks memory in order instead of
    // missing the cache on every bar.
    struct LaneBar {
        double t0 = 0;
        double t1 = 0;      // NaN while running
        int modelIndex = 0;
        bool ok = true;
    };
    static LaneBar laneBar(const Bar &b) { return {b.t0, b.t1, b.modelIndex, b.ok}; }
    std::vector<std::vector<LaneBar>> m_laneDraw;
    std::vector<std::vector<int>> m_laneGil;
    // Per lane, parallel to m_laneBars: the latest end among the lane's bars up to this one
    // (+inf after a running bar), so the first visible bar is found by binary search.
    std::vector<std::vector<double>> m_laneEndMax;
    double m_minT0 = qInf(), m_maxT1 = -qInf();  // over finished bars; running ones end "now"
    int m_runningBars = 0;                        // bars without an end (some may never get one)
    QHash<quint64, int> m_open;  // (run, task id) -> bar index of a running task
    QStringList m_models;
    QHash<int, TaskSpec> m_specs;
    int m_lanes = 1;
    int m_nextRun = 0;
    double m_lastRunT0 = qQNaN(), m_lastRunT1 = qQNaN();
};

} // namespace lab
