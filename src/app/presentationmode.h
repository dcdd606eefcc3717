#pragma once
#include "lessondeck.h"
#include "lessons/lesson.h"

#include <QObject>
#include <QPointer>
#include <QSizePolicy>

class QAction;
class QDockWidget;
class QStackedWidget;

namespace lab {

class MainWindow;
class PresentationView;
class StoryModels;
class StoryPanel;

// The lecture side of the main window: the story panel (a dock beside the charts), and
// presentation mode (F11): full screen, panels hidden, the headline chart large, a lesson
// deck stepped with PageDown/PageUp/arrows (clickers), F5 runs the lesson's experiment and
// its answer appears with the measured figures, B blanks the screen, Esc or F11 leaves.
// Installed by MainWindow; it drives the window through its public API only.
class PresentationMode : public QObject {
    Q_OBJECT
public:
    explicit PresentationMode(MainWindow *window);
    ~PresentationMode() override;

    enum class State { NoLesson, Question, Running, Answered, RunFailed };

    StoryModels *storyModels() const { return m_models; }
    StoryPanel *storyPanel() const { return m_storyPanel; }
    QDockWidget *storyDock() const { return m_storyDock; }
    PresentationView *view() const { return m_view; }
    QAction *toggleAction() const { return m_toggle; }

    // Lessons from the bundled deck and these folders (the setting, --lessons-dir, or
    // LessonDeck::defaultUserDir()).
    void setLessonDirs(const QStringList &dirs);
    const LessonDeck &deck() const { return m_deck; }

    bool isActive() const { return m_active; }
    void setActive(bool active);
    // Scripted figures: presentation keeps the window's size instead of going full screen.
    void setKeepWindowSize(bool keep) { m_keepSize = keep; }

    int currentLesson() const { return m_current; }
    State state() const { return m_state; }
    bool showLesson(int index);
    bool showLesson(const QString &id);
    void nextLesson();
    void previousLesson();
    // F5: the lesson's experiment (or, without a lesson, the panel's).
    void runCurrent();
    bool isBlank() const;
    void setBlank(bool blank);
    const LessonOutcome &outcome() const { return m_outcome; }

    void setDark(bool dark);
    // Narrow windows (a 1024x768 projector) keep the story tabbed with the experiment panel.
    void adaptToWidth();

Q_SIGNALS:
    void activeChanged(bool active);
    void lessonShown(int index);
    void answerShown(int index);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    bool handleKey(int key);
    void updateSlide();
    void onExperimentDone();
    void loadLessonSpec(const Lesson &lesson);

    QPointer<MainWindow> m_window;
    StoryModels *m_models;
    StoryPanel *m_storyPanel = nullptr;
    QDockWidget *m_storyDock = nullptr;
    QStackedWidget *m_stack = nullptr;
    PresentationView *m_view = nullptr;
    QAction *m_toggle = nullptr;
    LessonDeck m_deck;
    int m_current = -1;
    State m_state = State::NoLesson;
    LessonOutcome m_outcome;
    QString m_runProblem;
    bool m_active = false;
    bool m_keepSize = false;
    bool m_runPending = false;
    bool m_tabbed = false;
    bool m_wasFullScreen = false;
    bool m_wasMaximized = false;
    QByteArray m_savedState;
    QSizePolicy m_normalPolicy;
    QList<QPointer<QWidget>> m_hidden;
};

} // namespace lab
