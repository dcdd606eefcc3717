#pragma once
#include "runrecord.h"

#include <QObject>
#include <atomic>

namespace lab {

// Runs an experiment: every selected model, `repetitions` times, sequential first so each
// later run gets its speedup at once. run() blocks its thread; in the app the Runner lives on
// its own QThread (process models spin a local event loop there). requestCancel() and live()
// are safe from any thread; everything else belongs to the Runner's thread.
class Runner : public QObject {
    Q_OBJECT
public:
    explicit Runner(QObject *parent = nullptr);

    ExperimentResult run(const ExperimentSpec &spec);
    void requestCancel();
    bool isCancelRequested() const { return m_cancel.load(); }
    const LiveLog &live() const { return m_live; }
    quint64 generation() const { return m_generation.load(); }

public Q_SLOTS:
    // Queued entry point for the GUI: runs and reports through the signals below.
    void start(const lab::ExperimentSpec &spec);

Q_SIGNALS:
    void experimentStarted(quint64 generation, int runCount, int tasksPerRun);
    void runStarted(quint64 generation, int index, const QString &model, int workers, double t0);
    void runFinished(quint64 generation, const lab::RunRecord &record);
    void experimentFinished(quint64 generation, const lab::ExperimentResult &result);

private:
    std::atomic<bool> m_cancel{false};
    std::atomic<quint64> m_generation{0};
    LiveLog m_live;
};

void registerMetaTypes();

} // namespace lab

Q_DECLARE_METATYPE(lab::ExperimentSpec)
