#include "cpuchart.h"

#include "chartstyle.h"
#include "plotitems.h"
#include "util/sysinfo.h"

#include <QMouseEvent>
#include <QPaintEvent>
#include <QPainter>
#include <QStaticText>
#include <QToolTip>
#include <QThread>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

// A transparent child over the plot that draws what the chart's model gained since the last
// replot, and the app's own CPU. Updating a strip of it repaints only that strip of the plot
// below (the plot composites its cached layers clipped to the strip): a new sample costs a few
// segments and a few thousand pixels instead of a replot of the whole chart.
class LiveTail : public QWidget {
public:
    explicit LiveTail(CpuChart *chart, QWidget *parent) : QWidget(parent), m_chart(chart)
    {
        setAttribute(Qt::WA_TransparentForMouseEvents);
        setAttribute(Qt::WA_NoSystemBackground);
        setFocusPolicy(Qt::NoFocus);
        m_appText.setTextFormat(Qt::PlainText);
    }
    // The app's own CPU, drawn at the bottom right of the plot, in full ("app 4.1 % of a
    // core") or briefly ("app 4.1 %") as the room allows; shaped once per change.
    void setAppText(const QString &full, const QString &brief)
    {
        if (full == m_full && brief == m_brief)
            return;
        m_full = full;
        m_brief = brief;
        relayout(true);
    }
    QString appText() const { return m_appText.text(); }
    // The plot's layout or the text changed: the label may belong elsewhere, or be the brief one.
    void relayout(bool force = false)
    {
        QString text;
        QRect r;
        place(&text, &r);
        if (!force && text == m_appText.text() && r == m_appRect)
            return;
        const QRect before = m_appRect;
        if (text != m_appText.text()) {
            m_appText.setText(text);
            m_appText.prepare(QTransform(), labelFont());
        }
        m_appRect = text.isEmpty() ? QRect() : r;
        update(before.united(m_appRect));
    }
    QRect appRect() const { return m_appRect; }

protected:
    void resizeEvent(QResizeEvent *) override { relayout(); }
    void paintEvent(QPaintEvent *event) override
    {
        QPainter p(this);
        CpuChart &c = *m_chart;
        if (c.m_drawn.valid && !c.m_heatmapLayout && c.m_mainRect && c.m_model &&
            event->rect().intersects(c.m_mainRect->rect())) {
            const CpuSampleRing &ring = c.ring();
            const int first = ring.lowerBound(c.m_drawn.newest);
            if (first < ring.size() - 1) {
                QCPAxis *x = c.m_mainRect->axis(QCPAxis::atBottom);
                QCPAxis *y = c.m_mainRect->axis(QCPAxis::atLeft);
                p.save();
                p.setClipRect(c.m_mainRect->rect());
                const double origin = c.timeOrigin();
                // Cores first, the total on top: the order the graphs draw in.
                const int lines = 1 + int(c.m_coreGraphs.size());
                QVector<QPointF> pts;
                // Only the samples whose segments can touch the repainted strip.
                const double stripLo = event->rect().left() - 8, stripHi = event->rect().right() + 8;
                int from = first, to = ring.size();
                while (from + 1 < to && x->coordToPixel(ring.time(from + 1) - origin) < stripLo)
                    ++from;
                while (to - 1 > from + 1 && x->coordToPixel(ring.time(to - 2) - origin) > stripHi)
                    --to;
                for (int k = 0; k < lines; ++k) {
                    const int l = k + 1 < lines ? k + 1 : 0;  // row column: 0 total, 1 + c core c
                    QCPGraph *g = l == 0 ? c.m_totalGraph : c.m_coreGraphs[l - 1];
                    if (!g)
                        continue;
                    QPen pen = g->pen();
                    if (pen.widthF() > 1.01) {  // as PiecewiseGraph strokes short lines
                        pen.setJoinStyle(Qt::RoundJoin);
                        pen.setCapStyle(Qt::RoundCap);
                    }
                    p.setPen(pen);
                    p.setRenderHint(QPainter::Antialiasing, g->antialiased());
                    pts.clear();
                    for (int i = from; i < to; ++i) {
                        const float v = ring.row(i)[l];
                        if (std::isnan(v)) {
                            if (pts.size() > 1)
                                p.drawPolyline(pts);
                            pts.clear();
                            continue;
                        }
                        pts.append(QPointF(x->coordToPixel(ring.time(i) - origin), y->coordToPixel(double(v))));
                    }
                    if (pts.size() > 1)
                        p.drawPolyline(pts);
                }
                p.restore();
            }
        }
        if (!m_appRect.isEmpty() && event->rect().intersects(m_appRect)) {
            const ChartPalette pal = chartPalette(c.isDark());
            p.setRenderHint(QPainter::Antialiasing, false);
            p.fillRect(m_appRect, pal.legendBackground);
            p.setPen(pal.foreground);
            p.setFont(labelFont());
            p.drawStaticText(m_appRect.left() + 6, m_appRect.top() + 2, m_appText);
        }
    }

public:
    QFont labelFont() const
    {
        QFont f = m_chart->plot()->font();
        f.setPointSizeF(kTickFontPt);
        return f;
    }

private:
    // Bottom right, beside the time axis label, in full or else briefly; where that label
    // leaves no room, inside the top right corner of the plot (the right end of a live view is
    // its newest step), in full only where the plot is tall enough that the label leaves the
    // lines most of the corner.
    void place(QString *text, QRect *rect) const
    {
        *text = QString();
        if (m_full.isEmpty())
            return;
        const QFontMetrics fm(labelFont());
        const int h = fm.height() + 4;
        auto width = [&](const QString &t) { return fm.horizontalAdvance(t) + 12; };
        const CpuChart &c = *m_chart;
        QCPAxisRect *bottom = c.m_totalRect ? c.m_totalRect : c.m_mainRect;
        if (!bottom || !c.m_mainRect) {
            *text = m_full;
            *rect = QRect(this->width() - width(m_full) - 4, height() - h - 2, width(m_full), h);
            return;
        }
        QCPAxis *x = bottom->axis(QCPAxis::atBottom);
        const int labelHalf = QFontMetrics(x->labelFont()).horizontalAdvance(x->label()) / 2;
        for (const QString &t : {m_full, m_brief}) {
            const QRect corner(this->width() - width(t) - 4, height() - h - 2, width(t), h);
            if (!t.isEmpty() && corner.left() > bottom->rect().center().x() + labelHalf + 8) {
                *text = t;
                *rect = corner;
                return;
            }
        }
        const QRect area = c.m_mainRect->rect();
        *text = area.height() >= 3 * h || m_brief.isEmpty() ? m_full : m_brief;
        *rect = QRect(area.right() - width(*text) - 3, area.top() + 3, width(*text), h);
    }

    QString m_full, m_brief;
    QStaticText m_appText;
    QRect m_appRect;
private:
    CpuChart *m_chart;
};

CpuChart::CpuChart(QWidget *parent) : TimeChart(parent)
{
    m_mainRect = m_plot->axisRect();
    m_plot->addLayer(QStringLiteral("spans"), m_plot->layer(QStringLiteral("background")), QCustomPlot::limAbove);
    // Span labels sit below the data: a core at 100 % stays visible through a label.
    m_plot->addLayer(QStringLiteral("labels"), m_plot->layer(QStringLiteral("main")), QCustomPlot::limBelow);
    placeLegendOnTop(m_plot, 10);

    setModel(new CpuSeriesModel(this));  // builds the layout for its (0) cores
    initStyle();
    setTimeRange(-m_window, 0);
    setLiveFollow(true);

    // Data reduction needs the final axis rect width, known only after the layout pass;
    // afterLayout also runs for exports (toPixmap/savePdf), so they get data for their size.
    connect(m_plot, &QCustomPlot::afterLayout, this, &CpuChart::reduceForView);
    connect(m_plot, &QCustomPlot::beforeReplot, this, [this] { m_reduceMs = 0; m_reduceClock.start(); });
    connect(m_plot, &QCustomPlot::afterReplot, this, [this] {
        m_lastReplotMs = double(m_reduceClock.nsecsElapsed()) / 1e6;
        ++m_replotCount;
        // The plot's buffers now hold everything up to m_reducedNewest: the tail starts there.
        QCPAxis *x = m_mainRect->axis(QCPAxis::atBottom);
        m_drawn.valid = m_layoutBuilt;
        m_drawn.lower = x->range().lower;
        m_drawn.upper = x->range().upper;
        m_drawn.origin = timeOrigin();
        m_drawn.rect = m_mainRect->rect();
        m_drawn.spansVersion = m_spansVersion;
        m_drawn.styleVersion = m_styleVersion;
        m_drawn.fewPoints = m_pointsInView <= 800;
        const int columns = std::max(1, m_mainRect->width());
        m_drawn.pointLimit = m_coreGraphs.size() + 1 > 5 ? std::max(1, columns / 2) : columns;
        m_drawn.newest = m_reducedNewest;
        m_tailPaintedTo = m_reducedNewest;
        if (m_tail) {
            m_tail->setGeometry(m_plot->rect());
            m_tail->relayout();
        }
    });

    connect(m_plot, &QCustomPlot::mouseMove, this, &CpuChart::onHover);
    m_tail = new LiveTail(this, m_plot);
    m_tail->setGeometry(m_plot->rect());
    m_tail->show();
}

CpuChart::~CpuChart() = default;

void CpuChart::setModel(CpuSeriesModel *model)
{
    if (!replaceModel(m_model, model))
        return;
    connect(model, &CpuSeriesModel::samplesChanged, this, [this] {
        m_reducedColumns = -1;  // new data: reduce again even if the view did not move
        markDirty();
    });
    connect(model, &CpuSeriesModel::coreCountChanged, this, &CpuChart::onCoreCountChanged);
    connect(model, &CpuSeriesModel::spansChanged, this, [this] {
        ++m_spansVersion;
        syncSpanItems();
        markDirty();
    });
    // Only the label's own pixels repaint; nothing else of the chart changed.
    connect(model, &CpuSeriesModel::appCpuChanged, this, [this] { m_tail->setAppText(appCpuText(), appCpuText(true)); });
    onCoreCountChanged(model->coreCount());
    ++m_spansVersion;
    syncSpanItems();
    m_reducedColumns = -1;
    m_drawn.valid = false;
    markDirty();
}

void CpuChart::setWindowSeconds(double seconds)
{
    if (!std::isfinite(seconds))
        return;
    m_window = std::clamp(seconds, kMinWindow, kMaxWindow);
    setLiveFollow(true);
    followNewest();
    markDirty();
}

void CpuChart::setCapacity(int samples)
{
    m_model->setCapacity(samples);
}

void CpuChart::setCoreCount(int cores)
{
    m_model->setCoreCount(cores);
}

void CpuChart::onCoreCountChanged(int cores)
{
    if (m_layoutBuilt && (cores > kMaxLineCores) == m_heatmapLayout && int(m_coreGraphs.size()) == (m_heatmapLayout ? 0 : cores))
        return;
    buildLayout(cores > kMaxLineCores);
    markDirty();
}

void CpuChart::addSample(const CpuSample &s)
{
    m_model->addSample(s);
}

void CpuChart::markRunStarted(double t0, const QString &model)
{
    m_model->markRunStarted(t0, model);
}

void CpuChart::markRunFinished(double t1)
{
    m_model->markRunFinished(t1);
}

void CpuChart::clearRunMarks()
{
    m_model->clearRunMarks();
}

void CpuChart::removeSpanItems()
{
    for (SpanItems &s : m_spanItems) {
        if (s.rect)
            m_plot->removeItem(s.rect);
        if (s.label)
            m_plot->removeItem(s.label);
    }
    m_spanItems.clear();
}

void CpuChart::syncSpanItems()
{
    // Spans change twice per run: rebuilding their (at most kMaxSpans) items is cheap.
    removeSpanItems();
    if (!m_model)
        return;
    for (const CpuSeriesModel::Span &span : m_model->spans())
        m_spanItems.push_back(createSpanItems(span));
    updateSpanItems();
}

void CpuChart::setPaused(bool paused)
{
    m_paused = paused;
    if (!paused)
        markDirty();
}

double CpuChart::renderNow()
{
    if (isFollowingLive())
        followNewest();
    updateSpanItems();
    m_reducedColumns = -1;  // force the reduction
    QElapsedTimer clock;
    clock.start();
    m_plot->replot(QCustomPlot::rpImmediateRefresh);
    return double(clock.nsecsElapsed()) / 1e6;
}

void CpuChart::redraw()
{
    if (isFollowingLive())
        followNewest();
    if (tailPossible()) {
        drawTail();
        return;
    }
    updateSpanItems();
    m_reducedColumns = -1;
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

double CpuChart::renderLiveNow()
{
    QElapsedTimer clock;
    clock.start();
    if (isFollowingLive())
        followNewest();
    if (tailPossible()) {
        const QRect dirty = drawTail();
        if (!dirty.isEmpty())
            m_tail->repaint(dirty);
    } else {
        updateSpanItems();
        m_reducedColumns = -1;
        m_plot->replot(QCustomPlot::rpImmediateRefresh);
    }
    return double(clock.nsecsElapsed()) / 1e6;
}

bool CpuChart::tailPossible() const
{
    if (!m_drawn.valid || m_heatmapLayout || !m_model || ring().isEmpty() || !m_plot->isVisible())
        return false;
    QCPAxis *x = m_mainRect->axis(QCPAxis::atBottom);
    if (x->range().lower != m_drawn.lower || x->range().upper != m_drawn.upper || timeOrigin() != m_drawn.origin ||
        m_mainRect->rect() != m_drawn.rect || m_spansVersion != m_drawn.spansVersion ||
        m_styleVersion != m_drawn.styleVersion || m_tail->geometry() != m_plot->rect())
        return false;
    // The replot's newest sample must still be in the ring (it was not cleared or replaced).
    const int first = ring().lowerBound(m_drawn.newest);
    if (first >= ring().size() || ring().time(first) != m_drawn.newest)
        return false;
    // Raw points only, and the pens a replot would choose for this many.
    const int points = m_pointsInView + (ring().size() - 1 - first);
    return points <= m_drawn.pointLimit && (points <= 800) == m_drawn.fewPoints;
}

QRect CpuChart::drawTail()
{
    const double origin = timeOrigin();
    const double newest = ring().time(ring().size() - 1);
    if (newest <= m_tailPaintedTo)
        return {};
    QCPAxis *x = m_mainRect->axis(QCPAxis::atBottom);
    // From the previous tail end to the new one, with room for the pen and its joins.
    const int margin = 6;
    const double xa = x->coordToPixel(m_tailPaintedTo - origin), xb = x->coordToPixel(newest - origin);
    const QRect area = m_mainRect->rect();
    QRect dirty(QPoint(int(std::floor(std::min(xa, xb))) - margin, area.top() - margin),
                QPoint(int(std::ceil(std::max(xa, xb))) + margin, area.bottom() + margin));
    dirty = dirty.intersected(area.adjusted(-margin, -margin, margin, margin));
    m_tailPaintedTo = newest;
    ++m_tailFrames;
    if (!dirty.isEmpty())
        m_tail->update(dirty);
    return dirty;
}

QString CpuChart::appCpuText(bool brief) const
{
    const double v = m_model ? m_model->appCpuPercent() : qQNaN();
    if (std::isnan(v))
        return {};
    return (brief ? tr("app %1 %") : tr("app %1 % of a core")).arg(v, 0, 'f', v < 10 ? 1 : 0);
}


QString CpuChart::shownAppCpuText() const
{
    return m_tail ? m_tail->appText() : QString();
}

int CpuChart::visibleRunLabels() const
{
    return int(std::count_if(m_spanItems.begin(), m_spanItems.end(),
                             [](const SpanItems &s) { return s.label && s.label->visible(); }));
}

QString CpuChart::toolTipAt(const QPointF &pos) const
{
    if (ring().isEmpty() || !m_layoutBuilt)
        return {};
    QCPAxisRect *rect = nullptr;
    for (QCPAxisRect *r : {m_mainRect, m_totalRect})
        if (r && r->rect().contains(pos.toPoint()))
            rect = r;
    if (!rect)
        return {};
    const double t = rect->axis(QCPAxis::atBottom)->pixelToCoord(pos.x()) + timeOrigin();
    int i = ring().lowerBound(t);
    if (i >= ring().size())
        i = ring().size() - 1;
    if (i > 0 && std::abs(ring().time(i - 1) - t) < std::abs(ring().time(i) - t))
        --i;
    // Only when a sample is near (within 1 s or 2 px).
    const double tolerance = std::max(1.0, std::abs(rect->axis(QCPAxis::atBottom)->pixelToCoord(pos.x() + 2) -
                                                    rect->axis(QCPAxis::atBottom)->pixelToCoord(pos.x())));
    if (std::abs(ring().time(i) - t) > tolerance)
        return {};
    const float *row = ring().row(i);
    auto pct = [](float v) {
        return std::isnan(v) ? QStringLiteral("offline") : QString::number(double(v), 'f', 0) + QStringLiteral(" %");
    };
    QStringList lines;
    lines << tr("%1 s: total %2").arg(ring().time(i) - timeOrigin(), 0, 'f', 1).arg(pct(row[0]));
    const int cores = ring().cores();
    if (m_heatmapLayout && rect == m_mainRect) {
        const int core = int(std::lround(rect->axis(QCPAxis::atLeft)->pixelToCoord(pos.y())));
        if (core >= 0 && core < cores)
            lines << tr("core %1: %2").arg(core).arg(pct(row[1 + core]));
    } else if (!m_heatmapLayout) {
        QStringList line;
        for (int c = 0; c < cores; ++c) {
            line << tr("core %1: %2").arg(c).arg(pct(row[1 + c]));
            if (line.size() == 4 || c == cores - 1) {
                lines << line.join(QStringLiteral("   "));
                line.clear();
            }
        }
    }
    return lines.join(QLatin1Char('\n'));
}

void CpuChart::onHover(QMouseEvent *event)
{
    const QString text = toolTipAt(event->position());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, m_plot);
}

void CpuChart::followNewest()
{
    const double newest = ring().isEmpty() ? monotonicSeconds() - timeOrigin()
                                           : ring().time(ring().size() - 1) - timeOrigin();
    // The right edge moves in whole steps: between steps the axes (and every chart sharing
    // the range) stay as they are.
    const double step = m_window * kStepFraction;
    const double upper = std::ceil(newest / step) * step;
    timeRange()->setLiveRange(upper - m_window, upper);
}

void CpuChart::liveFollowResumed()
{
    followNewest();
    updateSpanItems();
}

void CpuChart::timeOriginApplied()
{
    m_reducedColumns = -1;
    updateSpanItems();
}

QCPAxisRect *CpuChart::spanRect() const
{
    // Heatmap mode too: the spans outline the run on the heatmap, labels have room there.
    return m_mainRect;
}

void CpuChart::buildLayout(bool heatmap)
{
    // Tear down the mode-specific parts; the ring, spans (as data) and range survive.
    m_drawn.valid = false;
    unregisterTimeAxes();
    removeSpanItems();
    m_plot->clearPlottables();
    m_coreGraphs.clear();
    m_totalGraph = nullptr;
    m_legendCoresDummy = nullptr;
    m_colorMap = nullptr;
    // Rebuild the grid from scratch. The legend only takes part in lines mode: an empty
    // legend would cap the width of its column.
    QCPLayoutGrid *grid = m_plot->plotLayout();
    if (m_colorScale) {
        grid->remove(m_colorScale);
        m_colorScale = nullptr;
    }
    if (m_totalRect) {
        grid->remove(m_totalRect);
        m_totalRect = nullptr;
    }
    grid->take(m_mainRect);
    if (m_plot->legend->layout())
        m_plot->legend->layout()->take(m_plot->legend);
    grid->simplify();
    int row = 0;
    if (!heatmap) {
        grid->addElement(row, 0, m_plot->legend);
        grid->setRowStretchFactor(row, 0.001);
        ++row;
    }
    grid->addElement(row, 0, m_mainRect);
    grid->setRowStretchFactor(row, 1);
    QCPAxis *x = m_mainRect->axis(QCPAxis::atBottom);
    QCPAxis *y = m_mainRect->axis(QCPAxis::atLeft);
    m_heatmapLayout = heatmap;
    const int cores = ring().cores();
    if (!heatmap) {
        m_plot->legend->setVisible(true);
        x->setTickLabels(true);
        x->setLabel(tr("time since start (s)"));
        y->setLabel(tr("CPU busy (%)"));
        // A little headroom: a core at 100 % must not vanish into the axis rect's border.
        y->setRange(-2, 108);
        auto busyTicker = QSharedPointer<QCPAxisTickerFixed>(new QCPAxisTickerFixed);
        busyTicker->setTickStep(25);
        busyTicker->setScaleStrategy(QCPAxisTickerFixed::ssNone);
        y->setTicker(busyTicker);
        y->setPadding(4);
        m_mainRect->setMarginGroup(QCP::msLeft | QCP::msRight, nullptr);
        for (int c = 0; c < cores; ++c) {
            auto *g = new PiecewiseGraph(x, y);
            g->setName(tr("core %1").arg(c));
            g->setAntialiased(false);
            g->setAdaptiveSampling(false);  // data already reduced to pixel columns
            g->setLayer(QStringLiteral("main"));
            if (cores > 8)
                g->removeFromLegend();
            m_coreGraphs.append(g);
        }
        if (cores > 8) {
            m_legendCoresDummy = new QCPGraph(x, y);
            m_legendCoresDummy->setName(tr("each of %1 cores").arg(cores));
        }
        m_totalGraph = new PiecewiseGraph(x, y);
        m_totalGraph->setName(tr("total"));
        m_totalGraph->setAdaptiveSampling(false);
        // The total goes first in the legend.
        m_plot->legend->clearItems();
        m_totalGraph->addToLegend();
        if (m_legendCoresDummy)
            m_legendCoresDummy->addToLegend();
        else
            for (QCPGraph *g : std::as_const(m_coreGraphs))
                g->addToLegend();
        registerTimeAxis(x);
    } else {
        m_plot->legend->setVisible(false);
        m_plot->legend->clearItems();
        x->setTickLabels(false);
        x->setLabel(QString());
        y->setLabel(tr("core"));
        y->setRange(-0.5, cores - 0.5);
        auto ticker = QSharedPointer<QCPAxisTickerFixed>(new QCPAxisTickerFixed);
        ticker->setTickStep(cores <= 32 ? 4 : cores <= 64 ? 8 : 16);
        ticker->setScaleStrategy(QCPAxisTickerFixed::ssNone);
        y->setTicker(ticker);

        m_colorMap = new QCPColorMap(x, y);
        m_mapData = new DirectColorMapData;
        m_colorMap->setData(m_mapData);  // takes ownership
        m_colorMap->setGradient(heatGradient());
        m_colorMap->setDataRange(QCPRange(0, 100));
        m_colorMap->setInterpolate(false);
        m_colorMap->setTightBoundary(false);
        m_colorMap->removeFromLegend();

        const int mainRow = row;
        m_colorScale = new QCPColorScale(m_plot);
        grid->addElement(mainRow, 1, m_colorScale);
        m_colorScale->setType(QCPAxis::atRight);
        m_colorScale->setDataRange(QCPRange(0, 100));
        m_colorScale->setGradient(heatGradient());
        m_colorScale->setBarWidth(16);
        m_colorScale->axis()->setLabel(tr("CPU busy (%)"));
        m_colorMap->setColorScale(m_colorScale);

        m_totalRect = new QCPAxisRect(m_plot);
        grid->addElement(mainRow + 1, 0, m_totalRect);
        grid->setRowStretchFactor(mainRow, 3);
        grid->setRowStretchFactor(mainRow + 1, 1);
        auto *group = new QCPMarginGroup(m_plot);
        m_mainRect->setMarginGroup(QCP::msLeft | QCP::msRight, group);
        m_totalRect->setMarginGroup(QCP::msLeft | QCP::msRight, group);
        m_colorScale->setMarginGroup(QCP::msTop | QCP::msBottom, new QCPMarginGroup(m_plot));
        m_mainRect->setMarginGroup(QCP::msTop | QCP::msBottom, m_colorScale->marginGroup(QCP::msTop));
        QCPAxis *tx = m_totalRect->axis(QCPAxis::atBottom);
        QCPAxis *ty = m_totalRect->axis(QCPAxis::atLeft);
        tx->setLabel(tr("time since start (s)"));
        ty->setLabel(tr("total (%)"));
        ty->setRange(-4, 112);
        auto yt = QSharedPointer<QCPAxisTickerFixed>(new QCPAxisTickerFixed);
        yt->setTickStep(50);
        yt->setScaleStrategy(QCPAxisTickerFixed::ssNone);
        ty->setTicker(yt);
        m_totalGraph = new PiecewiseGraph(tx, ty);
        m_totalGraph->setName(tr("total"));
        m_totalGraph->setAdaptiveSampling(false);
        m_totalGraph->removeFromLegend();
        registerTimeAxis(x);
        registerTimeAxis(tx);
    }
    m_layoutBuilt = true;
    if (m_model)
        for (const CpuSeriesModel::Span &span : m_model->spans())
            m_spanItems.push_back(createSpanItems(span));
    applyTimeRange(timeLower(), timeUpper());
    m_reducedColumns = -1;
    // Style the new axes; the property does not change, so recolour explicitly.
    applyProjectorStyle(m_plot, isDark());
    applyThemeColors(isDark());
}

CpuChart::SpanItems CpuChart::createSpanItems(const CpuSeriesModel::Span &model)
{
    SpanItems span;
    QCPAxisRect *rect = spanRect();
    QCPAxis *x = rect->axis(QCPAxis::atBottom);
    QCPAxis *y = rect->axis(QCPAxis::atLeft);
    span.rect = new QCPItemRect(m_plot);
    span.rect->setLayer(QStringLiteral("spans"));
    span.rect->setClipAxisRect(rect);
    span.rect->setSelectable(false);
    span.rect->setAntialiased(false);
    for (QCPItemPosition *p : {span.rect->topLeft, span.rect->bottomRight}) {
        p->setTypeX(QCPItemPosition::ptPlotCoords);
        p->setTypeY(QCPItemPosition::ptAxisRectRatio);
        p->setAxes(x, y);
        p->setAxisRect(rect);
    }
    span.label = new QCPItemText(m_plot);
    span.label->setLayer(QStringLiteral("labels"));
    span.label->setClipAxisRect(rect);
    span.label->setSelectable(false);
    span.label->setProperty("labKeepColor", true);
    span.label->position->setTypeX(QCPItemPosition::ptPlotCoords);
    span.label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    span.label->position->setAxes(x, y);
    span.label->position->setAxisRect(rect);
    span.label->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    span.label->setPadding(QMargins(5, 2, 5, 2));
    span.label->setText(modelLabel(model.model));
    QFont f = m_plot->font();
    f.setPointSizeF(kTickFontPt);
    f.setBold(true);
    span.label->setFont(f);
    styleSpanItems(span, model.model);
    return span;
}

void CpuChart::styleSpanItems(SpanItems &span, const QString &model)
{
    const bool dark = isDark();
    const QColor color = modelColor(model, dark);
    QColor fill = color;
    fill.setAlpha(dark ? 70 : 45);
    if (m_heatmapLayout) {
        // Over the heatmap: an outline only (a tint would shift the heat colours).
        span.rect->setLayer(QStringLiteral("labels"));
        span.rect->setBrush(Qt::NoBrush);
        span.rect->setPen(QPen(color, 3));
    } else {
        span.rect->setLayer(QStringLiteral("spans"));
        span.rect->setBrush(fill);
        span.rect->setPen(QPen(color, 1));
    }
    span.label->setBrush(chartPalette(dark).legendBackground);
    // Dark theme: light text (a model's colour on a dark box does not read); the frame has the colour.
    span.label->setColor(dark ? chartPalette(dark).foreground : color.darker(130));
    span.label->setPen(QPen(color, 1));
}

void CpuChart::updateSpanItems()
{
    if (!m_model)
        return;
    const double origin = timeOrigin();
    const double newest = ring().isEmpty() ? monotonicSeconds() : ring().time(ring().size() - 1);
    const double viewLower = timeLower();
    QCPAxisRect *rect = spanRect();
    QCPAxis *x = rect->axis(QCPAxis::atBottom);
    const double rectHeight = std::max(1, rect->height());
    // Labels of short spans would overlap: put each on the first of a few rows where it fits.
    constexpr int kRows = 3;
    double rowRight[kRows];
    std::fill(std::begin(rowRight), std::end(rowRight), -1e300);
    const QRectF app = m_tail ? QRectF(m_tail->appRect()) : QRectF();
    const std::vector<CpuSeriesModel::Span> &spans = m_model->spans();
    for (size_t i = 0; i < spans.size() && i < m_spanItems.size(); ++i) {
        const CpuSeriesModel::Span &span = spans[i];
        SpanItems &s = m_spanItems[i];
        if (!s.rect)
            continue;
        // A running run's span reaches the right edge of the view ("still going"): it does not
        // change with every sample, so live frames need no replot.
        const double t1 = std::isnan(span.t1) ? std::max({newest, span.t0, timeUpper() + origin}) : span.t1;
        s.rect->topLeft->setCoords(span.t0 - origin, 0);
        s.rect->bottomRight->setCoords(t1 - origin, 1);
        // Keep the label visible while any part of the span is in view.
        const double labelX = std::clamp(viewLower, span.t0 - origin, std::max(span.t0 - origin, t1 - origin));
        const bool visible = t1 - origin > viewLower;
        s.label->setVisible(visible);
        if (!visible)
            continue;
        const QFontMetrics fm(s.label->font());
        const double left = x->coordToPixel(labelX);
        const double width = fm.horizontalAdvance(s.label->text()) + 12;
        const double height = fm.height() + 6;
        // A row is taken where an earlier label ends to the right, or where the app's own CPU
        // label sits (the top right corner of a narrow chart).
        const auto taken = [&](int r) {
            if (left < rowRight[r] + 2)
                return true;
            return !app.isNull() && QRectF(left, rect->top() + r * height, width, height).intersects(app);
        };
        // Rows only in the top half of the plot: in a short one (a 1024x768 window's top row)
        // a label lower down, or any label at all, would hide the lines it names.
        const int rows = std::min(kRows, int(rectHeight * 0.5 / height));
        int row = 0;
        while (row < rows && taken(row))
            ++row;
        // No row has room (many short runs in a narrow chart, or a short chart): no label rather
        // than one printed over another or over the lines; the span's colour and the legend
        // still name the model.
        if (row >= rows) {
            s.label->setVisible(false);
            continue;
        }
        rowRight[row] = left + width;
        s.label->position->setCoords(labelX, std::min(0.9, row * height / rectHeight));
    }
}

void CpuChart::applyThemeColors(bool dark)
{
    ++m_styleVersion;
    if (m_tail)
        m_tail->update();
    const ChartPalette p = chartPalette(dark);
    updateLinePens();
    if (m_totalGraph)
        m_totalGraph->setPen(QPen(p.foreground, m_totalGraph->pen().widthF()));
    if (m_legendCoresDummy)
        m_legendCoresDummy->setPen(QPen(p.grid.darker(dark ? 70 : 130), 1));
    if (m_model) {
        for (size_t i = 0; i < m_spanItems.size() && i < m_model->spans().size(); ++i)
            styleSpanItems(m_spanItems[i], m_model->spans()[i].model);
    }
    updateSpanItems();
    updateCursorColors(dark);
    if (m_colorMap) {
        QCPColorGradient g = heatGradient();
        m_colorMap->setGradient(g);
    }
    markDirty();
}

void CpuChart::updateLinePens()
{
    const int cores = int(m_coreGraphs.size());
    // Lines a hall can see: up to 4 cores are 2 px wide however dense the data (antialiased only
    // while few points are in view, the cheap path otherwise); many cores stay 1 px (QCustomPlot
    // draws it cosmetic) so 128 lines stay fast. The total stays thick either way.
    const bool few = m_pointsInView <= 800;
    const bool thickCores = cores <= 4;
    for (int c = 0; c < cores; ++c) {
        m_coreGraphs[c]->setPen(QPen(coreColor(c), thickCores ? 2.0 : 1.0));
        m_coreGraphs[c]->setAntialiased(thickCores && few);
    }
    if (m_totalGraph) {
        QPen pen(chartPalette(isDark()).foreground, m_heatmapLayout ? 2.5 : 3.0);
        m_totalGraph->setPen(pen);
        m_totalGraph->setAntialiased(few);
    }
}

void CpuChart::reduceForView()
{
    if (!m_layoutBuilt)
        return;
    updateSpanItems();  // label rows depend on the pixel layout (exports have their own)
    // Busy % ticks every 25 % while a label's height fits between them, else every 50 %; the
    // ticks of this frame were made before the layout: lay out again with the new ones.
    if (auto busy = m_mainRect->axis(QCPAxis::atLeft)->ticker().dynamicCast<QCPAxisTickerFixed>();
        busy && !m_heatmapLayout) {
        const int lineH = QFontMetrics(m_mainRect->axis(QCPAxis::atLeft)->tickLabelFont()).height();
        const double step = m_mainRect->height() < 4.4 * lineH ? 50 : 25;
        const bool label = fitAxisLabel(m_mainRect->axis(QCPAxis::atLeft), {tr("CPU busy (%)"), tr("busy %")});
        if (busy->tickStep() != step || label) {
            busy->setTickStep(step);
            layOutAgain(m_plot);
        }
    }
    QCPAxis *x = m_mainRect->axis(QCPAxis::atBottom);
    const double lower = x->range().lower, upper = x->range().upper;
    const int columns = std::max(1, m_mainRect->width());
    if (columns == m_reducedColumns && lower == m_reducedLower && upper == m_reducedUpper &&
        timeOrigin() == m_reducedOrigin)
        return;
    m_reducedColumns = columns;
    m_reducedLower = lower;
    m_reducedUpper = upper;
    m_reducedOrigin = timeOrigin();
    m_reducedNewest = ring().isEmpty() ? 0 : ring().time(ring().size() - 1);
    if (m_heatmapLayout)
        reduceHeatmap(lower, upper, columns);
    reduceLines(lower, upper, columns);
    updateLinePens();
}

void CpuChart::reduceLines(double lower, double upper, int columns)
{
    const double origin = timeOrigin();
    const int size = ring().size();
    const int i0 = std::max(0, ring().lowerBound(lower + origin) - 1);
    const int i1 = std::min(size, ring().lowerBound(upper + origin) + 1);
    const int n = std::max(0, i1 - i0);
    // Line 0 is the total; lines 1..cores are the cores (lines mode only).
    const int lineCount = m_heatmapLayout ? 1 : 1 + int(m_coreGraphs.size());
    const int stride = ring().cores() + 1;
    std::vector<QVector<QCPGraphData>> out;
    out.resize(size_t(lineCount));
    // Many overlapping noisy lines: one value per two pixel columns. Halves the segments and
    // the noise the cosmetic-line rasteriser has to travel, and reads better.
    if (lineCount > 5)
        columns = std::max(1, columns / 2);
    m_pointsInView = n;
    if (n <= columns) {
        for (auto &v : out)
            v.reserve(n);
        for (int i = i0; i < i1; ++i) {
            const double key = ring().time(i) - origin;
            const float *row = ring().row(i);
            for (int l = 0; l < lineCount; ++l)
                out[size_t(l)].append(QCPGraphData(key, double(row[l])));
        }
    } else {
        // One mean per pixel column; buckets aligned to the origin so scrolling does not
        // shift them (no shimmer while following live).
        const double width = (upper - lower) / columns;
        m_sum.assign(size_t(stride), 0.0);
        m_count.assign(size_t(stride), 0);
        for (auto &v : out)
            v.reserve(columns + 2);
        qint64 bucket = std::numeric_limits<qint64>::min();
        auto flush = [&] {
            if (bucket == std::numeric_limits<qint64>::min())
                return;
            const double key = (double(bucket) + 0.5) * width;
            for (int l = 0; l < lineCount; ++l) {
                const int c = m_count[size_t(l)];
                out[size_t(l)].append(QCPGraphData(key, c ? m_sum[size_t(l)] / c : qQNaN()));
                m_sum[size_t(l)] = 0;
                m_count[size_t(l)] = 0;
            }
        };
        m_pointsInView = 0;
        for (int i = i0; i < i1; ++i) {
            const qint64 b = qint64(std::floor((ring().time(i) - origin) / width));
            if (b != bucket) {
                flush();
                ++m_pointsInView;
                bucket = b;
            }
            const float *row = ring().row(i);
            for (int l = 0; l < lineCount; ++l) {
                const float v = row[l];
                if (!std::isnan(v)) {
                    m_sum[size_t(l)] += double(v);
                    ++m_count[size_t(l)];
                }
            }
        }
        flush();
    }
    if (m_totalGraph)
        m_totalGraph->data()->set(out[0], true);
    for (int l = 1; l < lineCount; ++l)
        m_coreGraphs[l - 1]->data()->set(out[size_t(l)], true);
}

void CpuChart::reduceHeatmap(double lower, double upper, int columns)
{
    if (!m_colorMap)
        return;
    const double origin = timeOrigin();
    const int cores = ring().cores();
    const int size = ring().size();
    // Cells at least one sample interval wide, so sparse data shows no empty stripes.
    double interval = 0.1;
    if (size >= 2) {
        const int k = std::min(size - 1, 50);
        interval = (ring().time(size - 1) - ring().time(size - 1 - k)) / k;
    }
    const double width = std::max((upper - lower) / columns, interval);
    const qint64 b0 = qint64(std::floor(lower / width));
    const qint64 b1 = qint64(std::floor(upper / width));
    const int nb = int(std::clamp<qint64>(b1 - b0 + 1, 1, 100000));
    DirectColorMapData *data = m_mapData;
    if (data->keySize() != nb || data->valueSize() != cores)
        data->setSize(nb, std::max(1, cores));
    data->setRange(QCPRange((double(b0) + 0.5) * width, (double(b0 + nb - 1) + 0.5) * width),
                   QCPRange(0, std::max(1, cores - 1)));
    double *cells = data->cells();
    std::fill(cells, cells + size_t(nb) * size_t(cores), qQNaN());
    auto cell = [cells, nb](qint64 key, int core) -> double & { return cells[size_t(core) * size_t(nb) + size_t(key)]; };
    const int i0 = std::max(0, ring().lowerBound(lower + origin) - 1);
    const int i1 = std::min(size, ring().lowerBound(upper + origin) + 1);
    m_sum.assign(size_t(cores), 0.0);
    m_count.assign(size_t(cores), 0);
    qint64 bucket = std::numeric_limits<qint64>::min();
    qint64 lastWritten = std::numeric_limits<qint64>::min();
    double lastTime = -1e300;
    auto flush = [&] {
        if (bucket == std::numeric_limits<qint64>::min())
            return;
        const qint64 k = bucket - b0;
        if (k >= 0 && k < nb) {
            for (int c = 0; c < cores; ++c) {
                const int cnt = m_count[size_t(c)];
                cell(k, c) = cnt ? m_sum[size_t(c)] / cnt : qQNaN();
            }
            lastWritten = bucket;
        }
        std::fill(m_sum.begin(), m_sum.end(), 0.0);
        std::fill(m_count.begin(), m_count.end(), 0);
    };
    for (int i = i0; i < i1; ++i) {
        const double t = ring().time(i) - origin;
        const qint64 b = qint64(std::floor(t / width));
        if (b != bucket) {
            flush();
            // Timer jitter can leave a cell without a sample: carry the previous column on.
            if (lastWritten != std::numeric_limits<qint64>::min() && b > lastWritten + 1 &&
                t - lastTime <= 2.5 * interval && lastWritten - b0 >= 0) {
                for (qint64 k = lastWritten + 1 - b0; k < b - b0 && k < nb; ++k) {
                    for (int c = 0; c < cores; ++c)
                        cell(k, c) = cell(lastWritten - b0, c);
                }
            }
            bucket = b;
        }
        lastTime = t;
        const float *row = ring().row(i) + 1;
        double *sum = m_sum.data();
        int *count = m_count.data();
        for (int c = 0; c < cores; ++c) {
            const float v = row[c];
            if (!std::isnan(v)) {
                sum[c] += double(v);
                ++count[c];
            }
        }
    }
    flush();
    data->markModified();
    m_colorMap->setDataRange(QCPRange(0, 100));
}

} // namespace lab
