#pragma once
#include "sampling/cpusampler.h"

#include <QObject>
#include <QString>
#include <QtNumeric>
#include <vector>

namespace lab {

// Fixed-capacity ring of CPU samples (time + total + per core, as floats). Memory is
// allocated once per core count, so it stays flat however long the app runs.
class CpuSampleRing {
public:
    void reset(int cores, int capacity);
    void push(const CpuSample &s);
    int cores() const { return m_cores; }
    int capacity() const { return m_capacity; }
    int size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }
    // Logical index 0 = oldest.
    double time(int i) const { return m_time[size_t(physical(i))]; }
    // Row of cores + 1 values: [0] total, [1 + c] core c (NaN when offline).
    const float *row(int i) const { return m_values.data() + size_t(physical(i)) * size_t(m_cores + 1); }
    // First logical index with time >= t (size() if none).
    int lowerBound(double t) const;
    size_t memoryBytes() const { return m_time.capacity() * sizeof(double) + m_values.capacity() * sizeof(float); }

private:
    int physical(int i) const { return (m_head + i) % m_capacity; }
    int m_cores = 0;
    int m_capacity = 0;
    int m_head = 0;   // physical index of the oldest sample
    int m_size = 0;
    std::vector<double> m_time;
    std::vector<float> m_values;
};

// What the CPU chart draws: the samples (a ring) and the spans of the runs, in monotonic
// seconds. Appending never redraws; the chart redraws on the shared clock.
class CpuSeriesModel : public QObject {
    Q_OBJECT
public:
    static constexpr int kDefaultCapacity = 30000;  // 600 s at the sampler's 50 Hz maximum
    static constexpr int kMaxSpans = 200;

    struct Span {
        double t0 = 0;
        double t1 = qQNaN();  // NaN while the run goes on
        QString model;
    };

    explicit CpuSeriesModel(QObject *parent = nullptr);

    const CpuSampleRing &ring() const { return m_ring; }
    int coreCount() const { return m_ring.cores(); }
    int sampleCount() const { return m_ring.size(); }
    double newestTime() const { return m_ring.isEmpty() ? qQNaN() : m_ring.time(m_ring.size() - 1); }
    const std::vector<Span> &spans() const { return m_spans; }
    // The app's own CPU (percent of one core, AppCpuMeter); NaN: not measured.
    double appCpuPercent() const { return m_appCpu; }

    void setCapacity(int samples);  // clears the samples
    void setCoreCount(int cores);   // clears the samples when it changes

public Q_SLOTS:
    // Out-of-order and duplicate samples are dropped; a new core count starts a new ring.
    void addSample(const lab::CpuSample &s);
    // Replaces all samples (a loaded experiment), oldest first.
    void setSamples(const std::vector<lab::CpuSample> &samples);
    void markRunStarted(double t0, const QString &model);
    void markRunFinished(double t1);
    void setSpans(const std::vector<Span> &spans);
    void clearRunMarks();
    void clear();  // samples and spans
    void setAppCpuPercent(double percentOfCore);

Q_SIGNALS:
    void samplesChanged();
    void spansChanged();
    void coreCountChanged(int cores);
    void appCpuChanged(double percentOfCore);

private:
    CpuSampleRing m_ring;
    int m_capacity = kDefaultCapacity;
    std::vector<Span> m_spans;
    double m_appCpu = qQNaN();
};

} // namespace lab
