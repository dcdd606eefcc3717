#include "throughputchart.h"

#include "chartstyle.h"
#include "plotitems.h"

#include <QThread>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

ThroughputChart::ThroughputChart(QWidget *parent) : ChartWidget(parent)
{
    placeLegendOnTop(m_plot, 2);  // long model names: two per row fit a half-width chart
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    m_plot->xAxis->setLabel(tr("time since run start (s)"));  // + the smoothing (updateLabels)
    m_plot->yAxis2->setVisible(false);
    // The legend's place and the rate axis title follow the size being laid out: the widget's,
    // or an export's (1600x900 from a short window must not keep the window's side legend).
    connect(m_plot, &QCustomPlot::afterLayout, this, [this] {
        const bool legend = fitLegend();
        const bool label = fitAxisLabel(m_plot->yAxis, {m_io ? tr("requests/s") : tr("tasks/s")});
        const bool xChanged = fitTimeTitle();
        fitReferenceLabel();  // an item inside the plot: no new layout needed
        if (legend || label || xChanged)
            layOutAgain(m_plot);
    });

    m_refLine = new QCPItemStraightLine(m_plot);
    m_refLine->setSelectable(false);
    m_refLine->setVisible(false);
    m_refLabel = new QCPItemText(m_plot);
    m_refLabel->setLayer(QStringLiteral("axes"));  // above the lines, which are added later
    m_refLabel->setSelectable(false);
    m_refLabel->setVisible(false);
    m_refLabel->setProperty("labKeepColor", true);
    QFont refFont = m_plot->font();
    refFont.setPointSizeF(kTickFontPt);
    refFont.setBold(true);
    m_refLabel->setFont(refFont);
    m_refLabel->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    m_refLabel->position->setTypeY(QCPItemPosition::ptPlotCoords);
    m_refLabel->position->setAxes(m_plot->xAxis, m_plot->yAxis);
    m_refLabel->position->setAxisRect(m_plot->axisRect());
    // Right end, above the line: faster models finish sooner, so that corner is usually free.
    m_refLabel->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
    m_refLabel->setPadding(QMargins(4, 1, 4, 6));

    initStyle();
    setModel(new ThroughputModel(this));
}

ThroughputChart::~ThroughputChart() = default;

void ThroughputChart::setModel(ThroughputModel *model)
{
    if (!replaceModel(m_model, model))
        return;
    connect(model, &ThroughputModel::changed, this, &ThroughputChart::sync);
    sync();
}

int ThroughputChart::pointCount(const QString &model) const
{
    const auto it = m_lines.constFind(model);
    return it == m_lines.constEnd() || !it->rate ? 0 : it->rate->dataCount();
}

void ThroughputChart::clear()
{
    m_model->clear();
}

ThroughputChart::Lines &ThroughputChart::linesFor(const QString &model)
{
    auto it = m_lines.find(model);
    if (it != m_lines.end())
        return *it;
    Lines l;
    l.rate = new PiecewiseGraph(m_plot->xAxis, m_plot->yAxis);
    l.rate->setName(modelLabel(model));
    l.rate->setProperty("labModel", model);
    l.rate->setAdaptiveSampling(true);
    l.mb = new PiecewiseGraph(m_plot->xAxis, m_plot->yAxis2);
    l.mb->setName(modelLabel(model) + QStringLiteral(" MB/s"));
    l.mb->removeFromLegend();
    l.mb->setVisible(m_io);
    return *m_lines.insert(model, l);
}

void ThroughputChart::beginRun(const QString &model)
{
    m_model->beginRun(model);
}

void ThroughputChart::addPoint(const QString &model, double tRel, double tasksPerS, double mbPerS)
{
    m_model->addPoint(model, tRel, tasksPerS, mbPerS);
}

void ThroughputChart::setRunRecord(const RunRecord &r)
{
    m_model->setRunRecord(r);
}

void ThroughputChart::setReferenceRate(double tasksPerS)
{
    m_model->setReferenceRate(tasksPerS);
}

void ThroughputChart::setIoMode(bool io)
{
    m_model->setIoMode(io);
}

void ThroughputChart::sync()
{
    // Lines, axes and pens follow the model at once (an export at any moment is right); only
    // the replot waits for the clock. Series are short (10 points per second of run).
    const QStringList models = m_model->models();
    for (auto it = m_lines.begin(); it != m_lines.end();) {
        if (models.contains(it.key())) {
            ++it;
            continue;
        }
        m_plot->removePlottable(it->rate);
        m_plot->removePlottable(it->mb);
        it = m_lines.erase(it);
    }
    // Legend order = the model's order: re-create lines that appeared out of order.
    if (m_plot->legend) {
        int row = 0;
        bool ordered = true;
        for (const QString &m : models) {
            const auto it = m_lines.constFind(m);
            if (it == m_lines.constEnd())
                continue;
            if (m_plot->legend->itemWithPlottable(it->rate) != m_plot->legend->item(row++))
                ordered = false;
        }
        if (!ordered) {
            for (const Lines &l : std::as_const(m_lines)) {
                m_plot->removePlottable(l.rate);
                m_plot->removePlottable(l.mb);
            }
            m_lines.clear();
        }
    }
    if (m_io != m_model->ioMode()) {
        m_io = m_model->ioMode();
        m_plot->yAxis2->setVisible(m_io);
        applyProjectorStyle(m_plot, isDark());
    }
    for (const QString &m : models) {
        Lines &l = linesFor(m);
        QVector<QCPGraphData> rate, mb;
        const std::vector<ThroughputModel::Point> &points = m_model->series(m);
        rate.reserve(qsizetype(points.size()));
        mb.reserve(qsizetype(points.size()));
        for (const ThroughputModel::Point &p : points) {
            rate.append(QCPGraphData(p.t, p.rate));
            mb.append(QCPGraphData(p.t, p.mbPerS));
        }
        l.rate->data()->set(rate, true);
        l.mb->data()->set(mb, true);
        l.mb->setVisible(m_io);
    }
    updateLabels();
    updatePens();
    updateAxes();
    fitLegend();
    markDirty();
}

void ThroughputChart::updateLabels()
{
    // The y label stays short (a short plot cuts long vertical text); the smoothing goes below.
    if (m_plot->yAxis->label().isEmpty() && m_plot->axisRect()->height() <= 0)
        m_plot->yAxis->setLabel(m_io ? tr("requests/s") : tr("tasks/s"));  // refitted after layout
    else
        fitAxisLabel(m_plot->yAxis, {m_io ? tr("requests/s") : tr("tasks/s")});
    QString x = tr("time since run start (s)");
    const double smoothing = m_model ? m_model->smoothing() : 0;
    if (smoothing > 0.1 + 1e-9) {
        const QString avg = x + tr(", %1 s avg").arg(smoothing, 0, 'f', 1);
        // A narrow chart keeps the short form: a cut axis title reads worse than none of the
        // smoothing (the tooltip and the wide layout still say it).
        if (QFontMetrics(m_plot->xAxis->labelFont()).horizontalAdvance(avg) + 16 <= m_plot->axisRect()->width())
            x = avg;
    }
    m_xTitle = x;
    fitTimeTitle();
    m_plot->yAxis2->setLabel(tr("MB/s (dashed)"));
}

bool ThroughputChart::fitTimeTitle()
{
    // In full when it fits the axis (as last laid out), else the short form.
    const int width = m_plot->axisRect()->width();
    const QString x = width <= 0 || QFontMetrics(m_plot->xAxis->labelFont()).horizontalAdvance(m_xTitle) + 8 <= width
                          ? m_xTitle
                          : tr("time (s)");
    if (m_plot->xAxis->label() == x)
        return false;
    m_plot->xAxis->setLabel(x);
    return true;
}

void ThroughputChart::updatePens()
{
    for (auto it = m_lines.cbegin(); it != m_lines.cend(); ++it) {
        const QColor c = modelColor(it.key(), isDark());
        const int points = it->rate->dataCount();
        // Few points (typical: 10 per second of run): thick and smooth; dense: plain 2 px.
        const bool few = points <= 400;
        it->rate->setPen(QPen(c, few ? 3.0 : 2.0));
        it->rate->setAntialiased(few);
        it->rate->setScatterStyle(points <= 12 ? QCPScatterStyle(QCPScatterStyle::ssDisc, c, c, 8)
                                               : QCPScatterStyle(QCPScatterStyle::ssNone));
        it->mb->setPen(QPen(c, few ? 2.5 : 1.5, Qt::DashLine));
        it->mb->setAntialiased(few);
    }
}

void ThroughputChart::updateAxes()
{
    double maxT = 1, maxRate = 0, maxMb = 0;
    for (const Lines &l : std::as_const(m_lines)) {
        bool found = false;
        const QCPRange k = l.rate->getKeyRange(found);
        if (found)
            maxT = std::max(maxT, k.upper);
        const QCPRange v = l.rate->getValueRange(found);
        if (found)
            maxRate = std::max(maxRate, v.upper);
        const QCPRange m = l.mb->getValueRange(found);
        if (found)
            maxMb = std::max(maxMb, m.upper);
    }
    const double reference = m_model ? m_model->referenceRate() : 0;
    maxRate = std::max(maxRate, reference);
    m_plot->xAxis->setRange(0, maxT);
    // Ticks two label widths apart at least ("0.25" is the widest a short run gets), and two
    // label heights apart up the rate axis.
    fitTickCount(m_plot->xAxis, m_plot->axisRect()->width(),
                 QFontMetrics(m_plot->xAxis->tickLabelFont()).horizontalAdvance(QStringLiteral("0.25")), 6);
    fitTickCount(m_plot->yAxis, m_plot->axisRect()->height(), QFontMetrics(m_plot->yAxis->tickLabelFont()).height(), 5);
    m_plot->yAxis->setRange(0, maxRate > 0 ? maxRate * 1.15 : 1);
    m_plot->yAxis2->setRange(0, maxMb > 0 ? maxMb * 1.15 : 1);

    const bool ref = reference > 0;
    m_refLine->setVisible(ref);
    m_refLabel->setVisible(ref);
    if (ref) {
        m_refLine->point1->setCoords(0, reference);
        m_refLine->point2->setCoords(1, reference);
        m_refLabel->position->setCoords(0.99, reference);
    }
    fitReferenceLabel();
}

bool ThroughputChart::fitReferenceLabel()
{
    const double reference = m_model ? m_model->referenceRate() : 0;
    if (reference <= 0)
        return false;
    const QString rate = QString::number(reference, 'f', reference < 10 ? 2 : 1);
    const QString unit = m_io ? tr("requests/s") : tr("tasks/s");
    // Narrow charts get a shorter form, and one too narrow for any gets none (the dashed line
    // stays; its figure is in the table): a label is whole inside the plot or absent. Known
    // after the layout pass (afterLayout); before it, the long form.
    const QString name = modelLabel(QStringLiteral("sequential"));
    const QStringList forms{tr("%1 %2 %3").arg(name, rate, unit), tr("%1 %2/s").arg(name, rate), tr("%1/s").arg(rate)};
    const QFontMetrics fm(m_refLabel->font());
    const QMargins pad = m_refLabel->padding();
    const int room = m_plot->axisRect()->width();
    QString text;
    for (const QString &f : forms)
        if (room <= 0 || fm.horizontalAdvance(f) + pad.left() + pad.right() + 8 <= room) {
            text = f;
            break;
        }
    // Above the line while there is room under the plot's top, else below it (the top of a
    // short chart cut it off).
    const double lineY = m_plot->yAxis->coordToPixel(reference);
    const int labelH = fm.height() + pad.top() + pad.bottom();
    const bool below = room > 0 && lineY - m_plot->axisRect()->top() < labelH;
    const Qt::Alignment align = Qt::AlignRight | (below ? Qt::AlignTop : Qt::AlignBottom);
    const bool changed = text != m_refLabel->text() || m_refLabel->visible() != !text.isEmpty()
                         || m_refLabel->positionAlignment() != align;
    m_refLabel->setPositionAlignment(align);
    m_refLabel->setPadding(below ? QMargins(4, 6, 4, 1) : QMargins(4, 1, 4, 6));
    m_refLabel->setText(text);
    m_refLabel->setVisible(!text.isEmpty());
    return changed;
}

QRectF ThroughputChart::referenceLabelRect() const
{
    if (!m_refLabel->visible() || m_refLabel->text().isEmpty())
        return {};
    return QRectF(m_refLabel->topLeft->pixelPosition(), m_refLabel->bottomRight->pixelPosition());
}

void ThroughputChart::resizeEvent(QResizeEvent *event)
{
    ChartWidget::resizeEvent(event);
    fitLegend();
    updateAxes();  // tick density and the reference label's length follow the size
    updateLabels();
}

bool ThroughputChart::fitLegend()
{
    QCPLegend *legend = m_plot->legend;
    if (!legend)
        return false;
    const QRect size = m_plot->viewport();
    std::vector<QCPAbstractPlottable *> entries;
    for (int i = 0; i < legend->itemCount(); ++i)
        if (auto *item = qobject_cast<QCPPlottableLegendItem *>(legend->item(i)))
            entries.push_back(item->plottable());
    const int n = int(entries.size());
    // Entries are laid out left to right and wrap; each column is as wide as its widest entry.
    // The most columns whose widths add up to the room (the viewport less the margins).
    // One name per model, the registry's, here as everywhere: when the legend has no room for
    // it, the legend goes (below), never a shortened name.
    auto entryWidths = [&](bool compact) {
        QFont f = legend->font();
        f.setPointSizeF(legendFontPt(m_plot, compact));
        const QFontMetrics fm(f);
        const QSize icon = legendIconSize(compact);
        const int extra = icon.width() + legend->iconTextPadding() + 8;
        std::vector<int> w;
        for (QCPAbstractPlottable *p : entries)
            w.push_back(fm.horizontalAdvance(modelLabel(p->property("labModel").toString())) + extra);
        return w;
    };
    auto columnsFor = [&](const std::vector<int> &w, bool compact) {
        const int spacing = compact ? 10 : 18;
        const int room = size.width() - 24;
        for (int c = std::max(1, n); c > 1; --c) {
            int total = spacing * (c - 1);
            for (int col = 0; col < c; ++col) {
                int widest = 0;
                for (int i = col; i < n; i += c)
                    widest = std::max(widest, w[size_t(i)]);
                total += widest;
            }
            if (total <= room)
                return c;
        }
        return 1;
    };
    auto rows = [&](int columns) { return (n + columns - 1) / columns; };
    auto rowHeight = [&](bool compact) {
        QFont f = legend->font();
        f.setPointSizeF(legendFontPt(m_plot, compact));
        return QFontMetrics(f).height() + legend->rowSpacing();
    };
    // Above the plot only while it takes at most 30 % of the chart and leaves the plot its own
    // minimum (its axes' margins) and some lines: else the layout squeezed the entries into the
    // plot's top (lock-contention at 1024x768).
    const int plotNeeds = m_plot->axisRect()->minimumOuterSizeHint().height() + 40;
    auto fitsOnTop = [&](int columns, bool compact) {
        const int needs = rows(columns) * rowHeight(compact) + 12;
        return needs <= size.height() * 0.3 && needs + plotNeeds <= size.height();
    };
    const std::vector<int> compactWidths = entryWidths(true);
    const int fullColumns = columnsFor(entryWidths(false), false);
    const int compactColumns = columnsFor(compactWidths, true);
    int widestEntry = 0;
    for (int w : compactWidths)
        widestEntry = std::max(widestEntry, w);
    // In order: full size on top (one row, or a tall chart); one smaller row on top; beside the
    // plot, one entry a row, while the lines keep most of the width (a side legend that left
    // them a strip, ipc-cost at 1024x768: 60 px, cost more than a second row); smaller rows on
    // top. Else no legend: the comparison below names the same colours (fault-isolation's
    // seven models at 1024x768), and laid out taller (an export) it is back.
    bool compact = false, beside = false, dropped = false;
    int columns = fullColumns;
    if (n == 0 || ((rows(fullColumns) == 1 || size.height() >= 260) && fitsOnTop(fullColumns, false))) {
    } else if (rows(compactColumns) == 1 && fitsOnTop(compactColumns, true)) {
        compact = true;
        columns = compactColumns;
    } else if ((widestEntry + 24 <= size.width() * 2 / 5
                || size.width() - (widestEntry + 24) >= std::max(250, size.width() * 55 / 100))
               && n * rowHeight(true) + 12 <= size.height()) {
        compact = beside = true;
    } else if (fitsOnTop(compactColumns, true)) {
        compact = true;
        columns = compactColumns;
    } else {
        dropped = true;
    }
    bool changed = false;
    for (QCPAbstractPlottable *p : entries) {
        const QString name = modelLabel(p->property("labModel").toString());
        if (p->name() != name) {
            p->setName(name);
            changed = true;
        }
    }
    if (compact != m_plot->property("labCompactLegend").toBool()) {
        m_plot->setProperty("labCompactLegend", compact);
        applyProjectorStyle(m_plot, isDark());
        changed = true;
    }
    if (dropped) {
        if (!m_legendDropped) {
            dropLegend(m_plot);
            m_legendDropped = true;
            changed = true;
        }
        return changed;
    }
    const bool moved = beside != m_legendBeside || m_legendDropped;
    m_legendDropped = false;
    if (moved) {
        m_legendBeside = beside;
        if (beside)
            placeLegendBeside(m_plot);
        else
            placeLegendOnTop(m_plot, columns);
        changed = true;
    }
    if (beside)
        columns = 1;
    legend->setColumnSpacing(compact ? 10 : 18);
    if (legend->wrap() != columns || moved) {  // a new wrap takes effect on rearranging
        legend->setWrap(columns);
        legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
        changed = true;
    }
    return changed;
}

void ThroughputChart::applyThemeColors(bool dark)
{
    const ChartPalette p = chartPalette(dark);
    QColor refColor = p.foreground;
    m_refLine->setPen(QPen(refColor, 2, Qt::DashLine));
    m_refLabel->setColor(refColor);
    m_refLabel->setBrush(p.legendBackground);
    updatePens();
    markDirty();
}

} // namespace lab
