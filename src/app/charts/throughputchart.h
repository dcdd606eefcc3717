#pragma once
#include "chartmodels/throughputmodel.h"
#include "chartwidget.h"

#include <QHash>
#include <QPointer>

class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;

namespace lab {

// Throughput per model over time since each run's start: tasks/s (CPU) or requests/s plus
// MB/s on a second axis (I/O, dashed), one line per model in its colour, the sequential rate
// as a dashed reference line. A view of a ThroughputModel (its own unless setModel() shares one);
// redraws on the shared redraw clock, never per point.
class ThroughputChart : public ChartWidget {
    Q_OBJECT
public:
    explicit ThroughputChart(QWidget *parent = nullptr);
    ~ThroughputChart() override;

    void setModel(ThroughputModel *model);
    ThroughputModel *model() const { return m_model; }
    bool ioMode() const { return m_model->ioMode(); }
    QStringList models() const { return m_model->models(); }
    int pointCount(const QString &model) const;  // points drawn for the model
    // The legend stands in a column beside the plot (a very short chart), not in rows above it.
    bool legendBeside() const { return m_legendBeside; }
    bool legendShown() const { return !m_legendDropped; }
    double referenceRate() const { return m_model->referenceRate(); }
    // Where the reference line's label is drawn, in plot pixels (null when none is shown).
    QRectF referenceLabelRect() const;
    static double smoothingWindow(double wall_s, int tasks) { return ThroughputModel::smoothingWindow(wall_s, tasks); }

public Q_SLOTS:
    // Convenience: forwarded to the model.
    void clear();
    // A new run of the model: its previous line is cleared.
    void beginRun(const QString &model);
    void addPoint(const QString &model, double tRel, double tasksPerS, double mbPerS);
    // Replaces the model's line by the record's (smoothed) throughput series.
    void setRunRecord(const lab::RunRecord &r);
    void setReferenceRate(double tasksPerS);  // <= 0 hides the line
    void setIoMode(bool io);

protected:
    void applyThemeColors(bool dark) override;
    // The legend takes as many names per row as fit, so the plot keeps its height.
    void resizeEvent(QResizeEvent *event) override;

private:
    struct Lines {
        QCPGraph *rate = nullptr;
        QCPGraph *mb = nullptr;
    };
    Lines &linesFor(const QString &model);
    void updateAxes();
    void updateLabels();
    bool fitTimeTitle();
    bool fitReferenceLabel();  // the reference line's label, whole or absent; true if changed  // the time axis title, shortened when cut; true if changed
    void updatePens();
    void sync();
    bool fitLegend();  // to the size being laid out (the widget, or an export); true if changed

    QPointer<ThroughputModel> m_model;
    QHash<QString, Lines> m_lines;
    bool m_io = false;
    bool m_legendBeside = false;
    bool m_legendDropped = false;  // too many entries for a short chart (fitLegend)
    QString m_xTitle;             // the time axis title as updateLabels() chose it  // a column right of the plot, not rows above it
    QCPItemStraightLine *m_refLine = nullptr;
    QCPItemText *m_refLabel = nullptr;
};

} // namespace lab
