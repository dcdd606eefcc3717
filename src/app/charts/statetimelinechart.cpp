#include "statetimelinechart.h"

#include "chartstyle.h"
#include "plotitems.h"

#include <QElapsedTimer>
#include <QHash>
#include <climits>
#include <QFontMetrics>
#include <QMouseEvent>
#include <QToolTip>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

static_assert(int(LaneState::Gil) == 7, "laneStateHatched() knows the GIL state by its index");

namespace {
constexpr double kHalf = 0.36;      // half a lane's bar, in rows
constexpr double kMs = 1000;        // the x axis is in milliseconds

// Wraps text to lines of at most `width` pixels in `font` (QCPTextElement does not wrap).
QString wrapped(const QString &text, const QFont &font, int width)
{
    const QFontMetrics fm(font);
    QStringList lines;
    QString line;
    for (const QString &word : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const QString candidate = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
        if (!line.isEmpty() && fm.horizontalAdvance(candidate) > width) {
            lines << line;
            line = word;
        } else {
            line = candidate;
        }
    }
    if (!line.isEmpty())
        lines << line;
    return lines.join(QLatin1Char('\n'));
}
} // namespace

// Draws everything of the run from the model, reduced to the view's pixels: state cells per
// lane (one drawRects per state), culprit arrows, primitive lanes, the deadlock marks.
class StatesPlottable : public QCPAbstractPlottable {
public:
    StatesPlottable(StateTimelineChart *chart, QCPAxis *x, QCPAxis *y) : QCPAbstractPlottable(x, y), m_chart(chart)
    {
        setAntialiased(false);
        setSelectable(QCP::stNone);
    }
    double selectTest(const QPointF &, bool, QVariant *) const override { return -1; }
    QCPRange getKeyRange(bool &found, QCP::SignDomain) const override
    {
        const StateTimelineModel *m = m_chart->m_model;
        found = m && m->hasRun();
        return found ? QCPRange(0, std::max(1e-6, m->duration()) * kMs) : QCPRange();
    }
    QCPRange getValueRange(bool &found, QCP::SignDomain, const QCPRange &) const override
    {
        found = true;
        return {-0.5, m_chart->rowCount() - 0.5};
    }

protected:
    void drawLegendIcon(QCPPainter *, const QRectF &) const override {}
    void draw(QCPPainter *painter) override
    {
        const StateTimelineModel *m = m_chart->m_model;
        QCPAxis *x = keyAxis();
        QCPAxis *y = valueAxis();
        if (!m || !m->hasRun() || !x || !y)
            return;
        const bool dark = isDarkStyle(parentPlot());
        const ChartPalette pal = chartPalette(dark);
        const double line = styleLineScale(parentPlot());
        const QRect area = x->axisRect()->rect();
        const double lower = x->range().lower / kMs, upper = x->range().upper / kMs;
        auto band = [&](double row, double half) {
            const double a = y->coordToPixel(row - half), b = y->coordToPixel(row + half);
            return std::pair<double, double>(std::min(a, b), std::max(1.0, std::abs(b - a)));
        };

        // Worker lanes.
        const std::vector<StateTimelineModel::Cell> cells = m->reduce(lower, upper, area.width());
        m_chart->m_lastCells = int(cells.size());
        std::vector<QVector<QRectF>> batches(kLaneStateCount);
        QVector<QRectF> stuck;
        for (const auto &c : cells) {
            const auto bh = band(c.lane, kHalf);
            const double top = bh.first, height = bh.second;
            const QRectF r(area.left() + c.x0, top, std::max(1.0f, c.x1 - c.x0), height);
            batches[size_t(c.state)].append(r);
            if (c.deadlock)
                stuck.append(r);
        }
        painter->setPen(Qt::NoPen);
        for (int s = 0; s < kLaneStateCount; ++s) {
            if (batches[size_t(s)].isEmpty())
                continue;
            const QColor c = laneStateColor(s, dark);
            painter->setBrush(c);
            painter->drawRects(batches[size_t(s)]);
            if (laneStateHatched(s)) {
                painter->setBrush(QBrush(pal.foreground, Qt::BDiagPattern));
                painter->drawRects(batches[size_t(s)]);
            }
        }
        // Task boundaries: a thin gap where one task ends and the next starts on a lane.
        painter->setPen(QPen(pal.background, 1));
        QVector<QLineF> gaps;
        for (const TaskResult &t : m->run().tasks) {
            if (t.start_s < lower || t.start_s > upper || t.start_s <= 0)
                continue;
            const double px = x->coordToPixel(t.start_s * kMs);
            const auto bh = band(std::max(0, t.worker), kHalf);
            const double top = bh.first, height = bh.second;
            gaps.append(QLineF(px, top, px, top + height));
        }
        painter->drawLines(gaps);
        if (!stuck.isEmpty()) {
            painter->setBrush(Qt::NoBrush);
            painter->setPen(QPen(dark ? QColor(0xFF, 0x66, 0x66) : QColor(0xCC, 0x00, 0x00), 2.5 * line));
            painter->drawRects(stuck);
        }

        // Primitive lanes, below the workers.
        const int lanes = m->laneCount();
        if (!m->primitiveLanes().empty()) {
            painter->setPen(QPen(pal.grid, 1, Qt::DashLine));
            const double sep = y->coordToPixel(lanes - 0.5);
            painter->drawLine(QLineF(area.left(), sep, area.right(), sep));
        }
        QFont small = painter->font();
        small.setPointSizeF(10 * styleFontScale(parentPlot()));
        painter->setFont(small);
        const QFontMetrics fm(small);
        for (int p = 0; p < int(m->primitiveLanes().size()); ++p) {
            const StateTimelineModel::PrimitiveLane &pl = m->primitiveLanes()[size_t(p)];
            const double row = lanes + p;
            const auto bh = band(row, kHalf);
            const double top = bh.first, height = bh.second;
            auto px = [&](double t) { return std::clamp(x->coordToPixel(t * kMs), double(area.left()) - 2, double(area.right()) + 2); };
            // Steps are in time order: start at the first visible one, and merge what falls
            // into one pixel column (a lock changes hands a million times).
            const auto firstStep = std::lower_bound(pl.steps.begin(), pl.steps.end(), lower,
                                                    [](const StateTimelineModel::Step &st, double t) { return st.t1 < t; });
            switch (pl.shape) {
            case StateTimelineModel::PrimitiveShape::Holder:
            case StateTimelineModel::PrimitiveShape::Flag: {
                const bool holder = pl.shape == StateTimelineModel::PrimitiveShape::Holder;
                QHash<int, QVector<QRectF>> byColour;
                QVector<QPair<QRectF, int>> labels;
                QRectF cur;
                int curKey = INT_MIN;
                auto flush = [&] {
                    if (curKey != INT_MIN)
                        byColour[curKey].append(cur);
                    curKey = INT_MIN;
                };
                for (auto it = firstStep; it != pl.steps.end() && it->t0 <= upper; ++it) {
                    if (holder ? it->value < 0 : it->value == 0)
                        continue;
                    const int holderLane = holder ? m->lane(it->value) : 0;
                    const int key = holder ? (holderLane >= 0 ? holderLane : it->value) : 0;
                    const double x0 = px(it->t0), x1 = std::max(x0 + 1, px(it->t1));
                    // A column already painted keeps its first holder (sub-pixel hand-overs).
                    if (curKey != INT_MIN && key != curKey && x1 <= cur.right() + 1)
                        continue;
                    if (key == curKey && x0 <= cur.right() + 1) {
                        cur.setRight(std::max(cur.right(), x1));
                        continue;
                    }
                    flush();
                    cur = QRectF(x0, top, x1 - x0, height);
                    curKey = key;
                    if (holder && x1 - x0 > fm.horizontalAdvance(QStringLiteral("T000")) + 6 && labels.size() < 200)
                        labels.append({cur, it->value});
                }
                flush();
                painter->setPen(Qt::NoPen);
                for (auto c = byColour.cbegin(); c != byColour.cend(); ++c) {
                    painter->setBrush(holder ? coreColor(c.key()) : laneStateColor(int(LaneState::Event), dark));
                    painter->drawRects(c.value());
                }
                painter->setPen(Qt::white);
                for (const auto &l : std::as_const(labels))
                    painter->drawText(l.first, Qt::AlignCenter, QStringLiteral("T%1").arg(l.second));
                break;
            }
            case StateTimelineModel::PrimitiveShape::Level: {
                const int full = std::max({1, pl.info.capacity, pl.maxValue});
                auto py = [&](int v) { return top + height - height * double(std::clamp(v, 0, full)) / full; };
                QPolygonF poly;
                double lastY = py(firstStep == pl.steps.begin() ? 0 : (firstStep - 1)->value);
                poly << QPointF(area.left(), lastY);
                int lastCol = INT_MIN;
                for (auto it = firstStep; it != pl.steps.end() && it->t0 <= upper; ++it) {
                    const double xx = px(it->t0);
                    const double yy = py(it->value);
                    // Within one column only the highest value stays visible.
                    if (int(xx) == lastCol && !poly.isEmpty()) {
                        if (yy < poly.last().y())
                            poly.last().setY(yy);
                        lastY = poly.last().y();
                        continue;
                    }
                    poly << QPointF(xx, lastY) << QPointF(xx, yy);
                    lastY = yy;
                    lastCol = int(xx);
                }
                poly << QPointF(area.right(), lastY);
                QColor fill = laneStateColor(int(LaneState::Semaphore), dark);
                fill.setAlpha(70);
                QPolygonF area2 = poly;
                area2 << QPointF(area.right(), top + height) << QPointF(area.left(), top + height);
                painter->setPen(Qt::NoPen);
                painter->setBrush(fill);
                painter->drawPolygon(area2);
                painter->setBrush(Qt::NoBrush);
                painter->setPen(QPen(laneStateColor(int(LaneState::Semaphore), dark).darker(dark ? 90 : 130), 1.5 * line));
                painter->drawPolyline(poly);
                if (pl.info.capacity > 0) {
                    painter->setPen(QPen(pal.foreground, 1, Qt::DashLine));
                    const double cy = py(pl.info.capacity);
                    painter->drawLine(QLineF(area.left(), cy, area.right(), cy));
                    painter->setPen(pal.foreground);
                    const QString cap = StateTimelineChart::tr("capacity %1").arg(pl.info.capacity);
                    painter->drawText(QPointF(area.right() - fm.horizontalAdvance(cap) - 4, cy + fm.ascent() + 1), cap);
                }
                break;
            }
            }
        }

        // Culprit arrows: release on the culprit's lane -> wake on the waiter's.
        int total = 0;
        const std::vector<int> shown = m->visibleArrows(lower, upper, StateTimelineModel::kMaxArrows, &total);
        m_chart->m_lastArrows = int(shown.size());
        m_chart->m_lastArrowTotal = total;
        QColor ac = pal.foreground;
        ac.setAlpha(dark ? 200 : 190);
        painter->setAntialiasing(true);
        painter->setPen(QPen(ac, 1.2 * line));
        painter->setBrush(ac);
        const double head = 6 * line;
        for (int i : shown) {
            const StateTimelineModel::Arrow &a = m->arrows()[size_t(i)];
            const double dir = a.toLane > a.fromLane ? 1 : -1;
            const QPointF from(x->coordToPixel(a.tFrom * kMs), y->coordToPixel(a.fromLane + (a.fromLane == a.toLane ? 0 : dir * kHalf)));
            const QPointF to(x->coordToPixel(a.tTo * kMs), y->coordToPixel(a.toLane - (a.fromLane == a.toLane ? 0 : dir * kHalf)));
            painter->drawLine(QLineF(from, to));
            const QLineF l(to, from);
            if (l.length() < 1)
                continue;
            const double ang = std::atan2(l.dy(), l.dx());
            const QPointF p1 = to + QPointF(std::cos(ang + 0.45) * head, std::sin(ang + 0.45) * head);
            const QPointF p2 = to + QPointF(std::cos(ang - 0.45) * head, std::sin(ang - 0.45) * head);
            painter->drawPolygon(QPolygonF({to, p1, p2}));
        }
        painter->setAntialiasing(false);

    }

private:
    StateTimelineChart *m_chart;
};

StateTimelineChart::StateTimelineChart(QWidget *parent) : ChartWidget(parent)
{
    placeLegendOnTop(m_plot, 3);  // state names are long: three a row fit 1024 px
    QCPAxis *x = m_plot->xAxis;
    QCPAxis *y = m_plot->yAxis;
    x->setLabel(timeTitle());
    y->setLabel(QString());
    y->setRangeReversed(true);  // worker 0 on top
    y->grid()->setVisible(false);
    m_plottable = new StatesPlottable(this, x, y);
    m_plottable->removeFromLegend();
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    connect(m_plot, &QCustomPlot::mouseMove, this, &StateTimelineChart::onHover);
    connect(m_plot, &QCustomPlot::afterLayout, this, &StateTimelineChart::updateLaneTicks);
    connect(m_plot, &QCustomPlot::afterLayout, this, [this] {
        const bool note = updateNote();  // wrapped to the width just laid out
        if (fitTimeTitle() || note)
            layOutAgain(m_plot);
    });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] {
        fitAll();
        markDirty();
    });
    connect(x, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this] {
        updateNote();
        markDirty();
    });
    initStyle();
    setModel(new StateTimelineModel(this));
}

StateTimelineChart::~StateTimelineChart() = default;

void StateTimelineChart::setModel(StateTimelineModel *model)
{
    if (!replaceModel(m_model, model))
        return;
    connect(model, &StateTimelineModel::changed, this, &StateTimelineChart::rebuild);
    rebuild();
}

int StateTimelineChart::rowCount() const
{
    return m_model && m_model->hasRun() ? std::max(1, m_model->laneCount() + int(m_model->primitiveLanes().size())) : 1;
}

void StateTimelineChart::fitAll()
{
    const double d = m_model && m_model->hasRun() ? std::max(1e-6, m_model->duration()) : 1.0;
    m_plot->xAxis->setRange(-0.01 * d * kMs, 1.01 * d * kMs);
}

void StateTimelineChart::updateLaneTicks()
{
    QCPAxis *y = m_plot->yAxis;
    const int rows = rowCount();
    // A name on every row while rows are a label's height apart, else on every other one
    // (or every fourth): names that overlap are read by nobody. Known after the layout pass.
    const QFontMetrics fm(y->tickLabelFont());
    const double rowPx = std::max(1, m_plot->axisRect()->height()) / double(std::max(1, rows));
    const double lineH = 0.9 * fm.height();
    const int step = rowPx >= lineH ? 1 : 2 * rowPx >= lineH ? 2 : 4;
    if (step == m_tickStep)
        return;
    const bool relayout = m_tickStep != 0;
    m_tickStep = step;
    auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    if (m_model && m_model->hasRun()) {
        for (int l = 0; l < m_model->laneCount(); l += step)
            ticker->addTick(l, tr("worker %1").arg(l));
        // Primitive names are short by design ("counter lock"); long ones are cut to fit.
        for (int p = 0; p < int(m_model->primitiveLanes().size()); p += step)
            ticker->addTick(m_model->laneCount() + p, fm.elidedText(m_model->primitiveLanes()[size_t(p)].info.name, Qt::ElideRight, 170));
    }
    y->setTicker(ticker);
    y->setSubTicks(false);
    if (relayout) {  // this frame's ticks were made before the layout: lay out again
        layOutAgain(m_plot);
    }
}

void StateTimelineChart::rebuild()
{
    QCPAxis *y = m_plot->yAxis;
    const int rows = rowCount();
    y->setRange(-0.5, rows - 0.5);
    m_tickStep = 0;
    updateLaneTicks();
    fitAll();

    for (QCPBars *b : std::as_const(m_swatches))
        m_plot->removePlottable(b);
    m_swatches.clear();
    if (m_arrowSwatch)
        m_plot->removePlottable(m_arrowSwatch);
    m_arrowSwatch = nullptr;
    if (m_model && m_model->hasRun()) {
        for (LaneState s : m_model->statesPresent()) {
            auto *swatch = new QCPBars(m_plot->xAxis, m_plot->yAxis);
            const QString label = laneStateLabel(s);
            // Legend words: short enough for a lecture-hall legend row.
            swatch->setName(label.left(1).toUpper() + label.mid(1));
            m_swatches.append(swatch);
        }
        if (!m_model->arrows().empty()) {
            m_arrowSwatch = new QCPGraph(m_plot->xAxis, m_plot->yAxis);
            m_arrowSwatch->setName(tr("release → wake-up"));
        }
        // As many legend entries a row as the widest fits ("Blocked on an empty queue
        // (consumer)" did not, three a row, at 1024x768).
        const QFontMetrics lfm(m_plot->legend->font());
        int widest = 0;
        for (const QString &name : legendNames())
            widest = std::max(widest, lfm.horizontalAdvance(name));
        const int entry = widest + m_plot->legend->iconSize().width() + m_plot->legend->iconTextPadding() + 18;
        m_plot->legend->setWrap(std::clamp((std::max(width(), 300) - 20) / std::max(1, entry), 1, 4));
    }

    // Banner (a deadlock) and note (arrows left out, records dropped): rows above the legend.
    auto removeElement = [this](QCPTextElement *&e) {
        if (!e)
            return;
        m_plot->plotLayout()->remove(e);
        m_plot->plotLayout()->simplify();
        e = nullptr;
    };
    removeElement(m_banner);
    removeElement(m_note);
    if (m_model && !m_model->deadlockText().isEmpty()) {
        m_plot->plotLayout()->insertRow(0);
        QFont f = m_plot->xAxis->labelFont();
        f.setBold(true);
        m_banner = new QCPTextElement(m_plot, wrapped(m_model->deadlockText(), f, std::max(300, width() - 40)), f);
        m_plot->plotLayout()->addElement(0, 0, m_banner);
    }
    updateNote();
    applyThemeColors(isDark());
}

QString StateTimelineChart::timeTitle()
{
    return tr("time since the run started (ms)");
}

QStringList StateTimelineChart::noteParts() const
{
    // What is left out, said on a row of its own above the lanes (drawn over them, it hid the
    // first worker's states at 1024x768): arrows beyond the readable number, records past the
    // bound, states beyond the cap.
    if (!m_model || !m_model->hasRun())
        return {};
    QStringList notes;
    const QCPRange r = m_plot->xAxis->range();
    int total = 0;
    const size_t shown = m_model->visibleArrows(r.lower / kMs, r.upper / kMs, StateTimelineModel::kMaxArrows, &total).size();
    if (total > int(shown))
        notes << tr("arrows: the %1 longest of %2 waits").arg(shown).arg(total);
    if (m_model->droppedRecords() > 0)
        notes << tr("%1 records beyond the trace bound not shown").arg(m_model->droppedRecords());
    if (m_model->segmentsCapped())
        notes << tr("only the first %1 states shown").arg(StateTimelineModel::kMaxSegments);
    return notes;
}

bool StateTimelineChart::updateNote()
{
    // One line while it fits the width laid out (the widget's, or an export's), else a line
    // per part, each wrapped: right-aligned text wider than the chart lost its start.
    const QStringList parts = noteParts();
    const QFont font = m_plot->legend->font();
    const int room = std::max(200, m_plot->viewport().width() - 24);
    QString text = parts.join(QStringLiteral(" · "));
    if (QFontMetrics(font).horizontalAdvance(text) > room) {
        QStringList lines;
        for (const QString &part : parts)
            lines << wrapped(part, font, room);
        text = lines.join(QLatin1Char('\n'));
    }
    if (m_note && m_note->text() == text)
        return false;
    auto *grid = m_plot->plotLayout();
    if (text.isEmpty()) {
        if (!m_note)
            return false;
        grid->remove(m_note);
        grid->simplify();
        m_note = nullptr;
        return true;
    }
    if (!m_note) {
        // Above the legend (and below a deadlock's banner): it qualifies what the legend lists.
        const int row = m_banner ? 1 : 0;
        grid->insertRow(row);
        m_note = new QCPTextElement(m_plot, text, font);
        m_note->setTextFlags(Qt::AlignRight | Qt::AlignVCenter);
        m_note->setMargins(QMargins(8, 2, 8, 0));
        grid->addElement(row, 0, m_note);
        grid->setRowStretchFactor(row, 0.001);
        m_note->setTextColor(chartPalette(isDark()).foreground);
    }
    m_note->setText(text);
    return true;
}

bool StateTimelineChart::fitTimeTitle()
{
    // Too short for the banner, the note, the legend, the lanes and a time axis title (a
    // deadlock at 1024x768: the legend's row was squeezed and its names cut): the title goes
    // first (the ticks still count milliseconds, as the exported chart at its own size says);
    // with 16 px to spare again, it comes back.
    QCPAxis *x = m_plot->xAxis;
    QCPLegend *legend = m_plot->legend;
    const int lanesNeed = std::max(24, 12 * rowCount());
    const int lanes = m_plot->axisRect()->height();
    const bool squeezed = (legend->layout() && legend->visible()
                           && legend->outerRect().height() < legend->minimumOuterSizeHint().height())
                          || lanes < lanesNeed;
    const QString title = timeTitle();
    const int titleH = QFontMetrics(x->labelFont()).height() + x->labelPadding();
    if (squeezed && !x->label().isEmpty()) {
        x->setLabel(QString());
        return true;
    }
    if (!squeezed && x->label().isEmpty() && lanes - lanesNeed >= titleH + 16) {
        x->setLabel(title);
        return true;
    }
    return false;
}

QString StateTimelineChart::noteShown() const
{
    return m_note ? m_note->text() : QString();
}

bool StateTimelineChart::noteClearsTheLanes() const
{
    return !m_note || m_note->outerRect().bottom() <= m_plot->axisRect()->rect().top();
}

void StateTimelineChart::applyThemeColors(bool dark)
{
    const ChartPalette p = chartPalette(dark);
    if (m_model && m_model->hasRun()) {
        const std::vector<LaneState> states = m_model->statesPresent();
        for (int i = 0; i < int(m_swatches.size()) && i < int(states.size()); ++i) {
            const QColor c = laneStateColor(int(states[size_t(i)]), dark);
            m_swatches[i]->setBrush(laneStateHatched(int(states[size_t(i)])) ? QBrush(c.darker(130), Qt::BDiagPattern) : QBrush(c));
            m_swatches[i]->setPen(QPen(c.darker(130), 1));
        }
    }
    if (m_arrowSwatch)
        m_arrowSwatch->setPen(QPen(p.foreground, 1.5));
    if (m_banner) {
        m_banner->setTextColor(dark ? QColor(0xFF, 0x99, 0x99) : QColor(0xAA, 0x00, 0x00));
    }
    if (m_note) {
        m_note->setTextColor(p.foreground);
        m_note->setFont(m_plot->legend->font());
    }
    markDirty();
}

QStringList StateTimelineChart::legendNames() const
{
    QStringList out;
    for (QCPBars *b : m_swatches)
        out << b->name();
    if (m_arrowSwatch)
        out << m_arrowSwatch->name();
    return out;
}

QString StateTimelineChart::bannerText() const
{
    return m_model ? m_model->deadlockText() : QString();
}

QPointF StateTimelineChart::pixelFor(double t, double row) const
{
    return {m_plot->xAxis->coordToPixel(t * kMs), m_plot->yAxis->coordToPixel(row)};
}

double StateTimelineChart::renderNow()
{
    QElapsedTimer clock;
    clock.start();
    m_plot->replot(QCustomPlot::rpImmediateRefresh);
    return double(clock.nsecsElapsed()) / 1e6;
}

QString StateTimelineChart::toolTipAt(const QPointF &pos) const
{
    if (!m_model || !m_model->hasRun() || !m_plot->axisRect()->rect().contains(pos.toPoint()))
        return {};
    const double rowCoord = m_plot->yAxis->pixelToCoord(pos.y());
    const int row = int(std::lround(rowCoord));
    if (row < 0 || row >= rowCount() || std::abs(rowCoord - row) > kHalf + 0.05)
        return {};
    const double t = m_plot->xAxis->pixelToCoord(pos.x()) / kMs;
    const double tolerance = std::abs(m_plot->xAxis->pixelToCoord(pos.x() + 3) - m_plot->xAxis->pixelToCoord(pos.x())) / kMs;
    if (row < m_model->laneCount())
        return m_model->describeSegment(m_model->segmentAt(row, t, tolerance));
    const int p = row - m_model->laneCount();
    return m_model->describeStep(p, m_model->stepAt(p, t));
}

void StateTimelineChart::onHover(QMouseEvent *event)
{
    const QString text = toolTipAt(event->position());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, m_plot);
}

} // namespace lab
