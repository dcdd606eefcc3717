#include "presentationmode.h"

#include "chartmodels/storymodels.h"
#include "experimentpanel.h"
#include "mainwindow.h"
#include "models/executionmodel.h"
#include "presentationview.h"
#include "storypanel.h"
#include "util/sysinfo.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QFileDialog>
#include <QKeyEvent>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>
#include <QSignalBlocker>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolBar>

namespace lab {

namespace {
constexpr int kNarrowWidth = 1300;  // below: the story is a tab beside the experiment panel

bool isPresentationKey(int key)
{
    switch (key) {
    case Qt::Key_PageDown:
    case Qt::Key_PageUp:
    case Qt::Key_Left:
    case Qt::Key_Right:
    case Qt::Key_Up:
    case Qt::Key_Down:
    case Qt::Key_B:
    case Qt::Key_Period:  // what many clickers send for "black screen"
    case Qt::Key_F5:
    case Qt::Key_Escape:
        return true;
    default:
        return false;
    }
}
} // namespace

PresentationMode::PresentationMode(MainWindow *window) : QObject(window), m_window(window), m_models(new StoryModels(this))
{
    m_models->setStore(window->store());
    m_models->setSpec(window->panel()->spec());
    connect(window, &MainWindow::specLoaded, m_models, [this] {
        if (m_window)
            m_models->setSpec(m_window->panel()->spec());
    });
    connect(window, &MainWindow::experimentDone, this, &PresentationMode::onExperimentDone);

    m_storyPanel = new StoryPanel(m_models);
    m_storyDock = new QDockWidget(tr("Story"), window);
    m_storyDock->setObjectName(QStringLiteral("storyDock"));
    m_storyDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable |
                             QDockWidget::DockWidgetFloatable);
    m_storyDock->setWidget(m_storyPanel);
    m_storyDock->setMinimumWidth(260);
    window->addDockWidget(Qt::RightDockWidgetArea, m_storyDock);
    window->resizeDocks({m_storyDock}, {440}, Qt::Horizontal);

    // The normal central widget and the presentation view share one place.
    QWidget *central = window->takeCentralWidget();
    m_stack = new QStackedWidget;
    m_stack->setObjectName(QStringLiteral("centralStack"));
    if (central)
        m_stack->addWidget(central);
    m_view = new PresentationView(m_models);
    m_stack->addWidget(m_view);
    window->setCentralWidget(m_stack);
    m_stack->setCurrentIndex(0);

    m_toggle = new QAction(tr("&Presentation mode"), window);
    m_toggle->setObjectName(QStringLiteral("presentationAction"));
    m_toggle->setCheckable(true);
    m_toggle->setShortcut(Qt::Key_F11);
    m_toggle->setShortcutContext(Qt::WindowShortcut);
    window->addAction(m_toggle);  // stays active while the menu bar is hidden
    connect(m_toggle, &QAction::toggled, this, &PresentationMode::setActive);
    for (QAction *a : window->menuBar()->actions()) {
        if (a->menu() && a->menu()->title() == MainWindow::tr("&View")) {
            a->menu()->addSeparator();
            a->menu()->addAction(m_toggle);
            a->menu()->addAction(m_storyDock->toggleViewAction());
            a->menu()->addAction(tr("&Lessons folder…"), this, [this] {
                const QString dir = QFileDialog::getExistingDirectory(m_window, tr("Folder of your lessons (*.lesson)"),
                                                                      m_deck.dirs().value(1));
                if (dir.isEmpty())
                    return;
                QSettings().setValue(QStringLiteral("lessons/dir"), dir);
                setLessonDirs({dir});
                m_window->showStatus(
                    tr("%n lesson(s) in the deck", nullptr, m_deck.size()) +
                        (m_deck.problems().isEmpty() ? QString() : tr("; left out: %1").arg(m_deck.problems().join(QStringLiteral("; ")))),
                    15000);
            });
        }
    }

    m_deck.load({LessonDeck::defaultUserDir()});
    setDark(window->isDarkTheme());
    window->installEventFilter(this);
    updateSlide();
}

PresentationMode::~PresentationMode()
{
    qApp->removeEventFilter(this);
}

void PresentationMode::setLessonDirs(const QStringList &dirs)
{
    if (m_state == State::Running)
        return;
    const QString id = m_current >= 0 ? m_deck.at(m_current).id : QString();
    m_deck.load(dirs);
    m_current = id.isEmpty() ? -1 : m_deck.indexOf(id);
    if (m_current < 0)
        m_state = State::NoLesson;
    updateSlide();
}

void PresentationMode::setActive(bool active)
{
    if (!m_window || m_active == active)
        return;
    MainWindow &w = *m_window;
    if (active) {
        m_savedState = w.saveState();
        m_wasFullScreen = w.isFullScreen();
        m_wasMaximized = w.isMaximized();
        m_hidden.clear();
        QList<QWidget *> bars;
        for (QDockWidget *d : w.findChildren<QDockWidget *>())
            bars << d;
        for (QToolBar *t : w.findChildren<QToolBar *>())
            bars << t;
        bars << w.menuBar() << w.statusBar();
        for (QWidget *b : std::as_const(bars)) {
            if (b->isVisibleTo(&w)) {
                m_hidden << b;
                b->hide();
            }
        }
        // The hidden normal page must not hold the window wider than a projector's 1024 px.
        if (QWidget *normal = m_stack->widget(0); normal && normal != m_view) {
            m_normalPolicy = normal->sizePolicy();
            normal->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
        }
        m_stack->setCurrentWidget(m_view);
        m_active = true;
        qApp->installEventFilter(this);
        if (!m_keepSize)
            w.showFullScreen();
        updateSlide();
        m_view->setFocus();
    } else {
        qApp->removeEventFilter(this);
        m_active = false;
        setBlank(false);
        if (QWidget *normal = m_stack->widget(0); normal && normal != m_view)
            normal->setSizePolicy(m_normalPolicy);
        m_stack->setCurrentIndex(0);
        for (const QPointer<QWidget> &b : std::as_const(m_hidden))
            if (b)
                b->show();
        m_hidden.clear();
        w.restoreState(m_savedState);
        if (!m_keepSize && !m_wasFullScreen) {
            if (m_wasMaximized)
                w.showMaximized();
            else
                w.showNormal();
        }
    }
    {
        const QSignalBlocker block(m_toggle);
        m_toggle->setChecked(active);
    }
    Q_EMIT activeChanged(active);
}

bool PresentationMode::showLesson(int index)
{
    if (!m_window || index < 0 || index >= m_deck.size() || m_window->isRunning())
        return false;
    m_current = index;
    m_state = State::Question;
    m_outcome = {};
    m_runProblem.clear();
    loadLessonSpec(m_deck.at(index));
    updateSlide();
    Q_EMIT lessonShown(index);
    return true;
}

bool PresentationMode::showLesson(const QString &id)
{
    return showLesson(m_deck.indexOf(id));
}

void PresentationMode::nextLesson()
{
    if (m_current < m_deck.size() - 1)
        showLesson(m_current + 1);
}

void PresentationMode::previousLesson()
{
    if (m_current > 0)
        showLesson(m_current - 1);
}

void PresentationMode::loadLessonSpec(const Lesson &lesson)
{
    MainWindow &w = *m_window;
    if (!w.loadSpec(lesson.preset))
        return;
    if (!lesson.models.isEmpty())
        for (const QString &id : modelIds())
            w.panel()->setModelChecked(id, lesson.models.contains(id));
}

void PresentationMode::runCurrent()
{
    if (!m_window || m_window->isRunning())
        return;
    MainWindow &w = *m_window;
    if (m_current < 0) {
        w.runExperiment(false);
        return;
    }
    loadLessonSpec(m_deck.at(m_current));
    m_outcome = {};
    m_runProblem.clear();
    m_runPending = true;
    m_state = State::Running;
    updateSlide();
    w.runExperiment(false);
    if (!w.isRunning()) {
        m_runPending = false;
        m_state = State::RunFailed;
        m_runProblem = w.lastError().isEmpty() ? tr("the experiment could not start") : w.lastError();
        updateSlide();
    }
}

void PresentationMode::onExperimentDone()
{
    if (m_tabbed)
        m_storyDock->raise();
    if (!m_runPending || !m_window)
        return;
    m_runPending = false;
    const ExperimentResult result = m_window->lastResult();
    if (m_current < 0) {
        updateSlide();
        return;
    }
    if (!result.error.isEmpty() || result.cancelled || result.runs.empty()) {
        m_state = State::RunFailed;
        m_runProblem = result.cancelled ? tr("it was stopped") : result.error.isEmpty() ? tr("nothing ran") : result.error;
    } else {
        m_outcome = evaluateLesson(m_deck.at(m_current), result, std::max(1, usableCores()));
        m_state = State::Answered;
    }
    updateSlide();
    Q_EMIT answerShown(m_current);
}

bool PresentationMode::isBlank() const
{
    return m_view->isBlank();
}

void PresentationMode::setBlank(bool blank)
{
    m_view->setBlank(blank && m_active);
}

void PresentationMode::setDark(bool dark)
{
    m_storyPanel->setDark(dark);
    m_view->setDark(dark);
}

void PresentationMode::adaptToWidth()
{
    if (!m_window || m_active)
        return;
    const bool narrow = m_window->width() < kNarrowWidth;
    if (narrow == m_tabbed)
        return;
    auto *panelDock = m_window->findChild<QDockWidget *>(QStringLiteral("experimentDock"));
    if (!panelDock)
        return;
    if (narrow && m_window->dockWidgetArea(panelDock) != Qt::NoDockWidgetArea) {
        m_window->tabifyDockWidget(panelDock, m_storyDock);
        panelDock->raise();
        m_tabbed = true;
    } else if (!narrow) {
        m_window->addDockWidget(Qt::RightDockWidgetArea, m_storyDock);
        m_window->resizeDocks({m_storyDock}, {440}, Qt::Horizontal);
        m_tabbed = false;
    }
}

void PresentationMode::updateSlide()
{
    if (m_current < 0 || m_current >= m_deck.size()) {
        m_view->showExperiment();
        return;
    }
    const Lesson &lesson = m_deck.at(m_current);
    const int cores = std::max(1, usableCores());
    PresentationView::Slide s;
    s.counter = tr("Lesson %1 of %2").arg(m_current + 1).arg(m_deck.size());
    s.title = lesson.title;
    s.claim = lesson.claim;
    s.question = fillLessonText(lesson, lesson.question, m_outcome.values, cores);
    for (const Lesson::Choice &c : lesson.choices)
        s.choices << c.text;
    s.answered = m_state == State::Answered;
    s.correct = m_outcome.correct;
    const QString coresNote = lessonCoresNote(lesson, cores);
    QStringList status;
    switch (m_state) {
    case State::NoLesson:
    case State::Question: status << tr("F5: run the experiment and see the answer."); break;
    case State::Running: status << tr("Running… the answer appears when the run ends."); break;
    case State::Answered:
        if (m_outcome.correct >= 0)
            status << (m_outcome.why.isEmpty()
                           ? tr("Answer: %1").arg(lesson.choices[size_t(m_outcome.correct)].text)
                           : tr("Answer: %1 — %2").arg(lesson.choices[size_t(m_outcome.correct)].text, m_outcome.why));
        else
            status << tr("No answer: not measured: %1").arg(m_outcome.missing.join(QStringLiteral(", ")));
        s.notice = m_outcome.notice;
        break;
    case State::RunFailed: status << tr("The run did not finish: %1").arg(m_runProblem); break;
    }
    if (!coresNote.isEmpty())
        status << coresNote;
    s.status = status.join(QLatin1Char('\n'));
    m_view->showSlide(s);
    // The question slide does not give the answer away: the chart appears with it.
    m_view->setChartVisible(m_state == State::Answered);
}

bool PresentationMode::handleKey(int key)
{
    if (key == Qt::Key_Escape) {
        setActive(false);
        return true;
    }
    if (isBlank()) {
        setBlank(false);  // any key brings the slide back
        return true;
    }
    switch (key) {
    case Qt::Key_B:
    case Qt::Key_Period: setBlank(true); return true;
    case Qt::Key_F5: runCurrent(); return true;
    case Qt::Key_PageDown:
    case Qt::Key_Right:
    case Qt::Key_Down: nextLesson(); return true;
    case Qt::Key_PageUp:
    case Qt::Key_Left:
    case Qt::Key_Up: previousLesson(); return true;
    default: return false;
    }
}

bool PresentationMode::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_window && event->type() == QEvent::Resize)
        adaptToWidth();
    if (!m_active || (event->type() != QEvent::ShortcutOverride && event->type() != QEvent::KeyPress))
        return QObject::eventFilter(watched, event);
    auto *widget = qobject_cast<QWidget *>(watched);
    auto *key = static_cast<QKeyEvent *>(event);
    if (!widget || widget->window() != m_window || !isPresentationKey(key->key()) ||
        (key->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier)))
        return QObject::eventFilter(watched, event);
    event->accept();
    if (event->type() == QEvent::KeyPress && !key->isAutoRepeat())
        handleKey(key->key());
    return true;
}

} // namespace lab
