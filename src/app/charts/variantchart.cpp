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
    x->setTickLabelRotation(labels.size() > 5 ? -30 : 0);
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

void VariantChart::fitLabels()
{
    QCPAxis *x = m_plot->xAxis;
    const double span = x->range().size();
    // Before the first layout the axis rect has no width yet: the widget's, less the margins.
    const int rectWidth = m_plot->axisRect()->width() > 50 ? m_plot->axisRect()->width() : m_plot->width() - 100;
    if (span <= 0 || rectWidth <= 0)
        return;
    bool changed = false;
    bool anyUpright = false;
    // A short chart has no room for the long axis title: the unit alone ("ns/op").
    if (m_model && m_model->hasVariants() && m_model->metric() != VariantModel::Metric::None) {
        const QString unit = VariantModel::metricUnit(m_model->metric());
        const QString title = m_plot->height() < 380 ? unit : QStringLiteral("%1 (%2)").arg(m_model->metricLabel(), unit);
        if (m_plot->yAxis->label() != title) {
            m_plot->yAxis->setLabel(title);
            changed = true;
        }
    }
    for (int i = 0; i < int(m_items.size()) && i < int(m_labelBarWidths.size()); ++i) {
        auto *label = qobject_cast<QCPItemText *>(m_items[i]);
        if (!label)
            continue;
        const double barPx = m_labelBarWidths[i] * rectWidth / span;
        const QFontMetrics fm(label->font());
        int textPx = 0;
        for (const QString &line : label->text().split(QLatin1Char('\n')))
            textPx = std::max(textPx, fm.horizontalAdvance(line));
        const bool upright = textPx + 4 > barPx * 1.15;
        anyUpright = anyUpright || upright;
        const double rotation = upright ? -90 : 0;
        if (label->rotation() == rotation)
            continue;
        label->setRotation(rotation);
        label->setPositionAlignment(upright ? (Qt::AlignLeft | Qt::AlignVCenter) : (Qt::AlignHCenter | Qt::AlignBottom));
        changed = true;
    }
    // Upright labels stand taller above the highest bar: more headroom, or the legend hides them.
    if (m_range.hi > 0) {
        const double upper = m_range.log ? m_range.hi * (anyUpright ? 30 : 4) : m_range.hi * (anyUpright ? 1.6 : 1.25);
        if (m_plot->yAxis->range().upper != upper) {
            m_plot->yAxis->setRange(m_range.base, upper);
            changed = true;
        }
    }
    if (changed)
        markDirty();
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
