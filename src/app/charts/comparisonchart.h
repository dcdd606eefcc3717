#pragma once
#include "chartwidget.h"
#include "experiment/runrecord.h"

#include <vector>

class QCPAxisRect;
class QCPBars;

namespace lab {

// Four bar panels in one plot: wall time (s), speedup (x, with the ideal = workers line),
// efficiency (%) and busy cores (with the machine's core count). One bar per run, grouped by
// model in the model's colour, with value labels on the bars.
class ComparisonChart : public ChartWidget {
    Q_OBJECT
public:
    enum Panel { WallTime, Speedup, Efficiency, BusyCores, PanelCount };

    explicit ComparisonChart(QWidget *parent = nullptr);
    ~ComparisonChart() override;

    int barCount(Panel panel = WallTime) const;
    QCPAxisRect *panelRect(Panel panel) const { return m_rects[panel]; }
    int runCount() const { return int(m_runs.size()); }
    void setMachineCores(int cores);  // default: online cores

public Q_SLOTS:
    void setRuns(const std::vector<lab::RunRecord> &runs);
    void clear();

protected:
    void applyThemeColors(bool dark) override;

private:
    void rebuild();

    std::vector<RunRecord> m_runs;
    QCPAxisRect *m_rects[PanelCount] = {};
    std::vector<QCPBars *> m_bars[PanelCount];
    int m_machineCores = 0;
};

} // namespace lab
