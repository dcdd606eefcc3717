#include "storypanel.h"

#include "chartmodels/storymodels.h"
#include "charts/barpanelschart.h"
#include "charts/chartstyle.h"

#include <QLabel>
#include <QScrollArea>
#include <QSplitter>
#include <QVBoxLayout>

namespace lab {

namespace {
QLabel *wrapped(QWidget *parent, const QString &name)
{
    auto *l = new QLabel(parent);
    l->setObjectName(name);
    l->setWordWrap(true);
    l->setTextFormat(Qt::PlainText);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    l->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    return l;
}

QLabel *heading(QWidget *parent, const QString &text)
{
    auto *l = new QLabel(text, parent);
    QFont f = l->font();
    f.setBold(true);
    l->setFont(f);
    return l;
}
} // namespace

StoryPanel::StoryPanel(StoryModels *models, QWidget *parent) : QWidget(parent), m_models(models)
{
    setObjectName(QStringLiteral("storyPanel"));
    auto *text = new QWidget;
    auto *v = new QVBoxLayout(text);
    v->setContentsMargins(6, 6, 6, 6);
    m_title = wrapped(text, QStringLiteral("storyTitle"));
    QFont tf = m_title->font();
    tf.setBold(true);
    tf.setPointSizeF(tf.pointSizeF() * 1.2);
    m_title->setFont(tf);
    m_shows = wrapped(text, QStringLiteral("storyShows"));
    m_notice = wrapped(text, QStringLiteral("storyNotice"));
    m_measuredTitle = heading(text, tr("Measured"));
    m_measuredTitle->setWordWrap(true);
    m_callouts = wrapped(text, QStringLiteral("storyCallouts"));
    QFont cf = m_callouts->font();
    cf.setPointSizeF(cf.pointSizeF() * 1.25);
    m_callouts->setFont(cf);
    v->addWidget(m_title);
    v->addWidget(heading(text, tr("What this shows")));
    v->addWidget(m_shows);
    v->addWidget(heading(text, tr("What to notice")));
    v->addWidget(m_notice);
    v->addSpacing(6);
    v->addWidget(m_measuredTitle);
    v->addWidget(m_callouts);
    v->addStretch(1);

    auto *scroll = new QScrollArea;
    scroll->setWidget(text);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    m_gilChart = new BarPanelsChart;
    m_gilChart->setObjectName(QStringLiteral("gilChart"));
    m_gilChart->setModel(models->gil());
    m_gilChart->setMinimumHeight(300);
    // A dock is narrow: a little smaller than the projector style of the big charts.
    setStyleScale(m_gilChart->plot(), 0.85, 1.0);
    m_gilChart->restyle();

    m_gilScroll = new QScrollArea;
    m_gilScroll->setWidget(m_gilChart);
    m_gilScroll->setWidgetResizable(true);
    m_gilScroll->setFrameShape(QFrame::NoFrame);
    m_gilScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_gilScroll->setMinimumHeight(200);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(scroll);
    split->addWidget(m_gilScroll);
    // The story and its measured call-outs first: an experiment of variants has a line for each.
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    connect(models, &StoryModels::storyChanged, this, &StoryPanel::updateStory);
    connect(models, &StoryModels::measuredChanged, this, &StoryPanel::updateMeasured);
    updateStory();
    updateMeasured();
}

void StoryPanel::setDark(bool dark)
{
    m_gilChart->setDark(dark);
}

QString StoryPanel::titleText() const
{
    return m_title->text();
}

QString StoryPanel::showsText() const
{
    return m_shows->text();
}

QString StoryPanel::noticeText() const
{
    return m_notice->text();
}

QString StoryPanel::calloutsText() const
{
    return m_callouts->text();
}

void StoryPanel::updateStory()
{
    const ExperimentSpec &spec = m_models->spec();
    const Story story = m_models->story();
    m_title->setText(spec.title.isEmpty() ? spec.name : spec.title);
    m_shows->setText(story.shows.isEmpty() ? tr("This experiment has no story yet; its description: %1")
                                                 .arg(spec.description.isEmpty() ? QStringLiteral("–") : spec.description)
                                           : story.shows);
    m_notice->setText(story.notice.isEmpty() ? QStringLiteral("–") : story.notice);
}

void StoryPanel::updateMeasured()
{
    const QString title = m_models->measuredTitle();
    m_measuredTitle->setText(title.isEmpty() ? tr("Measured") : tr("Measured: %1").arg(title));
    QStringList lines;
    for (const Callout &c : m_models->callouts())
        lines << QStringLiteral("• ") + c.text();
    m_callouts->setText(lines.isEmpty() ? tr("Run the experiment: its figures appear here.") : lines.join(QLatin1Char('\n')));
    // Every row keeps its figure at the dock's value size: nine rows (an experiment of
    // variants) make the chart taller than its share of the dock, and it scrolls, rather than
    // setting its figures in 8 pt to fit.
    m_gilChart->setMinimumHeight(std::max(300, m_gilChart->heightForFullSizeValues()));
    m_gilScroll->setVisible(m_models->gil()->hasValues());
}

} // namespace lab
