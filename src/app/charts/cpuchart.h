#pragma once
#include "sampling/cpusampler.h"
#include "timechart.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QVector>
#include <vector>

class QCPAxisRect;
class QCPColorMap;
class QCPColorMapData;
class QCPColorScale;
class QCPGraph;
class QCPItemRect;
class QCPItemText;
class QCPLayoutGrid;

namespace lab {

class DirectColorMapData;

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

// Live per-core CPU chart: one 1 px line per core plus a thick total line for up to 16 cores,
// a cores x time heatmap (plus a total strip) above. Samples go into a ring buffer; the chart
// redraws only from its own timer, with data reduced to at most one value per pixel column.
class CpuChart : public TimeChart {
    Q_OBJECT
public:
    static constexpr int kMaxLineCores = 16;
    static constexpr double kMinWindow = 10;
    static constexpr double kMaxWindow = 600;
    static constexpr int kDefaultCapacity = 30000;  // 600 s at the sampler's 50 Hz maximum

    explicit CpuChart(QWidget *parent = nullptr);
    ~CpuChart() override;

    void setWindowSeconds(double seconds);  // clamped to 10..600
    double windowSeconds() const { return m_window; }
    void setCapacity(int samples);          // ring size (clears), default kDefaultCapacity
    void setCoreCount(int cores);           // optional: prepare the layout before samples come
    int coreCount() const { return m_ring.cores(); }
    bool isHeatmap() const { return m_ring.cores() > kMaxLineCores; }
    bool isPaused() const { return m_paused; }
    int sampleCount() const { return m_ring.size(); }
    size_t bufferBytes() const { return m_ring.memoryBytes(); }
    // Duration of the last redraw: data reduction + QCustomPlot::replot (ms).
    double lastReplotMs() const { return m_lastReplotMs; }
    int replotCount() const { return m_replotCount; }
    // Reduces the data and replots synchronously; returns the time taken (ms). For benches,
    // tests and exports; the live chart never needs it.
    double renderNow();
    // Values under a point in widget coordinates: the nearest sample's total and cores
    // (lines) or the hovered core's cell (heatmap); empty outside the data.
    QString toolTipAt(const QPointF &pos) const;

public Q_SLOTS:
    // Appends to the ring buffer and marks the chart dirty; never replots.
    void addSample(const lab::CpuSample &s);
    // Shaded spans over the chart, labelled with the model; times in monotonic seconds.
    void markRunStarted(double t0, const QString &model);
    void markRunFinished(double t1);
    void clearRunMarks();
    // Paused: the view stops scrolling and redrawing; samples are still recorded.
    void setPaused(bool paused);

protected:
    void applyThemeColors(bool dark) override;
    void timeOriginApplied() override;
    void liveFollowResumed() override;

private:
    struct Span {
        double t0 = 0, t1 = qQNaN();  // monotonic seconds; t1 NaN while running
        QString model;
        QCPItemRect *rect = nullptr;
        QCPItemText *label = nullptr;
    };

    void onTick();
    void onHover(QMouseEvent *event);
    void buildLayout(bool heatmap);
    void reduceForView();
    void reduceLines(double lower, double upper, int columns);
    void reduceHeatmap(double lower, double upper, int columns);
    void followNewest();
    void createSpanItems(Span &span);
    void styleSpanItems(Span &span);
    void updateSpanItems();
    void updateLinePens();
    QCPAxisRect *spanRect() const;

    CpuSampleRing m_ring;
    int m_capacity = kDefaultCapacity;
    double m_window = 30;
    bool m_paused = false;
    bool m_dirty = false;         // new samples or marks since the last redraw
    bool m_heatmapLayout = false;
    bool m_layoutBuilt = false;
    QTimer m_timer;
    std::vector<Span> m_spans;

    QCPAxisRect *m_mainRect = nullptr;
    QCPAxisRect *m_totalRect = nullptr;  // heatmap mode: the total strip
    QCPLayoutGrid *m_legendRow = nullptr;
    QVector<QCPGraph *> m_coreGraphs;
    QCPGraph *m_totalGraph = nullptr;
    QCPGraph *m_legendCoresDummy = nullptr;
    QCPColorMap *m_colorMap = nullptr;
    DirectColorMapData *m_mapData = nullptr;  // owned by m_colorMap
    QCPColorScale *m_colorScale = nullptr;

    // What the plot data was reduced for; redo when any of it changes.
    double m_reducedLower = 0, m_reducedUpper = 0, m_reducedOrigin = 0;
    int m_reducedColumns = 0;
    bool m_reducedDense = false;
    int m_pointsInView = 0;

    QElapsedTimer m_reduceClock;
    double m_reduceMs = 0;
    double m_lastReplotMs = 0;
    int m_replotCount = 0;
    std::vector<double> m_sum;    // scratch for reductions, reused
    std::vector<int> m_count;
};

} // namespace lab
