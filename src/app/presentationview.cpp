#include "presentationview.h"

#include "chartmodels/storymodels.h"
#include "charts/barpanelschart.h"
#include "charts/chartstyle.h"

#include <QFontInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QResizeEvent>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>

namespace lab {

namespace {
constexpr int kMaxChoices = 6;
constexpr double kTickPx = 22;  // chart tick labels at 768 px height (the brief: >= 20 px)

QLabel *textLabel(const QString &name)
{
    auto *l = new QLabel;
    l->setObjectName(name);
    l->setWordWrap(true);
    l->setTextFormat(Qt::PlainText);
    l->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    return l;
}

void setPx(QLabel *l, double px, bool bold = false, bool italic = false)
{
    QFont f = l->font();
    f.setPixelSize(std::max(8, int(px)));
    f.setBold(bold);
    f.setItalic(italic);
    l->setFont(f);
}
} // namespace

PresentationView::PresentationView(StoryModels *models, QWidget *parent) : QWidget(parent), m_models(models)
{
    setObjectName(QStringLiteral("presentationView"));
    setAutoFillBackground(true);
    m_indicator = new QLabel(tr("● PRESENTATION   F11/Esc leave · PgUp/PgDn lessons · F5 run · B blank"));
    m_indicator->setObjectName(QStringLiteral("presentationIndicator"));
    m_indicator->setTextFormat(Qt::PlainText);
    // Vermillion bar: visible from the back of the hall that this is presentation mode.
    m_indicator->setStyleSheet(QStringLiteral("QLabel { background: #D55E00; color: white; padding: 2px 8px; }"));
    m_counter = new QLabel;
    m_counter->setObjectName(QStringLiteral("presentationCounter"));
    m_counter->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    auto *top = new QHBoxLayout;
    top->addWidget(m_indicator, 1);
    top->addWidget(m_counter);

    m_title = textLabel(QStringLiteral("presentationTitle"));
    m_claim = textLabel(QStringLiteral("presentationClaim"));
    m_question = textLabel(QStringLiteral("presentationQuestion"));
    m_status = textLabel(QStringLiteral("presentationStatus"));
    m_notice = textLabel(QStringLiteral("presentationNotice"));
    auto *left = new QVBoxLayout;
    m_left = left;
    left->addWidget(m_title);
    left->addWidget(m_claim);
    left->addSpacing(8);
    left->addWidget(m_question);
    for (int i = 0; i < kMaxChoices; ++i) {
        auto *c = textLabel(QStringLiteral("presentationChoice%1").arg(i));
        c->setMargin(6);
        c->hide();
        m_choices.push_back(c);
        left->addWidget(c);
    }
    left->addWidget(m_status);
    left->addWidget(m_notice);
    left->addStretch(1);

    m_chart = new BarPanelsChart;
    m_chart->setObjectName(QStringLiteral("presentationChart"));
    m_chart->setModel(models->headline());
    m_chart->setEmptyText(tr("Press F5 to run"));

    auto *body = new QHBoxLayout;
    body->addLayout(left, 9);
    body->addWidget(m_chart, 11);
    auto *v = new QVBoxLayout(this);
    v->setContentsMargins(16, 8, 16, 16);
    v->addLayout(top);
    v->addLayout(body, 1);

    m_blank = new QWidget(this);
    m_blank->setObjectName(QStringLiteral("presentationBlank"));
    m_blank->setAutoFillBackground(true);
    QPalette black = m_blank->palette();
    black.setColor(QPalette::Window, Qt::black);
    m_blank->setPalette(black);
    m_blank->hide();

    connect(models, &StoryModels::measuredChanged, this, [this] {
        if (m_title->property("experimentMode").toBool())
            showExperiment();
    });
    applyFonts();
}

void PresentationView::showSlide(const Slide &s)
{
    m_title->setProperty("experimentMode", false);
    m_counter->setText(s.counter);
    m_title->setText(s.title);
    m_claim->setText(s.claim.isEmpty() ? QString() : tr("The claim: %1").arg(s.claim));
    m_claim->setVisible(!s.claim.isEmpty());
    m_question->setText(s.question);
    m_question->setVisible(!s.question.isEmpty());
    for (int i = 0; i < kMaxChoices; ++i) {
        QLabel *c = m_choices[size_t(i)];
        if (i < s.choices.size()) {
            c->setText(QStringLiteral("%1  %2").arg(QChar(u'A' + i)).arg(s.choices[i]));
            c->show();
        } else {
            c->hide();
        }
    }
    m_answered = s.answered;
    m_highlighted = s.answered ? s.correct : -1;
    m_status->setText(s.status);
    m_status->setVisible(!s.status.isEmpty());
    m_notice->setText(s.notice);
    m_notice->setVisible(!s.notice.isEmpty());
    fitLeftColumn();
}

void PresentationView::showExperiment()
{
    m_title->setProperty("experimentMode", true);
    const ExperimentSpec &spec = m_models->spec();
    m_counter->clear();
    m_title->setText(spec.title.isEmpty() ? spec.name : spec.title);
    const Story story = m_models->story();
    m_claim->setText(story.shows);
    m_claim->setVisible(!story.shows.isEmpty());
    QStringList lines;
    for (const Callout &c : m_models->callouts())
        lines << c.text();
    m_question->setText(lines.isEmpty() ? tr("F5: run the experiment") : lines.join(QStringLiteral("\n\n")));
    m_question->show();
    for (QLabel *c : m_choices)
        c->hide();
    m_highlighted = -1;
    m_answered = false;
    m_status->hide();
    m_notice->setText(lines.isEmpty() ? QString() : story.notice);
    m_notice->setVisible(!m_notice->text().isEmpty());
    setChartVisible(true);
    fitLeftColumn();
}

void PresentationView::setChartVisible(bool visible)
{
    m_chart->setVisible(visible);
}

void PresentationView::setBlank(bool blank)
{
    m_blank->setGeometry(rect());
    m_blank->setVisible(blank);
    if (blank)
        m_blank->raise();
}

bool PresentationView::isBlank() const
{
    return m_blank->isVisible();
}

void PresentationView::setDark(bool dark)
{
    m_dark = dark;
    m_chart->setDark(dark);
    updateChoiceStyles();
}

QString PresentationView::questionText() const
{
    return m_question->text();
}

QString PresentationView::statusText() const
{
    return m_status->text();
}

QString PresentationView::noticeText() const
{
    return m_notice->text();
}

QStringList PresentationView::choiceTexts() const
{
    QStringList out;
    for (QLabel *c : m_choices)
        if (!c->isHidden())
            out << c->text();
    return out;
}

int PresentationView::chartTickPixelSize() const
{
    QCustomPlot *plot = m_chart->plot();
    if (m_chart->panelCount() == 0)
        return QFontInfo(plot->font()).pixelSize();
    return QFontInfo(m_chart->panelRect(0)->axis(QCPAxis::atBottom)->tickLabelFont()).pixelSize();
}

void PresentationView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    m_blank->setGeometry(rect());
    applyFonts();
    fitLeftColumn();  // the column's width changes with the window's
}

void PresentationView::applyFonts()
{
    const double s = std::clamp(double(height()) / 768.0, 0.6, 3.0);
    if (std::abs(s - m_scale) < 0.02)
        return;
    m_scale = s;
    setPx(m_indicator, 17 * s, true);
    setPx(m_counter, 17 * s);
    // The chart: tick labels at kTickPx * s pixels, lines 3 px and more.
    QCustomPlot *plot = m_chart->plot();
    const double ptPerPx = 72.0 / std::max(1, plot->logicalDpiY());
    const double fontScale = std::max(1.0, kTickPx * s * ptPerPx / kTickFontPt);
    setStyleScale(plot, fontScale, 2.0 * std::max(1.0, s));
    m_chart->restyle();
    fitLeftColumn();
}

void PresentationView::setTextSizes(double fit)
{
    const double s = std::max(0.6, m_scale) * fit;
    setPx(m_title, 32 * std::max(0.6, m_scale) * std::max(fit, 0.8), true);
    setPx(m_claim, 20 * s, false, true);
    if (m_title->property("experimentMode").toBool())  // call-outs of many models: smaller than a question
        setPx(m_question, (m_models->callouts().size() > 3 ? 18 : 22) * s, m_models->callouts().empty());
    else
        setPx(m_question, 27 * s, true);
    for (QLabel *c : m_choices)
        setPx(c, 25 * s);
    setPx(m_status, 20 * s);
    setPx(m_notice, 22 * s);
}

int PresentationView::leftColumnHeight(int width) const
{
    int total = 0, shown = 0;
    for (int i = 0; i < m_left->count(); ++i) {
        QLayoutItem *item = m_left->itemAt(i);
        if (QWidget *w = item->widget()) {
            if (w->isHidden())
                continue;
            total += w->hasHeightForWidth() ? w->heightForWidth(width) : w->sizeHint().height();
            ++shown;
        } else if (item->spacerItem()) {
            total += item->spacerItem()->sizeHint().height();
        }
    }
    return total + std::max(0, shown - 1) * std::max(0, m_left->spacing());
}

bool PresentationView::columnFits() const
{
    const QRect area = m_left->geometry();
    return area.width() > 0 && leftColumnHeight(area.width()) <= area.height();
}

void PresentationView::fitLeftColumn()
{
    // The column's texts at their hall sizes when they fit, else all a step smaller until they
    // do (to 55 %): the notice and the call-outs were cut mid-line at 1024x768 (race-counter).
    const QRect area = m_left->geometry();
    const int width = area.width() > 50 ? area.width() : (this->width() - 32) * 9 / 20;
    const int room = area.height() > 50 ? area.height() : this->height() - 60;
    double fit = 1.0;
    for (; fit > 0.55; fit -= 0.05) {
        setTextSizes(fit);
        if (leftColumnHeight(width) <= room)
            break;
    }
    m_fit = fit;
    updateChoiceStyles();
}

void PresentationView::updateChoiceStyles()
{
    const QString fg = m_dark ? QStringLiteral("#f0f0f0") : QStringLiteral("#202020");
    const int border = std::max(2, int(3 * std::max(1.0, m_scale)));
    for (int i = 0; i < int(m_choices.size()); ++i) {
        QLabel *c = m_choices[size_t(i)];
        QString style;
        if (m_answered && i == m_highlighted)
            style = QStringLiteral("QLabel { border: %1px solid #009E73; background: %2; color: %3; }")
                        .arg(border)
                        .arg(m_dark ? QStringLiteral("#0b3d2e") : QStringLiteral("#d8f3ea"), fg);
        else
            style = QStringLiteral("QLabel { border: %1px solid %2; color: %3; }")
                        .arg(std::max(1, border / 2))
                        .arg(m_dark ? QStringLiteral("#555a60") : QStringLiteral("#b0b0b0"),
                             m_answered ? (m_dark ? QStringLiteral("#9a9a9a") : QStringLiteral("#707070")) : fg);
        c->setStyleSheet(style);
        QFont f = c->font();
        f.setBold(m_answered && i == m_highlighted);
        c->setFont(f);
    }
}

} // namespace lab
