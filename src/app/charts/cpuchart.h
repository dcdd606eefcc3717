#pragma once
#include "chartmodels/cpuseriesmodel.h"
#include "timechart.h"

#include <QElapsedTimer>
#include <QPointer>
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
class LiveTail;

// Live per-core CPU chart: one 1 px line per core plus a thick total line for up to 16 cores,
// a cores x time heatmap (plus a total strip) above. A view of a CpuSeriesModel (its own unless
// setModel() shares one): it redraws on the shared redraw clock, with data reduced to at most
// one value per pixel column.
class CpuChart : public TimeChart {
    Q_OBJECT
public:
    static constexpr int kMaxLineCores = 16;
    static constexpr double kMinWindow = 10;
    static constexpr double kMaxWindow = 600;
    static constexpr int kDefaultCapacity = CpuSeriesModel::kDefaultCapacity;
    // Following live, the view moves in steps of this share of the window. Between steps new
    // samples only add to the right end: they are drawn over the last replot (lines mode,
    // up to one point per pixel column) and only that strip of the widget repaints.
    static constexpr double kStepFraction = 0.1;

    explicit CpuChart(QWidget *parent = nullptr);
    ~CpuChart() override;

    void setModel(CpuSeriesModel *model);
    CpuSeriesModel *model() const { return m_model; }
    void setWindowSeconds(double seconds);  // clamped to 10..600
    double windowSeconds() const { return m_window; }
    void setCapacity(int samples);          // ring size (clears), default kDefaultCapacity
    void setCoreCount(int cores);           // optional: prepare the layout before samples come
    int coreCount() const { return ring().cores(); }
    bool isHeatmap() const { return ring().cores() > kMaxLineCores; }
    bool isPaused() const { return m_paused; }
    int sampleCount() const { return ring().size(); }
    size_t bufferBytes() const { return ring().memoryBytes(); }
    // Duration of the last redraw: data reduction + QCustomPlot::replot (ms).
    double lastReplotMs() const { return m_lastReplotMs; }
    int replotCount() const { return m_replotCount; }
    // Live frames that drew only the newest samples, without a replot.
    int tailFrameCount() const { return m_tailFrames; }
    // What a clock tick does (a tail frame or a replot), synchronously; returns the time (ms).
    double renderLiveNow();
    // The app's own CPU as the chart shows it, "app 0.8 % of a core" (brief, where there is
    // no room for that: "app 0.8 %"); empty when unknown.
    QString appCpuText(bool brief = false) const;
    // What the chart shows of it now (full, brief or nothing), and how many run labels are
    // visible: a short chart drops them rather than hide its lines (for tests).
    QString shownAppCpuText() const;
    int visibleRunLabels() const;
    // Reduces the data and replots synchronously; returns the time taken (ms). For benches,
    // tests and exports; the live chart never needs it.
    double renderNow();
    // Values under a point in widget coordinates: the nearest sample's total and cores
    // (lines) or the hovered core's cell (heatmap); empty outside the data.
    QString toolTipAt(const QPointF &pos) const;

public Q_SLOTS:
    // Convenience: forwarded to the model. Appends to the ring buffer; never replots.
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
    void redraw() override;
    bool readyToRedraw() const override { return !m_paused && TimeChart::readyToRedraw(); }

private:
    friend class LiveTail;
    // What the last replot drew: a tail frame is possible while all of it still holds.
    struct Drawn {
        bool valid = false;
        double lower = 0, upper = 0, origin = 0;
        QRect rect;
        int spansVersion = 0, styleVersion = 0;
        int pointLimit = 0;  // more points in view than this reduce per column: replot
        bool fewPoints = false;
        double newest = 0;   // time of the newest sample in the replot's data
    };
    bool tailPossible() const;
    QRect drawTail();
    struct SpanItems {  // drawn for the model's span of the same index
        QCPItemRect *rect = nullptr;
        QCPItemText *label = nullptr;
    };

    const CpuSampleRing &ring() const { return m_model->ring(); }
    void onCoreCountChanged(int cores);
    void syncSpanItems();
    void removeSpanItems();
    void onHover(QMouseEvent *event);
    void buildLayout(bool heatmap);
    void reduceForView();
    void reduceLines(double lower, double upper, int columns);
    void reduceHeatmap(double lower, double upper, int columns);
    void followNewest();
    SpanItems createSpanItems(const CpuSeriesModel::Span &span);
    void styleSpanItems(SpanItems &items, const QString &model);
    void updateSpanItems();
    void updateLinePens();
    QCPAxisRect *spanRect() const;

    QPointer<CpuSeriesModel> m_model;
    double m_window = 30;
    bool m_paused = false;
    bool m_heatmapLayout = false;
    bool m_layoutBuilt = false;
    std::vector<SpanItems> m_spanItems;

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

    LiveTail *m_tail = nullptr;
    Drawn m_drawn;
    double m_reducedNewest = 0;
    double m_tailPaintedTo = 0;  // newest sample time a tail frame has asked to paint
    int m_spansVersion = 0;
    int m_styleVersion = 0;
    int m_tailFrames = 0;

    QElapsedTimer m_reduceClock;
    double m_reduceMs = 0;
    double m_lastReplotMs = 0;
    int m_replotCount = 0;
    std::vector<double> m_sum;    // scratch for reductions, reused
    std::vector<int> m_count;
};

} // namespace lab
