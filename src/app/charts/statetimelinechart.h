#pragma once
#include "chartmodels/statetimelinemodel.h"
#include "chartwidget.h"

#include <QPointer>
#include <QVector>

class QCPBars;
class QCPGraph;
class QCPTextElement;
class QMouseEvent;

namespace lab {

class StatesPlottable;

// The thread-state timeline of one run (a StateTimelineModel): worker lanes coloured by state
// inside each task, thin arrows from the culprit's release to the woken lane, one lane per
// primitive below (holder, permits or depth against capacity, set/clear), a banner naming a
// deadlock. Its own time axis: milliseconds since the run started (wheel zooms, drag pans,
// double-click shows the whole run). Hover explains a wait in words.
class StateTimelineChart : public ChartWidget {
    Q_OBJECT
public:
    explicit StateTimelineChart(QWidget *parent = nullptr);
    ~StateTimelineChart() override;

    void setModel(StateTimelineModel *model);
    StateTimelineModel *model() const { return m_model; }
    // Tooltip text for a point in widget coordinates (empty over nothing).
    QString toolTipAt(const QPointF &pos) const;
    // Pixel position of (time s, row) in widget coordinates (tests, hover).
    QPointF pixelFor(double t, double row) const;
    int rowCount() const;
    // What the last redraw drew.
    int lastCellCount() const { return m_lastCells; }
    int lastArrowCount() const { return m_lastArrows; }
    int lastArrowTotal() const { return m_lastArrowTotal; }
    QStringList legendNames() const;
    QString bannerText() const;
    // The row above the lanes that says what is left out ("arrows: the 300 longest of 17841
    // waits"); empty when nothing is.
    QString noteShown() const;
    bool noteClearsTheLanes() const;  // the note's row ends above the lanes' rect
    double renderNow();  // synchronous replot, ms
    void fitAll();

protected:
    void applyThemeColors(bool dark) override;

private:
    friend class StatesPlottable;
    void rebuild();
    void updateLaneTicks();  // lane names at the density the rows' height allows
    void onHover(QMouseEvent *event);
    QStringList noteParts() const;
    static QString timeTitle();
    bool updateNote();  // true if the note's row changed
    bool fitTimeTitle();  // drops or restores the time axis title; true if changed

    QPointer<StateTimelineModel> m_model;
    StatesPlottable *m_plottable = nullptr;
    QVector<QCPBars *> m_swatches;
    QCPGraph *m_arrowSwatch = nullptr;
    QCPTextElement *m_banner = nullptr;
    QCPTextElement *m_note = nullptr;
    int m_tickStep = 0;  // lanes per name of the current ticks; 0: to be made
    int m_lastCells = 0;
    int m_lastArrows = 0;
    int m_lastArrowTotal = 0;
};

} // namespace lab
