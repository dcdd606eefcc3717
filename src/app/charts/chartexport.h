#pragma once
#include <QSize>
#include <QString>

class QCustomPlot;

namespace lab {

enum class ExportFormat { Png, Svg, Pdf };

// Format from the file extension (.png, .svg, .pdf; case-insensitive); false if unknown.
bool exportFormatFromPath(const QString &path, ExportFormat *format);

// Writes the plot to path. size: layout size in pixels at 96 dpi (empty: the widget's size);
// dpi scales raster output (PNG pixels = size * dpi / 96) and is stored in the PNG/SVG.
// whiteBackground: exports with the light print style and restores the current theme after.
// caption: one line under the chart (experiment, date, machine, cores); empty: none.
// On failure returns false with one readable line in *error.
bool exportPlot(QCustomPlot *plot, const QString &path, QSize size, double dpi, bool whiteBackground,
                QString *error, const QString &caption = QString());
// Height (layout pixels) of the caption strip exportPlot adds under a chart.
int exportCaptionHeight();

void copyPlotToClipboard(QCustomPlot *plot);

// The data of every graph in the plot as CSV: series,x,y (one row per point).
bool exportSeriesCsv(QCustomPlot *plot, const QString &path, QString *error);

} // namespace lab
