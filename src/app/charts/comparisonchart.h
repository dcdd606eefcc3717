#pragma once
#include "chartmodels/comparisonmodel.h"
#include "chartwidget.h"

#include <QPointer>
#include <vector>

class QCPAxisRect;
class QCPBars;

namespace lab {

// Four bar panels in one plot: wall time (s), speedup (x, with the ideal = workers line),
// efficiency (%) and busy cores (with the machine's core count). One bar per run, grouped by
// model in the model's colour, with value labels on the bars. A view of a ComparisonModel (its
// own unless setModel() shares one).
class ComparisonChart : public ChartWidget {
    Q_OBJECT
public:
    enum Panel {
        WallTime = ComparisonModel::WallTime,
        Speedup = ComparisonModel::Speedup,
        Efficiency = ComparisonModel::Efficiency,
        BusyCores = ComparisonModel::BusyCores,
        PanelCount = ComparisonModel::PanelCount
    };

    explicit ComparisonChart(QWidget *parent = nullptr);
    ~ComparisonChart() override;

    void setModel(ComparisonModel *model);
    ComparisonModel *model() const { return m_model; }
    int barCount(Panel panel = WallTime) const;
    QCPAxisRect *panelRect(Panel panel) const { return m_rects[panel]; }
    int runCount() const { return m_model->runCount(); }
    void setMachineCores(int cores);  // default: online cores

public Q_SLOTS:
    // Convenience: forwarded to the model.
    void setRuns(const std::vector<lab::RunRecord> &runs);
    void clear();

protected:
    void applyThemeColors(bool dark) override;

private:
    void rebuild();

    QPointer<ComparisonModel> m_model;
    QCPAxisRect *m_rects[PanelCount] = {};
    std::vector<QCPBars *> m_bars[PanelCount];
};

} // namespace lab
