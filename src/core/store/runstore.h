#pragma once
#include "experiment/runrecord.h"
#include "sampling/cpusampler.h"

#include <QHash>
#include <QObject>
#include <QStringList>
#include <deque>
#include <vector>

namespace lab {

// One experiment the store holds: run in this session (live while it runs) or loaded from a
// file. Run indices are positions in result.runs, the order the runs ran in.
struct StoredExperiment {
    int id = 0;
    ExperimentResult result;
    std::vector<CpuSample> cpuSamples;  // taken during the experiment (plus a second either side)
    double cpuHz = 0;                   // sampler rate; 0: unknown
    QString source;                     // file it came from; empty: run in this session
    bool live = false;                  // runs are still being added

    bool isLoaded() const { return !source.isEmpty(); }
};

// Everything the charts, the table and the exports show: the experiments run since the app
// started and the loaded ones. Picks each model's median repetition and computes speedups
// against the right baseline (baselineModel()). GUI thread only (it is fed by queued signals).
class RunStore : public QObject {
    Q_OBJECT
public:
    static constexpr double kSessionSampleKeepS = 660;  // live CPU samples kept (chart window max + margin)

    explicit RunStore(QObject *parent = nullptr);
    ~RunStore() override;

    // A live experiment begins; it becomes the current one. Returns its id.
    int beginExperiment(const ExperimentSpec &spec);
    // The run with this index of the live experiment started / finished (runs finish in order).
    void runStarted(int index, const QString &model, int workers, double t0);
    void runFinished(const RunRecord &record);
    // The live experiment is over; `result` carries its error/cancel state and machine. The
    // experiment keeps the CPU samples taken while it ran.
    void finishExperiment(const ExperimentResult &result);
    // A whole saved experiment (with the CPU samples it recorded); becomes the current one.
    int addLoaded(const ExperimentResult &result, std::vector<CpuSample> cpuSamples, double cpuHz,
                  const QString &source);

    // The app's sampler: kept for the session (bounded) and attached to live experiments.
    void addCpuSample(const CpuSample &sample);
    void setCpuSampleRate(double hz) { m_cpuHz = hz; }
    const std::deque<CpuSample> &sessionSamples() const { return m_sessionSamples; }

    bool setCurrentExperiment(int id);
    int currentId() const { return m_current; }
    const StoredExperiment *current() const { return experiment(m_current); }
    const StoredExperiment *experiment(int id) const;
    const StoredExperiment *liveExperiment() const;
    std::vector<int> experimentIds() const;
    int experimentCount() const { return int(m_experiments.size()); }
    // Model, workers, t0 of a run of the live experiment that started but has not finished.
    struct StartedRun {
        int index = -1;
        QString model;
        int workers = 0;
        double t0 = 0;
    };
    const std::vector<StartedRun> &startedRuns() const { return m_started; }

    // What the comparison and the results table show for the current experiment: the median
    // repetition (by wall time) of each model, taken from the latest experiment that ran the
    // model on the same workload (so separate clicks stay comparable; a loaded file stands
    // alone), in registry order, with speedups against those runs' baselines. Cancelled runs
    // never count.
    std::vector<RunRecord> comparisonRuns() const;
    // How each model's figure in comparisonRuns() was chosen: the median of `runs` good
    // repetitions whose wall times spread from minWall to maxWall (seconds).
    struct Spread {
        int runs = 0;
        double minWall = 0;
        double maxWall = 0;
    };
    QHash<QString, Spread> comparisonSpread() const;
    // Ids of the experiments comparisonRuns() took runs from (the current one first).
    QStringList comparisonSources() const;
    // Runs of the experiment with the median repetition of each model and variant (same rules,
    // one experiment): variants of one model are different runs, never repetitions of each other.
    static std::vector<RunRecord> medianRuns(const std::vector<RunRecord> &runs);
    // What tells runs apart in the comparison: the model, and its variant where it has one
    // ("mutex/threads"); comparisonSpread() is keyed by it.
    static QString comparisonKey(const RunRecord &run);
    // Identifies "the same workload": runs of one fingerprint are compared with each other.
    static QString workloadFingerprint(const ExperimentSpec &spec);

Q_SIGNALS:
    void experimentAdded(int id);
    void currentExperimentChanged(int id);
    void runStartedInStore(int experimentId, int index);
    void runAdded(int experimentId, int index);
    void runChanged(int experimentId, int index);
    void experimentFinished(int experimentId);
    void cpuSampleAdded(const lab::CpuSample &sample);

private:
    StoredExperiment *find(int id);
    void collectComparison(std::vector<RunRecord> *runs, QHash<QString, Spread> *spread, QStringList *sources) const;

    std::vector<StoredExperiment> m_experiments;  // by id (ascending)
    int m_nextId = 1;
    int m_current = 0;
    int m_live = 0;
    std::vector<StartedRun> m_started;
    std::deque<CpuSample> m_sessionSamples;
    double m_cpuHz = 0;
};

} // namespace lab
