#include "variantchart.h"

#include "chartstyle.h"
#include "plotitems.h"

#include <QLocale>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace lab {

VariantChart::VariantChart(QWidget *parent) : ChartWidget(parent)
{
    placeLegendOnTop(m_plot, 4);
    m_plot->xAxis->grid()->setVisible(false);
    // Labels, headroom and ticks follow the layout's sizes (on screen and in exports).
    connect(m_plot, &QCustomPlot::afterLayout, this, [this] {
        if (fitLabels())
            layOutAgain(m_plot);
    });
    initStyle();
    setModel(new VariantModel(this));
}

VariantChart::~VariantChart() = default;

void VariantChart::setModel(VariantModel *model)
{
    if (!replaceModel(m_model, model))
        return;
    connect(model, &VariantModel::changed, this, &VariantChart::rebuild);
    rebuild();
}

bool VariantChart::logScale() const
{
    return m_plot->yAxis->scaleType() == QCPAxis::stLogarithmic;
}

QString VariantChart::formatValue(double v)
{
    const QLocale locale;
    const double a = std::abs(v);
    const int decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    return locale.toString(v, 'f', decimals);
}

void VariantChart::rebuild()
{
    for (QCPBars *b : std::as_const(m_bars))
        m_plot->removePlottable(b);
    m_bars.clear();
    for (QCPAbstractItem *i : std::as_const(m_items))
        m_plot->removeItem(i);
    m_items.clear();
    m_labelTexts.clear();
    QCPAxis *x = m_plot->xAxis;
    QCPAxis *y = m_plot->yAxis;
    m_range = {};
    if (!m_model || !m_model->hasVariants()) {
        x->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        y->setLabel(QString());
        applyThemeColors(isDark());
        return;
    }
    const VariantModel &m = *m_model;
    const bool dark = isDark();
    const ChartPalette p = chartPalette(dark);
    const QString unit = VariantModel::metricUnit(m.metric());
    y->setLabel(m.metric() == VariantModel::Metric::None ? tr("no figure in the outcomes")
                                                         : QStringLiteral("%1 (%2)").arg(m.metricLabel(), unit));
    const bool log = m.logScale();
    y->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log) {
        auto t = QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog);
        t->setLogBase(10);
        y->setTicker(t);
        y->setNumberFormat(QStringLiteral("eb"));
        y->setNumberPrecision(0);
    } else {
        y->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        y->setNumberFormat(QStringLiteral("gb"));
        y->setNumberPrecision(6);
    }
    auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    const QStringList labels = m.variantLabels();
    for (int g = 0; g < int(labels.size()); ++g)
        ticker->addTick(g, labels[g]);
    x->setTicker(ticker);
    x->setSubTicks(false);
    x->setTickLength(0, 0);  // a family's name may sit on a tick of its own between two bars
    x->setTickLabelRotation(0);  // fitLabels() wraps or turns names that do not fit
    x->setRange(-0.6, labels.size() - 0.4);

    double lo = qInf(), hi = 0;
    for (const VariantModel::Bar &b : m.bars())
        if (b.value && *b.value > 0) {
            lo = std::min(lo, *b.value);
            hi = std::max(hi, *b.value);
        }
    if (!(hi > 0)) {
        lo = 0.1;
        hi = 1;
    }
    const double base = log ? lo / 3 : 0;
    y->setRange(base, log ? hi * 4 : hi * 1.25);
    m_range = {base, hi, log};

    QFont labelFont = x->tickLabelFont();
    labelFont.setPointSizeF(std::max(9.0, labelFont.pointSizeF() - 3));
    for (const QString &model : m.models()) {
        auto *bars = new QCPBars(x, y);
        bars->setName(modelLabel(model));
        bars->setBrush(modelColor(model, dark));
        bars->setPen(QPen(modelColor(model, dark).darker(130), 1));
        bars->setBaseValue(base);
        double width = 0.8;
        for (const VariantModel::Bar &b : m.bars()) {
            if (b.model != model)
                continue;
            width = b.width;
            if (b.value)
                bars->addData(b.key, *b.value);
        }
        bars->setWidth(width * 0.92);
        m_bars.append(bars);
    }
    m_labelBarWidths.clear();
    for (const VariantModel::Bar &b : m.bars()) {
        QString text = b.value ? formatValue(*b.value) : QStringLiteral("–");
        if (b.failsByDesign)
            text += QLatin1Char('\n') + tr("by design");
        else if (!b.ok && b.value)
            text += QLatin1Char('\n') + tr("unexpected");
        auto *label = new QCPItemText(m_plot);
        label->position->setType(QCPItemPosition::ptPlotCoords);
        label->position->setCoords(b.key, b.value ? *b.value : base);
        label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        label->setText(text);
        label->setFont(b.failsByDesign ? QFont(labelFont.family(), int(labelFont.pointSizeF()), -1, true) : labelFont);
        label->setColor(p.foreground);
        label->setPadding(QMargins(1, 1, 1, 3));
        label->setClipToAxisRect(false);
        m_items.append(label);
        m_labelTexts << text;
        m_labelBarWidths << b.width * 0.92;
    }
    fitLabels();
    applyThemeColors(dark);
}

void VariantChart::resizeEvent(QResizeEvent *event)
{
    ChartWidget::resizeEvent(event);
    fitLabels();
}

namespace {

using Ticks = QMap<double, QString>;

// The width of a text's widest line.
int widestLine(const QFontMetrics &fm, const QString &text)
{
    int w = 0;
    for (const QString &line : text.split(QLatin1Char('\n')))
        w = std::max(w, fm.horizontalAdvance(line));
    return w;
}

// Names in families ("Mutex, 1", "Mutex, 2", "Spinlock, 1", ...: a family is a run of names
// with the same part before ", "), laid out as each slot's own part, with the family's name
// below them, centred under the family on a tick of its own (the axis draws no tick marks),
// or moved in from the edge where the widget would cut it. Slot k is at pixel origin + k *
// pitch of a widget `width` wide. A family's name may reach over its neighbours' slots, not
// into their names; where it would, it goes on two lines ("Shared\nmemory",
// "multiprocessing.\nQueue"). Empty when the names are not in families of two or more, or a
// part does not fit its slot, or family names would still meet. `wrapOwn`: each part on two
// lines at its first space ("64\nMiB"), for slots too narrow for "64 MiB"; `wrapFamilies`:
// every family's name on two lines from the start.
Ticks familyTicks(const QStringList &names, const QFontMetrics &fm, double slot, double origin, double pitch,
                  double width, bool wrapOwn, bool wrapFamilies)
{
    struct Name {
        QString family, own;
    };
    std::vector<Name> split;
    for (const QString &n : names) {
        const qsizetype comma = n.indexOf(QStringLiteral(", "));
        if (comma <= 0 || n.contains(QLatin1Char('\n')))
            return {};
        QString own = n.mid(comma + 2);
        const qsizetype space = own.indexOf(QLatin1Char(' '));
        if (wrapOwn && space > 0)
            own[space] = QLatin1Char('\n');
        split.push_back({n.left(comma), own});
    }
    auto wrapped = [](QString family) {
        const qsizetype dot = family.indexOf(QLatin1Char('.'));
        const qsizetype space = family.indexOf(QLatin1Char(' '));
        if (dot > 0 && dot + 1 < family.size())
            family.insert(dot + 1, QLatin1Char('\n'));
        else if (space > 0)
            family[space] = QLatin1Char('\n');
        return family;
    };
    auto halfOf = [&](const QString &text) { return widestLine(fm, text) / 2.0; };
    const double gap = fm.horizontalAdvance(QLatin1Char(' ')) * 2;
    Ticks out;
    double previousRight = -1e300;  // where the previous family's name ends (pixels)
    for (size_t i = 0; i < split.size();) {
        size_t j = i;
        int ownLines = 1;
        while (j < split.size() && split[j].family == split[i].family) {
            if (widestLine(fm, split[j].own) > std::max(slot, pitch - 4))
                return {};
            ownLines = std::max(ownLines, int(split[j].own.count(QLatin1Char('\n'))) + 1);
            out.insert(double(j), split[j].own);
            ++j;
        }
        if (j - i < 2)
            return {};
        // Centred under the family, within the widget and clear of the previous family's name;
        // moved, if at all, no further than the family's own slots.
        auto place = [&](const QString &family, double *key) {
            const double half = halfOf(family);
            const double lo = std::max({(half + 2 - origin) / pitch, (previousRight + gap + half - origin) / pitch,
                                        double(i) - 0.5});
            const double hi = std::min((width - 2 - half - origin) / pitch, double(j) - 0.5);
            *key = std::clamp(double(i) + double(j - i - 1) / 2, lo, std::max(lo, hi));
            return lo <= hi;
        };
        QString family = wrapFamilies ? wrapped(split[i].family) : split[i].family;
        double key = 0;
        if (!place(family, &key)) {
            if (family.contains(QLatin1Char('\n')) || !wrapped(family).contains(QLatin1Char('\n')))
                return {};
            family = wrapped(family);
            if (!place(family, &key))
                return {};
        }
        previousRight = origin + key * pitch + halfOf(family);
        // Its own tick, below the parts' lines (a hair beside a slot's tick where they coincide).
        if (out.contains(key))
            key += 1e-4;
        out.insert(key, QString(ownLines, QLatin1Char('\n')) + family);
        i = j;
    }
    return out;
}

} // namespace

bool VariantChart::fitLabels()
{
    QCPAxis *x = m_plot->xAxis;
    QCPAxis *y = m_plot->yAxis;
    const double span = x->range().size();
    // Before the first layout the axis rect has no width yet: the widget's, less the margins.
    const int rectWidth = m_plot->axisRect()->width() > 50 ? m_plot->axisRect()->width() : m_plot->width() - 100;
    const int rectHeight = m_plot->axisRect()->height() > 20 ? m_plot->axisRect()->height() : m_plot->height() / 2;
    if (span <= 0 || rectWidth <= 0)
        return false;
    bool changed = false;
    // A short chart has no room for the long axis title: the unit alone ("ns/op").
    if (m_model && m_model->hasVariants() && m_model->metric() != VariantModel::Metric::None) {
        const QString unit = VariantModel::metricUnit(m_model->metric());
        changed = fitAxisLabel(y, {QStringLiteral("%1 (%2)").arg(m_model->metricLabel(), unit), unit}) || changed;
    }
    // Variant names: flat when they fit their slot; else, when they come in families ("Mutex,
    // 1", "Mutex, 2", ...), each slot shows its own part ("1") and the family's name goes once
    // below, centred under the family (familyTicks); else on two lines ("Spinlock,\n4"); else
    // turned, which costs the bars much of a short chart.
    if (m_model) {
        const QStringList names = m_model->variantLabels();
        const double slot = rectWidth / std::max(1.0, span) - 6;
        const QFontMetrics fm(x->tickLabelFont());
        auto widest = [&](const QStringList &labels) {
            int w = 0;
            for (const QString &n : labels)
                w = std::max(w, widestLine(fm, n));
            return w;
        };
        auto keyed = [](const QStringList &labels) {
            Ticks t;
            for (int g = 0; g < int(labels.size()); ++g)
                t.insert(g, labels[g]);
            return t;
        };
        Ticks wanted = keyed(names);
        double rotation = 0;
        if (widest(names) <= slot)
            m_familyNames = false;
        else {
            // Where the axis has been laid out, its own pixels; before that, the estimate.
            const bool laidOut = m_plot->axisRect()->width() > 50;
            const double origin = laidOut ? x->coordToPixel(0) : m_plot->width() - rectWidth + rectWidth * 0.6 / span;
            const double pitch = laidOut ? x->coordToPixel(1) - x->coordToPixel(0) : slot + 6;
            // Laid out as families, the value axis may take a little more width (more ticks in a
            // taller plot): families that only just fit while names are turned would then not,
            // and the names would turn again. So they must fit with room to spare to be chosen.
            const double spare = m_familyNames ? 0 : 16;
            Ticks families;
            for (const auto &[wrapOwn, wrapFamilies] : {std::pair{false, false}, {true, false}, {true, true}})
                if (families.isEmpty())
                    families = familyTicks(names, fm, slot, origin, pitch, m_plot->width() - spare, wrapOwn, wrapFamilies);
            m_familyNames = !families.isEmpty();
            QStringList wrapped;
            for (const QString &n : names)
                wrapped << QString(n).replace(QStringLiteral(", "), QStringLiteral(",\n"));
            if (!families.isEmpty())
                wanted = families;
            else if (widest(wrapped) <= slot)
                wanted = keyed(wrapped);
            else
                rotation = -30;
        }
        // Turned names reach left of their slot: the first one must not pass the widget's edge
        // (the plot would leave it out), so the axis rect keeps that much margin.
        const int reach = rotation != 0 && !names.isEmpty()
                              ? int(std::ceil(fm.horizontalAdvance(names[0]) * std::cos(qDegreesToRadians(rotation))
                                              + fm.height() * std::abs(std::sin(qDegreesToRadians(rotation)))
                                              - 0.6 * (slot + 6) + 8))
                              : 0;
        QCPAxisRect *rect = m_plot->axisRect();
        if (rect->minimumMargins().left() != std::max(0, reach)) {
            rect->setMinimumMargins(QMargins(std::max(0, reach), 0, 0, 0));
            changed = true;
        }
        auto ticker = x->ticker().dynamicCast<QCPAxisTickerText>();
        if (ticker && (x->tickLabelRotation() != rotation || ticker->ticks() != wanted)) {
            ticker->setTicks(wanted);
            x->setTickLabelRotation(rotation);
            changed = true;
        }
    }
    // Value ticks a label's height apart at least ("10^5 10^4 10^3" ran together at 1024x768).
    const int before = y->ticker()->tickCount();
    fitTickCount(y, rectHeight, QFontMetrics(y->tickLabelFont()).height(), 5);
    changed = changed || y->ticker()->tickCount() != before;
    // Each label flat when it fits its bar, else upright; the range's top then leaves every
    // label room above its bar, in pixels (log or linear).
    double upper = m_range.hi > 0 ? (m_range.log ? m_range.hi * 3 : m_range.hi * 1.1) : 0;
    for (int i = 0; i < int(m_items.size()) && i < int(m_labelBarWidths.size()); ++i) {
        auto *label = qobject_cast<QCPItemText *>(m_items[i]);
        if (!label)
            continue;
        const double barPx = m_labelBarWidths[i] * rectWidth / span;
        const QFontMetrics fm(label->font());
        const QStringList lines = label->text().split(QLatin1Char('\n'));
        const int textPx = widestLine(fm, label->text());
        const bool upright = textPx + 4 > barPx * 1.15;
        const double rotation = upright ? -90 : 0;
        if (label->rotation() != rotation) {
            label->setRotation(rotation);
            label->setPositionAlignment(upright ? (Qt::AlignLeft | Qt::AlignVCenter) : (Qt::AlignHCenter | Qt::AlignBottom));
            changed = true;
        }
        const double v = label->position->value();
        // (At most 45 % of the height: in a very short chart the bars keep the rest, and a
        // label may reach over the top edge, which does not clip it.)
        const double need = std::min(0.45, ((upright ? textPx : fm.height() * int(lines.size())) + 8.0) / rectHeight);
        if (m_range.hi > 0 && v > m_range.base) {
            if (m_range.log) {
                const double a = std::log10(v) - std::log10(m_range.base);
                upper = std::max(upper, v * std::pow(10.0, need * a / (1 - need)));
            } else {
                upper = std::max(upper, v / (1 - need));
            }
        }
    }
    if (m_range.hi > 0 && std::abs(y->range().upper - upper) > 1e-9 * upper) {
        y->setRange(m_range.base, upper);
        changed = true;
    }
    if (changed)
        markDirty();
    return changed;
}

void VariantChart::applyThemeColors(bool dark)
{
    const ChartPalette p = chartPalette(dark);
    for (QCPAbstractItem *i : std::as_const(m_items))
        if (auto *t = qobject_cast<QCPItemText *>(i))
            t->setColor(p.foreground);
    if (m_model)
        for (int i = 0; i < int(m_bars.size()) && i < int(m_model->models().size()); ++i) {
            const QColor c = modelColor(m_model->models()[i], dark);
            m_bars[i]->setBrush(c);
            m_bars[i]->setPen(QPen(c.darker(130), 1));
        }
    markDirty();
}

} // namespace lab
