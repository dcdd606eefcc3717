#pragma once
#include "experiment/runrecord.h"

#include <QObject>
#include <QStringList>
#include <vector>

namespace lab {

// What the throughput chart draws: one series per model over time since its run's start
// (tasks/s or requests/s, and MB/s for I/O), the sequential rate as a reference.
class ThroughputModel : public QObject {
    Q_OBJECT
public:
    struct Point {
        double t = 0;       // seconds since the run's start
        double rate = 0;    // tasks/s (NaN: unknown)
        double mbPerS = 0;  // NaN: unknown
    };

    explicit ThroughputModel(QObject *parent = nullptr);

    bool ioMode() const { return m_io; }
    QStringList models() const { return m_order; }  // in order of first appearance
    const std::vector<Point> &series(const QString &model) const;
    int pointCount(const QString &model) const { return int(series(model).size()); }
    double referenceRate() const { return m_reference; }  // 0: none
    double smoothing() const { return m_smoothing; }      // widest moving average applied (s)
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

Q_SIGNALS:
    void changed();

private:
    std::vector<Point> &seriesFor(const QString &model);

    QStringList m_order;
    std::vector<std::vector<Point>> m_series;  // parallel to m_order
    bool m_io = false;
    double m_reference = 0;
    double m_smoothing = 0;
};

} // namespace lab
