#pragma once
#include <QWidget>

class QLabel;
class QScrollArea;

namespace lab {

class BarPanelsChart;
class StoryModels;

// Beside the charts: the experiment's story in plain words (what this shows, what to notice),
// the headline call-outs of the experiment on screen with their measured figures, and for GIL
// experiments the chart of switches per second, GIL hold time and round-trip latency.
class StoryPanel : public QWidget {
    Q_OBJECT
public:
    explicit StoryPanel(StoryModels *models, QWidget *parent = nullptr);

    QString titleText() const;
    QString showsText() const;
    QString noticeText() const;
    QString calloutsText() const;  // one call-out per line
    BarPanelsChart *gilChart() const { return m_gilChart; }
    void setDark(bool dark);

private:
    void updateStory();
    void updateMeasured();

    StoryModels *m_models;
    QLabel *m_title;
    QLabel *m_shows;
    QLabel *m_notice;
    QLabel *m_measuredTitle;
    QLabel *m_callouts;
    BarPanelsChart *m_gilChart;
    QScrollArea *m_gilScroll;  // the chart, taller than its share when it has many rows
};

} // namespace lab
