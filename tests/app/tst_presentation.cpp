// The story panel, the GIL chart models, presentation mode and the lesson deck, driven by key
// events on the window as a presenter (or a clicker) sends them.
#include "appoptions.h"
#include "chartmodels/barpanelsmodel.h"
#include "chartmodels/storymodels.h"
#include "charts/barpanelschart.h"
#include "experiment/presets.h"
#include "experimentpanel.h"
#include "lessondeck.h"
#include "lessons/story.h"
#include "mainwindow.h"
#include "presentationmode.h"
#include "presentationview.h"
#include "storypanel.h"
#include "workloads/convoy/convoyworkload.h"

#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QMenuBar>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>
#include <QApplication>
#include <qcustomplot.h>

using namespace lab;

namespace {
RunRecord convoyRun(const QString &model, double besideUs, double aloneUs, bool gil)
{
    RunRecord r;
    r.model = model;
    r.wall_s = 1;
    r.workers = 2;
    auto s = std::make_shared<ConvoySummary>();
    s->besideP50Us = besideUs;
    s->besideP99Us = besideUs * 2;
    s->aloneP50Us = aloneUs;
    s->aloneP99Us = aloneUs * 2;
    r.workloadSummary = s;
    if (gil) {
        r.gil = GilStats{};
        r.gil->switchesPerS = 190;
        r.gil->spans = {{0, 0, 0.005}, {1, 0.005, 0.010}};
    }
    return r;
}

bool writeFile(const QString &path, const QByteArray &text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(text) == text.size();
}

const char *kUserLesson = "title: My own lesson\n"
                          "claim: \"Best for CPU-bound tasks.\"\n"
                          "preset: cpu-quick\n"
                          "models: sequential, processes\n"
                          "question: Faster?\n"
                          "figure: s = speedup(processes)\n"
                          "choice: yes | s >= 1.25\n"
                          "choice: no | otherwise\n"
                          "notice: {s}\n";
} // namespace

class TestPresentation : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void gilPanelsFromTypedFigures()
    {
        const std::vector<BarPanel> panels =
            gilPanels({convoyRun(QStringLiteral("threads"), 31, 29, false), convoyRun(QStringLiteral("gil-threads"), 5200, 29, true)});
        QCOMPARE(int(panels.size()), 3);
        QCOMPARE(panels[0].id, QStringLiteral("latency"));
        QCOMPARE(int(panels[0].rows.size()), 2);  // one row per model: beside and, lighter, alone
        QCOMPARE(*panels[0].rows[1].value, 5.2);
        QVERIFY(panels[0].rows[1].hasSecond);
        QCOMPARE(*panels[0].rows[1].second, 0.029);
        QCOMPARE(panels[0].rows[1].valueText, QStringLiteral("beside 5.20 ms"));
        QCOMPARE(panels[0].rows[0].secondText, QStringLiteral("alone 29 µs"));
        QCOMPARE(panels[1].id, QStringLiteral("switches"));
        QCOMPARE(int(panels[1].rows.size()), 1);  // only the GIL run has GIL figures
        QCOMPARE(panels[2].id, QStringLiteral("tenure"));
        QCOMPARE(*panels[2].rows[0].value, 5.0);
        QCOMPARE(panels[2].rows[0].valueText, QStringLiteral("5.00 ms"));
        // A CPU experiment without GIL runs has nothing to draw (the chart hides).
        RunRecord cpu;
        cpu.model = QStringLiteral("threads");
        cpu.wall_s = 1;
        QVERIFY(gilPanels({cpu}).empty());
        // Sub-millisecond panels are drawn in µs.
        const std::vector<BarPanel> fast = gilPanels({convoyRun(QStringLiteral("threads"), 31, 29, false)});
        QCOMPARE(*fast[0].rows[0].value, 31.0);
        QVERIFY(fast[0].title.contains(QStringLiteral("(µs)")));
    }

    void headlinePanelsPerWorkload()
    {
        RunRecord seq, thr;
        seq.model = QStringLiteral("sequential");
        seq.wall_s = 2;
        seq.busy_cores = 1;
        thr.model = QStringLiteral("threads");
        thr.wall_s = 1;
        thr.busy_cores = 1.9;
        thr.speedup = 2;
        std::vector<BarPanel> p = headlinePanels({seq, thr}, QStringLiteral("cpu"));
        QCOMPARE(int(p.size()), 2);
        QCOMPARE(p[0].id, QStringLiteral("speedup"));
        QCOMPARE(int(p[0].rows.size()), 1);  // the baseline has no speedup bar
        QCOMPARE(p[0].rows[0].valueText, QStringLiteral("2.00x"));
        QCOMPARE(p[1].id, QStringLiteral("busy"));
        // Convoy: latency is the headline, never an empty speedup panel.
        p = headlinePanels({convoyRun(QStringLiteral("gil-threads"), 5200, 29, true)}, QStringLiteral("convoy"));
        QVERIFY(!p.empty());
        QCOMPARE(p[0].id, QStringLiteral("latency"));
        for (const BarPanel &panel : p)
            QVERIFY(panel.id != QLatin1String("speedup"));
    }

    void options()
    {
        AppOptions o;
        QString error;
        int code = 0;
        QVERIFY(AppOptions::parse({QStringLiteral("app"), QStringLiteral("--lesson"), QStringLiteral("gil"),
                                   QStringLiteral("--lessons-dir"), QStringLiteral("/x")},
                                  &o, &error, &code));
        QVERIFY(o.presentation);  // a lesson is a slide
        QCOMPARE(o.lesson, QStringLiteral("gil"));
        QCOMPARE(o.lessonsDir, QStringLiteral("/x"));
        QVERIFY(AppOptions::parse({QStringLiteral("app"), QStringLiteral("--presentation")}, &o, &error, &code));
        QVERIFY(o.presentation && o.lesson.isEmpty());
        QVERIFY(!AppOptions::parse({QStringLiteral("app"), QStringLiteral("--lesson"), QStringLiteral("gil"),
                                    QStringLiteral("--open"), QStringLiteral("r.json")},
                                   &o, &error, &code));
        QCOMPARE(code, 2);
    }

    void storyPanelFollowsTheSpec()
    {
        MainWindow w(false);
        w.resize(1600, 1000);
        w.show();
        PresentationMode *p = w.presentation();
        QVERIFY(p);
        QVERIFY(w.loadSpec(QStringLiteral("gil-convoy")));
        QString error;
        const Story story = Story::of(*loadPreset(QStringLiteral("gil-convoy"), &error));
        QCOMPARE(p->storyPanel()->showsText(), story.shows);
        QCOMPARE(p->storyPanel()->noticeText(), story.notice);
        QVERIFY(p->storyDock()->isVisible());
        // Nothing ran: no figures, the GIL chart is hidden.
        QVERIFY(p->storyPanel()->calloutsText().contains(QLatin1String("Run the experiment")));
        QVERIFY(!p->storyPanel()->gilChart()->isVisible());
    }

    void narrowWindowTabsTheStory()
    {
        MainWindow w(false);
        w.resize(1024, 768);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *panelDock = w.findChild<QDockWidget *>(QStringLiteral("experimentDock"));
        QVERIFY(panelDock);
        QVERIFY(w.tabifiedDockWidgets(panelDock).contains(w.presentation()->storyDock()));
        w.resize(1600, 1000);
        QTRY_VERIFY(!w.tabifiedDockWidgets(panelDock).contains(w.presentation()->storyDock()));
    }

    void f11AndEscape()
    {
        MainWindow w(false);
        w.resize(1024, 768);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        PresentationMode *p = w.presentation();
        p->setKeepWindowSize(true);
        QTest::keyClick(&w, Qt::Key_F11);
        QVERIFY(p->isActive());
        QVERIFY(p->view()->isVisible());
        QVERIFY(p->view()->indicator()->isVisible());
        QVERIFY(p->view()->indicator()->text().contains(QLatin1String("PRESENTATION")));
        QVERIFY(!w.menuBar()->isVisible());
        QVERIFY(!w.statusBar()->isVisible());
        QVERIFY(!p->storyDock()->isVisible());
        QVERIFY(!w.findChild<QDockWidget *>(QStringLiteral("experimentDock"))->isVisible());
        // The hidden normal page does not hold the window wider than a 1024 px projector.
        w.resize(1024, 768);
        QTRY_COMPARE(w.width(), 1024);
        QTest::keyClick(&w, Qt::Key_Escape);
        QVERIFY(!p->isActive());
        QVERIFY(!p->view()->isVisible());
        QVERIFY(w.menuBar()->isVisible());
        QVERIFY(p->storyDock()->isVisible());
        // F11 toggles both ways.
        QTest::keyClick(&w, Qt::Key_F11);
        QVERIFY(p->isActive());
        QTest::keyClick(&w, Qt::Key_F11);
        QVERIFY(!p->isActive());
    }

    void lessonNavigationByKeys()
    {
        MainWindow w(false);
        w.resize(1024, 768);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        PresentationMode *p = w.presentation();
        QVERIFY2(p->deck().size() >= 5, qPrintable(p->deck().problems().join(QLatin1Char('\n'))));
        p->setKeepWindowSize(true);
        p->setActive(true);
        QCOMPARE(p->currentLesson(), -1);
        QTest::keyClick(&w, Qt::Key_PageDown);
        QCOMPARE(p->currentLesson(), 0);
        QCOMPARE(p->state(), PresentationMode::State::Question);
        const Lesson &first = p->deck().at(0);
        QCOMPARE(w.panel()->spec().name, first.preset);
        QCOMPARE(p->view()->choiceTexts().size(), int(first.choices.size()));
        QVERIFY(!p->view()->questionText().isEmpty());
        QCOMPARE(p->view()->highlightedChoice(), -1);  // the question does not give the answer
        QTest::keyClick(&w, Qt::Key_Right);
        QCOMPARE(p->currentLesson(), 1);
        QCOMPARE(w.panel()->spec().name, p->deck().at(1).preset);
        QTest::keyClick(&w, Qt::Key_Down);
        QCOMPARE(p->currentLesson(), 2);
        QTest::keyClick(&w, Qt::Key_Up);
        QCOMPARE(p->currentLesson(), 1);
        QTest::keyClick(&w, Qt::Key_PageUp);
        QCOMPARE(p->currentLesson(), 0);
        QTest::keyClick(&w, Qt::Key_Left);
        QCOMPARE(p->currentLesson(), 0);  // stays on the first
        for (int i = 0; i < p->deck().size() + 2; ++i) {
            QTest::keyClick(&w, Qt::Key_PageDown);
            // Every slide's texts are whole at 1024x768 (smaller, if need be, not cut).
            QApplication::processEvents();
            QVERIFY2(p->view()->columnFits(), qPrintable(p->deck().at(p->currentLesson()).id));
        }
        QCOMPARE(p->currentLesson(), p->deck().size() - 1);  // stays on the last
        // B blanks, any key brings the slide back (without stepping).
        QTest::keyClick(&w, Qt::Key_B);
        QVERIFY(p->isBlank());
        QTest::keyClick(&w, Qt::Key_PageUp);
        QVERIFY(!p->isBlank());
        QCOMPARE(p->currentLesson(), p->deck().size() - 1);
        QTest::keyClick(&w, Qt::Key_B);
        QTest::keyClick(&w, Qt::Key_B);
        QVERIFY(!p->isBlank());
        // Esc leaves (and did not act as Stop).
        QTest::keyClick(&w, Qt::Key_Escape);
        QVERIFY(!p->isActive());
        QVERIFY(!p->isBlank());
    }

    void f5RunsTheLessonAndTheAnswerFollowsTheMeasurement()
    {
        MainWindow w(false);
        w.resize(1024, 768);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        PresentationMode *p = w.presentation();
        p->setKeepWindowSize(true);
        QTest::keyClick(&w, Qt::Key_F11);
        QVERIFY(p->showLesson(QStringLiteral("free-threads")));
        QSignalSpy answered(p, &PresentationMode::answerShown);
        QTest::keyClick(&w, Qt::Key_F5);
        QCOMPARE(p->state(), PresentationMode::State::Running);
        QVERIFY(w.isRunning());
        QVERIFY(answered.wait(120000));
        QCOMPARE(p->state(), PresentationMode::State::Answered);
        const LessonOutcome &o = p->outcome();
        const std::optional<double> s = o.values.value(QStringLiteral("speedup"));
        QVERIFY(s);
        // The lesson's rule applied to the measured figure: >= 1.25 faster, >= 0.85 the same.
        const int expected = *s >= 1.25 ? 0 : *s >= 0.85 ? 1 : 2;
        QCOMPARE(o.correct, expected);
        QCOMPARE(p->view()->highlightedChoice(), expected);
        const QString figure = QString::number(*s, 'f', 2) + QLatin1Char('x');
        QVERIFY2(p->view()->noticeText().contains(figure), qPrintable(p->view()->noticeText()));
        QVERIFY(p->view()->statusText().contains(p->deck().at(p->currentLesson()).choices[size_t(expected)].text));
        // The headline chart is there now, sized for a hall at 1024x768.
        QVERIFY(p->view()->chart()->isVisible());
        QTRY_VERIFY(p->view()->chart()->panelCount() >= 1);
        QVERIFY2(p->view()->chartTickPixelSize() >= 20, qPrintable(QString::number(p->view()->chartTickPixelSize())));
        QVERIFY(p->view()->chart()->panelRect(0)->axis(QCPAxis::atBottom)->basePen().widthF() >= 3.0);
        // The story panel's call-outs quote the same run.
        QVERIFY2(p->storyPanel()->calloutsText().contains(figure), qPrintable(p->storyPanel()->calloutsText()));
        QTest::keyClick(&w, Qt::Key_Escape);
        QVERIFY(!p->isActive());
    }

    void manyCalloutsStayWholeAt1024x768()
    {
        // race-counter's 18 runs in presentation at 1024x768: the call-outs and the notice ran
        // past the window's bottom, cut mid-line. A run recorded by the CLI (tasks trimmed).
        MainWindow w(false);
        w.resize(1024, 768);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        PresentationMode *p = w.presentation();
        p->setKeepWindowSize(true);
        p->setActive(true);
        QVERIFY2(w.openResults(QStringLiteral(LAB_TEST_DATA_DIR "/result-race-counter.json")), qPrintable(w.lastError()));
        p->view()->showExperiment();
        QApplication::processEvents();
        QVERIFY(p->view()->questionText().count(QLatin1Char('\n')) >= 4);  // the call-outs are there
        QVERIFY(!p->view()->noticeText().isEmpty());
        QVERIFY(p->view()->columnFits());
        // The chart's rows name every run apart.
        QTRY_VERIFY(p->view()->chart()->panelCount() >= 1);
    }

    void teachersFolder()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(writeFile(dir.filePath(QStringLiteral("50-mine.lesson")), kUserLesson));
        QVERIFY(writeFile(dir.filePath(QStringLiteral("60-broken.lesson")),
                          QByteArray(kUserLesson).replace("preset: cpu-quick", "preset: no-such-experiment")));
        LessonDeck deck;
        deck.load({dir.path()});
        QVERIFY(deck.indexOf(QStringLiteral("mine")) >= 0);
        QCOMPARE(deck.indexOf(QStringLiteral("broken")), -1);  // its experiment does not exist: left out
        const QString problems = deck.problems().join(QLatin1Char('\n'));
        QVERIFY2(problems.contains(QStringLiteral("60-broken.lesson:3: no built-in preset \"no-such-experiment\"")), qPrintable(problems));
        QVERIFY(deck.indexOf(QStringLiteral("gil")) >= 0);  // the bundled deck is still there
        QVERIFY(LessonDeck::defaultUserDir().endsWith(QLatin1String("/lessons")));
    }
};

QTEST_MAIN(TestPresentation)
#include "tst_presentation.moc"
