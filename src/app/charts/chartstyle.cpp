#include "chartstyle.h"

#include "models/executionmodel.h"

#include <QFont>
#include <QHash>
#include <qcustomplot.h>

#include <algorithm>
#include <array>

namespace lab {

QString modelId(const QString &modelOrLabel)
{
    if (findModel(modelOrLabel))
        return modelOrLabel;
    for (const ModelInfo &m : modelRegistry())
        if (m.label.compare(modelOrLabel, Qt::CaseInsensitive) == 0)
            return m.id;
    return modelOrLabel;
}

QColor modelColor(const QString &modelOrLabel, bool dark)
{
    const QString model = modelId(modelOrLabel);
    // Okabe & Ito (2008) plus Paul Tol's olive, wine and teal: ten hues that stay apart for
    // the common colour-vision deficiencies, none of them a second blue or a second orange.
    // The neutral (CPython sequential) is lighter on dark backgrounds.
    static const QHash<QString, QColor> known{
        {QStringLiteral("sequential"), QColor(0x00, 0x72, 0xB2)},        // blue
        {QStringLiteral("threads"), QColor(0xE6, 0x9F, 0x00)},           // orange
        {QStringLiteral("processes"), QColor(0x00, 0x9E, 0x73)},         // bluish green
        {QStringLiteral("gil-threads"), QColor(0xCC, 0x79, 0xA7)},       // reddish purple
        {QStringLiteral("async"), QColor(0xD5, 0x5E, 0x00)},             // vermillion
        {QStringLiteral("python-sequential"), QColor(0x70, 0x70, 0x70)}, // grey
        {QStringLiteral("python-threads"), QColor(0xF0, 0xE4, 0x42)},    // yellow
        {QStringLiteral("python-processes"), QColor(0x99, 0x99, 0x33)},  // olive
        {QStringLiteral("threads-hosted"), QColor(0x56, 0xB4, 0xE9)},    // sky blue
    };
    const auto it = known.constFind(model);
    if (it != known.constEnd()) {
        if (dark && model == QLatin1String("python-sequential"))
            return QColor(0xB4, 0xB4, 0xB4);
        return *it;
    }
    // Further models (registry order beyond these, then unknown names): wine (Tol's purple on
    // dark backgrounds, where his pale wine sits next to the reddish purple) and teal.
    static const std::array<QColor, 2> light{QColor(0x88, 0x22, 0x55), QColor(0x44, 0xAA, 0x99)};
    static const std::array<QColor, 2> onDark{QColor(0xAA, 0x44, 0x99), QColor(0x44, 0xAA, 0x99)};
    const qsizetype index = modelIds().indexOf(model);
    const size_t slot = index >= 0 ? size_t(index) : size_t(qHash(model, 0x1abu));
    return (dark ? onDark : light)[slot % light.size()];
}

QString modelLabel(const QString &modelOrLabel)
{
    const QString model = modelId(modelOrLabel);
    const ModelInfo *m = findModel(model);
    return m && !m->label.isEmpty() ? m->label : model;
}

QColor laneStateColor(int state, bool dark)
{
    // running, lock, semaphore, event, condition, queue empty, queue full, GIL, I/O, sleep, join
    static const std::array<QColor, 11> light{QColor(0x00, 0x9E, 0x73), QColor(0xD5, 0x5E, 0x00), QColor(0xE6, 0x9F, 0x00),
                                              QColor(0xCC, 0x79, 0xA7), QColor(0x33, 0x22, 0x88), QColor(0x00, 0x72, 0xB2),
                                              QColor(0x88, 0x22, 0x55), QColor(0x99, 0x99, 0x99), QColor(0x88, 0xCC, 0xEE),
                                              QColor(0xDD, 0xCC, 0x77), QColor(0x44, 0xAA, 0x99)};
    static const std::array<QColor, 11> darkSet{QColor(0x1A, 0xB8, 0x8A), QColor(0xF0, 0x78, 0x28), QColor(0xF0, 0xB4, 0x30),
                                                QColor(0xDD, 0x90, 0xBB), QColor(0x88, 0x77, 0xDD), QColor(0x33, 0x99, 0xDD),
                                                QColor(0xCC, 0x55, 0x88), QColor(0x88, 0x88, 0x88), QColor(0x88, 0xCC, 0xEE),
                                                QColor(0xDD, 0xCC, 0x77), QColor(0x44, 0xAA, 0x99)};
    const size_t i = size_t(std::clamp(state, 0, int(light.size()) - 1));
    return dark ? darkSet[i] : light[i];
}

bool laneStateHatched(int state)
{
    return state == 7;  // LaneState::Gil
}

QColor coreColor(int core)
{
    // Paul Tol's "bright" scheme plus two Okabe-Ito colours; cycles for more cores.
    static const std::array<QColor, 8> colors{QColor(0x44, 0x77, 0xAA), QColor(0xEE, 0x66, 0x77),
                                              QColor(0x22, 0x88, 0x33), QColor(0xCC, 0xBB, 0x44),
                                              QColor(0x66, 0xCC, 0xEE), QColor(0xAA, 0x33, 0x77),
                                              QColor(0xE6, 0x9F, 0x00), QColor(0x99, 0x99, 0x99)};
    return colors[size_t(std::max(core, 0)) % colors.size()];
}

ChartPalette chartPalette(bool dark)
{
    if (dark)
        return {QColor(0x1E, 0x1E, 0x22), QColor(0xF0, 0xF0, 0xF0), QColor(0x55, 0x55, 0x5C),
                QColor(0x38, 0x38, 0x3E), QColor(0x2A, 0x2A, 0x30, 230), QColor(0xFF, 0xFF, 0xFF, 200)};
    return {QColor(Qt::white), QColor(0x20, 0x20, 0x20), QColor(0xC8, 0xC8, 0xC8), QColor(0xEA, 0xEA, 0xEA),
            QColor(255, 255, 255, 230), QColor(0, 0, 0, 170)};
}

static void styleAxis(QCPAxis *axis, const ChartPalette &p, const QFont &tickFont, const QFont &labelFont,
                      double line = 1)
{
    const QPen axisPen(p.foreground, 1.5 * line);
    axis->setBasePen(axisPen);
    axis->setTickPen(axisPen);
    axis->setSubTickPen(QPen(p.foreground, 1 * line));
    axis->setTickLabelColor(p.foreground);
    axis->setLabelColor(p.foreground);
    axis->setTickLabelFont(tickFont);
    axis->setLabelFont(labelFont);
    axis->setTickLengthIn(0);
    axis->setTickLengthOut(6);
    axis->setSubTickLengthIn(0);
    axis->setSubTickLengthOut(3);
    axis->setLabelPadding(8);
    axis->grid()->setPen(QPen(p.grid, line, Qt::SolidLine));
    axis->grid()->setSubGridPen(QPen(p.subGrid, 1, Qt::DotLine));
    axis->grid()->setZeroLinePen(QPen(p.grid, 1));
    axis->grid()->setAntialiased(false);
}

double legendFontPt(const QCustomPlot *plot, bool compact)
{
    return kLegendFontPt * styleFontScale(plot) * (compact ? 0.8 : 1.0);
}

QSize legendIconSize(bool compact)
{
    return compact ? QSize(16, 10) : QSize(28, 14);
}

void applyProjectorStyle(QCustomPlot *plot, bool dark)
{
    if (!plot)
        return;
    const ChartPalette p = chartPalette(dark);
    const double fs = styleFontScale(plot), ls = styleLineScale(plot);
    QFont tickFont = plot->font();
    tickFont.setPointSizeF(kTickFontPt * fs);
    QFont labelFont = plot->font();
    labelFont.setPointSizeF(kLabelFontPt * fs);
    QFont legendFont = plot->font();
    const bool compactLegend = plot->property("labCompactLegend").toBool();
    legendFont.setPointSizeF(legendFontPt(plot, compactLegend));

    plot->setBackground(p.background);
    for (QCPAxisRect *rect : plot->axisRects()) {
        rect->setBackground(p.background);
        for (QCPAxis *axis : rect->axes())
            styleAxis(axis, p, tickFont, labelFont, ls);
    }
    for (int i = 0; i < plot->plotLayout()->elementCount(); ++i) {
        if (auto *title = qobject_cast<QCPTextElement *>(plot->plotLayout()->elementAt(i))) {
            title->setTextColor(p.foreground);
            QFont f = labelFont;
            f.setBold(true);
            title->setFont(f);
        }
        if (auto *scale = qobject_cast<QCPColorScale *>(plot->plotLayout()->elementAt(i)))
            styleAxis(scale->axis(), p, tickFont, labelFont);
    }
    if (QCPLegend *legend = plot->legend) {
        legend->setFont(legendFont);
        legend->setSelectedFont(legendFont);
        legend->setTextColor(p.foreground);
        legend->setBrush(p.legendBackground);
        legend->setBorderPen(QPen(p.grid, 1));
        legend->setIconSize(legendIconSize(compactLegend));
    }
    for (int i = 0; i < plot->itemCount(); ++i) {
        if (auto *text = qobject_cast<QCPItemText *>(plot->item(i))) {
            if (!text->property("labKeepColor").toBool())
                text->setColor(p.foreground);
        }
    }
    // Dynamic property change: charts recolour their own elements in an event filter.
    plot->setProperty("labDark", dark);
}

bool isDarkStyle(const QCustomPlot *plot)
{
    return plot && plot->property("labDark").toBool();
}

void setStyleScale(QCustomPlot *plot, double fontScale, double lineScale)
{
    if (!plot)
        return;
    plot->setProperty("labFontScale", std::clamp(fontScale, 0.5, 4.0));
    plot->setProperty("labLineScale", std::clamp(lineScale, 0.5, 6.0));
}

double styleFontScale(const QCustomPlot *plot)
{
    const QVariant v = plot ? plot->property("labFontScale") : QVariant();
    return v.isValid() ? v.toDouble() : 1.0;
}

double styleLineScale(const QCustomPlot *plot)
{
    const QVariant v = plot ? plot->property("labLineScale") : QVariant();
    return v.isValid() ? v.toDouble() : 1.0;
}

} // namespace lab
