// Fault isolation (issue 11): a crash in a process pool loses exactly its task; a crash in
// threads inside one host process (threads-hosted) loses every unfinished task with the host;
// a hang is cut by the task deadline; CPython's pools do what CPython does; and whatever
// happens, the test process survives and no child, zombie or temporary file is left.
#include "experiment/runner.h"
#include "ipc/protocol.h"
#include "models/executionmodel.h"
#include "models/pythonmodel.h"
#include "testutil.h"
#include "util/sysinfo.h"
#include "workloads/faultisolation/faultisolationworkload.h"

#include <QDir>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <unistd.h>

using namespace lab;
using namespace lab::test;

namespace {

ExperimentSpec faultSpec(const QString &model, const QString &variant, int tasks, int faultTask, int workers,
                         double timeoutS = 5, int n = 300000)
{
    return specFromJson(QStringLiteral(R"({"name": "fault-test",
        "workload": {"kind": "fault-isolation", "tasks": %1, "fault_task": %2, "n": %3},
        "models": ["%4"], "variants": ["%5"], "workers": %6, "task_timeout_s": %7})")
                            .arg(tasks)
                            .arg(faultTask)
                            .arg(n)
                            .arg(model, variant)
                            .arg(workers)
                            .arg(timeoutS)
                            .toUtf8());
}

const TaskResult *taskOf(const RunRecord &run, int id)
{
    for (const TaskResult &t : run.tasks)
        if (t.id == id)
            return &t;
    return nullptr;
}

const FaultSummary *summaryOf(const RunRecord &run)
{
    return dynamic_cast<const FaultSummary *>(run.workloadSummary.get());
}

// Every child of this process, zombies included: after a run there must be none.
QString leftoverChildren()
{
    QStringList out;
    for (const ChildProcess &c : childProcesses(::getpid()))
        out << QStringLiteral("%1 (%2, %3)").arg(c.pid).arg(QLatin1Char(c.state)).arg(QString::fromLocal8Bit(c.argv0));
    return out.join(QStringLiteral(", "));
}

} // namespace

class TestFaultIsolation : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    QByteArray m_oldTmp;

private Q_SLOTS:
    void initTestCase()
    {
        // Everything the runs put in the temporary folder lands here, so "nothing left" is
        // checked without racing other programs' files in /tmp.
        QVERIFY(m_tmp.isValid());
        m_oldTmp = qgetenv("TMPDIR");
        qputenv("TMPDIR", m_tmp.path().toLocal8Bit());
        QVERIFY(findModel(QStringLiteral("threads-hosted")));
        QVERIFY2(findModel(QStringLiteral("threads-hosted"))->whyUnavailable().isEmpty(), "the worker is not built");
    }

    void cleanup()
    {
        QCOMPARE(leftoverChildren(), QString());
        QCOMPARE(QDir(m_tmp.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
    }

    void cleanupTestCase()
    {
        if (m_oldTmp.isNull())
            qunsetenv("TMPDIR");
        else
            qputenv("TMPDIR", m_oldTmp);
    }

    void hostMessageRoundTrips()
    {
        const ipc::HostJob job{QByteArrayLiteral("{\"name\":\"x\"}"), 3, 17};
        ipc::HostJob back;
        QString error;
        QVERIFY2(ipc::decodeHost(ipc::encodeHost(job), &back, &error), qPrintable(error));
        QCOMPARE(back.specJson, job.specJson);
        QCOMPARE(back.workers, 3);
        QCOMPARE(back.tasks, 17);
        QCOMPARE(ipc::messageType(ipc::encodeHost(job)), ipc::MessageType::Host);

        QVERIFY(!ipc::decodeHost(ipc::encodeHost({"{}", 0, 1}), &back, &error));
        QVERIFY2(error.contains(QLatin1String("workers")), qPrintable(error));
        QVERIFY(!ipc::decodeHost(ipc::encodeHost({"{}", 1, -1}), &back, &error));
        QVERIFY2(error.contains(QLatin1String("tasks")), qPrintable(error));
        QVERIFY(!ipc::decodeHost(ipc::encodeBye(), &back, &error));
    }

    void parametersAreChecked()
    {
        QString error;
        QVERIFY(!ExperimentSpec::fromJson(R"({"workload": {"kind": "fault-isolation", "tasks": 5, "fault_task": 5}})", &error));
        QVERIFY2(error.contains(QLatin1String("fault_task")), qPrintable(error));
        // Every variant sets the fault; one that does not exist is refused by name.
        QVERIFY(!ExperimentSpec::fromJson(R"({"workload": {"kind": "fault-isolation"}, "variants": ["explode"]})", &error));
        QVERIFY2(error.contains(QLatin1String("explode")), qPrintable(error));
        // Without variants (a spec of its own), the fault is checked like any parameter.
        const Workload *w = findWorkload(QStringLiteral("fault-isolation"));
        QVERIFY(w);
        QVERIFY(w->validate(QJsonObject{{QStringLiteral("tasks"), 2}, {QStringLiteral("fault_task"), 0},
                                        {QStringLiteral("fault"), QStringLiteral("explode")}})
                    .contains(QLatin1String("workload.fault")));
    }

    void inProcessModelsNeverFault()
    {
        const Workload *w = findWorkload(QStringLiteral("fault-isolation"));
        QVERIFY(w);
        const QJsonObject base{{QStringLiteral("tasks"), 4}, {QStringLiteral("fault_task"), 1}, {QStringLiteral("n"), 1000}};
        for (const Variant &v : w->variants(base)) {
            const QJsonObject p = withVariant(base, v);
            for (const char *id : {"sequential", "threads", "gil-threads"}) {
                const QString why = w->whyNotOnVariant(*findModel(QString::fromLatin1(id)), p);
                QCOMPARE(why.isEmpty(), v.name == QLatin1String("none"));
            }
            const bool cpythonPool = v.name.startsWith(QLatin1String("pool-map")) || v.name.startsWith(QLatin1String("executor"));
            QCOMPARE(w->whyNotOnVariant(*findModel(QStringLiteral("processes")), p).isEmpty(), !cpythonPool);
            QCOMPARE(w->whyNotOnVariant(*findModel(QStringLiteral("threads-hosted")), p).isEmpty(), !cpythonPool);
            QCOMPARE(w->whyNotOnVariant(*findModel(QStringLiteral("python-processes")), p).isEmpty(), true);
        }
        // The Runner plans no faulting run on them ...
        Runner runner;
        const ExperimentResult r = runner.run(faultSpec(QStringLiteral("threads"), QStringLiteral("segfault"), 4, 1, 2));
        QVERIFY(r.runs.empty());
        QVERIFY2(!r.error.isEmpty(), "a refused plan must say so");
        // ... and a faulting task handed to the app's own process anyway refuses to fault.
        QString error;
        const auto params = parseWorkloadParams(*w, QJsonObject{{QStringLiteral("tasks"), 2}, {QStringLiteral("fault_task"), 0},
                                                                {QStringLiteral("fault"), QStringLiteral("segfault")}},
                                                &error);
        QVERIFY2(params, qPrintable(error));
        const auto state = w->setUp(*params, &error);
        const std::vector<TaskSpec> tasks = w->makeTasks(*params, state.get());
        std::atomic<bool> cancel{false};
        ExecHooks hooks;
        TaskEnv env{cancel, hooks, state.get()};
        TaskResult res;
        w->execute(tasks[0], env, res);
        QVERIFY(!res.ok);
        QCOMPARE(res.errorCategory, QStringLiteral("refused"));
        TaskResult fine;
        w->execute(tasks[1], env, fine);
        QVERIFY(fine.ok && fine.verified);
    }

    void processesLoseOnlyTheFaultingTask_data()
    {
        QTest::addColumn<QString>("variant");
        QTest::addColumn<QString>("signal");
        QTest::newRow("segfault") << QStringLiteral("segfault") << QStringLiteral("SIGSEGV");
        QTest::newRow("abort") << QStringLiteral("abort") << QStringLiteral("SIGABRT");
    }
    void processesLoseOnlyTheFaultingTask()
    {
        QFETCH(QString, variant);
        QFETCH(QString, signal);
        Runner runner;
        const ExperimentResult r = runner.run(faultSpec(QStringLiteral("processes"), variant, 12, 3, 2));
        const RunRecord *run = runOf(r, QStringLiteral("processes"));
        QVERIFY(run);
        QCOMPARE(run->variant, variant);
        QCOMPARE(int(run->tasks.size()), 12);
        QCOMPARE(run->tasks_ok, 11);
        const TaskResult *bad = taskOf(*run, 3);
        QVERIFY(bad && !bad->ok);
        QCOMPARE(bad->errorCategory, QStringLiteral("worker-died"));
        QVERIFY2(bad->error.toString().contains(signal), qPrintable(bad->error.toString()));
        // Retried once, and the crash that repeated is reported: two workers died on it.
        QCOMPARE(bad->attempts, 2);
        QVERIFY(run->worker_restarts >= 1);
        for (const TaskResult &t : run->tasks)
            if (t.id != 3)
                QVERIFY2(t.ok && t.verified, qPrintable(t.error));
        const FaultSummary *s = summaryOf(*run);
        QVERIFY(s);
        QVERIFY2(s->ok, qPrintable(s->words));
        QCOMPARE(s->lost, 1);
        QVERIFY2(s->words.startsWith(QStringLiteral("1 of 12 lost: ") + signal), qPrintable(s->words));
        QVERIFY2(s->words.contains(QLatin1String("the other 11 completed in a replaced worker")), qPrintable(s->words));
        QVERIFY(run->workloadSummary->outcome() && run->workloadSummary->outcome()->ok);
    }

    void hostedThreadsLoseEveryUnfinishedTask_data()
    {
        QTest::addColumn<QString>("variant");
        QTest::addColumn<int>("faultTask");
        QTest::addColumn<QString>("signal");
        QTest::newRow("segfault first") << QStringLiteral("segfault") << 0 << QStringLiteral("SIGSEGV");
        QTest::newRow("segfault 6th") << QStringLiteral("segfault") << 5 << QStringLiteral("SIGSEGV");
        QTest::newRow("abort 6th") << QStringLiteral("abort") << 5 << QStringLiteral("SIGABRT");
    }
    void hostedThreadsLoseEveryUnfinishedTask()
    {
        QFETCH(QString, variant);
        QFETCH(int, faultTask);
        QFETCH(QString, signal);
        // One thread: tasks run in order, so exactly the tasks before the fault are reported.
        Runner runner;
        const ExperimentResult r = runner.run(faultSpec(QStringLiteral("threads-hosted"), variant, 12, faultTask, 1));
        const RunRecord *run = runOf(r, QStringLiteral("threads-hosted"));
        QVERIFY(run);
        QCOMPARE(int(run->tasks.size()), 12);
        QCOMPARE(run->tasks_ok, faultTask);
        const int lost = 12 - faultTask;
        const QString words = QStringLiteral("all %1 unfinished tasks lost: the host process died of %2").arg(lost).arg(signal);
        for (const TaskResult &t : run->tasks) {
            if (t.id < faultTask) {
                QVERIFY2(t.ok && t.verified, qPrintable(t.error));
                continue;
            }
            QVERIFY(!t.ok);
            QCOMPARE(t.errorCategory, QStringLiteral("host-died"));
            QVERIFY2(t.error.toString().contains(words), qPrintable(t.error.toString()));
        }
        QCOMPARE(run->worker_restarts, 0);
        QCOMPARE(run->extra.value(QStringLiteral("host")).toObject().value(QStringLiteral("signal")).toString(), signal);
        const FaultSummary *s = summaryOf(*run);
        QVERIFY(s);
        QVERIFY2(s->ok, qPrintable(s->words));
        QVERIFY2(s->words.startsWith(QStringLiteral("%1 of 12 lost: the host process died of %2").arg(lost).arg(signal)),
                 qPrintable(s->words));
        // The summary reads back from the saved run.
        QJsonObject json;
        s->writeJson(json);
        const auto back = FaultSummary::fromJson(json);
        QVERIFY(back);
        QCOMPARE(back->words, s->words);
        QCOMPARE(back->lost, lost);
        QCOMPARE(back->ok, true);
    }

    void noFaultCompletesEverywhere()
    {
        Runner runner;
        for (const char *model : {"sequential", "threads", "processes", "threads-hosted"}) {
            const ExperimentResult r = runner.run(faultSpec(QString::fromLatin1(model), QStringLiteral("none"), 10, 2, 2));
            const RunRecord *run = runOf(r, QString::fromLatin1(model));
            QVERIFY2(run, model);
            QCOMPARE(run->tasks_ok, 10);
            QVERIFY(run->verified);
            QVERIFY(summaryOf(*run) && summaryOf(*run)->ok);
        }
    }

    void hangIsCutByTheDeadline_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("processes") << QStringLiteral("processes");
        QTest::newRow("threads-hosted") << QStringLiteral("threads-hosted");
    }
    void hangIsCutByTheDeadline()
    {
        QFETCH(QString, model);
        Runner runner;
        const ExperimentResult r = runner.run(faultSpec(model, QStringLiteral("hang"), 8, 2, 2, 1.0));
        const RunRecord *run = runOf(r, model);
        QVERIFY(run);
        const TaskResult *bad = taskOf(*run, 2);
        QVERIFY(bad && !bad->ok);
        QCOMPARE(bad->errorCategory, QStringLiteral("timed-out"));
        // The other thread, or a replaced worker, ran every other task.
        QCOMPARE(run->tasks_ok, 7);
        const FaultSummary *s = summaryOf(*run);
        QVERIFY(s);
        QVERIFY2(s->ok, qPrintable(s->words));
        if (model == QLatin1String("threads-hosted"))
            QVERIFY2(bad->error.toString().contains(QLatin1String("hung thread cannot be stopped on its own")), qPrintable(bad->error.toString()));
    }

    void cancelKillsTheHost()
    {
        // Long tasks (about 0.1-0.5 s each natively), cancelled while they run.
        Runner runner;
        const CancelledRun c = runCancelledAfter(
            runner, faultSpec(QStringLiteral("threads-hosted"), QStringLiteral("none"), 40, 0, 2, 30, 100000000), 300);
        QVERIFY(c.result.cancelled);
        QVERIFY2(c.late_s < 2.0, qPrintable(QString::number(c.late_s)));
        const RunRecord *run = runOf(c.result, QStringLiteral("threads-hosted"));
        QVERIFY(run);
        for (const TaskResult &t : run->tasks)
            QVERIFY2(t.ok, "a cancelled run keeps only finished tasks");
        // cleanup() checks that the host and its group are gone and reaped.
    }

    void cpythonPools_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("variant");
        QTest::addColumn<QString>("says");
        QTest::newRow("Pool.map") << QStringLiteral("python-processes") << QStringLiteral("pool-map-segfault")
                                  << QStringLiteral("Pool.map was still waiting after 2 s: cut off");
        QTest::newRow("ProcessPoolExecutor") << QStringLiteral("python-processes") << QStringLiteral("executor-segfault")
                                             << QStringLiteral("BrokenProcessPool");
        QTest::newRow("supervised pool") << QStringLiteral("python-processes") << QStringLiteral("segfault")
                                         << QStringLiteral("SIGSEGV");
        QTest::newRow("threads abort") << QStringLiteral("python-threads") << QStringLiteral("abort")
                                       << QStringLiteral("SIGABRT");
    }
    void cpythonPools()
    {
        QFETCH(QString, model);
        QFETCH(QString, variant);
        QFETCH(QString, says);
        if (!PythonModel::unavailableReason().isEmpty())
            QSKIP(qPrintable(PythonModel::unavailableReason()));
        Runner runner;
        const double t0 = monotonicSeconds();
        const ExperimentResult r = runner.run(faultSpec(model, variant, 8, 3, 2, 2.0, 20000));
        const double took = monotonicSeconds() - t0;
        const RunRecord *run = runOf(r, model);
        QVERIFY(run);
        QCOMPARE(int(run->tasks.size()), 8);
        const TaskResult *bad = taskOf(*run, 3);
        QVERIFY(bad && !bad->ok);
        QVERIFY2(bad->error.toString().contains(says), qPrintable(bad->error.toString()));
        const FaultSummary *s = summaryOf(*run);
        QVERIFY(s);
        QVERIFY2(s->ok, qPrintable(s->words + QStringLiteral(" / expected ") + s->expected));
        if (variant == QLatin1String("pool-map-segfault"))
            QCOMPARE(run->tasks_ok, 0);  // map() returns all results or none
        if (variant == QLatin1String("segfault"))
            QCOMPARE(run->tasks_ok, 7);
        // Ended by the script's own cut-off, not by the model's later kill (deadline + grace).
        QVERIFY2(took < 60, qPrintable(QString::number(took)));
    }
};

QTEST_GUILESS_MAIN(TestFaultIsolation)
#include "tst_faultisolation.moc"
