#include "experiment/runner.h"
#include "models/executionmodel.h"
#include "models/pythonmodel.h"
#include "testutil.h"
#include "util/sysinfo.h"
#include "workloads/cpu/cpuwork.h"

#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QScopeGuard>
#include <QDir>
#include <QTest>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <signal.h>
#include <thread>
#include <unistd.h>

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

// The live (not zombie) python interpreter this process started, or 0.
qint64 interpreterPid()
{
    for (const ChildProcess &c : childProcesses(qint64(::getpid())))
        if (c.state != 'Z' && c.argv0.contains("python"))
            return c.pid;
    return 0;
}

// Waits up to timeoutMs for the interpreter to run `count` live pool workers; their pids.
std::vector<qint64> waitForPoolWorkers(size_t count, int timeoutMs = 20000)
{
    const double until = monotonicSeconds() + timeoutMs / 1000.0;
    while (monotonicSeconds() < until) {
        if (const qint64 py = interpreterPid()) {
            std::vector<qint64> pids;
            for (const ChildProcess &c : childProcesses(py))
                if (c.state != 'Z')
                    pids.push_back(c.pid);
            if (pids.size() >= count)
                return pids;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return {};
}

// Zombie children of this process (orphaned grandchildren re-parented here included).
int zombieChildren()
{
    int n = 0;
    for (const ChildProcess &c : childProcesses(qint64(::getpid())))
        n += c.state == 'Z';
    return n;
}

const TaskResult *failedWith(const RunRecord &run, const QString &category)
{
    for (const TaskResult &t : run.tasks)
        if (!t.ok && t.errorCategory == category)
            return &t;
    return nullptr;
}

QString describe(const RunRecord &run)
{
    QStringList out{run.error};
    for (const TaskResult &t : run.tasks)
        out << QStringLiteral("%1:%2:%3:%4").arg(t.id).arg(t.ok).arg(t.errorCategory, t.error);
    return out.join(QStringLiteral(" | "));
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
        QVERIFY2(t.error.toString().contains(QStringLiteral("285")), qPrintable(t.error.toString()));  // the closed form for n=10
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
        });
    }

    // Cancelled once its pool runs (a fixed delay raced the interpreter's start-up on a loaded
    // machine): the interpreter and its pool workers are gone, and reaped, when run() returns
    // (they stayed zombies for ~1.4 s after a cancel).
    void cancelKillsThePythonProcessGroup()
    {
        // A private temporary folder: the model's own and the interpreter's (TMPDIR) must be gone
        // after the cancel.
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QByteArray oldTmp = qgetenv("TMPDIR");
        qputenv("TMPDIR", tmp.path().toLocal8Bit());
        const auto restore = qScopeGuard([&] {
            if (oldTmp.isEmpty())
                qunsetenv("TMPDIR");
            else
                qputenv("TMPDIR", oldTmp);
        });
        Runner runner;
        std::atomic<double> cancelledAt{0};
        std::vector<qint64> pool;
        std::thread canceller([&] {
            pool = waitForPoolWorkers(2);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            cancelledAt = monotonicSeconds();
            runner.requestCancel();
        });
        const ExperimentResult r = runner.run(specFromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":{"start":100000000,"count":4}},
                                         "models":["python-processes"],"workers":2})"));
        const double late = monotonicSeconds() - cancelledAt.load();
        canceller.join();
        QVERIFY2(pool.size() >= 2, "no pool workers seen");
        QVERIFY(r.cancelled);
        QVERIFY2(late < 1.0, qPrintable(QString::number(late)));
        QCOMPARE(r.runs.size(), size_t(1));
        QVERIFY(r.runs[0].tasks.empty());
        QVERIFY(groupGone(r.runs[0]));
        QCOMPARE(zombieChildren(), 0);
        for (qint64 pid : pool)
            QVERIFY(::kill(pid_t(pid), 0) == -1 && errno == ESRCH);
        const QStringList left = QDir(tmp.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral(", "))));
    }

    // Pool.imap_unordered waited for ever on the task of a killed worker: the supervisor
    // reports it failed, with the signal, and the other tasks still run.
    void killedPoolWorkerFailsItsTaskOnly()
    {
        std::vector<qint64> pool;
        std::thread killer([&] {
            pool = waitForPoolWorkers(2);
            std::this_thread::sleep_for(std::chrono::milliseconds(400));
            if (!pool.empty())
                ::kill(pid_t(pool.front()), SIGKILL);
        });
        Runner runner;
        const ExperimentResult r = runner.run(specFromJson(
            R"({"name":"t","workload":{"kind":"sleep","tasks":4,"ms":2500},"models":["python-processes"],"workers":2})"));
        killer.join();
        QVERIFY2(!pool.empty(), "no pool workers seen");
        QCOMPARE(r.runs.size(), size_t(1));
        const RunRecord &run = r.runs[0];
        QCOMPARE(run.tasks.size(), size_t(4));
        const TaskResult *died = failedWith(run, QStringLiteral("worker-died"));
        QVERIFY2(died, qPrintable(describe(run)));
        QVERIFY2(died->error.toString().contains(QStringLiteral("SIGKILL")), qPrintable(died->error.toString()));
        QCOMPARE(run.tasks_ok, 3);
        QVERIFY(!run.verified);
        QVERIFY(run.worker_restarts >= 1);
        QVERIFY(groupGone(run));
    }

    // A SIGSTOPped pool worker used to hang the run for ever: past the spec's task_timeout_s
    // it is killed and its task reported timed-out.
    void stoppedPoolWorkerTimesOut()
    {
        std::vector<qint64> pool;
        std::thread stopper([&] {
            pool = waitForPoolWorkers(2);
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            if (!pool.empty())
                ::kill(pid_t(pool.front()), SIGSTOP);
        });
        Runner runner;
        const double t0 = monotonicSeconds();
        const ExperimentResult r = runner.run(specFromJson(
            R"({"name":"t","workload":{"kind":"sleep","tasks":4,"ms":1500},"models":["python-processes"],"workers":2,
                "task_timeout_s":4})"));
        const double took = monotonicSeconds() - t0;
        stopper.join();
        QVERIFY2(!pool.empty(), "no pool workers seen");
        const RunRecord &run = r.runs[0];
        QCOMPARE(run.tasks.size(), size_t(4));
        const TaskResult *late = failedWith(run, QStringLiteral("timed-out"));
        QVERIFY2(late, qPrintable(describe(run)));
        QVERIFY2(late->error.toString().contains(QStringLiteral("deadline")), qPrintable(late->error.toString()));
        QCOMPARE(run.tasks_ok, 3);
        QVERIFY2(took < 30, qPrintable(QString::number(took)));
        QVERIFY(groupGone(run));
        // The stopped worker is gone: killed, and reaped.
        QVERIFY(::kill(pid_t(pool.front()), 0) == -1 && errno == ESRCH);
    }

    // In sequential form the interpreter is the worker: stopped in a task, it is killed at the
    // deadline and a fresh one runs the tasks that are left.
    void stoppedSequentialInterpreterIsReplaced()
    {
        Runner runner;
        std::atomic<bool> stopped{false};
        std::thread stopper([&] {
            const double until = monotonicSeconds() + 20;
            while (runner.live().finishedCount() < 1 && monotonicSeconds() < until)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
            if (const qint64 py = interpreterPid())
                stopped = ::kill(pid_t(py), SIGSTOP) == 0;
        });
        const ExperimentResult r = runner.run(specFromJson(
            R"({"name":"t","workload":{"kind":"sleep","tasks":3,"ms":800},"models":["python-sequential"],
                "task_timeout_s":3})"));
        stopper.join();
        QVERIFY(stopped);
        const RunRecord &run = r.runs[0];
        QCOMPARE(run.tasks.size(), size_t(3));
        const TaskResult *late = failedWith(run, QStringLiteral("timed-out"));
        QVERIFY2(late, qPrintable(describe(run)));
        QCOMPARE(late->id, 1);
        QCOMPARE(run.tasks_ok, 2);
        QVERIFY2(run.tasks[2].ok, qPrintable(describe(run)));
        QVERIFY(run.worker_restarts >= 1);
        QCOMPARE(zombieChildren(), 0);
    }

    // Deadlines derive from the workload's CPython estimate; task_timeout_s overrides.
    void deadlinesComeFromTheSpec()
    {
        const ExperimentSpec plain = specFromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":[10]}})");
        QCOMPARE(PythonModel::taskDeadlineSeconds(0.001, plain), PythonModel::kMinDeadlineS);
        QCOMPARE(PythonModel::taskDeadlineSeconds(3, plain), 3 * PythonModel::kDeadlineFactor);
        QVERIFY(!PythonModel::taskTimeoutOverride(plain));
        const ExperimentSpec fixed =
            specFromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":[10]},"task_timeout_s":2.5})");
        QCOMPARE(PythonModel::taskDeadlineSeconds(1000, fixed), 2.5);
        // 0 means "derived"; negative or non-numbers are refused when the spec is read.
        QVERIFY(!PythonModel::taskTimeoutOverride(
            specFromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":[10]},"task_timeout_s":0})")));
        for (const char *bad : {"-1", "\"x\""}) {
            QString error;
            QVERIFY2(!ExperimentSpec::fromJson(
                         QByteArray(R"({"name":"t","workload":{"kind":"cpu","numbers":[10]},"task_timeout_s":)") + bad + "}",
                         &error),
                     bad);
            QVERIFY2(error.startsWith(QLatin1String("task_timeout_s")), qPrintable(error));
        }
        // The cpu estimate: CPython's rate, ~100x the C++ loop.
        const ExperimentSpec big = specFromJson(
            R"({"name":"t","workload":{"kind":"cpu","numbers":[1000000000]},"models":["python-sequential"]})");
        QVERIFY(qAbs(PythonModel::estimatedSequentialSeconds(big) - 100 * big.estimatedSequentialSeconds())
                < 1e-6 * PythonModel::estimatedSequentialSeconds(big));
    }

    // The one-hour guard used the C++ estimate for CPython models: n = 2^40 passed for
    // python-sequential (about a day). Refused with one line; the native models still run it.
    void timeGuardCountsCPythonsRate()
    {
        ExperimentSpec s = specFromJson(
            R"({"name":"t","workload":{"kind":"cpu","numbers":[1099511627776]},"models":["python-sequential"]})");
        const QString why = s.validate();
        QVERIFY2(why.contains(QStringLiteral("python-sequential")) && why.contains(QStringLiteral("hours")),
                 qPrintable(why));
        QVERIFY(!why.contains(QLatin1Char('\n')));
        s.models = QStringList{QStringLiteral("sequential")};
        QVERIFY2(s.validate().isEmpty(), qPrintable(s.validate()));
        // A convoy of 10^6 round trips beside a CPU thread: two 5 ms intervals each, ~3 hours.
        const ExperimentSpec convoy = specFromJson(
            R"({"name":"t","workload":{"kind":"convoy","round_trips":1000000,"cpu_threads":1},"models":["python-threads"]})");
        QVERIFY2(convoy.validate().contains(QStringLiteral("python-threads")), qPrintable(convoy.validate()));
        const ExperimentSpec small = specFromJson(
            R"({"name":"t","workload":{"kind":"cpu","numbers":{"start":5000000,"count":20}},"models":["python-sequential"]})");
        QVERIFY2(small.validate().isEmpty(), qPrintable(small.validate()));
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
