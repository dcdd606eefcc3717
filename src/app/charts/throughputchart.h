#pragma once
#include "chartwidget.h"
#include "experiment/runrecord.h"

#include <QHash>
#include <QTimer>

class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;

namespace lab {

// Throughput per model over time since each run's start: tasks/s (CPU) or requests/s plus
// MB/s on a second axis (I/O, dashed), one line per model in its colour, the sequential rate
// as a dashed reference line. Redraws from a timer, never per point.
class ThroughputChart : public ChartWidget {
    Q_OBJECT
public:
    explicit ThroughputChart(QWidget *parent = nullptr);
    ~ThroughputChart() override;

    bool ioMode() const { return m_io; }
    QStringList models() const { return m_order; }
    int pointCount(const QString &model) const;
    double referenceRate() const { return m_reference; }
    // Moving-average window applied to RunRecord series (seconds), as shown in the axis label.
    static double smoothingWindow(double wall_s, int tasks);

public Q_SLOTS:
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

private:
    struct Lines {
        QCPGraph *rate = nullptr;
        QCPGraph *mb = nullptr;
    };
    Lines &linesFor(const QString &model);
    void updateAxes();
    void updateLabels();
    void updatePens();
    void changed();
    void onTick();

    QHash<QString, Lines> m_lines;
    QStringList m_order;
    bool m_io = false;
    double m_reference = 0;
    double m_smoothing = 0;
    QCPItemStraightLine *m_refLine = nullptr;
    QCPItemText *m_refLabel = nullptr;
    bool m_dirty = false;
    QTimer m_timer;
};

} // namespace lab
