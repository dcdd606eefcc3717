// ipc-cost and startup-cost: every transport delivers intact bytes in order, a changed byte is
// caught, a cancel ends a transfer with its partner reaped, bad sizes give one line, and
// startup-cost counts what it says.
#include "experiment/runner.h"
#include "lessons/lesson.h"
#include "models/executionmodel.h"
#include "models/pythonmodel.h"
#include "testutil.h"
#include "util/sysinfo.h"
#include "workloads/ipccost/ipccostworkload.h"
#include "workloads/ipccost/ipctransfer.h"
#include "workloads/startupcost/startupcostworkload.h"
#include "workloads/startupcost/startupwork.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QTest>

#include <atomic>
#include <cstring>
#include <thread>
#include <signal.h>
#include <unistd.h>

using namespace lab;
using namespace lab::test;

Q_DECLARE_METATYPE(lab::IpcTransport)

namespace {

QSet<QString> shmEntries()
{
    const QStringList l = QDir(QStringLiteral("/dev/shm")).entryList(QDir::Files | QDir::System | QDir::Hidden);
    return QSet<QString>(l.begin(), l.end());
}

// Entries that appeared since `before` and are still there a moment later (another program's
// short-lived segment is not ours).
QStringList leftInShm(const QSet<QString> &before)
{
    QSet<QString> now = shmEntries() - before;
    if (now.isEmpty())
        return {};
    QTest::qWait(300);
    now &= shmEntries();
    return QStringList(now.begin(), now.end());
}

// Children of this process, zombies included (an unreaped child is a leak too); the python
// models' reaped interpreters are gone by the time a run returns.
size_t childCount()
{
    return childProcesses(qint64(::getpid())).size();
}

QString parseError(const QByteArray &json)
{
    QString error;
    const auto spec = ExperimentSpec::fromJson(json, &error);
    return spec ? QString() : error;
}

bool pythonAvailable()
{
    const ModelInfo *m = findModel(QStringLiteral("python-sequential"));
    return m && m->whyUnavailable().isEmpty();
}

} // namespace

class TestCosts : public QObject {
    Q_OBJECT

private slots:
    void checksumSeesOrderAndTail()
    {
        unsigned char a[19], b[19];
        for (int i = 0; i < 19; ++i)
            a[i] = b[i] = static_cast<unsigned char>(i * 7 + 1);
        QCOMPARE(ipcChecksum(a, 19).value(), ipcChecksum(b, 19).value());
        // two words swapped: the same plain sum, a different checksum
        std::memcpy(b, a + 8, 8);
        std::memcpy(b + 8, a, 8);
        QVERIFY(ipcChecksum(a, 19).value() != ipcChecksum(b, 19).value());
        // the last partial word counts
        std::memcpy(b, a, 19);
        b[18] ^= 1;
        QVERIFY(ipcChecksum(a, 19).value() != ipcChecksum(b, 19).value());
    }

    void transportsDeliverIntact_data()
    {
        QTest::addColumn<IpcTransport>("transport");
        QTest::addColumn<qint64>("payload");
        QTest::addColumn<qint64>("messages");
        for (IpcTransport t : {IpcTransport::Thread, IpcTransport::Pipe, IpcTransport::Socket, IpcTransport::SharedMemory}) {
            const QByteArray name = ipcTransportName(t).toLatin1();
            QTest::newRow(QByteArray(name + "-64B").constData()) << t << qint64(64) << qint64(2000);
            QTest::newRow(QByteArray(name + "-1MiB+3").constData()) << t << qint64(1024 * 1024 + 3) << qint64(20);
        }
    }
    void transportsDeliverIntact()
    {
        QFETCH(IpcTransport, transport);
        QFETCH(qint64, payload);
        QFETCH(qint64, messages);
        const size_t kidsBefore = childCount();
        std::atomic<bool> cancel{false};
        const IpcMeasurement m = measureIpc({transport, payload, messages, -1}, cancel);
        QVERIFY2(m.ok, qPrintable(m.error));
        QCOMPARE(m.messages, messages);
        QCOMPARE(m.bytes, messages * payload);
        QCOMPARE(m.actualSum, m.expectedSum);
        QVERIFY(m.expectedSum != 0);
        QVERIFY(m.seconds > 0);
        QCOMPARE(childCount(), kidsBefore);
    }

    void changedByteIsCaught_data()
    {
        QTest::addColumn<IpcTransport>("transport");
        for (IpcTransport t : {IpcTransport::Thread, IpcTransport::Pipe, IpcTransport::Socket, IpcTransport::SharedMemory})
            QTest::newRow(ipcTransportName(t).toLatin1().constData()) << t;
    }
    void changedByteIsCaught()
    {
        QFETCH(IpcTransport, transport);
        std::atomic<bool> cancel{false};
        const IpcMeasurement m = measureIpc({transport, 4096, 10, 3}, cancel);
        QVERIFY(!m.ok);
        QVERIFY2(m.error.contains(QLatin1String("message 3")) && m.error.contains(QLatin1String("checksum")),
                 qPrintable(m.error));
        QVERIFY(m.actualSum != m.expectedSum);
        QCOMPARE(m.messages, qint64(2));  // messages 1 and 2 were timed before the bad one
        QCOMPARE(childCount(), size_t(0));
    }

    void cancelMidTransferReapsPartner_data() { changedByteIsCaught_data(); }
    void cancelMidTransferReapsPartner()
    {
        QFETCH(IpcTransport, transport);
        const QSet<QString> shmBefore = shmEntries();
        std::atomic<bool> cancel{false};
        IpcMeasurement m;
        std::atomic<double> returnedAt{0};
        // 64 MiB x 100000 messages would take minutes: the cancel lands mid-transfer.
        std::thread runner([&] {
            m = measureIpc({transport, 64LL * 1024 * 1024, 100000, -1}, cancel);
            returnedAt = monotonicSeconds();
        });
        // Until the partner runs (filling 64 MiB first takes a while on a loaded machine), then a bit.
        bool partnerRan = transport == IpcTransport::Thread;
        for (int i = 0; i < 250 && !partnerRan; ++i) {
            QTest::qWait(20);
            partnerRan = childCount() == 1;
        }
        QTest::qWait(200);
        const double cancelledAt = monotonicSeconds();
        cancel = true;
        runner.join();
        const double late = returnedAt - cancelledAt;
        qInfo("cancel honoured after %.1f ms", late * 1e3);
        QVERIFY(partnerRan);
        QVERIFY(m.cancelled);
        QVERIFY(!m.ok);
        QVERIFY(m.messages < 100000);
        QVERIFY2(late < 1.0, qPrintable(QString::number(late)));  // ~50 ms poll; generous for a loaded box
        QCOMPARE(childCount(), size_t(0));                           // killed and reaped, no zombie
        QCOMPARE(leftInShm(shmBefore), QStringList());
    }

    void runnerCancelEndsTheRun()
    {
        // Through the Runner, as the app's Stop button does: 1000 x 64 MiB would take minutes.
        const ExperimentSpec spec = specFromJson(
            R"({"workload": {"kind": "ipc-cost", "round_trips": 1000, "total_bytes": 1099511627776},
                "variants": ["socket-64MiB"], "models": ["sequential"]})");
        Runner runner;
        const CancelledRun c = runCancelledAfter(runner, spec, 600);
        qInfo("cancel honoured after %.1f ms", c.late_s * 1e3);
        QVERIFY2(c.late_s < 1.0, qPrintable(QString::number(c.late_s)));
        QCOMPARE(c.result.runs.size(), size_t(1));
        QVERIFY(c.result.runs.front().cancelled || !c.result.runs.front().verified);
        QCOMPARE(childCount(), size_t(0));
    }

    void partnerDeathIsReported()
    {
        // A partner killed from outside: the transfer fails with a reason, nothing waits for ever.
        std::atomic<bool> cancel{false};
        IpcMeasurement m;
        std::thread runner([&] { m = measureIpc({IpcTransport::Pipe, 64LL * 1024 * 1024, 100000, -1}, cancel); });
        std::vector<ChildProcess> kids;
        for (int i = 0; i < 100 && kids.empty(); ++i) {
            QTest::qWait(20);
            kids = childProcesses(qint64(::getpid()));
        }
        QCOMPARE(kids.size(), size_t(1));
        ::kill(pid_t(kids.front().pid), SIGKILL);
        runner.join();
        QVERIFY(!m.ok);
        QVERIFY(!m.cancelled);
        QVERIFY2(m.error.contains(QLatin1String("partner")), qPrintable(m.error));
        QCOMPARE(childCount(), size_t(0));
    }

    void badSizesGiveOneLine_data()
    {
        QTest::addColumn<QByteArray>("workload");
        QTest::addColumn<QString>("names");
        QTest::newRow("payload below 8 B") << QByteArray(R"("payloads": [4])") << QStringLiteral("workload.payloads");
        QTest::newRow("payload above 16 GiB") << QByteArray(R"("payloads": [17179869185])")
                                              << QStringLiteral("workload.payloads");
        QTest::newRow("no round trips") << QByteArray(R"("round_trips": 0)") << QStringLiteral("workload.round_trips");
        QTest::newRow("not a number") << QByteArray(R"("round_trips": "many")") << QStringLiteral("workload.round_trips");
        QTest::newRow("unknown transport") << QByteArray(R"("transports": ["pigeon"])")
                                           << QStringLiteral("workload.transports");
        QTest::newRow("a size twice") << QByteArray(R"("payloads": [64, 64])") << QStringLiteral("workload.payloads");
    }
    void badSizesGiveOneLine()
    {
        QFETCH(QByteArray, workload);
        QFETCH(QString, names);
        const QString error = parseError(R"({"workload": {"kind": "ipc-cost", )" + workload + R"(}, "models": ["sequential"]})");
        QVERIFY2(error.contains(names), qPrintable(error));
        QVERIFY(!error.contains(QLatin1Char('\n')));
    }

    void payloadBeyondMemoryIsRefused()
    {
        const qint64 available = IpcCostWorkload::availableMemoryBytes();
        if (available <= 0 || available > 60LL * 1024 * 1024 * 1024)
            QSKIP("MemAvailable unknown or above 60 GiB: 16 GiB payloads would fit");
        const QString error = parseError(
            R"({"workload": {"kind": "ipc-cost", "transports": ["pipe"], "payloads": [64, 17179869184]}, "models": ["sequential"]})");
        QVERIFY2(error.contains(QLatin1String("variant pipe-16GiB")) && error.contains(QLatin1String("workload.payloads"))
                     && error.contains(QLatin1String("available")),
                 qPrintable(error));
        QVERIFY(!error.contains(QLatin1Char('\n')));
    }

    void variantsAndModels()
    {
        IpcCostWorkload w;
        QString error;
        const auto params = parseWorkloadParams(w, QJsonObject{{QStringLiteral("kind"), QStringLiteral("ipc-cost")}}, &error);
        QVERIFY2(params, qPrintable(error));
        QStringList names;
        for (const Variant &v : w.variants(*params))
            names << v.name;
        for (const char *n : {"thread-64B", "thread-1MiB", "pipe-64B", "pipe-1MiB", "pipe-64MiB", "socket-64B",
                              "socket-1MiB", "shm-64B", "shm-1MiB", "shm-64MiB", "queue-64B", "queue-1MiB"})
            QVERIFY2(names.contains(QLatin1String(n)), n);
        const QJsonObject queue = withVariant(*params, w.variants(*params).back());
        QCOMPARE(queue.value(QStringLiteral("transport")).toString(), QStringLiteral("queue"));
        QVERIFY(!w.whyNotOnVariant(*findModel(QStringLiteral("sequential")), queue).isEmpty());
        QVERIFY(w.whyNotOnVariant(*findModel(QStringLiteral("python-sequential")), queue).isEmpty());
        QVERIFY(!w.whyNotOn(*findModel(QStringLiteral("threads"))).isEmpty());
        QVERIFY(!w.whyNotOn(*findModel(QStringLiteral("processes"))).isEmpty());
        // large payloads send fewer messages
        QCOMPARE(IpcCostWorkload::messagesFor(*params, 64), qint64(10000));
        QCOMPARE(IpcCostWorkload::messagesFor(*params, 1024 * 1024), qint64(256));
        QCOMPARE(IpcCostWorkload::messagesFor(*params, 64 * 1024 * 1024), qint64(4));
    }

    void runnerRunsVariantsWithOutcomes()
    {
        const ExperimentSpec spec = specFromJson(
            R"({"workload": {"kind": "ipc-cost", "round_trips": 200, "total_bytes": 4194304},
                "variants": ["pipe-64B", "shm-1MiB", "thread-64KiB"], "models": ["sequential"]})");
        Runner runner;
        const ExperimentResult r = runner.run(spec);
        QCOMPARE(r.runs.size(), size_t(3));
        for (const RunRecord &run : r.runs) {
            QVERIFY2(run.verified, qPrintable(run.variant + QLatin1Char(' ') + run.error));
            const auto *s = dynamic_cast<const IpcCostSummary *>(run.workloadSummary.get());
            QVERIFY(s);
            const std::optional<VariantOutcome> o = s->outcome();
            QVERIFY(o && o->ok);
            QCOMPARE(o->expected, o->actual);
            if (run.variant == QLatin1String("pipe-64B")) {
                QCOMPARE(s->messages, qint64(200));
                QVERIFY(o->usPerOp && *o->usPerOp > 0 && !o->gbPerS);
            } else {
                QCOMPARE(s->messages, run.variant == QLatin1String("shm-1MiB") ? qint64(4) : qint64(64));
                QVERIFY(o->gbPerS && *o->gbPerS > 0 && !o->usPerOp);
            }
            // the summary reads back from its JSON
            QJsonObject json;
            s->writeJson(json);
            const auto back = IpcCostSummary::fromJson(json);
            QVERIFY(back);
            QCOMPARE(back->messages, s->messages);
            QCOMPARE(back->transport, s->transport);
            QCOMPARE(back->outcome()->ok, true);
            QCOMPARE(back->outcome()->expected, o->expected);
        }
        QCOMPARE(childCount(), size_t(0));
    }

    void cpythonTwinMovesIntactBytes()
    {
        if (!pythonAvailable())
            QSKIP("python3 not available");
        const QSet<QString> shmBefore = shmEntries();
        const ExperimentSpec spec = specFromJson(
            R"({"workload": {"kind": "ipc-cost", "round_trips": 50, "payloads": [64, 65536]},
                "variants": ["thread-64B", "pipe-64B", "queue-64B", "socket-64KiB", "shm-64KiB"],
                "models": ["python-sequential"]})");
        Runner runner;
        const ExperimentResult r = runner.run(spec);
        QCOMPARE(r.runs.size(), size_t(5));
        for (const RunRecord &run : r.runs) {
            QVERIFY2(run.verified, qPrintable(run.variant + QLatin1Char(' ') + run.error
                                             + (run.tasks.empty() ? QString() : run.tasks.front().error.toString())));
            const auto *s = dynamic_cast<const IpcCostSummary *>(run.workloadSummary.get());
            QVERIFY(s && s->verified);
            QCOMPARE(s->messages, qint64(50));
            QCOMPARE(s->expectedSum, s->actualSum);
        }
        QCOMPARE(childCount(), size_t(0));
        QCOMPARE(leftInShm(shmBefore), QStringList());
    }

    void startupCountsWhatItSays_data()
    {
        QTest::addColumn<QString>("mechanism");
        QTest::addColumn<int>("count");
        QTest::newRow("1000 threads joined") << QStringLiteral("thread") << 1000;
        QTest::newRow("100 forks reaped") << QStringLiteral("fork") << 100;
        QTest::newRow("100 posix_spawns reaped") << QStringLiteral("posix-spawn") << 100;
        QTest::newRow("100 QProcesses reaped") << QStringLiteral("qprocess") << 100;
    }
    void startupCountsWhatItSays()
    {
        QFETCH(QString, mechanism);
        QFETCH(int, count);
        std::atomic<bool> cancel{false};
        const StartupMeasurement m = measureStartup(*startupMechanismFromName(mechanism), count, cancel);
        QVERIFY2(m.ok, qPrintable(m.error));
        QCOMPARE(m.completed, count);
        QCOMPARE(int(m.us.size()), count);
        for (double us : m.us)
            QVERIFY(us > 0);
        QCOMPARE(childCount(), size_t(0));
    }

    void startupCancelStopsBetweenStarts()
    {
        std::atomic<bool> cancel{true};
        const StartupMeasurement m = measureStartup(StartupMechanism::Fork, 100, cancel);
        QVERIFY(m.cancelled);
        QVERIFY(!m.ok);
        QCOMPARE(m.completed, 0);
        QCOMPARE(childCount(), size_t(0));
    }

    void startupRunnerAndSummary()
    {
        const ExperimentSpec spec = specFromJson(
            R"({"workload": {"kind": "startup-cost", "threads": 50, "processes": 10},
                "variants": ["thread", "fork", "mp-spawn"], "models": ["sequential"]})");
        Runner runner;
        const ExperimentResult r = runner.run(spec);
        QCOMPARE(r.runs.size(), size_t(2));  // mp-spawn does not fit the native model
        for (const RunRecord &run : r.runs) {
            QVERIFY2(run.verified, qPrintable(run.error));
            const auto *s = dynamic_cast<const StartupCostSummary *>(run.workloadSummary.get());
            QVERIFY(s);
            QCOMPARE(s->count, run.variant == QLatin1String("thread") ? 50 : 10);
            QVERIFY(s->medianUs && s->p99Us && *s->p99Us >= *s->medianUs);
            const auto o = s->outcome();
            QVERIFY(o && o->ok && o->usPerOp == s->medianUs);
            QVERIFY(o->words.contains(QLatin1String("p99")));
            QJsonObject json;
            s->writeJson(json);
            const auto back = StartupCostSummary::fromJson(json);
            QVERIFY(back && back->verified);
            QCOMPARE(back->count, s->count);
            QCOMPARE(back->medianUs, s->medianUs);
            QCOMPARE(back->p99Us, s->p99Us);
        }
        StartupCostWorkload w;
        QVERIFY(!w.whyNotOnVariant(*findModel(QStringLiteral("python-sequential")),
                                   QJsonObject{{QStringLiteral("mechanism"), QStringLiteral("qprocess")}})
                     .isEmpty());
        QCOMPARE(parseError(R"({"workload": {"kind": "startup-cost", "threads": 0}})").contains(QLatin1String("workload.threads")), true);
    }

    void lessonFiguresNameAVariant()
    {
        QFile f(QStringLiteral(LAB_TEST_DATA_DIR "/../../resources/lessons/10-costs.lesson"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QString error;
        int line = 0;
        const auto lesson = parseLesson(f.readAll(), &error, &line);
        QVERIFY2(lesson, qPrintable(error));
        // A smaller run of the same preset, native only: the C++ figures come from their own
        // variant's run, the CPython ones are missing (not 0).
        const ExperimentSpec spec = specFromJson(
            R"({"workload": {"kind": "startup-cost", "threads": 30, "processes": 5},
                "variants": ["thread", "fork", "posix-spawn"], "models": ["sequential"]})");
        Runner runner;
        const ExperimentResult r = runner.run(spec);
        const LessonOutcome o = evaluateLesson(*lesson, r, 2);
        const auto medianOf = [&](const QString &variant) {
            for (const RunRecord &run : r.runs)
                if (run.variant == variant)
                    return run.workloadSummary->outcome()->usPerOp;
            return std::optional<double>();
        };
        QVERIFY(o.values.value(QStringLiteral("fork")).has_value());
        QCOMPARE(o.values.value(QStringLiteral("fork")), medianOf(QStringLiteral("fork")));
        QCOMPARE(o.values.value(QStringLiteral("thread")), medianOf(QStringLiteral("thread")));
        QCOMPARE(o.values.value(QStringLiteral("spawn")), medianOf(QStringLiteral("posix-spawn")));
        QVERIFY(o.missing.contains(QStringLiteral("mpspawn")));
        QVERIFY(o.correct >= 0);
        // a variant the preset does not run is refused with its line
        QByteArray text = "title: t\nclaim: c\npreset: startup-cost\nquestion: q\n"
                          "figure: x = us_per_op(sequential @ teleport)\nchoice: a | x < 1\nchoice: b | otherwise\nnotice: n\n";
        QVERIFY(!parseLesson(text, &error, &line));
        QVERIFY2(error.contains(QLatin1String("teleport")), qPrintable(error));
        QCOMPARE(line, 5);
    }

    void startupCPythonTwin()
    {
        if (!pythonAvailable())
            QSKIP("python3 not available");
        const ExperimentSpec spec = specFromJson(
            R"({"workload": {"kind": "startup-cost", "threads": 20, "processes": 3},
                "variants": ["thread", "fork", "posix-spawn", "mp-fork", "mp-forkserver"], "models": ["python-sequential"]})");
        Runner runner;
        const ExperimentResult r = runner.run(spec);
        QCOMPARE(r.runs.size(), size_t(5));
        for (const RunRecord &run : r.runs) {
            QVERIFY2(run.verified, qPrintable(run.variant + QLatin1Char(' ') + run.error
                                             + (run.tasks.empty() ? QString() : run.tasks.front().error.toString())));
            const auto *s = dynamic_cast<const StartupCostSummary *>(run.workloadSummary.get());
            QVERIFY(s && s->medianUs);
            QCOMPARE(s->count, run.variant == QLatin1String("thread") ? 20 : 3);
        }
        QCOMPARE(childCount(), size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestCosts)
#include "tst_costs.moc"
