#pragma once
#include "chartmodels/redrawclock.h"

#include <QPointer>
#include <QWidget>

class QCustomPlot;

namespace lab {

// Base of every chart: a QWidget holding exactly one QCustomPlot, styled for projectors.
// applyProjectorStyle() on plot() (or setDark) restyles the plot; the chart then recolours
// its own elements in applyThemeColors() (triggered by the "labDark" property change).
// Charts are views of their models: a model change calls markDirty(), and the chart replots on
// the next tick of the shared redraw clock, only if it is visible (a hidden chart stays dirty
// and draws when shown).
class ChartWidget : public QWidget {
    Q_OBJECT
public:
    explicit ChartWidget(QWidget *parent = nullptr);
    ~ChartWidget() override;

    QCustomPlot *plot() const { return m_plot; }
    bool isDark() const;
    void setDark(bool dark);
    // Default: RedrawClock::shared().
    void setRedrawClock(RedrawClock *clock);
    RedrawClock *redrawClock() const { return m_clock; }
    bool isDirty() const { return m_dirty; }
    int redrawCount() const { return m_redraws; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void showEvent(QShowEvent *event) override;
    // Recolour chart-specific elements (lines, items) for the theme; no replot needed.
    virtual void applyThemeColors(bool dark) = 0;
    // Call at the end of a derived constructor: applies the light style and colours.
    void initStyle();
    // The model (or the view) changed: replot on the next clock tick.
    void markDirty();
    // Points `current` at `model` (a chart's setModel): false when there is nothing to change;
    // the old model is disconnected from this chart, and deleted if the chart owned it. The
    // caller then connects the new one.
    template<typename Holder, typename Model>  // Holder: Model * or QPointer<Model>
    bool replaceModel(Holder &current, Model *model)
    {
        Model *old = current;
        if (!model || model == old)
            return false;
        if (old) {
            disconnect(old, nullptr, this, nullptr);
            if (old->parent() == this)
                old->deleteLater();
        }
        current = model;
        return true;
    }
    // On a clock tick with the chart dirty and visible. Default: a queued replot.
    virtual void redraw();
    // False: skip this tick and stay dirty (a paused chart).
    virtual bool readyToRedraw() const { return true; }
    // True after a redraw: draw again on the next tick (bars of running tasks grow).
    virtual bool wantsAnotherFrame() const { return false; }

    QCustomPlot *m_plot = nullptr;

private:
    void onClockTick();

    QPointer<RedrawClock> m_clock;
    bool m_dirty = false;
    bool m_inRedraw = false;  // view changes made by redraw() itself are part of this frame
    int m_redraws = 0;
};

} // namespace lab
