#include "appoptions.h"

#include <QtTest>

// The app's command line as the menu entry uses it ("concurrency-lab %F"): a file argument is
// --open FILE; everything that was an error stays one.
class TestAppOptions : public QObject {
    Q_OBJECT

    struct Parsed {
        bool ok = false;
        int exitCode = -1;
        QString error;
        lab::AppOptions options;
    };
    static Parsed parse(const QStringList &args)
    {
        Parsed p;
        p.ok = lab::AppOptions::parse(QStringList{QStringLiteral("concurrency-lab")} + args, &p.options, &p.error,
                                      &p.exitCode);
        return p;
    }

private Q_SLOTS:
    void fileArgumentIsOpen()
    {
        Parsed p = parse({QStringLiteral("saved.clab.json")});
        QVERIFY2(p.ok, qPrintable(p.error));
        QCOMPARE(p.options.open, QStringLiteral("saved.clab.json"));
        QVERIFY(p.options.scripted());
        QVERIFY(!p.options.quitWhenDone);
        const Parsed viaOption = parse({QStringLiteral("--open"), QStringLiteral("saved.clab.json")});
        QVERIFY(viaOption.ok);
        QCOMPARE(viaOption.options.open, p.options.open);
        p = parse({QStringLiteral("--preset"), QStringLiteral("cpu-quick"), QStringLiteral("r.json"),
                   QStringLiteral("--quit-when-done")});
        QVERIFY2(p.ok, qPrintable(p.error));
        QCOMPARE(p.options.open, QStringLiteral("r.json"));
        QCOMPARE(p.options.preset, QStringLiteral("cpu-quick"));
        QVERIFY(p.options.quitWhenDone);
        p = parse({});
        QVERIFY(p.ok);
        QVERIFY(p.options.open.isEmpty());
        QVERIFY(!p.options.scripted());
    }

    void oneResultAtATime()
    {
        Parsed p = parse({QStringLiteral("a.json"), QStringLiteral("b.json")});
        QVERIFY(!p.ok);
        QCOMPARE(p.exitCode, 2);
        QCOMPARE(p.error, QStringLiteral("unexpected argument \"b.json\" (see --help)"));
        p = parse({QStringLiteral("--open"), QStringLiteral("a.json"), QStringLiteral("b.json")});
        QVERIFY(!p.ok);
        QCOMPARE(p.exitCode, 2);
        QVERIFY2(p.error.contains(QLatin1String("\"b.json\"")), qPrintable(p.error));
        p = parse({QStringLiteral("a.json"), QStringLiteral("--run")});
        QVERIFY(!p.ok);
        QCOMPARE(p.exitCode, 2);
        QVERIFY2(p.error.contains(QLatin1String("\"a.json\"")) && p.error.contains(QLatin1String("--run")),
                 qPrintable(p.error));
    }

    void existingErrorsStay()
    {
        Parsed p = parse({QStringLiteral("--open"), QStringLiteral("a.json"), QStringLiteral("--run")});
        QVERIFY(!p.ok);
        QCOMPARE(p.error, QStringLiteral("--open shows a saved experiment; it cannot be combined with --run"));
        p = parse({QStringLiteral("--size"), QStringLiteral("big")});
        QVERIFY(!p.ok);
        QCOMPARE(p.exitCode, 2);
        QVERIFY(p.error.contains(QLatin1String("--size")));
        p = parse({QStringLiteral("--theme"), QStringLiteral("pink")});
        QVERIFY(!p.ok);
        QVERIFY(p.error.contains(QLatin1String("--theme")));
        p = parse({QStringLiteral("--no-such-option")});
        QVERIFY(!p.ok);
        QCOMPARE(p.exitCode, 2);
        p = parse({QStringLiteral("--help")});
        QVERIFY(!p.ok);
        QCOMPARE(p.exitCode, 0);
        QVERIFY(p.error.contains(QLatin1String("FILE")));
    }
};

QTEST_GUILESS_MAIN(TestAppOptions)
#include "tst_appoptions.moc"
