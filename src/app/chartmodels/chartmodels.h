#pragma once
#include "comparisonmodel.h"
#include "store/runstore.h"
#include "cpuseriesmodel.h"
#include "statetimelinemodel.h"
#include "variantmodel.h"
#include "throughputmodel.h"
#include "timelinemodel.h"
#include "timerange.h"

#include <QObject>
#include <QPointer>

namespace lab {

// Feeds the chart models from the run store: the current experiment as it runs (run spans,
// throughput, timeline, comparison of the median runs), or a stored one (a loaded file) drawn
// exactly as it looked live. Live-only data (task events, the live rate) comes from the run
// controller and is shown only while the current experiment is the session's newest.
class ChartModels : public QObject {
    Q_OBJECT
public:
    explicit ChartModels(QObject *parent = nullptr);

    void setStore(RunStore *store);
    RunStore *store() const { return m_store; }
    // Monotonic seconds shown as 0 while live (normally when the window opened).
    void setSessionOrigin(double monotonicSeconds);
    double sessionOrigin() const { return m_sessionOrigin; }

    CpuSeriesModel *cpu() const { return m_cpu; }
    ThroughputModel *throughput() const { return m_throughput; }
    TimelineModel *timeline() const { return m_timeline; }
    ComparisonModel *comparison() const { return m_comparison; }
    // The thread-state timeline of one traced run, and the variant figures, of the experiment shown.
    StateTimelineModel *states() const { return m_states; }
    VariantModel *variants() const { return m_variants; }
    TimeRange *timeRange() const { return m_range; }
    // True while the charts show the session's live data (the CPU chart scrolls).
    bool showsLive() const { return m_live; }
    // [lower, upper] in seconds since the origin that frames the current experiment's runs,
    // with a margin; false when it has none.
    bool experimentSpan(double *lower, double *upper) const;
    // Shows that span on the time axis (leaves live follow).
    void zoomToExperiment();
    // Id of the experiment the charts show (0: none).
    int shownExperiment() const { return m_shown; }
    // "Number cruncher, 2026-12-02 14:02:31": the experiment's title and start (local time).
    static QString experimentName(const StoredExperiment &e);
    // What the comparison shows: the experiment, and earlier runs it borrows models from.
    QString comparisonTitle() const;

public Q_SLOTS:
    // From RunController::liveEventsArrived / liveThroughput (e.run is the run's index).
    void addLiveEvents(const QString &model, double runT0, const std::vector<lab::LiveEvent> &events);
    void addLiveThroughput(const QString &model, double tRel, double tasksPerS, double mbPerS);

private:
    void onCurrentChanged(int id);
    void onRunStarted(int experimentId, int index);
    void onRunAdded(int experimentId, int index);
    void onSample(const lab::CpuSample &sample);
    void beginLive(const StoredExperiment &e);
    void showStored(const StoredExperiment &e);
    void updateComparison();
    void updateStatesAndVariants(const StoredExperiment &e);
    std::vector<CpuSeriesModel::Span> sessionSpans() const;
    bool isNewestSession(int id) const;

    QPointer<RunStore> m_store;
    CpuSeriesModel *m_cpu;
    ThroughputModel *m_throughput;
    TimelineModel *m_timeline;
    ComparisonModel *m_comparison;
    StateTimelineModel *m_states;
    VariantModel *m_variants;
    TimeRange *m_range;
    double m_sessionOrigin = 0;
    bool m_live = true;
    int m_shown = 0;  // experiment id the timeline and throughput show
};

} // namespace lab
