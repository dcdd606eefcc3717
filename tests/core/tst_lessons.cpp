// Stories, headline call-outs and the lesson parser: every bundled preset has its story,
// every bundled lesson passes `concurrency-lab-cli lesson check`, bad lessons fail with
// FILE:LINE, and call-outs and answers come from the measured figures.
#include "experiment/presets.h"
#include "labconfig.h"
#include "lessons/callouts.h"
#include "lessons/lesson.h"
#include "lessons/story.h"
#include "util/sysinfo.h"
#include "workloads/convoy/convoyworkload.h"
#include "workloads/ipccost/ipccostworkload.h"
#include "workloads/racecounter/racecounterworkload.h"

#include <QDir>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <tuple>

using namespace lab;

namespace {
QString lessonsDir()
{
    return QStringLiteral(LAB_SOURCE_DIR "/resources/lessons");
}

QStringList bundledLessons()
{
    QStringList out;
    const QDir d(lessonsDir());
    for (const QString &f : d.entryList({QStringLiteral("*.lesson")}, QDir::Files, QDir::Name))
        out << d.filePath(f);
    return out;
}

RunRecord run(const QString &model, double wall, int workers, double busy = 1.0)
{
    RunRecord r;
    r.model = model;
    r.wall_s = wall;
    r.workers = workers;
    r.busy_cores = busy;
    r.cpu_s = busy * wall;
    r.tasks_total = r.tasks_ok = 20;
    r.verified = true;
    return r;
}

ExperimentResult cpuResult(double gilWall)
{
    ExperimentResult res;
    res.spec.name = QStringLiteral("gil-cpu");
    res.spec.workload = QStringLiteral("cpu");
    res.machine.cores = res.machine.usableCores = 2;
    res.runs = {run(QStringLiteral("sequential"), 4.00, 1), run(QStringLiteral("gil-threads"), gilWall, 2),
                run(QStringLiteral("processes"), 2.0619, 2, 1.97)};
    return res;
}

RunRecord convoyRun(const QString &model, double besideUs, double aloneUs)
{
    RunRecord r = run(model, 1.0, 2);
    auto s = std::make_shared<ConvoySummary>();
    s->roundTrips = 1000;
    s->cpuThreads = 1;
    s->besideP50Us = besideUs;
    s->besideP99Us = besideUs * 2;
    s->aloneP50Us = aloneUs;
    s->aloneP99Us = aloneUs * 2;
    s->multiplierP50 = besideUs / aloneUs;
    r.workloadSummary = s;
    return r;
}

QString cliPath()
{
    return siblingExecutable(QStringLiteral("concurrency-lab-cli"));
}

struct CliResult {
    int code = -1;
    QString out, err;
};

CliResult runCli(const QStringList &args)
{
    QProcess p;
    p.start(cliPath(), args);
    CliResult r;
    if (!p.waitForFinished(20000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

const char *kGoodLesson = "title: T\n"
                          "claim: \"C\"\n"
                          "preset: gil-cpu\n"
                          "models: sequential, gil-threads, processes\n"
                          "cores: 2\n"
                          "question: 2 threads under the GIL: faster, the same, or slower?\n"
                          "figure: speedup = speedup(gil-threads)\n"
                          "figure: procs = speedup(processes)\n"
                          "choice: faster | speedup >= 1.25\n"
                          "choice: the same | speedup >= 0.85 | one thread at a time ({speedup})\n"
                          "choice: slower | otherwise\n"
                          "notice: GIL threads {speedup},\n"
                          "  processes {procs} on {cores} cores\n";
} // namespace

class TestLessons : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyPresetHasAStory()
    {
        QVERIFY(!presetNames().isEmpty());
        // Plain words: no JSON keys (snake_case or dotted names), no bug numbers.
        static const QRegularExpression jargon(QStringLiteral("\\b[a-z]+_[a-z_]+\\b|\\b[a-z]+\\.[a-z_]+_|bpo-|gh-\\d|#\\d"));
        for (const QString &name : presetNames()) {
            QString error;
            const auto spec = loadPreset(name, &error);
            QVERIFY2(spec, qPrintable(error));
            const Story story = Story::of(*spec);
            QVERIFY2(story.shows.size() > 20, qPrintable(name + QStringLiteral(": no \"what this shows\"")));
            QVERIFY2(story.notice.size() > 20, qPrintable(name + QStringLiteral(": no \"what to notice\"")));
            QVERIFY2(!jargon.match(story.shows).hasMatch(), qPrintable(name + QStringLiteral(": ") + story.shows));
            QVERIFY2(!jargon.match(story.notice).hasMatch(), qPrintable(name + QStringLiteral(": ") + story.notice));
        }
    }

    void storyTravelsWithTheSpec()
    {
        QString error;
        const auto spec = loadPreset(QStringLiteral("gil-convoy"), &error);
        QVERIFY(spec);
        const auto back = ExperimentSpec::fromJsonObject(spec->toJson(), &error);
        QVERIFY2(back, qPrintable(error));
        QCOMPARE(Story::of(*back).notice, Story::of(*spec).notice);
        QVERIFY(Story::of(ExperimentSpec{}).isEmpty());
    }

    void bundledLessonsParse()
    {
        const QStringList files = bundledLessons();
        QVERIFY2(files.size() >= 5, qPrintable(lessonsDir()));
        QStringList ids;
        for (const QString &f : files) {
            QString error;
            const auto lesson = loadLessonFile(f, &error);
            QVERIFY2(lesson, qPrintable(error));
            QVERIFY2(presetNames().contains(lesson->preset), qPrintable(f));
            QVERIFY2(!ids.contains(lesson->id), qPrintable(lesson->id));
            ids << lesson->id;
        }
        QVERIFY(ids.contains(QStringLiteral("gil")));
    }

    void everyBundledLessonPassesTheCli()
    {
        QVERIFY2(!cliPath().isEmpty(), "concurrency-lab-cli not built");
        for (const QString &f : bundledLessons()) {
            const CliResult r = runCli({QStringLiteral("lesson"), QStringLiteral("check"), f});
            QVERIFY2(r.code == 0, qPrintable(f + QStringLiteral(": ") + r.err));
            QVERIFY2(r.out.contains(QLatin1String("ok")), qPrintable(r.out));
        }
    }

    void cliReportsFileAndLine()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("bad.lesson"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(kGoodLesson).replace("preset: gil-cpu", "preset: no-such-preset"));
        f.close();
        const CliResult r = runCli({QStringLiteral("lesson"), QStringLiteral("check"), path});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.startsWith(path + QStringLiteral(":3: no built-in preset \"no-such-preset\"")), qPrintable(r.err));
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);

        const CliResult usage = runCli({QStringLiteral("lesson"), QStringLiteral("lint"), path});
        QCOMPARE(usage.code, 2);
        const CliResult missing = runCli({QStringLiteral("lesson"), QStringLiteral("check"), dir.filePath(QStringLiteral("none"))});
        QCOMPARE(missing.code, 2);
        QVERIFY2(missing.err.contains(QLatin1String("cannot read")), qPrintable(missing.err));
    }

    void parsesAGoodLesson()
    {
        QString error;
        int line = 0;
        const auto l = parseLesson(kGoodLesson, &error, &line);
        QVERIFY2(l, qPrintable(error));
        QCOMPARE(l->preset, QStringLiteral("gil-cpu"));
        QCOMPARE(l->models, (QStringList{QStringLiteral("sequential"), QStringLiteral("gil-threads"), QStringLiteral("processes")}));
        QCOMPARE(l->cores, 2);
        QCOMPARE(int(l->choices.size()), 3);
        QVERIFY(l->choices[2].otherwise);
        QCOMPARE(l->notice, QStringLiteral("GIL threads {speedup}, processes {procs} on {cores} cores"));
        QCOMPARE(lessonIdFromFileName(QStringLiteral("/x/01-gil.lesson")), QStringLiteral("gil"));
    }

    void badLessons_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("line");
        QTest::addColumn<QString>("message");
        const QByteArray good(kGoodLesson);
        auto with = [&](const char *from, const char *to) { return QByteArray(good).replace(from, to); };
        QTest::newRow("unknown key") << with("cores: 2", "corez: 2") << 5 << "unknown key \"corez\"";
        QTest::newRow("not key value") << with("cores: 2", "just words") << 5 << "expected \"key: value\"";
        QTest::newRow("twice") << (good + "title: again\n") << 14 << "\"title\" given twice (first on line 1)";
        QTest::newRow("missing question") << with("question: 2 threads under the GIL: faster, the same, or slower?\n", "")
                                          << 1 << "missing \"question:\"";
        QTest::newRow("unknown preset") << with("preset: gil-cpu", "preset: gil-cpux") << 3 << "no built-in preset";
        QTest::newRow("unknown model") << with("models: sequential,", "models: sequentail,") << 4 << "unknown model \"sequentail\"";
        QTest::newRow("model not for workload") << with("models: sequential,", "models: async,") << 4 << "cannot run the cpu workload";
        QTest::newRow("bad cores") << with("cores: 2", "cores: two") << 5 << "cores must be a whole number";
        QTest::newRow("bad figure") << with("figure: speedup = speedup(gil-threads)", "figure: speedup is fast") << 7
                                    << "a figure is NAME = MEASURE(MODEL)";
        QTest::newRow("unknown measure") << with("= speedup(gil-threads)", "= sped(gil-threads)") << 7 << "unknown measure \"sped\"";
        QTest::newRow("figure model not run") << with("= speedup(gil-threads)", "= speedup(threads)") << 7
                                              << "model \"threads\" is not run by this lesson";
        QTest::newRow("choice without condition") << with("choice: faster | speedup >= 1.25", "choice: faster") << 9
                                                  << "a choice is TEXT | CONDITION";
        QTest::newRow("empty why") << with("speedup >= 1.25", "speedup >= 1.25 |") << 9 << "empty explanation";
        QTest::newRow("why placeholder") << with("speedup >= 1.25", "speedup >= 1.25 | {nope}") << 9 << "unknown placeholder {nope}";
        QTest::newRow("bad condition") << with("speedup >= 1.25", "speedup => 1.25") << 9 << "cannot read the condition";
        QTest::newRow("condition on unknown figure") << with("speedup >= 1.25", "speed >= 1.25") << 9
                                                     << "uses \"speed\", which is not a figure";
        QTest::newRow("otherwise not last") << (good + "choice: never | speedup < 0\n") << 14 << "after \"otherwise\"";
        QTest::newRow("one choice") << with("choice: the same | speedup >= 0.85 | one thread at a time ({speedup})\nchoice: slower | otherwise\n", "") << 9
                                    << "at least two";
        QTest::newRow("unknown placeholder") << with("{procs} on", "{proc} on") << 12 << "unknown placeholder {proc}";
        QTest::newRow("unclosed placeholder") << with("{procs} on", "{procs on") << 12 << "without a closing";
        QTest::newRow("stray indent") << ("  indented first\n" + good) << 1 << "continues a value";
        QTest::newRow("empty value") << with("title: T", "title:") << 1 << "\"title\" has no value";
        QTest::newRow("no figure") << with("figure: speedup = speedup(gil-threads)\nfigure: procs = speedup(processes)\n", "")
                                   << 1 << "missing \"figure:\"";
        QTest::newRow("not utf-8") << (good + "notice2: \xff\xfe\n") << 14 << "not UTF-8";
        QTest::newRow("too big") << QByteArray(Lesson::kMaxBytes + 1, 'a') << 1 << "at most";
        QTest::newRow("empty") << QByteArray() << 1 << "missing \"title:\"";
    }

    void badLessons()
    {
        QFETCH(QByteArray, text);
        QFETCH(int, line);
        QFETCH(QString, message);
        QString error;
        int errorLine = 0;
        QVERIFY(!parseLesson(text, &error, &errorLine));
        QVERIFY2(error.contains(message), qPrintable(error));
        QCOMPARE(errorLine, line);
    }

    void answerComesFromTheMeasurement()
    {
        QString error;
        int line = 0;
        const auto l = parseLesson(kGoodLesson, &error, &line);
        QVERIFY(l);
        // 4.00 s sequential, 4.12 s under the GIL: 0.97x, "the same".
        LessonOutcome o = evaluateLesson(*l, cpuResult(4.1237), 2);
        QCOMPARE(o.correct, 1);
        QCOMPARE(o.why, QStringLiteral("one thread at a time (0.97x)"));
        QCOMPARE(o.notice, QStringLiteral("GIL threads 0.97x, processes 1.94x on 2 cores"));
        QVERIFY(o.missing.isEmpty());
        // The same lesson on a measurement where GIL threads were faster: the answer follows it.
        o = evaluateLesson(*l, cpuResult(2.0), 2);
        QCOMPARE(o.correct, 0);
        o = evaluateLesson(*l, cpuResult(8.0), 2);
        QCOMPARE(o.correct, 2);
        // Not measured (the GIL run failed): no answer, and "–" in the notice.
        ExperimentResult failed = cpuResult(4.0);
        failed.runs[1].error = QStringLiteral("could not start");
        o = evaluateLesson(*l, failed, 2);
        QCOMPARE(o.correct, -1);
        QCOMPARE(o.missing, QStringList{QStringLiteral("speedup")});
        QVERIFY2(o.notice.startsWith(QStringLiteral("GIL threads –,")), qPrintable(o.notice));
    }

    // A lesson may ask for a figure of the workload's own (race-counter's lost updates), read
    // from the run's summary and shown with the figure's unit; a key the workload does not
    // report fails the check and lists the ones it does.
    void workloadFiguresAreMeasures()
    {
        const QByteArray text = "title: T\nclaim: \"C\"\npreset: race-counter\nmodels: threads\ncores: 2\n"
                                "question: Q?\n"
                                "figure: lost = lost_pct(threads @ unsynchronised)\n"
                                "figure: ns = ns_per_op(threads @ mutex)\n"
                                "choice: none | lost < 0.5\nchoice: many | otherwise\n"
                                "notice: lost {lost}, mutex {ns}\n";
        QString error;
        int line = 0;
        const auto l = parseLesson(text, &error, &line);
        QVERIFY2(l, qPrintable(error));
        QCOMPARE(l->figures[0].key, QStringLiteral("lost_pct"));
        QVERIFY(l->figures[1].key.isEmpty());

        ExperimentResult result;
        RunRecord r = run(QStringLiteral("threads"), 1.0, 2);
        r.variant = QStringLiteral("unsynchronised");
        auto s = std::make_shared<RaceCounterSummary>();
        s->method = QStringLiteral("unsynchronised");
        s->tasks = 2;
        s->increments = 500;
        s->expected = 1000;
        s->actual = 750;
        r.workloadSummary = s;
        result.runs.push_back(r);
        LessonOutcome o = evaluateLesson(*l, result, 2);
        QCOMPARE(o.values.value(QStringLiteral("lost")), std::optional<double>(25.0));
        QCOMPARE(o.correct, 1);
        QCOMPARE(o.notice, QStringLiteral("lost 25.0 %, mutex –"));
        QCOMPARE(o.missing, QStringList{QStringLiteral("ns")});

        // The run failed: its summary's figures are not measurements.
        result.runs[0].error = QStringLiteral("could not start");
        o = evaluateLesson(*l, result, 2);
        QVERIFY(!o.values.value(QStringLiteral("lost")));

        QVERIFY(!parseLesson(QByteArray(text).replace("lost_pct(", "lost_percent("), &error, &line));
        QVERIFY2(error.contains(QStringLiteral("unknown measure \"lost_percent\"")), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("figures of the race-counter workload: expected, actual, lost, lost_pct")),
                 qPrintable(error));
        QCOMPARE(line, 7);
    }

    // An experiment of variants gets one call-out per variant, its models side by side, and the
    // words of an outcome that went wrong (here by design: the lost updates).
    void variantCalloutsNameEachVariant()
    {
        ExperimentResult result;
        QString error;
        result.spec = *loadPreset(QStringLiteral("race-counter"), &error);
        result.machine.usableCores = 2;
        const auto add = [&](const QString &model, const QString &method, qint64 actual, double ns) {
            RunRecord r = run(model, 0.5, 2);
            r.variant = method;
            auto s = std::make_shared<RaceCounterSummary>();
            s->method = method;
            s->tasks = 2;
            s->increments = 500;
            s->expected = 1000;
            s->actual = actual;
            s->nsPerIncrement = ns;
            r.workloadSummary = s;
            result.runs.push_back(r);
        };
        add(QStringLiteral("threads"), QStringLiteral("unsynchronised"), 600, 0.25);
        add(QStringLiteral("processes"), QStringLiteral("unsynchronised"), 520, 0.2);
        add(QStringLiteral("threads"), QStringLiteral("mutex"), 1000, 59.6);

        const QStringList texts = calloutTexts(headlineCallouts(result));
        QCOMPARE(texts.size(), 2);
        QVERIFY2(texts[0].startsWith(QStringLiteral("Unsynchronised: Threads 0.25 ns · Processes 0.20 ns — Threads: lost 400")),
                 qPrintable(texts[0]));
        QCOMPARE(texts[1], QStringLiteral("Mutex: Threads 59.6 ns"));

        // Round trips in µs, written as µs (UTF-8: "Âµs" was printed).
        ExperimentResult ipc;
        ipc.spec = *loadPreset(QStringLiteral("ipc-cost"), &error);
        RunRecord r = run(QStringLiteral("sequential"), 0.1, 1);
        r.variant = QStringLiteral("pipe-64B");
        auto s = std::make_shared<IpcCostSummary>();
        s->transport = QStringLiteral("pipe");
        s->payloadBytes = 64;
        s->messages = s->requested = 10000;
        s->usPerMessage = 5.39;
        s->verified = true;
        r.workloadSummary = s;
        ipc.runs.push_back(r);
        QCOMPARE(calloutTexts(headlineCallouts(ipc, 2)).value(0), QStringLiteral("Pipe, 64 B: Sequential 5.39 µs"));
    }

    void coresNote()
    {
        QString error;
        int line = 0;
        auto l = parseLesson(kGoodLesson, &error, &line);
        QVERIFY(l);
        QVERIFY(lessonCoresNote(*l, 2).isEmpty());
        QVERIFY(lessonCoresNote(*l, 4).isEmpty());
        const QString note = lessonCoresNote(*l, 1);
        QVERIFY2(note.contains(QLatin1String("1 core(s)")) && note.contains(QLatin1String("needs 2")), qPrintable(note));
    }

    void cpuCallouts()
    {
        const QStringList lines = calloutTexts(headlineCallouts(cpuResult(4.1237), 2));
        const QString gil = modelDisplayName(QStringLiteral("gil-threads"));
        const QString procs = modelDisplayName(QStringLiteral("processes"));
        QVERIFY2(lines.contains(gil + QStringLiteral(": 0.97x — no speedup: only one thread runs Python code at a time")),
                 qPrintable(lines.join(QLatin1Char('\n'))));
        QVERIFY2(lines.contains(procs + QStringLiteral(": 1.94x on 2 cores — each process has its own interpreter and its own GIL")),
                 qPrintable(lines.join(QLatin1Char('\n'))));
        QVERIFY(lines.constFirst().contains(QLatin1String("4.00 s")));
        // A tiny-task baseline reads in the unit its size needs ("0.00 s" said nothing).
        for (const auto &[wall, text] : {std::pair{0.0031, "3.10 ms"}, std::pair{0.0412, "41.2 ms"}, std::pair{0.5, "500 ms"},
                                         std::pair{0.00085, "850 µs"}, std::pair{12.34, "12.3 s"}}) {
            ExperimentResult tiny = cpuResult(4.1237);
            tiny.runs.front().wall_s = wall;
            const QString first = calloutTexts(headlineCallouts(tiny, 2)).constFirst();
            QVERIFY2(first.contains(QString::fromUtf8(text)), qPrintable(first));
        }
        // A pool's measured cost of messages is said where it matters, with where its largest
        // part went ("most of it" only where that is at least half); where it is small or was
        // not measured, nothing is added.
        {
            ExperimentResult tiny = cpuResult(4.1237);
            RunRecord &p = tiny.runs.back();
            p.wall_s = 40.0;  // 0.1x: no gain
            IpcSplit ipc;
            ipc.dispatchShare = 0.94;
            std::tie(ipc.startShare, ipc.gapsShare, ipc.endShare) = std::tuple(0.12, 0.75, 0.07);
            p.ipc = ipc;
            const auto procsLine = [&] {
                for (const QString &l : calloutTexts(headlineCallouts(tiny, 2)))
                    if (l.startsWith(procs))
                        return l;
                return QString();
            };
            QCOMPARE(procsLine(), procs + QStringLiteral(": 0.10x on 2 cores — no gain: starting processes and sending them "
                                                         "the work cost more than the parallel part saved; 94 % of the "
                                                         "workers' time went to messages, most of it between one and the next"));
            std::tie(p.ipc->startShare, p.ipc->gapsShare, p.ipc->endShare) = std::tuple(0.13, 0.05, 0.12);
            p.ipc->dispatchShare = 0.30;
            QVERIFY2(procsLine().endsWith(
                         QLatin1String("; 30 % of the workers' time went to messages, the largest part before the first task started")),
                     qPrintable(procsLine()));
            std::tie(p.ipc->startShare, p.ipc->gapsShare, p.ipc->endShare) = std::tuple(0.05, 0.05, 0.20);
            QVERIFY2(procsLine().endsWith(QLatin1String(", most of it on the answers' way back")), qPrintable(procsLine()));
            p.ipc->startShare = -1;  // a file from before the split: the share alone
            QVERIFY2(procsLine().endsWith(QLatin1String("; 30 % of the workers' time went to messages")), qPrintable(procsLine()));
            p.ipc->dispatchShare = 0.001;  // the seed's cruncher: not worth a word
            QVERIFY2(procsLine().endsWith(QLatin1String("the parallel part saved")), qPrintable(procsLine()));
        }
        // A GIL run that beat one thread is not explained away as "no speedup".
        const QStringList fast = calloutTexts(headlineCallouts(cpuResult(2.5), 2));
        QVERIFY(!fast.join(QLatin1Char('\n')).contains(QLatin1String("no speedup")));
        // One usable core: the limit is said.
        const std::vector<Callout> one = headlineCallouts(cpuResult(4.1237), 1);
        QVERIFY(one.back().caveat);
        QVERIFY2(calloutTexts(one).join(QLatin1Char('\n')).contains(QLatin1String("on 1 core")), "processes on 1 core");
    }

    // No baseline ran (models side by side, as condition-queue): each model's wall time and the
    // first figures of its workload, not an empty panel.
    void withoutABaselineFiguresSpeak()
    {
        ExperimentResult result;
        QString error;
        result.spec = *loadPreset(QStringLiteral("condition-queue"), &error);
        RunRecord r = run(QStringLiteral("threads"), 0.104, 4);
        auto s = std::make_shared<RaceCounterSummary>();
        s->expected = 1000;
        s->actual = 600;
        r.workloadSummary = s;
        result.runs.push_back(r);
        RunRecord failed = r;
        failed.model = QStringLiteral("processes");
        failed.error = QStringLiteral("boom");
        result.runs.push_back(failed);
        const QStringList texts = calloutTexts(headlineCallouts(result, 2));
        QCOMPARE(texts, QStringList{QStringLiteral("Threads: 104 ms — expected 1,000, counted 600")});
    }

    void cancelledAndFailedRunsSayNothing()
    {
        ExperimentResult r = cpuResult(4.0);
        r.runs[2].cancelled = true;
        r.runs[1].error = QStringLiteral("boom");
        const QStringList lines = calloutTexts(headlineCallouts(r, 2));
        QCOMPARE(lines.size(), 1);  // only the baseline
    }

    void ioCallouts()
    {
        ExperimentResult r;
        r.spec.workload = QStringLiteral("io");
        r.runs = {run(QStringLiteral("sequential"), 2.7, 1), run(QStringLiteral("gil-threads"), 0.4, 9),
                  run(QStringLiteral("async"), 0.39, 9)};
        const QString all = calloutTexts(headlineCallouts(r, 2)).join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("6.75x — waits overlap even under the GIL")), qPrintable(all));
        QVERIFY2(all.contains(QLatin1String("one thread keeps 9 waits in flight")), qPrintable(all));
    }

    void convoyCalloutsShowLatency()
    {
        ExperimentResult r;
        r.spec.workload = QStringLiteral("convoy");
        r.spec.gil.switchIntervalMs = 5;
        r.runs = {convoyRun(QStringLiteral("threads"), 31, 29), convoyRun(QStringLiteral("gil-threads"), 5200, 29)};
        r.runs[1].gil = GilStats{};
        r.runs[1].gil->switchesPerS = 191;
        r.runs[1].gil->spans = {{0, 0.0, 0.005}, {1, 0.005, 0.0102}, {0, 0.0102, 0.0153}};
        const QStringList lines = calloutTexts(headlineCallouts(r, 2));
        const QString all = lines.join(QLatin1Char('\n'));
        QVERIFY2(!all.contains(QLatin1String("n/a")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral(": round trip 5.20 ms beside the CPU thread — 29 µs alone, 179x slower")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("round trip 31 µs beside the CPU thread — 29 µs alone: no convoy, no GIL")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("191 GIL switches per second — a thread holds the GIL 5.10 ms at a time")), qPrintable(all));
        // No convoy under the GIL while other programs took a fifth of a core: the screen says
        // why, instead of teaching that the GIL costs an I/O thread nothing.
        ExperimentResult busy = r;
        busy.runs[1] = convoyRun(QStringLiteral("gil-threads"), 35, 33);
        busy.runs[1].foreign_busy_cores = 0.21;
        const QString busyText = calloutTexts(headlineCallouts(busy, 2)).join(QLatin1Char('\n'));
        QVERIFY2(busyText.contains(QStringLiteral("no convoy on this run: other programs used 0.21 cores")), qPrintable(busyText));
        busy.runs[1].foreign_busy_cores = 0.0;
        const QString quietText = calloutTexts(headlineCallouts(busy, 2)).join(QLatin1Char('\n'));
        QVERIFY2(quietText.contains(QStringLiteral("33 µs alone: no convoy\n")) || quietText.endsWith(QStringLiteral("33 µs alone: no convoy")),
                 qPrintable(quietText));
    }
};

QTEST_GUILESS_MAIN(TestLessons)
#include "tst_lessons.moc"
