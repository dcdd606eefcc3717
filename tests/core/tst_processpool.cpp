// The `processes` model with real concurrency-lab-worker children: identical results to the
// thread models, parallelism, cancel without leftovers, worker death and retry, broken workers.
#include "experiment/presets.h"
#include "experiment/runner.h"
#include "ipc/protocol.h"
#include "ipc/workerprocess.h"
#include "models/processpoolmodel.h"
#include "sampling/procstat.h"
#include "testutil.h"
#include "util/sysinfo.h"
#include "workloads/cpu/cpuwork.h"
#include "workloads/cpu/cpuworkload.h"

#include <QElapsedTimer>
#include <QSet>
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <csignal>
#include <thread>
#include <unistd.h>

using namespace lab;
using namespace lab::test;

namespace {

// The IPC share's three parts (start, gaps between answers, end) are each measured and add up
// to the share (which is clamped to 0..1; so is their sum).
void verifyShareSplit(const IpcSplit &ipc)
{
    QVERIFY2(ipc.startShare >= 0 && ipc.gapsShare >= 0 && ipc.endShare >= 0,
             qPrintable(QStringLiteral("%1 %2 %3").arg(ipc.startShare).arg(ipc.gapsShare).arg(ipc.endShare)));
    const double sum = std::clamp(ipc.startShare + ipc.gapsShare + ipc.endShare, 0.0, 1.0);
    QVERIFY2(std::abs(sum - ipc.dispatchShare) < 1e-9,
             qPrintable(QStringLiteral("%1 + %2 + %3 != %4").arg(ipc.startShare).arg(ipc.gapsShare).arg(ipc.endShare).arg(ipc.dispatchShare)));
}

std::vector<TaskSpec> cpuTasks(int count, quint64 n, int repeat)
{
    std::vector<TaskSpec> tasks;
    for (int i = 0; i < count; ++i) {
        tasks.push_back(CpuWorkload::task(i, n + quint64(i), repeat));
    }
    return tasks;
}

// ProcessPoolModel::run on its own std::thread (no Qt event loop there), observed from the test.
class AsyncRun {
public:
    explicit AsyncRun(QString program = {})
    {
        if (!program.isEmpty())
            m_model.setWorkerProgram(program);
    }
    ~AsyncRun()
    {
        cancel.store(true);
        join();
    }
    void start(std::vector<TaskSpec> tasks, int workers)
    {
        m_thread = std::thread([this, tasks = std::move(tasks), workers] {
            RunContext ctx{m_spec, workers, cancel, live, monotonicSeconds()};
            record.t0 = ctx.t0;
            m_model.run(tasks, ctx, record);
            record.wall_s = monotonicSeconds() - ctx.t0;
            record.finalize();
            done.store(true);
        });
    }
    void join()
    {
        if (m_thread.joinable())
            m_thread.join();
    }
    // Waits (polling the live log) until `pred` holds for some event; false on timeout.
    bool waitForEvent(const std::function<bool(const LiveEvent &)> &pred, int timeoutMs = 20000)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs && !done.load()) {
            for (const LiveEvent &e : live.since(&m_cursor))
                if (pred(e))
                    return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return false;
    }

    // Until `workers` distinct workers have started a task (each has done its handshake).
    bool waitForBusyWorkers(int workers)
    {
        QSet<int> busy;
        return waitForEvent([&](const LiveEvent &e) {
            if (e.type == LiveEvent::TaskStarted)
                busy.insert(e.worker);
            return int(busy.size()) >= workers;
        });
    }

    ExperimentSpec &spec() { return m_spec; }
    std::vector<LiveEvent> allEvents() const
    {
        size_t cursor = 0;
        return live.since(&cursor);
    }

    std::atomic<bool> cancel{false};
    std::atomic<bool> done{false};
    LiveLog live;
    RunRecord record;

private:
    ExperimentSpec m_spec;
    ProcessPoolModel m_model;
    std::thread m_thread;
    size_t m_cursor = 0;
};

// A fake worker: a valid hello for protocol `version`, then `then` (shell).
QString fakeWorker(const QTemporaryDir &dir, const QString &name, int version, const QString &then)
{
    // CBOR {"type":"hello","version":V,"pid":1}: 26 bytes for V < 24.
    const QString script = QStringLiteral("#!/bin/sh\nprintf '\\032\\000\\000\\000\\243dtypeehellogversion\\%1cpid\\001'\n%2\n")
                               .arg(version, 3, 8, QLatin1Char('0'))
                               .arg(then);
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(script.toUtf8());
    f.close();
    f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return path;
}

// The pool's fork server among the children of this process (0 when there is none).
qint64 forkServerPid()
{
    for (const ChildProcess &p : childProcesses(::getpid()))
        if (p.state != 'Z' && p.args.contains("--fork-server"))
            return p.pid;
    return 0;
}

} // namespace

class TestProcessPool : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!siblingExecutable(ProcessPoolModel::workerName()).isEmpty(), "concurrency-lab-worker not built");
    }

    void cleanup()
    {
        // Whatever happened in a test, no child (running or zombie) may be left behind.
        const auto kids = childProcesses(::getpid());
        QVERIFY2(kids.empty(), qPrintable(QStringLiteral("%1 child process(es) left, first pid %2 state %3")
                                              .arg(kids.size())
                                              .arg(kids.empty() ? 0 : kids[0].pid)
                                              .arg(QLatin1Char(kids.empty() ? '-' : kids[0].state))));
    }

    void allModelsGiveIdenticalVerifiedValues()
    {
        QString error;
        auto spec = ExperimentSpec::fromJson(
            R"({"name":"t","workload":{"kind":"cpu","numbers":{"start":400000,"count":12},"repeat":3},
                "models":["processes","threads","sequential"],"workers":2})",
            &error);
        QVERIFY2(spec, qPrintable(error));
        Runner runner;
        const ExperimentResult r = runner.run(*spec);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(r.runs.size(), size_t(3));
        QCOMPARE(r.runs[0].model, QStringLiteral("sequential"));
        for (const RunRecord &run : r.runs) {
            QVERIFY2(run.error.isEmpty(), qPrintable(run.model + QStringLiteral(": ") + run.error));
            QVERIFY2(run.verified, qPrintable(run.model));
            QCOMPARE(run.tasks.size(), size_t(12));
            for (size_t i = 0; i < run.tasks.size(); ++i) {
                const TaskResult &t = run.tasks[i];
                QCOMPARE(t.id, int(i));
                QCOMPARE(t.value, toDecimal(sumSquaresClosedForm(400000 + i)));
                QCOMPARE(t.value, r.runs[0].tasks[i].value);
                QVERIFY(t.worker >= 0 && t.worker < run.workers);
                QVERIFY2(t.start_s >= 0 && t.start_s <= t.end_s && t.end_s <= run.wall_s + 1e-3,
                         qPrintable(QStringLiteral("%1 %2..%3 of %4").arg(run.model).arg(t.start_s).arg(t.end_s).arg(run.wall_s)));
            }
        }
        const RunRecord &p = r.runs[2].model == QLatin1String("processes") ? r.runs[2] : r.runs[1];
        QCOMPARE(p.model, QStringLiteral("processes"));
        QCOMPARE(p.workers, 2);
        QCOMPARE(p.worker_restarts, 0);
        QVERIFY(p.cpu_s > 0);
        QVERIFY2(p.spawn_us_median > 100 && p.spawn_us_median < 5e6, qPrintable(QString::number(p.spawn_us_median)));
        const QJsonObject pj = p.toJson();
        QVERIFY(pj.value(QStringLiteral("spawn_ms_median")).isDouble());
        QCOMPARE(pj.value(QStringLiteral("spawn_what")).toString(), QStringLiteral("fork (from the pool's fork server) to handshake"));
        const QJsonObject ipc = pj.value(QStringLiteral("ipc")).toObject();
        const double share = ipc.value(QStringLiteral("dispatch_share")).toDouble(-1);
        QVERIFY2(share >= 0 && share < 1, qPrintable(QString::number(share)));
        QVERIFY(ipc.value(QStringLiteral("compute_s_median")).toDouble() > 0);
        QVERIFY(ipc.value(QStringLiteral("dispatch_s_median")).toDouble() >= 0);
        for (const TaskResult &t : p.tasks) {
            QVERIFY(t.compute_s > 0 && t.dispatch_s >= 0);
            QCOMPARE(t.attempts, 1);
        }
        // The run's peak RSS is its two workers' (each a few MB at least), the app not counted.
        QVERIFY2(p.peak_rss_kb > 2 * 1000, qPrintable(QString::number(p.peak_rss_kb)));
        // The live log saw every task start and finish in the processes run.
        size_t cursor = 0;
        int started = 0, finished = 0;
        for (const LiveEvent &e : runner.live().since(&cursor))
            if (e.run == 2) {
                started += e.type == LiveEvent::TaskStarted;
                finished += e.type == LiveEvent::TaskFinished;
            }
        QCOMPARE(started, 12);
        QCOMPARE(finished, 12);
    }

    // Wide physical bound: 2 worker processes on 2 cores keep more than one core busy. (The
    // foreign load counts the workers as this process's only once they are reaped, which can
    // only make a try look disturbed, never hide a miss.)
    void twoWorkersKeepMoreThanOneCoreBusy()
    {
        if (onlineCores() < 2)
            QSKIP("needs 2 cores");
        LAB_VERIFY_TIMING([&](lab::test::TimingTry &t) {
            AsyncRun run;
            run.start(cpuTasks(8, 5'000'000, 40), 2);
            run.join();
            QVERIFY2(run.record.error.isEmpty(), qPrintable(run.record.error));
            QVERIFY(run.record.verified);
            if (run.record.busy_cores <= 1.3)
                t.miss(QStringLiteral("2 worker processes kept %1 cores busy").arg(run.record.busy_cores, 0, 'f', 2));
        });
    }

    void cancelMidRunLeavesNoChildAndKeepsFinishedResults()
    {
        AsyncRun run;
        run.start(cpuTasks(60, 5'000'000, 30), 2);
        int finished = 0;
        QVERIFY(run.waitForEvent([&](const LiveEvent &e) { return e.type == LiveEvent::TaskFinished && ++finished >= 3; }));
        QVERIFY(!liveWorkers(::getpid()).empty());
        QElapsedTimer sinceCancel;
        sinceCancel.start();
        run.cancel.store(true);
        run.join();
        QVERIFY2(sinceCancel.elapsed() < 1500, qPrintable(QString::number(sinceCancel.elapsed())));
        QVERIFY(childProcesses(::getpid()).empty());
        QVERIFY2(run.record.error.isEmpty(), qPrintable(run.record.error));
        QVERIFY(run.record.tasks.size() >= 3);
        QVERIFY(run.record.tasks.size() < 60);
        for (const TaskResult &t : run.record.tasks)
            QVERIFY(t.ok && t.verified && !t.cancelled);
    }

    // A worker that ignores stdin EOF and SIGTERM is SIGKILLed after 1 s and reaped.
    void cancelEscalatesToSigkill()
    {
        QTemporaryDir dir;
        const QString stubborn = fakeWorker(dir, QStringLiteral("stubborn"), ipc::kProtocolVersion, QStringLiteral("trap '' TERM\nexec sleep 30"));
        AsyncRun run(stubborn);
        run.start(cpuTasks(4, 1000, 1), 1);
        QTest::qSleep(300);
        QCOMPARE(liveWorkers(::getpid()).size(), size_t(0));  // its argv0 is the script's interpreter
        QCOMPARE(childProcesses(::getpid()).size(), size_t(1));
        QElapsedTimer sinceCancel;
        sinceCancel.start();
        run.cancel.store(true);
        run.join();
        const qint64 ms = sinceCancel.elapsed();
        QVERIFY2(ms >= 1000 && ms < 2500, qPrintable(QString::number(ms)));
        QVERIFY(childProcesses(::getpid()).empty());
    }

    // The workers are forks of one fork server, yet children of this process (it reaps them),
    // with a worker's command line; the server's CPU is part of the run's.
    void workersAreForkedChildrenOfTheApp()
    {
        AsyncRun run;
        run.start(cpuTasks(8, 5'000'000, 40), 3);
        QVERIFY(run.waitForBusyWorkers(3));
        const qint64 server = forkServerPid();
        QVERIFY(server > 0);
        // liveWorkers() lists children of this process whose command line is a worker's.
        const std::vector<qint64> workers = liveWorkers(::getpid());
        QCOMPARE(workers.size(), size_t(3));
        QVERIFY(std::find(workers.begin(), workers.end(), server) == workers.end());
        run.join();
        QVERIFY2(run.record.error.isEmpty(), qPrintable(run.record.error));
        QVERIFY(run.record.verified);
        QVERIFY(run.record.ipc && run.record.ipc->readyMs > 0);
        QVERIFY(childProcesses(::getpid()).empty());
    }

    // The fork server killed mid-run: the workers it forked go on and the run completes; a
    // worker that then dies cannot be replaced, and the run ends with one clear error, the
    // finished results kept, and no child left. With its answers held back, the server dies
    // between a fork and its answer, after that worker's own handshake: the worker is adopted
    // from its handshake (it once became a zombie nobody reaped, and the run failed).
    void forkServerDeathEndsTheRunOnlyWhenAWorkerIsNeeded_data()
    {
        QTest::addColumn<bool>("killAWorker");
        QTest::addColumn<int>("answerDelayMs");
        QTest::newRow("workers carry on") << false << 0;
        QTest::newRow("dies before its last answer") << false << 1000;
        QTest::newRow("no replacement") << true << 0;
    }

    void forkServerDeathEndsTheRunOnlyWhenAWorkerIsNeeded()
    {
        QFETCH(bool, killAWorker);
        QFETCH(int, answerDelayMs);
        // The server reads it when it starts; unset once the run (declared after) is joined.
        const auto unset = qScopeGuard([] { qunsetenv("LAB_TEST_FORK_ANSWER_DELAY_MS"); });
        if (answerDelayMs > 0)
            qputenv("LAB_TEST_FORK_ANSWER_DELAY_MS", QByteArray::number(answerDelayMs));
        AsyncRun run;
        run.start(cpuTasks(12, 5'000'000, 20), 2);
        QVERIFY(run.waitForBusyWorkers(2));
        const qint64 server = forkServerPid();
        QVERIFY(server > 0);
        QCOMPARE(::kill(pid_t(server), SIGKILL), 0);
        if (killAWorker) {
            const std::vector<qint64> workers = liveWorkers(::getpid());
            QCOMPARE(workers.size(), size_t(2));
            QCOMPARE(::kill(pid_t(workers[0]), SIGKILL), 0);
        }
        QElapsedTimer t;
        t.start();
        run.join();
        QVERIFY2(t.elapsed() < 15000, qPrintable(QString::number(t.elapsed())));
        if (!killAWorker) {
            QVERIFY2(run.record.error.isEmpty(), qPrintable(run.record.error));
            QCOMPARE(run.record.tasks.size(), size_t(12));
            QVERIFY(run.record.verified);
            return;
        }
        QVERIFY2(run.record.error.contains(QLatin1String("fork server")) && run.record.error.contains(QLatin1String("SIGKILL")),
                 qPrintable(run.record.error));
        QVERIFY(run.record.tasks.size() < 12);
        for (const TaskResult &r : run.record.tasks)
            QVERIFY(r.ok && r.verified);
    }

    // WorkerProcess on its own: output read back, input EOF, exit codes and signals, a program
    // that does not exist.
    void workerProcessReportsOutputAndExit()
    {
        {
            ipc::WorkerProcess cat;
            QString error;
            QVERIFY2(cat.start(QStringLiteral("/bin/cat"), {}, &error), qPrintable(error));
            QVERIFY(cat.pid() > 0);
            cat.write("ping\n");
            cat.closeWriteChannel();
            QVERIFY(cat.waitForFinished(5000));
            QCOMPARE(cat.readAll(), QByteArray("ping\n"));
            QCOMPARE(cat.exitCode(), 0);
            QVERIFY(!cat.crashed());
        }
        {
            ipc::WorkerProcess sh;
            QString error;
            QVERIFY(sh.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("echo oops >&2; exit 7")}, &error));
            QVERIFY(sh.waitForFinished(5000));
            QCOMPARE(sh.exitCode(), 7);
            QCOMPARE(sh.readAllStandardError(), QByteArray("oops\n"));
            QCOMPARE(ipc::describeExit(sh.exitCode(), sh.crashed()), QStringLiteral("exited with code 7"));
        }
        {
            // Only the tail of its stderr is kept (what a failure message quotes).
            ipc::WorkerProcess noisy;
            QString error;
            QVERIFY(noisy.start(QStringLiteral("/bin/sh"),
                                {QStringLiteral("-c"), QStringLiteral("head -c 100000 /dev/zero | tr '\\0' x >&2; echo >&2; echo last words >&2")},
                                &error));
            QVERIFY(noisy.waitForFinished(5000));
            QCOMPARE(noisy.lastStderrLine(), QStringLiteral("last words"));
            const QByteArray tail = noisy.readAllStandardError();
            QVERIFY2(tail.size() <= 2048 && tail.endsWith("last words\n"), qPrintable(QString::number(tail.size())));
        }
        {
            ipc::WorkerProcess sleeper;
            QString error;
            QVERIFY(sleeper.start(QStringLiteral("/bin/sleep"), {QStringLiteral("30")}, &error));
            sleeper.kill();
            QVERIFY(sleeper.waitForFinished(5000));
            QVERIFY(sleeper.crashed());
            QCOMPARE(ipc::describeExit(sleeper.exitCode(), sleeper.crashed()), QStringLiteral("was killed by signal 9 (SIGKILL)"));
        }
        {
            ipc::WorkerProcess none;
            QString error;
            QVERIFY(!none.start(QStringLiteral("/nonexistent/program"), {}, &error));
            QVERIFY2(error.contains(QLatin1String("No such file")), qPrintable(error));
            QVERIFY(!none.isRunning());
        }
        {
            // Destroyed while running: killed and reaped, not left behind.
            ipc::WorkerProcess sleeper;
            QString error;
            QVERIFY(sleeper.start(QStringLiteral("/bin/sleep"), {QStringLiteral("30")}, &error));
        }
        QVERIFY(childProcesses(::getpid()).empty());
    }

    void workerKilledMidTaskIsReplacedAndItsTaskRerun()
    {
        AsyncRun run;
        run.start(cpuTasks(10, 5'000'000, 40), 2);
        int started = 0;
        QVERIFY(run.waitForEvent([&](const LiveEvent &e) { return e.type == LiveEvent::TaskStarted && ++started >= 3; }));
        const std::vector<qint64> workers = liveWorkers(::getpid());
        QCOMPARE(workers.size(), size_t(2));
        QCOMPARE(::kill(pid_t(workers[0]), SIGKILL), 0);
        run.join();
        QVERIFY2(run.record.error.isEmpty(), qPrintable(run.record.error));
        QCOMPARE(run.record.tasks.size(), size_t(10));
        QVERIFY(run.record.verified);
        QCOMPARE(run.record.tasks_ok, 10);
        QVERIFY(run.record.worker_restarts >= 1);
    }

    // One worker, so the one child is the one running the task: killing it twice fails the
    // task (with a reason) and nothing else.
    void taskThatKillsTwoWorkersFailsReadably()
    {
        AsyncRun run;
        run.start(cpuTasks(4, 5'000'000, 40), 1);
        for (int kill = 0; kill < 2; ++kill) {
            QVERIFY(run.waitForEvent([](const LiveEvent &e) { return e.type == LiveEvent::TaskStarted && e.taskId == 1; }));
            const std::vector<qint64> workers = liveWorkers(::getpid());
            QCOMPARE(workers.size(), size_t(1));
            QCOMPARE(::kill(pid_t(workers[0]), SIGKILL), 0);
        }
        run.join();
        QVERIFY2(run.record.error.isEmpty(), qPrintable(run.record.error));
        QCOMPARE(run.record.worker_restarts, 2);
        QCOMPARE(run.record.tasks.size(), size_t(4));
        for (const TaskResult &t : run.record.tasks) {
            if (t.id != 1) {
                QVERIFY(t.ok && t.verified);
                continue;
            }
            QVERIFY(!t.ok);
            QCOMPARE(t.attempts, 2);
            QCOMPARE(t.errorCategory, QStringLiteral("worker-died"));
            QVERIFY2(t.error.toString().contains(QLatin1String("2 workers")) && t.error.toString().contains(QLatin1String("SIGKILL")),
                     qPrintable(t.error));
        }
        QCOMPARE(run.record.tasks_failed, 1);
        QVERIFY(!run.record.verified);
    }

    // A chunk's unfinished tasks survive the death of its worker: the running one is re-run
    // (attempts 2), the ones behind it simply run later (attempts 1).
    void workerKilledMidChunkRerunsTheRestOfTheChunk()
    {
        AsyncRun run;
        run.spec().chunkSize = 4;
        run.start(cpuTasks(4, 5'000'000, 40), 1);
        QVERIFY(run.waitForEvent([](const LiveEvent &e) { return e.type == LiveEvent::TaskStarted && e.taskId == 1; }));
        const std::vector<qint64> workers = liveWorkers(::getpid());
        QCOMPARE(workers.size(), size_t(1));
        QCOMPARE(::kill(pid_t(workers[0]), SIGKILL), 0);
        run.join();
        QVERIFY2(run.record.error.isEmpty(), qPrintable(run.record.error));
        QCOMPARE(run.record.worker_restarts, 1);
        QCOMPARE(run.record.tasks.size(), size_t(4));
        QVERIFY(run.record.verified);
        for (const TaskResult &t : run.record.tasks)
            QCOMPARE(t.attempts, t.id == 1 ? 2 : 1);
        QVERIFY(run.record.ipc);
        QCOMPARE(run.record.ipc->chunkSize, 4);
        // The dead incarnation's window is split as well as its successor's.
        verifyShareSplit(*run.record.ipc);
    }

    // Automatic chunks (ceil(tasks / (4 x workers)) per message), yet every task keeps its own
    // start and finish, in order and without overlap on its worker, and shows in the live log.
    void autoChunksKeepEveryTaskOnTheTimeline()
    {
        AsyncRun run;
        run.start(cpuTasks(400, 1000, 1), 2);
        run.join();
        QVERIFY2(run.record.error.isEmpty(), qPrintable(run.record.error));
        QCOMPARE(run.record.tasks.size(), size_t(400));
        QVERIFY(run.record.verified);
        QVERIFY(run.record.ipc);
        QCOMPARE(run.record.ipc->chunkSize, 50);
        verifyShareSplit(*run.record.ipc);
        QCOMPARE(run.record.ipc->protocolVersion, ipc::kProtocolVersion);
        QVERIFY(run.record.ipc->readyMs > 0);
        QVERIFY(run.record.dispatch_us_per_task && *run.record.dispatch_us_per_task >= 0);
        QVERIFY(run.record.pss_kb && *run.record.pss_kb > 0);
        std::map<int, std::vector<const TaskResult *>> byWorker;
        for (const TaskResult &t : run.record.tasks) {
            QVERIFY(t.start_s > 0 && t.end_s >= t.start_s);
            QVERIFY(t.worker == 0 || t.worker == 1);
            byWorker[t.worker].push_back(&t);
        }
        for (auto &[w, list] : byWorker) {
            std::sort(list.begin(), list.end(), [](auto *a, auto *b) { return a->start_s < b->start_s; });
            for (size_t i = 1; i < list.size(); ++i)
                QVERIFY2(list[i]->start_s >= list[i - 1]->end_s, qPrintable(QStringLiteral("worker %1 tasks %2 and %3 overlap")
                                                                                .arg(w)
                                                                                .arg(list[i - 1]->id)
                                                                                .arg(list[i]->id)));
        }
        std::set<int> started, finished;
        for (const LiveEvent &e : run.allEvents())
            (e.type == LiveEvent::TaskStarted ? started : finished).insert(e.taskId);
        QCOMPARE(started.size(), size_t(400));
        QCOMPARE(finished.size(), size_t(400));
    }

    // Tiny tasks with the workload's own estimate (cpu-tiny): the pipeline is deep from the
    // first message, yet no worker holds more than its share of what is left, so with 2
    // workers each runs some of the 4000 tasks, whether chunked automatically or one per message.
    void tinyTasksFillADeepPipelineFairly_data()
    {
        QTest::addColumn<int>("chunk");
        QTest::newRow("auto") << 0;
        QTest::newRow("one task per message") << 1;
    }

    void tinyTasksFillADeepPipelineFairly()
    {
        QFETCH(int, chunk);
        QString error;
        const std::optional<ExperimentSpec> spec = loadPreset(QStringLiteral("cpu-tiny"), &error);
        QVERIFY2(spec, qPrintable(error));
        AsyncRun run;
        run.spec() = *spec;
        run.spec().chunkSize = chunk;
        const std::vector<TaskSpec> tasks = run.spec().makeTasks();
        QCOMPARE(tasks.size(), size_t(4000));
        QVERIFY(run.spec().estimatedSequentialSeconds() > 0);
        run.start(tasks, 2);
        run.join();
        QVERIFY2(run.record.error.isEmpty(), qPrintable(run.record.error));
        QCOMPARE(run.record.tasks.size(), size_t(4000));
        QVERIFY(run.record.verified);
        std::map<int, int> perWorker;
        for (const TaskResult &t : run.record.tasks)
            ++perWorker[t.worker];
        QCOMPARE(perWorker.size(), size_t(2));
        const int expectedChunk = chunk > 0 ? chunk : 500;
        QCOMPARE(run.record.ipc->chunkSize, expectedChunk);
        for (const auto &[w, n] : perWorker)
            QVERIFY2(n >= expectedChunk, qPrintable(QStringLiteral("worker %1 ran %2 tasks").arg(w).arg(n)));
        std::set<int> finished;
        for (const LiveEvent &e : run.allEvents())
            if (e.type == LiveEvent::TaskFinished)
                finished.insert(e.taskId);
        QCOMPARE(finished.size(), size_t(4000));
    }

    void explicitChunkSizes_data()
    {
        QTest::addColumn<int>("chunk");
        QTest::newRow("one task per message") << 1;
        QTest::newRow("7 per message") << 7;
        QTest::newRow("all in one") << 1000;
    }

    void explicitChunkSizes()
    {
        QFETCH(int, chunk);
        AsyncRun run;
        run.spec().chunkSize = chunk;
        run.start(cpuTasks(100, 2000, 1), 2);
        run.join();
        QVERIFY2(run.record.error.isEmpty(), qPrintable(run.record.error));
        QCOMPARE(run.record.tasks.size(), size_t(100));
        QVERIFY(run.record.verified);
        QCOMPARE(run.record.ipc->chunkSize, chunk);
    }

    // A stopped (or hung) worker misses its task's deadline: it is SIGKILLed, reaped and
    // replaced, that task is reported timed-out (not retried), and the run ends with every
    // other task done.
    void stoppedWorkerTimesOutAndTheRunEnds()
    {
        AsyncRun run;
        run.spec().taskTimeout_s = 2;
        run.start(cpuTasks(40, 5'000'000, 3), 2);
        // Both workers have started a task: each has done its handshake and holds work (a
        // worker stopped before that holds nothing, and no task of it could time out).
        QVERIFY(run.waitForBusyWorkers(2));
        const std::vector<qint64> workers = liveWorkers(::getpid());
        QCOMPARE(workers.size(), size_t(2));
        QElapsedTimer sinceStop;
        sinceStop.start();
        QCOMPARE(::kill(pid_t(workers[0]), SIGSTOP), 0);
        run.join();
        QVERIFY2(sinceStop.elapsed() < 15000, qPrintable(QString::number(sinceStop.elapsed())));
        QVERIFY2(run.record.error.isEmpty(), qPrintable(run.record.error));
        QCOMPARE(run.record.tasks.size(), size_t(40));
        int timedOut = 0;
        for (const TaskResult &t : run.record.tasks) {
            if (t.errorCategory == QLatin1String("timed-out")) {
                ++timedOut;
                QVERIFY(!t.ok);
                QCOMPARE(t.attempts, 1);
                QVERIFY2(t.error.toString().contains(QLatin1String("deadline")) && t.error.toString().contains(QString::number(workers[0])),
                         qPrintable(t.error));
            } else {
                QVERIFY2(t.ok && t.verified, qPrintable(t.error));
            }
        }
        QCOMPARE(timedOut, 1);
        QCOMPARE(run.record.tasks_failed, 1);
        QVERIFY(run.record.worker_restarts >= 1);
        QCOMPARE(run.record.ipc->taskTimeout_s, 2.0);
    }

    void brokenWorkersGiveARecordError_data()
    {
        QTest::addColumn<QString>("program");   // "" : a fake, see below
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing") << QStringLiteral("/nonexistent/concurrency-lab-worker") << QStringLiteral("missing");
        QTest::newRow("exits at once") << QStringLiteral("/bin/true") << QStringLiteral("exited with code 0");
        QTest::newRow("prints text") << QStringLiteral("/bin/echo") << QStringLiteral("protocol error");
        QTest::newRow("other version") << QString() << QStringLiteral("protocol version 9");
    }

    void brokenWorkersGiveARecordError()
    {
        QFETCH(QString, program);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        if (program.isEmpty())
            program = fakeWorker(dir, QStringLiteral("v9"), 9, QStringLiteral("exec cat >/dev/null"));
        QElapsedTimer t;
        t.start();
        AsyncRun run(program);
        run.start(cpuTasks(3, 1000, 1), 2);
        run.join();
        QVERIFY2(run.record.error.contains(expected), qPrintable(run.record.error));
        QVERIFY(run.record.tasks.empty());
        QVERIFY2(t.elapsed() < 3000, qPrintable(QString::number(t.elapsed())));
    }

    // A worker program that complains and exits: the run's error quotes its last stderr line.
    void brokenWorkerIsQuotedFromItsStderr()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("complains"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("#!/bin/sh\necho 'first line' >&2\necho 'no such mode here' >&2\nexit 2\n");
        f.close();
        f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        AsyncRun run(path);
        run.start(cpuTasks(3, 1000, 1), 2);
        run.join();
        QVERIFY2(run.record.error.contains(QLatin1String("exited with code 2")) &&
                     run.record.error.contains(QLatin1String("(stderr: no such mode here)")),
                 qPrintable(run.record.error));
        QVERIFY(run.record.tasks.empty());
    }

    void spawnMeasurement()
    {
        QString error;
        const double s = measureWorkerSpawnSeconds(siblingExecutable(ProcessPoolModel::workerName()), &error);
        QVERIFY2(s > 0 && s < 5, qPrintable(error));
        QVERIFY(measureWorkerSpawnSeconds(QStringLiteral("/bin/true"), &error) < 0);
        QVERIFY(!error.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestProcessPool)
#include "tst_processpool.moc"
