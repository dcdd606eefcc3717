#pragma once
#include "experiment/runrecord.h"

#include <QObject>
#include <QString>
#include <optional>
#include <vector>

namespace lab {

// What a BarPanelsChart draws: panels stacked top to bottom, each a horizontal bar per row
// (a model; a row may carry a second, lighter bar: the convoy's "beside" and "alone"). A figure that was not measured has
// no value and is drawn as "–", never as 0.
struct BarPanel {
    struct Row {
        QString model;          // model id (colour, label)
        QString suffix;         // shown after the model's name ("beside", "alone")
        std::optional<double> value;
        QString valueText;      // label at the bar's end ("beside 5.20 ms (p99 10.5 ms)")
        bool faded = false;     // a secondary row (drawn lighter)
        // A second bar of the same model, drawn lighter below the first ("alone 29 µs").
        std::optional<double> second;
        QString secondText;
        bool hasSecond = false;
        QString variant;        // the run's variant (experiments with variants): named on the bar
    };
    QString id;                 // "latency", "switches", "tenure", "speedup", "busy"
    QString title;              // axis label
    bool logScale = false;
    std::optional<double> reference;  // a vertical line (1x for speedup)
    QString referenceText;
    std::vector<Row> rows;

    bool hasValues() const;
};

// GIL figures of a run set: round-trip latency of the convoy (p50 beside and alone, p99 in
// the label), GIL switches per second and the median GIL hold time. Panels without any
// measured value are left out.
std::vector<BarPanel> gilPanels(const std::vector<RunRecord> &runs);
// The headline of an experiment for a hall: speedup and busy cores, or for the convoy its
// latency panel.
std::vector<BarPanel> headlinePanels(const std::vector<RunRecord> &runs, const QString &workload);

class BarPanelsModel : public QObject {
    Q_OBJECT
public:
    explicit BarPanelsModel(QObject *parent = nullptr);

    const std::vector<BarPanel> &panels() const { return m_panels; }
    bool hasValues() const;
    void setPanels(std::vector<BarPanel> panels);

Q_SIGNALS:
    void changed();

private:
    std::vector<BarPanel> m_panels;
};

} // namespace lab
