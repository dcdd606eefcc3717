#include "experiment/presets.h"
#include "models/executionmodel.h"
#include "workloads/cpu/cpuworkload.h"

#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace lab;

namespace {

// What is wrong with a preset's model list ("" when every model it names runs its workload).
QString modelProblem(const ExperimentSpec &spec)
{
    QString error;
    const QStringList models = resolveModels(spec, &error);
    if (!error.isEmpty())
        return error;
    if (models.isEmpty())
        return QStringLiteral("no model to run");
    if (!spec.models.isEmpty() && models.size() != spec.models.size())
        return QStringLiteral("%1 models named, %2 resolved").arg(spec.models.size()).arg(models.size());
    return {};
}

} // namespace

class TestSpec : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyPresetLoads()
    {
        const QStringList names = presetNames();
        QVERIFY(names.contains(QStringLiteral("cpu-seed")));
        QVERIFY(names.contains(QStringLiteral("cpu-quick")));
        for (const QString &n : names) {
            QString error;
            const auto spec = loadPreset(n, &error);
            QVERIFY2(spec, qPrintable(n + QStringLiteral(": ") + error));
            QCOMPARE(spec->name, n);
            const QString problem = modelProblem(*spec);
            QVERIFY2(problem.isEmpty(), qPrintable(n + QStringLiteral(": ") + problem));
        }
    }

    // The check above fails a preset that names an unknown model or one its workload cannot use.
    void presetModelCheckCatchesBadModels()
    {
        QString error;
        auto spec = ExperimentSpec::fromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":{"start":10,"count":2}}})", &error);
        QVERIFY2(spec, qPrintable(error));
        QCOMPARE(modelProblem(*spec), QString());
        spec->models = {QStringLiteral("threads"), QStringLiteral("fibers")};
        QVERIFY2(modelProblem(*spec).contains(QStringLiteral("unknown model \"fibers\"")), qPrintable(modelProblem(*spec)));
        spec->models = {QStringLiteral("threads"), QStringLiteral("async")};  // async runs I/O only
        QVERIFY2(modelProblem(*spec).contains(QStringLiteral("cannot run")), qPrintable(modelProblem(*spec)));
        spec->models = {QStringLiteral("threads"), QStringLiteral("threads")};
        QVERIFY(!modelProblem(*spec).isEmpty());
    }

    void cpuSeedIsTheSeed()
    {
        QString error;
        const auto spec = loadPreset(QStringLiteral("cpu-seed"), &error);
        QVERIFY(spec);
        const std::vector<quint64> numbers = CpuWorkload::numbers(spec->params);
        QCOMPARE(numbers.size(), size_t(20));
        QCOMPARE(numbers.front(), quint64(5000000));
        QCOMPARE(numbers.back(), quint64(5000019));
        const auto tasks = spec->makeTasks();
        QCOMPARE(tasks.size(), size_t(20));
        QCOMPARE(tasks[3].id, 3);
        QCOMPARE(tasks[3].workload, QStringLiteral("cpu"));
        QCOMPARE(tasks[3].integer(QLatin1String("n")), qint64(5000003));
    }

    void roundTrip()
    {
        QString error;
        const auto spec = loadPreset(QStringLiteral("cpu-quick"), &error);
        QVERIFY(spec);
        const QByteArray json = QJsonDocument(spec->toJson()).toJson();
        const auto again = ExperimentSpec::fromJson(json, &error);
        QVERIFY2(again, qPrintable(error));
        QCOMPARE(again->workload, spec->workload);
        QCOMPARE(again->params, spec->params);
        QCOMPARE(again->models, spec->models);
    }

    void badInput_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("malformed") << QByteArray("{\n  \"workload\": {\"kind\": \"cpu\",,}\n}")
                                   << QStringLiteral("line 2, column");
        QTest::newRow("not object") << QByteArray("[1,2]") << QStringLiteral("must be a JSON object");
        QTest::newRow("no workload") << QByteArray("{}") << QStringLiteral("missing \"workload\"");
        QTest::newRow("kind") << QByteArray(R"({"workload":{"kind":"gpu"}})") << QStringLiteral("unknown workload.kind");
        QTest::newRow("negative n") << QByteArray(R"({"workload":{"kind":"cpu","numbers":[5,-3]}})")
                                    << QStringLiteral("workload.numbers[1] must not be negative");
        QTest::newRow("fraction") << QByteArray(R"({"workload":{"kind":"cpu","numbers":[2.5]}})")
                                  << QStringLiteral("whole number");
        QTest::newRow("string n") << QByteArray(R"({"workload":{"kind":"cpu","numbers":["5"]}})")
                                  << QStringLiteral("must be a number");
        QTest::newRow("huge n") << QByteArray(R"({"workload":{"kind":"cpu","numbers":[1e15]}})")
                                << QStringLiteral("too large");
        QTest::newRow("days of work") << QByteArray(R"({"workload":{"kind":"cpu","numbers":[1000000000000],"repeat":1000}})")
                                      << QStringLiteral("hours sequentially");
        QTest::newRow("empty numbers") << QByteArray(R"({"workload":{"kind":"cpu","numbers":[]}})")
                                       << QStringLiteral("nothing to compute");
        QTest::newRow("workers 0 ok, 257 not") << QByteArray(R"({"workload":{"kind":"cpu","numbers":[5]},"workers":257})")
                                               << QStringLiteral("workers = 257 is out of range");
        QTest::newRow("workers text") << QByteArray(R"({"workload":{"kind":"cpu","numbers":[5]},"workers":"two"})")
                                      << QStringLiteral("workers must be a whole number");
        QTest::newRow("interval") << QByteArray(R"({"workload":{"kind":"cpu","numbers":[5]},"gil":{"switch_interval_ms":0}})")
                                  << QStringLiteral("switch_interval_ms");
        QTest::newRow("io no urls") << QByteArray(R"({"workload":{"kind":"io","urls":[]}})")
                                    << QStringLiteral("workload.urls");
    }
    void badInput()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        QString error;
        QVERIFY(!ExperimentSpec::fromJson(json, &error));
        QVERIFY2(error.contains(expected), qPrintable(error));
        QVERIFY(!error.contains(QLatin1Char('\n')));
    }

    void unknownModelNamed()
    {
        QString error;
        auto spec = ExperimentSpec::fromJson(R"({"workload":{"kind":"cpu","numbers":[5]},"models":["fibers"]})", &error);
        QVERIFY(spec);
        QVERIFY(resolveModels(*spec, &error).isEmpty());
        QVERIFY2(error.contains(QStringLiteral("unknown model \"fibers\"")), qPrintable(error));
    }

    void defaultWorkersAreOnlineCores()
    {
        QString error;
        auto spec = ExperimentSpec::fromJson(R"({"workload":{"kind":"cpu","numbers":[5]}})", &error);
        QVERIFY(spec);
        QCOMPARE(spec->effectiveWorkers(), QThread::idealThreadCount());
    }

    void fileErrors()
    {
        QString error;
        QVERIFY(!loadSpec(QStringLiteral("/nonexistent/spec.json"), &error));
        QVERIFY2(error.contains(QStringLiteral("no such file")), qPrintable(error));
        QVERIFY(!loadSpec(QStringLiteral("no-such-preset"), &error));
        QVERIFY2(error.contains(QStringLiteral("unknown preset")) && error.contains(QStringLiteral("cpu-seed")),
                 qPrintable(error));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("bad.json"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"workload\": ");
        f.close();
        QVERIFY(!loadSpec(path, &error));
        QVERIFY2(error.startsWith(QStringLiteral("bad.json: malformed JSON at line 1")), qPrintable(error));
        QFile::setPermissions(path, QFileDevice::WriteOwner);
        if (!QFile(path).open(QIODevice::ReadOnly)) {  // root can read anything: only check when it bites
            QVERIFY(!loadSpec(path, &error));
            QVERIFY2(error.contains(QStringLiteral("cannot read")), qPrintable(error));
        }
    }
};

QTEST_GUILESS_MAIN(TestSpec)
#include "tst_spec.moc"
