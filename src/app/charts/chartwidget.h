#pragma once
#include <QWidget>

class QCustomPlot;

namespace lab {

// Base of every chart: a QWidget holding exactly one QCustomPlot, styled for projectors.
// applyProjectorStyle() on plot() (or setDark) restyles the plot; the chart then recolours
// its own elements in applyThemeColors() (triggered by the "labDark" property change).
class ChartWidget : public QWidget {
    Q_OBJECT
public:
    explicit ChartWidget(QWidget *parent = nullptr);
    ~ChartWidget() override;

    QCustomPlot *plot() const { return m_plot; }
    bool isDark() const;
    void setDark(bool dark);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    // Recolour chart-specific elements (lines, items) for the theme; no replot needed.
    virtual void applyThemeColors(bool dark) = 0;
    // Call at the end of a derived constructor: applies the light style and colours.
    void initStyle();

    QCustomPlot *m_plot = nullptr;
};

} // namespace lab
