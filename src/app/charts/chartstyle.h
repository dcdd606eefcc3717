#pragma once
#include <QColor>
#include <QString>

class QCustomPlot;

namespace lab {

// Stable colour per execution model, the same in every chart (Okabe-Ito, colour-blind safe).
// Unknown models get a colour from a second safe palette chosen by a hash of the id.
// These functions accept the model id or its label ("threads" or "Threads (native)").
QColor modelColor(const QString &model);
// Human-readable model name for legends and axis labels ("threads" -> "Threads (native)").
QString modelLabel(const QString &model);
// The model id for an id or a label; unknown names unchanged.
QString modelId(const QString &modelOrLabel);
// Distinct colours for per-core lines (cycles after 8).
QColor coreColor(int core);

// Projector styling of a whole plot: large fonts (tick labels >= 13 pt, axis labels >= 15 pt),
// clear grid, legend, light (white) or dark background. Charts listen for the resulting
// "labDark" dynamic property change on the plot to recolour their own elements.
void applyProjectorStyle(QCustomPlot *plot, bool dark);
// The theme last applied to the plot with applyProjectorStyle (false when never styled).
bool isDarkStyle(const QCustomPlot *plot);
// Presentation hook: fonts and pens of applyProjectorStyle are multiplied by these factors
// (1, 1 by default); charts that draw their own lines read styleLineScale(). Takes effect at
// the next applyProjectorStyle (e.g. ChartWidget::setDark).
void setStyleScale(QCustomPlot *plot, double fontScale, double lineScale);
double styleFontScale(const QCustomPlot *plot);
double styleLineScale(const QCustomPlot *plot);

// Theme colours shared by the charts.
struct ChartPalette {
    QColor background;
    QColor foreground;   // text, axes, the "total" line
    QColor grid;
    QColor subGrid;
    QColor legendBackground;
    QColor cursor;
};
ChartPalette chartPalette(bool dark);

// Font sizes of the projector style (points).
constexpr double kTickFontPt = 13;
constexpr double kLabelFontPt = 15;
constexpr double kLegendFontPt = 13;

} // namespace lab
