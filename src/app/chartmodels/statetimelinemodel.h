#pragma once
#include "experiment/runrecord.h"
#include "trace/statetrace.h"

#include <QHash>
#include <QObject>
#include <QString>
#include <QStringList>
#include <vector>

namespace lab {

// What the thread-state timeline draws for one run: per worker lane the states inside each
// task (running, waiting for a lock, a permit, the GIL, ...), the culprit arrows (who released
// what ended a wait), one lane per primitive (the lock's holder, permits in use, queue depth,
// an event's state) and the deadlock the run ended in. Times are seconds from the run's t0,
// the form a rebased RunRecord carries (live and loaded runs alike).
class StateTimelineModel : public QObject {
    Q_OBJECT
public:
    // One interval of one task in one state. Running segments are what the recorded spans
    // leave of a task; Gil segments are, for gil-threads runs, what the GIL statistics show
    // the worker did not hold while its task ran and recorded nothing else.
    struct Segment {
        double t0 = 0, t1 = 0;
        int lane = 0;
        int task = 0;
        LaneState state = LaneState::Running;
        int primitive = -1;
        int culprit = -1;        // task id; -1 unknown
        int culpritLane = -1;    // the culprit task's lane; -1 unknown
        double wake = -1;        // s from the release to running again; negative: unknown
        bool deadlock = false;   // a wait of the deadlock's cycle
    };
    // From the culprit's lane at the release to the woken lane at the wait's end.
    struct Arrow {
        int segment = 0;
        int fromLane = 0, toLane = 0;
        double tFrom = 0, tTo = 0;
    };
    enum class PrimitiveShape : quint8 { Holder, Level, Flag };
    // One constant value of a primitive, [t0, t1).
    struct Step {
        double t0 = 0, t1 = 0;
        int value = 0;
        int task = -1;           // the task that set the value
    };
    struct PrimitiveLane {
        PrimitiveInfo info;
        PrimitiveShape shape = PrimitiveShape::Level;
        std::vector<Step> steps;
        int maxValue = 0;        // largest value recorded
    };
    // A reduced row of the drawing: pixel columns [x0, x1) of one lane in one state.
    struct Cell {
        float x0 = 0, x1 = 0;
        int lane = 0;
        LaneState state = LaneState::Running;
        bool deadlock = false;
    };
    static constexpr int kMaxSegments = 400000;
    static constexpr int kMaxArrows = 300;

    explicit StateTimelineModel(QObject *parent = nullptr);

    // The runs of the experiment shown; the ones with traces (or GIL spans) can be chosen.
    // Keeps the chosen run when it is still there, else picks the default (the first run
    // with recorded waits, preferring several workers).
    // `variantLabels`: how the run list names the variants (VariantModel::variantLabelsOf).
    void setRuns(const std::vector<RunRecord> &runs, const QHash<QString, QString> &variantLabels = {});
    // Only this run (tests; a chart fed one run).
    void setRun(const RunRecord &run);
    void clear();
    // Runs that have something to show, as indices into the runs given, and their names.
    const std::vector<int> &candidates() const { return m_candidates; }
    QStringList candidateLabels() const;
    int selected() const { return m_selected; }  // index into candidates(); -1: none
    void select(int candidate);
    bool hasRun() const { return m_selected >= 0; }
    const RunRecord &run() const { return m_run; }

    int laneCount() const { return m_lanes; }
    const std::vector<Segment> &segments() const { return m_segments; }
    // Segment indices per lane, by start time (a lane's segments never overlap).
    const std::vector<std::vector<int>> &laneSegments() const { return m_laneSegments; }
    const std::vector<Arrow> &arrows() const { return m_arrows; }
    const std::vector<PrimitiveLane> &primitiveLanes() const { return m_primitives; }
    // States that occur in the shown run, in LaneState order (the legend).
    std::vector<LaneState> statesPresent() const;
    double duration() const { return m_duration; }  // s, the run's span
    qint64 droppedRecords() const { return m_dropped; }
    bool segmentsCapped() const { return m_capped; }
    int lane(int task) const;

    // Arrows that end inside [lower, upper]: all of them up to `limit`, else the `limit` of the
    // longest waits; *total receives how many there were.
    std::vector<int> visibleArrows(double lower, double upper, int limit, int *total) const;
    // The lane rows reduced to `columns` pixels of [lower, upper]: per column the state that
    // covered it most, adjacent columns of one state merged.
    std::vector<Cell> reduce(double lower, double upper, int columns) const;
    // The segment of `lane` at time t (within tolerance, waits preferred); -1: none.
    int segmentAt(int lane, double t, double tolerance) const;
    // The step of primitive lane p at time t; -1: none.
    int stepAt(int primitive, double t) const;
    // Hover text, plain words.
    QString describeSegment(int segment) const;
    QString describeStep(int primitive, int step) const;
    QString primitiveName(int primitive) const;

    // A deadlock among the run's tasks: the banner's text (empty: none).
    QString deadlockText() const { return m_deadlock; }

    static PrimitiveShape shapeOf(const QString &kind);

Q_SIGNALS:
    void changed();
    void candidatesChanged();

private:
    void build();
    void addTask(const TaskResult &t, const std::vector<std::vector<GilStats::Span>> &gil, double gilEnd);

    std::vector<RunRecord> m_runs;
    QHash<QString, QString> m_variantLabels;
    std::vector<int> m_candidates;
    int m_selected = -1;
    bool m_picked = false;  // the user chose m_selected: new runs of the experiment keep it
    RunRecord m_run;
    int m_lanes = 0;
    std::vector<Segment> m_segments;
    std::vector<std::vector<int>> m_laneSegments;
    std::vector<Arrow> m_arrows;
    std::vector<PrimitiveLane> m_primitives;
    QHash<int, int> m_taskLane;
    double m_duration = 0;
    qint64 m_dropped = 0;
    bool m_capped = false;
    QString m_deadlock;
};

} // namespace lab
