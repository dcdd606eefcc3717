#pragma once
#include <qcustomplot.h>

namespace lab {

// A QCPGraph whose line, when wider than 1 px, is stroked in short overlapping pieces.
// Qt strokes one long self-crossing polyline of a wide pen as one huge polygon (seconds per
// frame for noisy data); short pieces keep the cost linear in the point count. Round joins and
// caps hide the seams. 1 px pens and vector output (PDF/SVG) take QCustomPlot's usual path.
class PiecewiseGraph : public QCPGraph {
public:
    PiecewiseGraph(QCPAxis *keyAxis, QCPAxis *valueAxis);
    static constexpr int kPiecePoints = 8;

protected:
    void drawLinePlot(QCPPainter *painter, const QVector<QPointF> &lines) const override;
};

// Colour-map data whose cells the chart writes directly (setCell checks bounds and flags per
// call, too slow for 128 x 1280 cells per frame). Layout: cell (key k, value v) at v*keySize+k.
class DirectColorMapData : public QCPColorMapData {
public:
    DirectColorMapData() : QCPColorMapData(1, 1, QCPRange(0, 1), QCPRange(0, 1)) {}
    double *cells() { return mData; }
    // Call after writing cells: the map image is rebuilt on the next draw.
    void markModified()
    {
        mDataModified = true;
        mIsEmpty = false;
    }
};

// Puts the plot's legend in its own row above the axis rects, laid out horizontally.
void placeLegendOnTop(QCustomPlot *plot, int columns);
// Puts it in a column right of the axis rect instead, one entry a row: for a chart too short
// for several legend rows above it. Either call moves it back and forth.
void placeLegendBeside(QCustomPlot *plot);
// Takes the legend out of the layout and hides it (a chart too short for one); either place
// function above puts it back.
void dropLegend(QCustomPlot *plot);
// Lays the plot out again within a replot, from an afterLayout handler that changed what the
// layout depends on (ticks, rows, a hidden title): the frame then draws the new layout.
void layOutAgain(QCustomPlot *plot);
// Asks `axis` for as many ticks as fit `lengthPx` with two label sizes (`labelPx`: a label's
// width along a horizontal axis, its height up a vertical one) between them: 2 to `most`.
void fitTickCount(QCPAxis *axis, int lengthPx, int labelPx, int most);

// Gives a vertical axis the first of `forms` (longest first) whose text fits the axis rect's
// height, else no label; true when the label changed (then lay out again). A label longer than
// its axis is drawn cut ("CPU busy (" on a 70 px chart).
bool fitAxisLabel(QCPAxis *axis, const QStringList &forms);

// Okabe-Ito-friendly perceptual gradient (viridis stops) for heatmaps.
QCPColorGradient heatGradient();

} // namespace lab
