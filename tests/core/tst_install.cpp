#include "labconfig.h"
#include "util/sysinfo.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMimeDatabase>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

// What the install ships beside the programs (data/, cmake/labinstall.cmake) stays in step with
// them: man pages with --help, release entries with the project version, the MIME type with the
// files the programs write; and the programs find each other in the installed layout.
class TestInstall : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_dataHome;

    static QString dataSource(const QString &rel) { return QStringLiteral(LAB_SOURCE_DIR "/data/") + rel; }
    // configure_file output (cmake/labinstall.cmake): the build tree's data/, beside bin/.
    static QString dataBuilt(const QString &rel)
    {
        return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../data/") + rel);
    }

    static QByteArray readAll(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    struct Outcome {
        bool finished = false;
        int exitCode = -1;
        QString output;  // stdout and stderr
    };
    static Outcome run(const QString &program, const QStringList &args, const QString &cwd = {})
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        if (!cwd.isEmpty())
            p.setWorkingDirectory(cwd);
        p.start(program, args);
        Outcome o;
        o.finished = p.waitForFinished(120000);
        if (!o.finished) {
            p.kill();
            p.waitForFinished(5000);
        }
        o.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        o.output = QString::fromUtf8(p.readAll());
        return o;
    }

    static QSet<QString> longOptions(const QString &text)
    {
        static const QRegularExpression re(QStringLiteral("(?<![\\w-])--[a-z][a-z0-9-]*"));
        QSet<QString> out;
        for (auto it = re.globalMatch(text); it.hasNext();)
            out.insert(it.next().captured(0));
        return out;
    }

    // The man page as text: roff's "\-" is a dash, font changes (\fB, \fI, \fR, \fP) go.
    static QString manText(const QByteArray &roff)
    {
        QString s = QString::fromUtf8(roff);
        s.replace(QStringLiteral("\\-"), QStringLiteral("-"));
        static const QRegularExpression font(QStringLiteral("\\\\f[BIRP]"));
        s.remove(font);
        return s;
    }

    static QString sorted(const QSet<QString> &set)
    {
        QStringList l(set.begin(), set.end());
        l.sort();
        return l.join(QLatin1Char(' '));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // The MIME database of the results type alone, read by QMimeDatabase before the system's.
        m_dataHome = m_dir.filePath(QStringLiteral("share"));
        QVERIFY(QDir().mkpath(m_dataHome + QStringLiteral("/mime/packages")));
        QVERIFY(QFile::copy(dataBuilt(QStringLiteral("concurrency-lab.xml")),
                            m_dataHome + QStringLiteral("/mime/packages/concurrency-lab.xml")));
        // Set before anything reads it (update-mime-database checks it is searched, QMimeDatabase
        // reads it once).
        qputenv("XDG_DATA_HOME", QFile::encodeName(m_dataHome));
        const QString update = QStandardPaths::findExecutable(QStringLiteral("update-mime-database"));
        QVERIFY2(!update.isEmpty(), "update-mime-database (shared-mime-info, scripts/deps.sh) not found");
        const Outcome o = run(update, {m_dataHome + QStringLiteral("/mime")});
        QVERIFY2(o.exitCode == 0 && o.output.trimmed().isEmpty(), qPrintable(o.output));
    }

    void manPagesListTheOptionsOfHelp_data()
    {
        QTest::addColumn<QString>("program");
        QTest::addColumn<QStringList>("helpArgs");
        QTest::newRow("concurrency-lab") << QStringLiteral("concurrency-lab")
                                         << QStringList{QStringLiteral("-platform"), QStringLiteral("offscreen"),
                                                        QStringLiteral("--help")};
        QTest::newRow("concurrency-lab-cli") << QStringLiteral("concurrency-lab-cli") << QStringList{QStringLiteral("--help")};
        QTest::newRow("concurrency-lab-server") << QStringLiteral("concurrency-lab-server")
                                                << QStringList{QStringLiteral("--help")};
    }

    // Every option --help lists is in the man page and every option the man page names is in
    // --help, except --help and --version themselves where the usage text does not list them:
    // those the program must accept (exit 0).
    void manPagesListTheOptionsOfHelp()
    {
        QFETCH(QString, program);
        QFETCH(QStringList, helpArgs);
        const QString exe = lab::siblingExecutable(program);
        QVERIFY2(!exe.isEmpty(), qPrintable(program + QStringLiteral(" not built")));
        const Outcome help = run(exe, helpArgs);
        QVERIFY2(help.exitCode == 0, qPrintable(help.output));
        const QSet<QString> inHelp = longOptions(help.output);
        QVERIFY2(inHelp.size() >= 3, qPrintable(help.output));
        const QByteArray roff = readAll(dataSource(QStringLiteral("man/%1.1").arg(program)));
        QVERIFY(!roff.isEmpty());
        const QSet<QString> inMan = longOptions(manText(roff));
        const QSet<QString> missing = inHelp - inMan;
        QVERIFY2(missing.isEmpty(), qPrintable(QStringLiteral("options of --help missing from the man page: ") + sorted(missing)));
        const QSet<QString> extra = inMan - inHelp;
        for (const QString &opt : extra) {
            QVERIFY2(opt == QLatin1String("--help") || opt == QLatin1String("--version"),
                     qPrintable(QStringLiteral("the man page names %1, which --help does not list").arg(opt)));
            QStringList args = helpArgs;
            args.last() = opt;
            const Outcome o = run(exe, args);
            QVERIFY2(o.exitCode == 0, qPrintable(QStringLiteral("%1 %2: exit %3 %4").arg(program, opt).arg(o.exitCode).arg(o.output)));
        }
        // The page's header names this version.
        QVERIFY2(roff.contains("\"Concurrency Lab " LAB_VERSION "\""), qPrintable(program));
    }

    // A new version needs its release entry (AppStream) and changelog entry (the .deb).
    void releaseNotesNameThisVersion()
    {
        const QByteArray metainfo = readAll(dataSource(QStringLiteral("concurrency-lab.metainfo.xml.in")));
        const qsizetype first = metainfo.indexOf("<release ");
        QVERIFY(first > 0);
        QVERIFY2(metainfo.mid(first, 40).contains("version=\"" LAB_VERSION "\""), metainfo.mid(first, 60).constData());
        const QByteArray changelog = readAll(dataSource(QStringLiteral("changelog")));
        QVERIFY2(changelog.startsWith("concurrency-lab (" LAB_VERSION ") "), changelog.left(60).constData());
    }

    void resultFilesHaveTheirMimeType()
    {
        QMimeDatabase db;
        const QMimeType type = db.mimeTypeForName(QStringLiteral(LAB_RESULT_MIME));
        QVERIFY2(type.isValid(), LAB_RESULT_MIME);
        QVERIFY(type.inherits(QStringLiteral("application/json")));
        QVERIFY(type.suffixes().contains(QStringLiteral(LAB_RESULT_SUFFIX).mid(1)));

        const QByteArray v2 = readAll(QStringLiteral(LAB_TEST_DATA_DIR "/result-v2-cpu-quick.json"));
        const QByteArray v1 = readAll(QStringLiteral(LAB_TEST_DATA_DIR "/result-v1-io-seed.json"));
        const QByteArray spec = readAll(QStringLiteral(LAB_SOURCE_DIR "/resources/presets/cpu-quick.json"));
        QVERIFY(!v2.isEmpty() && !v1.isEmpty() && !spec.isEmpty());
        const auto typeOf = [&](const QString &name, const QByteArray &content) {
            const QString path = m_dir.filePath(name);
            QFile f(path);
            if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
                return QStringLiteral("cannot write %1").arg(path);
            f.close();
            return db.mimeTypeForFile(path).name();
        };
        // By name: the results' own ending, whatever the content.
        QCOMPARE(typeOf(QStringLiteral("a") + QStringLiteral(LAB_RESULT_SUFFIX), v2), QStringLiteral(LAB_RESULT_MIME));
        QCOMPARE(typeOf(QStringLiteral("empty") + QStringLiteral(LAB_RESULT_SUFFIX), QByteArray()),
                 QStringLiteral(LAB_RESULT_MIME));
        // By content, where the name says nothing: schema 2 and schema 1 results, not a spec.
        QCOMPARE(typeOf(QStringLiteral("result-v2"), v2), QStringLiteral(LAB_RESULT_MIME));
        QCOMPARE(typeOf(QStringLiteral("result-v1"), v1), QStringLiteral(LAB_RESULT_MIME));
        QVERIFY(typeOf(QStringLiteral("spec"), spec) != QLatin1String(LAB_RESULT_MIME));
        // A plain .json stays JSON (it still loads in the app; only the double-click differs).
        QCOMPARE(typeOf(QStringLiteral("spec.json"), spec), QStringLiteral("application/json"));
    }

    // The installed layout: user programs in bin/, the worker in libexec/concurrency-lab/. The CLI
    // copied there runs the processes model from another folder; without the worker it says so,
    // and never falls back to the build tree's.
    void installedLayoutFindsTheWorker()
    {
        const QString prefix = m_dir.filePath(QStringLiteral("prefix"));
        const QString bin = prefix + QStringLiteral("/bin");
        const QString helpers = QDir::cleanPath(bin + QLatin1Char('/') + QStringLiteral(LAB_BIN_TO_LIBEXEC));
        QVERIFY(helpers.startsWith(prefix + QLatin1Char('/')));
        QVERIFY(QDir().mkpath(bin) && QDir().mkpath(helpers));
        const QString cli = bin + QStringLiteral("/concurrency-lab-cli");
        const QString worker = helpers + QStringLiteral("/concurrency-lab-worker");
        QVERIFY(QFile::copy(lab::siblingExecutable(QStringLiteral("concurrency-lab-cli")), cli));
        QVERIFY(QFile::copy(lab::siblingExecutable(QStringLiteral("concurrency-lab-worker")), worker));
        const QStringList args{QStringLiteral("run"), QStringLiteral("cpu-quick"), QStringLiteral("--models"),
                               QStringLiteral("processes"), QStringLiteral("--workers"), QStringLiteral("2"),
                               QStringLiteral("--quiet")};
        Outcome o = run(cli, args, m_dir.path());
        QVERIFY2(o.exitCode == 0, qPrintable(o.output));
        QVERIFY2(o.output.contains(QLatin1String("processes")) && o.output.contains(QLatin1String("yes")),
                 qPrintable(o.output));
        QVERIFY(QFile::remove(worker));
        o = run(cli, args, m_dir.path());
        QVERIFY2(o.exitCode != 0, qPrintable(o.output));
        QVERIFY2(o.output.contains(QLatin1String("concurrency-lab-worker")), qPrintable(o.output));
    }
};

QTEST_GUILESS_MAIN(TestInstall)
#include "tst_install.moc"
