#include "scriptedsession.h"

#include "experimentpanel.h"
#include "mainwindow.h"
#include "models/executionmodel.h"
#include "presentationmode.h"

#include <QSettings>

#include <QTimer>
#include <cstdio>

namespace lab {

namespace {
constexpr int kSettleMs = 800;  // a few redraw-clock periods: the charts show the final data

void printErr(const QString &text)
{
    std::fputs(qPrintable(text + QLatin1Char('\n')), stderr);
    std::fflush(stderr);
}
} // namespace

ScriptedSession::ScriptedSession(MainWindow *window, const AppOptions &options, QObject *parent)
    : QObject(parent), m_window(window), m_options(options)
{
}

void ScriptedSession::start()
{
    if (!m_window)
        return;
    MainWindow &w = *m_window;
    m_active = true;
    // With --quit-when-done nobody is there to close a message box: errors go to stderr.
    w.setErrorsToStderr(m_options.quitWhenDone);
    if (m_options.size.isValid())
        w.resize(m_options.size);
    if (!m_options.theme.isEmpty())
        w.setDarkTheme(m_options.theme == QLatin1String("dark"));
    PresentationMode *presentation = w.presentation();
    // Teachers' lessons: --lessons-dir, else the saved setting, else the XDG data folder.
    QString lessonsDir = m_options.lessonsDir;
    if (lessonsDir.isEmpty() && !m_options.noSettings && !m_options.quitWhenDone)
        lessonsDir = QSettings().value(QStringLiteral("lessons/dir")).toString();
    if (lessonsDir.isEmpty())
        lessonsDir = LessonDeck::defaultUserDir();
    if (presentation)
        presentation->setLessonDirs({lessonsDir});
    if (!m_options.preset.isEmpty() && !w.loadSpec(m_options.preset)) {
        fail();
        return;
    }
    if (!m_options.models.isEmpty()) {
        const QStringList known = modelIds();
        for (const QString &m : std::as_const(m_options.models)) {
            if (!known.contains(m)) {
                w.showError(tr("Unknown model"), QStringLiteral("unknown model \"%1\" (known models: %2)")
                                                     .arg(m, known.join(QStringLiteral(", "))));
                fail();
                return;
            }
        }
        for (const QString &id : known)
            w.panel()->setModelChecked(id, m_options.models.contains(id));
    }
    if (presentation && m_options.presentation) {
        // A scripted figure of a given size shows that size, not the whole screen.
        presentation->setKeepWindowSize(m_options.size.isValid());
        presentation->setActive(true);
        if (m_options.size.isValid())
            w.resize(m_options.size);  // without the panels the window may be smaller now
        if (!m_options.lesson.isEmpty() && !presentation->showLesson(m_options.lesson)) {
            QStringList ids;
            for (const Lesson &l : presentation->deck().lessons())
                ids << l.id;
            w.showError(tr("Unknown lesson"), QStringLiteral("no lesson \"%1\" (lessons: %2)")
                                                 .arg(m_options.lesson, ids.join(QStringLiteral(", "))));
            fail();
            return;
        }
    }
    if (!m_options.open.isEmpty()) {
        if (!w.openResults(m_options.open)) {
            fail();
            return;
        }
        QTimer::singleShot(0, this, [this] {
            if (m_window)
                onExperimentDone(m_window->lastResult());
        });
        return;
    }
    if (m_options.run) {
        connect(&w, &MainWindow::experimentDone, this, &ScriptedSession::onExperimentDone, Qt::SingleShotConnection);
        if (presentation && presentation->currentLesson() >= 0)
            presentation->runCurrent();  // F5 on the slide: the answer appears after the run
        else
            w.runExperiment(false);
        if (!w.isRunning()) {
            disconnect(&w, &MainWindow::experimentDone, this, nullptr);
            fail();
        }
        return;
    }
    if (!m_options.exportDir.isEmpty() || !m_options.screenshot.isEmpty() || m_options.quitWhenDone)
        QTimer::singleShot(300, this, [this] {
            if (m_window)
                onExperimentDone(m_window->lastResult());
        });
    else
        finishWith(-1);
}

void ScriptedSession::fail()
{
    if (m_options.quitWhenDone)
        QTimer::singleShot(0, this, [this] { finishWith(2); });
    else
        finishWith(-1);
}

void ScriptedSession::onExperimentDone(const ExperimentResult &result)
{
    if (!m_window)
        return;
    // Figures for slides show the experiment, not the rolling live window.
    if (!m_options.exportDir.isEmpty() || !m_options.screenshot.isEmpty())
        m_window->zoomChartsToExperiment();
    QTimer::singleShot(kSettleMs, this, [this, result] {
        if (!m_window)
            return;
        MainWindow &w = *m_window;
        int code = 0;
        if (m_options.run)
            code = (!result.runs.empty() && result.error.isEmpty() && !result.cancelled && result.allOk()) ? 0 : 1;
        if (!m_options.exportDir.isEmpty()) {
            QStringList written;
            QString error;
            if (!w.exportAll(m_options.exportDir, &written, &error)) {
                printErr(QStringLiteral("concurrency-lab: export failed: %1").arg(error));
                code = 3;
            }
        }
        if (!m_options.screenshot.isEmpty()) {
            w.renderChartsNow();
            const QPixmap shot = w.grab();
            if (shot.isNull() || !shot.save(m_options.screenshot)) {
                printErr(QStringLiteral("concurrency-lab: cannot write the screenshot %1").arg(m_options.screenshot));
                code = 3;
            }
        }
        finishWith(code);
    });
}

void ScriptedSession::finishWith(int code)
{
    m_active = false;
    if (m_window)
        m_window->setErrorsToStderr(false);
    if (code >= 0 && m_options.quitWhenDone)
        Q_EMIT finished(code);
}

} // namespace lab
