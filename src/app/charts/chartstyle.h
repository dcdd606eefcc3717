#pragma once
#include <QSize>
#include <QColor>
#include <QString>

class QCustomPlot;

namespace lab {

// Stable colour per execution model, the same in every chart (Okabe-Ito and Tol: colour-blind
// safe, ten hues apart). These functions accept the model id, its label or its short label.
QColor modelColor(const QString &model, bool dark = false);
// The model's one name everywhere (panel, legends, bars, table, exports): ModelInfo::label.
QString modelLabel(const QString &model);
// The model id for an id or a label; unknown names unchanged.
QString modelId(const QString &modelOrLabel);
// The thread-state timeline's colour per lane state (LaneState as int), Okabe-Ito and Tol
// hues that stay apart for colour-blind eyes, a little lighter on the dark background; the GIL
// wait is also hatched (laneStateHatched) so it reads in grey-scale prints.
QColor laneStateColor(int state, bool dark);
bool laneStateHatched(int state);
// Distinct colours for per-core lines (cycles after 8).
QColor coreColor(int core);

// Projector styling of a whole plot: large fonts (tick labels >= 14 pt, axis labels >= 15 pt),
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
// The legend's font size and icon, and their compact form (a plot whose property
// "labCompactLegend" is set: a legend of several rows at the top of a very short chart).
double legendFontPt(const QCustomPlot *plot, bool compact);
QSize legendIconSize(bool compact);
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
constexpr double kTickFontPt = 14;
constexpr double kLabelFontPt = 15;
constexpr double kLegendFontPt = 13;

} // namespace lab
