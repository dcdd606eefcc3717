// Whatever ends the CLI or the app during a CPython process-pool run, nothing is left behind:
// no pool worker running on under PID 1, no zombie, no temporary concurrency-lab-XXXXXX folder
// (for the signals the process survives long enough to handle: SIGTERM, SIGHUP, SIGINT).
#include "models/pythonmodel.h"
#include "sampling/foreignload.h"
#include "util/sysinfo.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <thread>
#include <vector>

using namespace lab;

namespace {

// Members of a process group, zombies (exited, not yet reaped) included.
size_t groupMembers(qint64 pgid)
{
    size_t n = 0;
    for (const PidStat &p : listProcesses())
        n += p.pgrp == pgid;
    return n;
}

// Live members of a process group (zombies do not count).
int liveMembers(qint64 pgid)
{
    int n = 0;
    for (const PidStat &p : listProcesses())
        n += p.pgrp == pgid && p.state != 'Z';
    return n;
}

QStringList labTempEntries(const QString &dir)
{
    return QDir(dir).entryList({QStringLiteral("concurrency-lab-*")}, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
}

// The interpreter under `parent` once it runs `workers` live pool workers; 0 on timeout.
qint64 waitForPool(qint64 parent, size_t workers, int timeoutMs = 30000)
{
    const double until = monotonicSeconds() + timeoutMs / 1000.0;
    while (monotonicSeconds() < until) {
        for (const ChildProcess &c : childProcesses(parent)) {
            if (c.state == 'Z' || !c.argv0.contains("python"))
                continue;
            size_t live = 0;
            for (const ChildProcess &w : childProcesses(c.pid))
                live += w.state != 'Z';
            if (live >= workers)
                return c.pid;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
}

// A python-processes run of long waits: killed long before it could end.
const char *kSpec = "{\"name\":\"faults\",\"workload\":{\"kind\":\"sleep\",\"tasks\":6,\"ms\":30000},"
                    "\"models\":[\"python-processes\"],\"workers\":2}";

struct Started {
    std::unique_ptr<QProcess> proc;
    qint64 interpreter = 0;
};

} // namespace

class TestFaults : public QObject {
    Q_OBJECT
    QTemporaryDir m_specDir;
    QString m_spec;

    Started start(const QString &program, const QStringList &args, const QString &tmp, bool nohup = false)
    {
        Started s;
        s.proc = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TMPDIR"), tmp);
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        s.proc->setProcessEnvironment(env);
        s.proc->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        // Front ends leave a signal ignored at start-up ignored (nohup): start them with the
        // default dispositions whatever this test inherited.
        s.proc->setChildProcessModifier([nohup] {
            ::signal(SIGHUP, nohup ? SIG_IGN : SIG_DFL);
            ::signal(SIGINT, SIG_DFL);
        });
        s.proc->start(program, args);
        if (s.proc->waitForStarted(10000))
            s.interpreter = waitForPool(s.proc->processId(), 2);
        return s;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (!PythonModel::unavailableReason().isEmpty())
            QSKIP(qPrintable(PythonModel::unavailableReason()));
        QVERIFY(m_specDir.isValid());
        m_spec = m_specDir.filePath(QStringLiteral("faults.json"));
        QFile f(m_spec);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kSpec);
    }

    void cliSignalCleansUp_data()
    {
        QTest::addColumn<int>("sig");
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGHUP") << int(SIGHUP);
        QTest::newRow("SIGINT") << int(SIGINT);
    }
    void cliSignalCleansUp()
    {
        QFETCH(int, sig);
        const QString cli = siblingExecutable(QStringLiteral("concurrency-lab-cli"));
        QVERIFY2(!cli.isEmpty(), "concurrency-lab-cli not built");
        QTemporaryDir tmp;
        Started s = start(cli, {QStringLiteral("run"), m_spec, QStringLiteral("--quiet")}, tmp.path());
        QVERIFY2(s.interpreter > 0, "the CLI never ran a CPython pool");
        QCOMPARE(labTempEntries(tmp.path()).size(), 1);  // the extracted scripts
        ::kill(pid_t(s.proc->processId()), sig);
        QVERIFY2(s.proc->waitForFinished(15000), "the CLI did not end after the signal");
        QCOMPARE(s.proc->exitStatus(), QProcess::NormalExit);
        QCOMPARE(s.proc->exitCode(), 130);
        QCOMPARE(groupMembers(s.interpreter), size_t(0));  // nothing left, not even a zombie
        QVERIFY2(labTempEntries(tmp.path()).isEmpty(), qPrintable(labTempEntries(tmp.path()).join(QLatin1Char(' '))));
    }

    // SIGKILL cannot be handled: the pool workers must die by their own parent-death signal.
    void cliSigkillLeavesNoOrphans()
    {
        const QString cli = siblingExecutable(QStringLiteral("concurrency-lab-cli"));
        QVERIFY2(!cli.isEmpty(), "concurrency-lab-cli not built");
        QTemporaryDir tmp;
        Started s = start(cli, {QStringLiteral("run"), m_spec, QStringLiteral("--quiet")}, tmp.path());
        QVERIFY2(s.interpreter > 0, "the CLI never ran a CPython pool");
        ::kill(pid_t(s.proc->processId()), SIGKILL);
        QVERIFY(s.proc->waitForFinished(5000));
        QTRY_COMPARE_WITH_TIMEOUT(liveMembers(s.interpreter), 0, 3000);
    }

    // Under nohup (SIGHUP ignored at start-up) a hang-up does not end the run; SIGTERM still does.
    void cliUnderNohupIgnoresSighup()
    {
        const QString cli = siblingExecutable(QStringLiteral("concurrency-lab-cli"));
        QVERIFY2(!cli.isEmpty(), "concurrency-lab-cli not built");
        QTemporaryDir tmp;
        Started s = start(cli, {QStringLiteral("run"), m_spec, QStringLiteral("--quiet")}, tmp.path(), true);
        QVERIFY2(s.interpreter > 0, "the CLI never ran a CPython pool");
        ::kill(pid_t(s.proc->processId()), SIGHUP);
        QVERIFY(!s.proc->waitForFinished(1500));
        QVERIFY(liveMembers(s.interpreter) >= 3);
        ::kill(pid_t(s.proc->processId()), SIGTERM);
        QVERIFY(s.proc->waitForFinished(15000));
        QCOMPARE(s.proc->exitCode(), 130);
        QCOMPARE(groupMembers(s.interpreter), size_t(0));
        QVERIFY(labTempEntries(tmp.path()).isEmpty());
    }

    void appSignalCleansUp_data()
    {
        QTest::addColumn<int>("sig");
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGHUP") << int(SIGHUP);
    }
    void appSignalCleansUp()
    {
        QFETCH(int, sig);
        const QString app = siblingExecutable(QStringLiteral("concurrency-lab"));
        if (app.isEmpty())
            QSKIP("the app is not built");
        QTemporaryDir tmp;
        Started s = start(app, {QStringLiteral("--preset"), m_spec, QStringLiteral("--run"), QStringLiteral("--no-settings")},
                          tmp.path());
        QVERIFY2(s.interpreter > 0, "the app never ran a CPython pool");
        QCOMPARE(labTempEntries(tmp.path()).size(), 1);
        ::kill(pid_t(s.proc->processId()), sig);
        QVERIFY2(s.proc->waitForFinished(20000), "the app did not end after the signal");
        QCOMPARE(s.proc->exitStatus(), QProcess::NormalExit);
        QCOMPARE(s.proc->exitCode(), 128 + sig);
        QCOMPARE(groupMembers(s.interpreter), size_t(0));
        QVERIFY2(labTempEntries(tmp.path()).isEmpty(), qPrintable(labTempEntries(tmp.path()).join(QLatin1Char(' '))));
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
