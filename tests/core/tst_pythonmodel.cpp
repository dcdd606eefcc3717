#include "experiment/runner.h"
#include "models/executionmodel.h"
#include "models/pythonmodel.h"
#include "testutil.h"
#include "util/sysinfo.h"
#include "workloads/cpu/cpuwork.h"

#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <cerrno>
#include <signal.h>
#include <thread>

using namespace lab;
using namespace lab::test;

namespace {

// Sets LAB_PYTHON for the scope of one test.
class PythonOverride {
public:
    explicit PythonOverride(const QByteArray &value) : m_old(qgetenv("LAB_PYTHON")), m_had(qEnvironmentVariableIsSet("LAB_PYTHON"))
    {
        qputenv("LAB_PYTHON", value);
    }
    ~PythonOverride()
    {
        if (m_had)
            qputenv("LAB_PYTHON", m_old);
        else
            qunsetenv("LAB_PYTHON");
    }

private:
    QByteArray m_old;
    bool m_had;
};

bool groupGone(const RunRecord &run)
{
    const qint64 pid = run.python && run.python->pid ? *run.python->pid : 0;
    return pid > 0 && ::kill(-pid_t(pid), 0) == -1 && errno == ESRCH;
}

} // namespace

class TestPythonModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!PythonModel::unavailableReason().isEmpty())
            QSKIP(qPrintable(PythonModel::unavailableReason()));
    }

    void numberCruncherInThreeFormsIsVerified()
    {
        Runner runner;
        const ExperimentResult r = runner.run(
            specFromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":{"start":200000,"count":6},"repeat":50},
                    "models":["python-sequential","python-threads","python-processes"],"workers":2})"));
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(r.runs.size(), size_t(3));
        for (const RunRecord &run : r.runs) {
            QVERIFY2(run.error.isEmpty(), qPrintable(run.model + QStringLiteral(": ") + run.error));
            QVERIFY2(run.verified, qPrintable(run.model));
            QCOMPARE(run.tasks.size(), size_t(6));
            for (size_t i = 0; i < run.tasks.size(); ++i) {
                const TaskResult &t = run.tasks[i];
                QCOMPARE(t.id, int(i));
                QCOMPARE(t.value, toDecimal(sumSquaresClosedForm(200000 + i)));
                QVERIFY(t.start_s >= 0 && t.end_s >= t.start_s && t.end_s <= run.wall_s + 1e-3);
                QVERIFY(t.worker >= 0 && t.worker < run.workers);
            }
            QVERIFY(run.cpu_s > 0);
            QVERIFY(run.spawn_us_median > 0);
            QVERIFY(run.note.contains(QStringLiteral("repeat")));
            QVERIFY(run.python && run.python->version.startsWith(QLatin1Char('3')));
            QVERIFY(groupGone(run));
        }
        QCOMPARE(r.runs[0].workers, 1);
        QCOMPARE(r.runs[1].workers, 2);
        // Each task ran once: CPython's own CPU time is far below 50 repeats' worth.
    }

    void tinyNumbers()
    {
        Runner runner;
        const ExperimentResult r = runner.run(specFromJson(
            R"({"name":"t","workload":{"kind":"cpu","numbers":[0,1,2]},"models":["python-sequential"]})"));
        QVERIFY(r.allOk());
        QCOMPARE(r.runs[0].tasks[0].value, QStringLiteral("0"));
        QCOMPARE(r.runs[0].tasks[2].value, QStringLiteral("1"));
    }

    // An "interpreter" that reports a wrong sum: the model must fail the task, not trust it.
    void wrongValueIsNotVerified()
    {
        QTemporaryDir dir;
        const QString fake = dir.filePath(QStringLiteral("fakepython"));
        QFile f(fake);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("#!/bin/sh\ncat > /dev/null\n"
                "echo '{\"event\":\"hello\",\"python\":\"3.0\",\"pid\":'$$',\"t\":0}'\n"
                "echo '{\"event\":\"finish\",\"task\":0,\"worker\":0,\"t0\":0,\"t\":0,\"value\":\"42\"}'\n"
                "echo '{\"event\":\"done\",\"cpu_s\":0,\"maxrss_kb\":0}'\n");
        f.close();
        QVERIFY(f.setPermissions(f.permissions() | QFile::ExeOwner));
        PythonOverride liar(fake.toUtf8());
        Runner runner;
        const ExperimentResult r = runner.run(specFromJson(
            R"({"name":"t","workload":{"kind":"cpu","numbers":[10]},"models":["python-sequential"]})"));
        QCOMPARE(r.runs.size(), size_t(1));
        QCOMPARE(r.runs[0].tasks.size(), size_t(1));
        const TaskResult &t = r.runs[0].tasks[0];
        QVERIFY(!t.ok);
        QVERIFY(!t.verified);
        QVERIFY2(t.error.contains(QStringLiteral("285")), qPrintable(t.error));  // the closed form for n=10
        QVERIFY(!r.allOk());
    }

    // bpo-7946 under CPython's own GIL: beside a CPU thread, a round trip waits one switch
    // interval per blocking call the CPU thread used to take the GIL (one or two per round trip,
    // see tst_gil's convoyEffect), against tens of microseconds alone.
    void convoyUnderTheRealGil()
    {
        const double intervalUs = 5000;
        LAB_VERIFY_TIMING([&](TimingTry &t) {
            Runner runner;
            const ExperimentResult r = runner.run(specFromJson(
                R"({"name":"t","workload":{"kind":"convoy","round_trips":100,"cpu_threads":1},"models":["python-threads"],
                    "gil":{"switch_interval_ms":5}})"));
            QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
            QVERIFY2(r.allOk(), qPrintable(r.runs[0].error));
            QCOMPARE(r.runs[0].tasks.size(), size_t(2));
            const QJsonObject c = r.runs[0].toJson().value(QStringLiteral("convoy")).toObject();
            QCOMPARE(c.value(QStringLiteral("round_trips")).toInt(), 100);
            QCOMPARE(c.value(QStringLiteral("cpu_threads")).toInt(), 1);
            const double alone = c.value(QStringLiteral("alone_p50_us")).toDouble();
            const double beside = c.value(QStringLiteral("beside_p50_us")).toDouble();
            qInfo("try %d: CPython convoy p50: alone %.1f us, beside %.1f us", t.number(), alone, beside);
            QVERIFY2(alone > 0, qPrintable(QString::number(alone)));
            if (alone >= 2000)
                t.miss(QStringLiteral("alone p50 %1 us").arg(alone));
            if (beside < 0.8 * intervalUs || beside > 2 * intervalUs + 1500)
                t.miss(QStringLiteral("beside p50 %1 us, not one or two 5 ms intervals").arg(beside));
            else if (beside < 20 * alone)
                t.miss(QStringLiteral("beside p50 %1 us is only %2x the alone p50").arg(beside).arg(beside / alone, 0, 'f', 1));
        }, 3, kConvoyQuietLimit);
    }

    void cancelKillsThePythonProcessGroup()
    {
        Runner runner;
        const ExperimentSpec s = specFromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":{"start":100000000,"count":4}},
                                         "models":["python-processes"],"workers":2})");
        const CancelledRun c = runCancelledAfter(runner, s, 600);
        const ExperimentResult &r = c.result;
        QVERIFY(r.cancelled);
        QVERIFY2(c.elapsed_s < 0.6 + 1.0, qPrintable(QString::number(c.elapsed_s)));
        QCOMPARE(r.runs.size(), size_t(1));
        QVERIFY(r.runs[0].tasks.empty());
        // The interpreter and its pool workers are gone (the group is empty).
        QTRY_VERIFY_WITH_TIMEOUT(groupGone(r.runs[0]), 2000);
    }

    void bogusInterpreterIsAClearError()
    {
        PythonOverride bogus("/nonexistent/bin/python3");
        const QString reason = findModel(QStringLiteral("python-threads"))->whyUnavailable();
        QVERIFY(reason.contains(QStringLiteral("LAB_PYTHON")));
        QVERIFY(!reason.contains(QLatin1Char('\n')));
        // A spec without a model list skips unavailable models; naming one gives its reason.
        QString error;
        ExperimentSpec s = specFromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":[10]}})");
        QVERIFY(!resolveModels(s, &error).contains(QStringLiteral("python-threads")));
        s.models = QStringList{QStringLiteral("python-threads")};
        Runner runner;
        const ExperimentResult r = runner.run(s);
        QCOMPARE(r.runs.size(), size_t(1));
        QCOMPARE(r.runs[0].error, reason);
        QVERIFY(!r.allOk());
    }

    void interpreterThatIsNotPythonFailsClearly_data()
    {
        QTest::addColumn<QByteArray>("program");
        QTest::addColumn<QString>("expected");
        QTest::newRow("exits 1") << QByteArray("/bin/false") << QStringLiteral("exited with code 1");
        QTest::newRow("says nothing") << QByteArray("/bin/true") << QStringLiteral("without reporting");
    }

    void interpreterThatIsNotPythonFailsClearly()
    {
        QFETCH(QByteArray, program);
        QFETCH(QString, expected);
        if (!QFile::exists(QString::fromUtf8(program)))
            QSKIP("program not present");
        PythonOverride notPython(program);
        Runner runner;
        ExperimentSpec s = specFromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":[10,20]}})");
        s.models = QStringList{QStringLiteral("python-sequential")};
        const ExperimentResult r = runner.run(s);
        QCOMPARE(r.runs.size(), size_t(1));
        QVERIFY2(r.runs[0].error.contains(expected), qPrintable(r.runs[0].error));
        QVERIFY(!r.runs[0].verified);
    }
};

QTEST_GUILESS_MAIN(TestPythonModel)
#include "tst_pythonmodel.moc"
