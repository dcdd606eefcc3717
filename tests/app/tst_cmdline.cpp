#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

// The scripted command line of the built app, as a real child process (-platform offscreen).
class TestCmdLine : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_app;
    QString m_spec;

    struct Outcome {
        int exitCode = -1;
        bool finished = false;
        QString out, err;
    };

    Outcome runApp(const QStringList &args, int timeoutMs = 90000)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
        p.setProcessEnvironment(env);
        p.start(m_app, QStringList{QStringLiteral("-platform"), QStringLiteral("offscreen")} + args);
        Outcome o;
        if (!p.waitForStarted(10000))
            return o;
        o.finished = p.waitForFinished(timeoutMs);
        if (!o.finished) {
            p.kill();
            p.waitForFinished(5000);
        }
        o.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        o.out = QString::fromUtf8(p.readAllStandardOutput());
        o.err = QString::fromUtf8(p.readAllStandardError());
        return o;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_app = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("concurrency-lab"));
        QVERIFY2(QFileInfo(m_app).isExecutable(), qPrintable(m_app));
        const QJsonObject spec{
            {QStringLiteral("name"), QStringLiteral("cmdline")},
            {QStringLiteral("workload"),
             QJsonObject{{QStringLiteral("kind"), QStringLiteral("cpu")},
                         {QStringLiteral("numbers"),
                          QJsonObject{{QStringLiteral("start"), 2000000}, {QStringLiteral("count"), 8}}},
                         {QStringLiteral("repeat"), 8}}},
            {QStringLiteral("models"),
             QJsonArray{QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("processes")}},
            {QStringLiteral("workers"), 2}};
        m_spec = m_dir.filePath(QStringLiteral("cmdline.json"));
        QFile f(m_spec);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(spec).toJson());
    }

    void runExportsAndQuits()
    {
        const QString out = m_dir.filePath(QStringLiteral("out"));
        const QString shot = m_dir.filePath(QStringLiteral("shot.png"));
        const Outcome o = runApp({QStringLiteral("--preset"), m_spec, QStringLiteral("--run"), QStringLiteral("--export-dir"),
                                  out, QStringLiteral("--screenshot"), shot, QStringLiteral("--size"),
                                  QStringLiteral("1280x800"), QStringLiteral("--quit-when-done")});
        QVERIFY2(o.finished, qPrintable(o.err));
        QVERIFY2(o.exitCode == 0, qPrintable(QStringLiteral("exit %1: %2").arg(o.exitCode).arg(o.err)));
        for (const QString &chart : {QStringLiteral("cpu"), QStringLiteral("throughput"), QStringLiteral("timeline"),
                                     QStringLiteral("comparison")}) {
            const QImage png(QDir(out).filePath(chart + QStringLiteral(".png")));
            QVERIFY2(!png.isNull(), qPrintable(chart));
            QVERIFY(png.width() >= 800);
            QFile svg(QDir(out).filePath(chart + QStringLiteral(".svg")));
            QVERIFY2(svg.open(QIODevice::ReadOnly), qPrintable(chart));
            QVERIFY(svg.readAll().contains("<svg"));
        }
        QFile json(QDir(out).filePath(QStringLiteral("results.json")));
        QVERIFY(json.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(json.readAll()).object();
        const QJsonArray runs = doc.value(QStringLiteral("runs")).toArray();
        QCOMPARE(runs.size(), 3);
        for (const QJsonValue &v : runs) {
            const QJsonObject r = v.toObject();
            QVERIFY(r.value(QStringLiteral("verified")).toBool());
            QVERIFY(r.value(QStringLiteral("ui_lag_p99_ms")).toDouble(-1) >= 0);
        }
        QFile csv(QDir(out).filePath(QStringLiteral("results.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QCOMPARE(csv.readAll().count('\n'), 4);  // header + 3 runs
        QVERIFY(QFileInfo(QDir(out).filePath(QStringLiteral("results.tasks.csv"))).size() > 0);
        QVERIFY(QFileInfo(QDir(out).filePath(QStringLiteral("trace.json"))).size() > 0);
        const QImage screenshot(shot);
        QVERIFY(!screenshot.isNull());
        QCOMPARE(screenshot.size(), QSize(1280, 800));
    }

    void badPresetFailsWithMessage()
    {
        const Outcome o = runApp({QStringLiteral("--preset"), QStringLiteral("no-such-preset"), QStringLiteral("--run"),
                                  QStringLiteral("--quit-when-done")},
                                 30000);
        QVERIFY(o.finished);
        QCOMPARE(o.exitCode, 2);
        QVERIFY2(o.err.contains(QLatin1String("unknown preset")), qPrintable(o.err));
    }

    void badSpecFileFailsWithMessage()
    {
        const QString bad = m_dir.filePath(QStringLiteral("bad.json"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[1, 2");
        f.close();
        const Outcome o = runApp({QStringLiteral("--preset"), bad, QStringLiteral("--run"), QStringLiteral("--quit-when-done")},
                                 30000);
        QVERIFY(o.finished);
        QCOMPARE(o.exitCode, 2);
        QVERIFY2(o.err.contains(QLatin1String("bad.json")), qPrintable(o.err));
    }

    // --open shows a saved result (here one the CLI wrote, schema 1) in every chart and takes a
    // screenshot; what is not a result is refused with one message and exit 2.
    void openShowsASavedResult()
    {
        const QString shot = m_dir.filePath(QStringLiteral("open-shot.png"));
        Outcome o = runApp({QStringLiteral("--open"), m_dir.filePath(QStringLiteral("missing.json")), QStringLiteral("--screenshot"),
                            shot, QStringLiteral("--quit-when-done")},
                           30000);
        QVERIFY(o.finished);
        QCOMPARE(o.exitCode, 2);
        QVERIFY2(o.err.contains(QLatin1String("missing.json")), qPrintable(o.err));
        QVERIFY(!QFileInfo::exists(shot));
        o = runApp({QStringLiteral("--open"), m_spec, QStringLiteral("--quit-when-done")}, 30000);
        QCOMPARE(o.exitCode, 2);
        QVERIFY2(o.err.contains(QLatin1String("not a Concurrency Lab result")), qPrintable(o.err));
        const QString exportDir = m_dir.filePath(QStringLiteral("open-export"));
        o = runApp({QStringLiteral("--open"), QStringLiteral(LAB_TEST_DATA_DIR "/result-v1-io-seed.json"), QStringLiteral("--size"),
                    QStringLiteral("1024x768"), QStringLiteral("--screenshot"), shot, QStringLiteral("--export-dir"), exportDir,
                    QStringLiteral("--quit-when-done")},
                   60000);
        QVERIFY(o.finished);
        QVERIFY2(o.exitCode == 0, qPrintable(o.err));
        QVERIFY(QFileInfo(shot).size() > 10000);
        QVERIFY(QFileInfo::exists(exportDir + QStringLiteral("/results.json")));
        o = runApp({QStringLiteral("--open"), m_spec, QStringLiteral("--run")}, 30000);
        QCOMPARE(o.exitCode, 2);
        QVERIFY2(o.err.contains(QLatin1String("--open")), qPrintable(o.err));
    }

    void badOptionsAndHelp()
    {
        Outcome o = runApp({QStringLiteral("--no-such-option")}, 30000);
        QVERIFY(o.finished);
        QCOMPARE(o.exitCode, 2);
        QVERIFY(!o.err.isEmpty());
        o = runApp({QStringLiteral("--size"), QStringLiteral("big")}, 30000);
        QCOMPARE(o.exitCode, 2);
        QVERIFY2(o.err.contains(QLatin1String("--size")), qPrintable(o.err));
        o = runApp({QStringLiteral("--preset"), m_spec, QStringLiteral("--models"), QStringLiteral("sequential,bogus"),
                    QStringLiteral("--run"), QStringLiteral("--quit-when-done")},
                   30000);
        QCOMPARE(o.exitCode, 2);
        QVERIFY2(o.err.contains(QLatin1String("unknown model \"bogus\"")), qPrintable(o.err));
        o = runApp({QStringLiteral("--help")}, 30000);
        QCOMPARE(o.exitCode, 0);
        QVERIFY(o.out.contains(QLatin1String("--export-dir")));
        QVERIFY(o.out.contains(QLatin1String("--open")));
    }

    void helpNeedsNoDisplay()
    {
        // No display at all and no -platform: --help and --version still answer.
        for (const QString &arg : {QStringLiteral("--help"), QStringLiteral("--version")}) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            for (const char *v : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
                env.remove(QString::fromLatin1(v));
            p.setProcessEnvironment(env);
            p.start(m_app, {arg});
            QVERIFY(p.waitForStarted(10000));
            QVERIFY(p.waitForFinished(30000));
            QCOMPARE(p.exitStatus(), QProcess::NormalExit);
            QCOMPARE(p.exitCode(), 0);
            const QString out = QString::fromUtf8(p.readAllStandardOutput());
            QVERIFY2(out.contains(arg == QLatin1String("--help") ? QLatin1String("--screenshot") : QLatin1String("concurrency-lab")),
                     qPrintable(out + QString::fromUtf8(p.readAllStandardError())));
        }
    }
};

QTEST_GUILESS_MAIN(TestCmdLine)
#include "tst_cmdline.moc"
