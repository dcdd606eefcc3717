#pragma once
#include <QStringList>
#include <QWidget>
#include <vector>

class QLabel;

class QVBoxLayout;

namespace lab {

class BarPanelsChart;
class StoryModels;

// The screen of presentation mode: a visible "presentation" indicator with the keys, the
// lesson's slide (title, the seed's claim, the question and its choices; after the run the
// answer and what to notice with the measured figures) or, without a lesson, the experiment's
// call-outs; and the headline chart, large. Fonts are sized from the widget's height (a
// 1024x768 projector: tick labels >= 20 px); B blanks the whole view.
class PresentationView : public QWidget {
    Q_OBJECT
public:
    explicit PresentationView(StoryModels *models, QWidget *parent = nullptr);

    struct Slide {
        QString counter;        // "Lesson 2 of 7"
        QString title;
        QString claim;
        QString question;
        QStringList choices;
        int correct = -1;       // highlighted once answered
        bool answered = false;
        QString status;         // "F5: run the experiment", "Running…", the cores note
        QString notice;         // after the run
    };
    void showSlide(const Slide &slide);
    // No lesson: the experiment's title, story and call-outs.
    void showExperiment();
    void setChartVisible(bool visible);
    // The column's texts, as laid out, are whole (none cut at the bottom).
    bool columnFits() const;
    void setBlank(bool blank);
    bool isBlank() const;
    void setDark(bool dark);

    BarPanelsChart *chart() const { return m_chart; }
    QLabel *indicator() const { return m_indicator; }
    QString questionText() const;
    QString statusText() const;
    QString noticeText() const;
    QStringList choiceTexts() const;
    int highlightedChoice() const { return m_highlighted; }
    // Pixel size of the chart's tick labels (>= 20 at 768 px high).
    int chartTickPixelSize() const;

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void applyFonts();
    void setTextSizes(double fit);     // the column's texts at fit x their hall sizes
    int leftColumnHeight(int width) const;
    void fitLeftColumn();
    void updateChoiceStyles();

    StoryModels *m_models;
    QLabel *m_indicator;
    QLabel *m_counter;
    QLabel *m_title;
    QLabel *m_claim;
    QLabel *m_question;
    std::vector<QLabel *> m_choices;
    QLabel *m_status;
    QLabel *m_notice;
    BarPanelsChart *m_chart;
    QWidget *m_blank;
    int m_highlighted = -1;
    bool m_answered = false;
    bool m_dark = false;
    double m_scale = 0;
    double m_fit = 1;                  // the column's texts, scaled to fit (fitLeftColumn)
    QVBoxLayout *m_left = nullptr;
};

} // namespace lab
