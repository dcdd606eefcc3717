#include "experiment/presets.h"
#include "models/executionmodel.h"
#include "workloads/cpu/cpuworkload.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <limits>

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
        QTest::newRow("variants of a workload without") << QByteArray(R"({"workload":{"kind":"cpu"},"variants":["mutex"]})")
                                                        << QStringLiteral("the cpu workload has no variants");
        QTest::newRow("variants not a list") << QByteArray(R"({"workload":{"kind":"cpu"},"variants":"mutex"})")
                                             << QStringLiteral("variants must be a non-empty list");
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
        // One task cap for every way of listing tasks: 1,000 URLs x 1,000 repeats is 10^6
        // tasks, though each list is within its own limit.
        QJsonArray urls;
        for (int i = 0; i < 1000; ++i)
            urls.append(QStringLiteral("http://{server}/data?size=1&seed=%1").arg(i));
        const QJsonObject io{{QStringLiteral("kind"), QStringLiteral("io")}, {QStringLiteral("urls"), urls},
                             {QStringLiteral("repeat"), 1000}};
        QTest::newRow("urls x repeat over the task cap")
            << QJsonDocument(QJsonObject{{QStringLiteral("workload"), io}}).toJson()
            << QStringLiteral("would make 1000000 tasks per run: too many tasks (at most 100000)");
        QTest::newRow("list over the cap") << QByteArray(R"({"workload":{"kind":"cpu","numbers":{"start":0,"count":100001}}})")
                                           << QStringLiteral("workload.numbers.count");
        // The time guard is the workload's estimate, whatever the workload: 10^6 round trips
        // against a 1 s echo are 23 days; 100,000 waits of a minute are 69 days.
        QTest::newRow("convoy for days")
            << QByteArray(R"({"workload":{"kind":"convoy","round_trips":1000000,"echo_us":1000000}})")
            << QStringLiteral("the convoy workload would take about 555.6 hours sequentially; the limit is 1 hour");
        QTest::newRow("sleep for days") << QByteArray(R"({"workload":{"kind":"sleep","tasks":100000,"ms":60000}})")
                                        << QStringLiteral("the sleep workload would take about 1666.7 hours");
        // Result memory: 100,000 tasks x 100 repetitions x 4 models.
        QTest::newRow("results beyond memory")
            << QByteArray(R"({"workload":{"kind":"cpu","numbers":{"start":0,"count":100000}},"repetitions":100,)"
                          R"("models":["sequential","threads","processes","gil-threads"]})")
            << QStringLiteral("100000 tasks x 400 runs (repetitions x models) would keep about 96.9 GiB of results; "
                              "the limit is 2 GiB");
        // JSON text cannot carry NaN or infinity (Qt refuses 1e999): the checks in code below.
        QTest::newRow("huge literal") << QByteArray(R"({"workload":{"kind":"cpu","numbers":[5]},"workers":1e999})")
                                      << QStringLiteral("malformed JSON at line 1, column 57: illegal number");
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

    // Specs built in code (the panel, scripts) go through validate(): NaN and infinities are
    // refused by name there too, never compared with a bound and let through.
    void nonFiniteNumbersInCode_data()
    {
        QTest::addColumn<QString>("workload");
        QTest::addColumn<QString>("key");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("expected");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const double inf = std::numeric_limits<double>::infinity();
        QTest::newRow("switch interval nan") << QStringLiteral("cpu") << QString() << nan
                                             << QStringLiteral("gil.switch_interval_ms must be a number between 0.1 and 100");
        QTest::newRow("switch interval inf") << QStringLiteral("cpu") << QString() << inf
                                             << QStringLiteral("gil.switch_interval_ms");
        QTest::newRow("sleep ms nan") << QStringLiteral("sleep") << QStringLiteral("ms") << nan
                                      << QStringLiteral("workload.ms must be a finite number");
        QTest::newRow("sleep tasks nan") << QStringLiteral("sleep") << QStringLiteral("tasks") << nan
                                         << QStringLiteral("workload.tasks must be a finite number");
        QTest::newRow("repeat inf") << QStringLiteral("cpu") << QStringLiteral("repeat") << inf
                                    << QStringLiteral("workload.repeat must be a finite number");
        QTest::newRow("echo -inf") << QStringLiteral("convoy") << QStringLiteral("echo_us") << -inf
                                   << QStringLiteral("workload.echo_us must be a finite number");
    }
    void nonFiniteNumbersInCode()
    {
        QFETCH(QString, workload);
        QFETCH(QString, key);
        QFETCH(double, value);
        QFETCH(QString, expected);
        ExperimentSpec s;
        s.workload = workload;
        if (key.isEmpty())
            s.gil.switchIntervalMs = value;
        else
            s.params.insert(key, value);
        const QString error = s.validate();
        QVERIFY2(error.startsWith(expected), qPrintable(error));
    }

    void taskAndResultEstimates()
    {
        QString error;
        auto spec = ExperimentSpec::fromJson(
            R"({"workload":{"kind":"io","urls":["http://a.invalid/1","http://a.invalid/2"],"repeat":3},"repetitions":2,)"
            R"("models":["threads","async","threads"]})",
            &error);
        QVERIFY2(spec, qPrintable(error));
        QCOMPARE(spec->taskCount(), qint64(6));
        QCOMPARE(qint64(spec->makeTasks().size()), spec->taskCount());
        QCOMPARE(spec->runCount(), qint64(4));  // 2 repetitions x 2 distinct models
        QCOMPARE(spec->estimatedResultBytes(), 6 * 4 * ExperimentSpec::kResultBytesPerTask);
        // No models named: every model that can run the workload.
        spec->models.clear();
        qint64 supporting = 0;
        for (const ModelInfo &m : modelRegistry())
            supporting += m.supports(QStringLiteral("io")) ? 1 : 0;
        QCOMPARE(spec->runCount(), 2 * supporting);
        // Every workload's cheap count agrees with the tasks it makes.
        for (const QString &name : presetNames()) {
            const auto p = loadPreset(name, &error);
            QVERIFY2(p, qPrintable(error));
            QCOMPARE(qint64(p->makeTasks().size()), p->taskCount());
        }
        // The limit is checked on specs built in code too.
        ExperimentSpec big = *loadPreset(QStringLiteral("cpu-quick"), &error);
        big.params = QJsonObject{{QStringLiteral("numbers"), QJsonObject{{QStringLiteral("start"), 0},
                                                                          {QStringLiteral("count"), 100000}}}};
        QJsonObject json = big.params;
        json.insert(QStringLiteral("kind"), big.workload);
        big.params = *parseWorkloadParams(*big.workloadImpl(), json, &error);
        big.repetitions = 100;
        big.models = QStringList{QStringLiteral("sequential"), QStringLiteral("threads")};
        QVERIFY2(big.validate().contains(QStringLiteral("GiB of results")), qPrintable(big.validate()));
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
