#include "plotitems.h"

#include <algorithm>

#include <cmath>

namespace lab {

PiecewiseGraph::PiecewiseGraph(QCPAxis *keyAxis, QCPAxis *valueAxis) : QCPGraph(keyAxis, valueAxis) {}

void PiecewiseGraph::drawLinePlot(QCPPainter *painter, const QVector<QPointF> &lines) const
{
    if (painter->pen().style() == Qt::NoPen || painter->pen().color().alpha() == 0)
        return;
    if (painter->pen().widthF() <= 1.01 || painter->modes().testFlag(QCPPainter::pmVectorized)) {
        QCPGraph::drawLinePlot(painter, lines);
        return;
    }
    applyDefaultAntialiasingHint(painter);
    // Round joins/caps look best but cost trigonometry per vertex in the stroker: only for
    // short lines. Square caps still close the seams between pieces.
    QPen pen = painter->pen();
    const bool round = lines.size() <= 300;
    pen.setJoinStyle(round ? Qt::RoundJoin : Qt::BevelJoin);
    pen.setCapStyle(round ? Qt::RoundCap : Qt::SquareCap);
    painter->setPen(pen);
    painter->setBrush(Qt::NoBrush);
    const int n = int(lines.size());
    if (!round) {
        // Dense: separate segments (no joins at all, so no per-vertex trigonometry).
        QVector<QLineF> segments;
        segments.reserve(n);
        for (int i = 0; i + 1 < n; ++i) {
            if (std::isfinite(lines[i].y()) && std::isfinite(lines[i + 1].y()) && std::isfinite(lines[i].x()) &&
                std::isfinite(lines[i + 1].x()))
                segments.append(QLineF(lines[i], lines[i + 1]));
        }
        painter->drawLines(segments);
        return;
    }
    int start = 0;
    while (start < n) {
        // Skip NaN points (gaps), then draw the finite run in pieces sharing their end points.
        while (start < n && (!std::isfinite(lines[start].x()) || !std::isfinite(lines[start].y())))
            ++start;
        int end = start;
        while (end < n && std::isfinite(lines[end].x()) && std::isfinite(lines[end].y()))
            ++end;
        if (end - start == 1)
            painter->drawPoint(lines[start]);
        for (int i = start; i + 1 < end; i += kPiecePoints - 1) {
            const int count = std::min(kPiecePoints, end - i);
            painter->drawPolyline(lines.constData() + i, count);
        }
        start = end;
    }
}

void placeLegendOnTop(QCustomPlot *plot, int columns)
{
    QCPLegend *legend = plot->legend;
    auto *grid = plot->plotLayout();
    if (legend->layout() && (legend->layout() != grid || grid->columnCount() > 1)) {
        legend->layout()->take(legend);
        grid->simplify();
    }
    if (!legend->layout()) {
        grid->insertRow(0);
        grid->addElement(0, 0, legend);
        grid->setRowStretchFactor(0, 0.001);
    }
    legend->setVisible(true);
    // No cap on the column's width from the legend (an empty legend's size hint would squash
    // the plot under it to a few pixels): a set maximum below QWIDGETSIZE_MAX replaces the hint.
    legend->setMaximumSize(1000000, QWIDGETSIZE_MAX);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setWrap(columns);
    legend->setMargins(QMargins(8, 4, 8, 4));
    legend->setRowSpacing(2);
    legend->setColumnSpacing(18);
}

bool fitAxisLabel(QCPAxis *axis, const QStringList &forms)
{
    const int room = axis->axisRect()->height() - 4;
    const QFontMetrics fm(axis->labelFont());
    QString want;
    for (const QString &f : forms)
        if (fm.horizontalAdvance(f) <= room || axis->axisRect()->height() <= 0) {  // not laid out: the long form
            want = f;
            break;
        }
    if (axis->label() == want)
        return false;
    axis->setLabel(want);
    return true;
}

void dropLegend(QCustomPlot *plot)
{
    QCPLegend *legend = plot->legend;
    if (legend->layout()) {
        legend->layout()->take(legend);
        plot->plotLayout()->simplify();
    }
    legend->setVisible(false);
}

void placeLegendBeside(QCustomPlot *plot)
{
    QCPLegend *legend = plot->legend;
    auto *grid = plot->plotLayout();
    if (legend->layout()) {
        legend->layout()->take(legend);
        grid->simplify();
    }
    const int row = grid->rowCount() - 1;  // the axis rect's row
    grid->addElement(row, 1, legend);
    grid->setColumnStretchFactor(1, 0.001);
    legend->setVisible(true);
    legend->setMaximumSize(QWIDGETSIZE_MAX, 1000000);
    legend->setWrap(1);
    legend->setMargins(QMargins(4, 2, 4, 2));
}

QCPColorGradient heatGradient()
{
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorStopAt(0.0, QColor(0x44, 0x01, 0x54));
    g.setColorStopAt(0.25, QColor(0x3B, 0x52, 0x8B));
    g.setColorStopAt(0.5, QColor(0x21, 0x91, 0x8C));
    g.setColorStopAt(0.75, QColor(0x5E, 0xC9, 0x62));
    g.setColorStopAt(1.0, QColor(0xFD, 0xE7, 0x25));
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setLevelCount(256);
    g.setNanHandling(QCPColorGradient::nhTransparent);
    return g;
}

void layOutAgain(QCustomPlot *plot)
{
    QCPLayoutGrid *layout = plot->plotLayout();
    layout->update(QCPLayoutElement::upPreparation);
    layout->update(QCPLayoutElement::upMargins);
    layout->update(QCPLayoutElement::upLayout);
}

void fitTickCount(QCPAxis *axis, int lengthPx, int labelPx, int most)
{
    axis->ticker()->setTickCount(std::clamp(lengthPx / std::max(1, 2 * labelPx), 2, most));
}

} // namespace lab
