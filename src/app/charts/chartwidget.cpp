#include "chartwidget.h"

#include "chartmodels/redrawclock.h"
#include "chartstyle.h"

#include <QDynamicPropertyChangeEvent>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace lab {

ChartWidget::ChartWidget(QWidget *parent) : QWidget(parent), m_plot(new QCustomPlot(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_plot->installEventFilter(this);
    // Each element sets its own antialiasing (on only where point counts are small);
    // while the user drags, everything is drawn without it.
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->setMinimumSize(200, 150);
    setRedrawClock(RedrawClock::shared());
}

ChartWidget::~ChartWidget() = default;

bool ChartWidget::isDark() const
{
    return isDarkStyle(m_plot);
}

void ChartWidget::setDark(bool dark)
{
    applyProjectorStyle(m_plot, dark);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ChartWidget::setRedrawClock(RedrawClock *clock)
{
    if (m_clock)
        disconnect(m_clock, nullptr, this, nullptr);
    m_clock = clock;
    if (m_clock) {
        connect(m_clock, &RedrawClock::tick, this, &ChartWidget::onClockTick);
        if (m_dirty)
            m_clock->arm();
    }
}

void ChartWidget::initStyle()
{
    applyProjectorStyle(m_plot, false);
    applyThemeColors(false);
}

void ChartWidget::markDirty()
{
    if (m_inRedraw)
        return;
    m_dirty = true;
    if (m_clock)
        m_clock->arm();
}

void ChartWidget::redraw()
{
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ChartWidget::onClockTick()
{
    if (!m_dirty || !isVisible() || !readyToRedraw())
        return;
    m_dirty = false;
    ++m_redraws;
    m_inRedraw = true;
    redraw();
    m_inRedraw = false;
    if (wantsAnotherFrame())
        markDirty();
}

void ChartWidget::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_dirty && m_clock)
        m_clock->arm();
}

bool ChartWidget::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_plot && event->type() == QEvent::DynamicPropertyChange) {
        auto *e = static_cast<QDynamicPropertyChangeEvent *>(event);
        if (e->propertyName() == "labDark")
            applyThemeColors(isDarkStyle(m_plot));
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace lab
