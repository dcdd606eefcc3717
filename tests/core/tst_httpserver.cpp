// The built-in HTTP server as a real child process: start/stop/reap, port line, CPU reading,
// no orphans when the parent dies, 256 slow requests served at once, and /health answered under
// a flood of slow requests (the admission limit on body requests).
#include "experiment/runner.h"
#include "util/sysinfo.h"
#include "workloads/io/localserver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTcpSocket>
#include <QTest>

#include <memory>
#include <vector>

#include <signal.h>

using namespace lab;

namespace {

bool processGone(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return true;
    const QByteArray s = f.readAll();
    const qsizetype close = s.lastIndexOf(')');
    return close >= 0 && s.mid(close + 2, 1) == "Z";  // a zombie no longer runs
}

bool waitGone(qint64 pid, int ms)
{
    QElapsedTimer t;
    t.start();
    while (!processGone(pid)) {
        if (t.elapsed() > ms)
            return false;
        QTest::qWait(20);
    }
    return true;
}

// A server child with `args`; its port, or 0 (with a QTest failure message in *why).
int startServer(QProcess &p, const QStringList &args, QString *why)
{
    p.start(siblingExecutable(QStringLiteral("concurrency-lab-server")), args);
    if (!p.waitForStarted(5000)) {
        *why = p.errorString();
        return 0;
    }
    QByteArray line;
    QElapsedTimer t;
    t.start();
    while (!line.contains('\n') && t.elapsed() < 5000) {
        p.waitForReadyRead(100);
        line += p.readAllStandardOutput();
    }
    if (!line.startsWith("LISTENING ")) {
        *why = QString::fromUtf8(line + p.readAllStandardError());
        return 0;
    }
    return line.mid(line.lastIndexOf(':') + 1).trimmed().toInt();
}

ExperimentSpec slowSpec(const QString &model, int requests, int latencyMs)
{
    ExperimentSpec s;
    s.name = QStringLiteral("server-load");
    s.workload = QStringLiteral("io");
    s.params = QJsonObject{
        {QStringLiteral("urls"), QJsonArray{QStringLiteral("http://{server}/data?size=2000&seed=3&latency_ms=%1").arg(latencyMs)}},
        {QStringLiteral("repeat"), requests}};
    s.models = {model};
    s.workers = requests;
    return s;
}

} // namespace

class TestHttpServer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void startStopReaps()
    {
        LocalServer server;
        QString error;
        QVERIFY(!server.isRunning());
        QVERIFY2(server.start(&error), qPrintable(error));
        QVERIFY(server.isRunning());
        QVERIFY(server.hostPort().startsWith(QLatin1String("127.0.0.1:")));
        const int port = server.hostPort().section(QLatin1Char(':'), 1).toInt();
        QVERIFY(port > 0 && port < 65536);
        const qint64 pid = server.pid();
        QVERIFY(pid > 0);
        QVERIFY(server.cpuSeconds() >= 0);
        QElapsedTimer t;
        t.start();
        server.stop();
        QVERIFY2(t.elapsed() < 1500, "the server leaves as soon as its stdin closes");
        QVERIFY(!server.isRunning());
        QVERIFY(processGone(pid));
        QVERIFY(::kill(pid_t(pid), 0) != 0);  // reaped, not a zombie
        // Restartable, on a new port.
        QVERIFY2(server.start(&error), qPrintable(error));
        QVERIFY(server.pid() != pid);
        server.stop();
    }

    void destructorStops()
    {
        qint64 pid = 0;
        {
            LocalServer server;
            QString error;
            QVERIFY2(server.start(&error), qPrintable(error));
            pid = server.pid();
        }
        QVERIFY(::kill(pid_t(pid), 0) != 0);
    }

    void badOptionsAreOneLine()
    {
        const QString exe = siblingExecutable(QStringLiteral("concurrency-lab-server"));
        QVERIFY(!exe.isEmpty());
        QProcess p;
        p.start(exe, {QStringLiteral("--threads"), QStringLiteral("0")});
        QVERIFY(p.waitForFinished(5000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().startsWith("concurrency-lab-server: --threads must be"));
    }

    // The parent (a shell here) is SIGKILLed: PR_SET_PDEATHSIG ends the server too.
    void diesWithItsParent()
    {
        const QString exe = siblingExecutable(QStringLiteral("concurrency-lab-server"));
        QProcess shell;
        shell.start(QStringLiteral("/bin/sh"),
                    {QStringLiteral("-c"), QStringLiteral("\"$0\" --parent-pid $$ --forever & echo PID $!; wait"), exe});
        QVERIFY(shell.waitForStarted(5000));
        QByteArray out;
        QElapsedTimer t;
        t.start();
        while (!(out.contains("LISTENING") && out.contains("PID ")) && t.elapsed() < 5000) {
            shell.waitForReadyRead(100);
            out += shell.readAllStandardOutput();
        }
        QVERIFY2(out.contains("LISTENING"), out.constData());
        const qint64 pid = out.mid(out.indexOf("PID ") + 4).split('\n').first().trimmed().toLongLong();
        QVERIFY(pid > 0);
        QVERIFY(!processGone(pid));
        ::kill(pid_t(shell.processId()), SIGKILL);
        QVERIFY(shell.waitForFinished(5000));
        QVERIFY2(waitGone(pid, 3000), "server outlived its parent");
    }

    // 256 requests that each wait 1 s before their first byte, all at once: if the server
    // served them in batches the run would take several seconds; it must take about one.
    // Three times the pool in slow requests at once (rate=1: one byte a second, 30 s each, on
    // 16 threads): the limit's worth are served, the rest get 503 + Retry-After at once and
    // their connections close, and /health still answers within a second. Without the limit
    // every thread sleeps in a slow body and /health waits half a minute.
    void healthAnswersUnderASlowFlood()
    {
        QProcess server;
        QString why;
        const int port = startServer(server, {QStringLiteral("--threads"), QStringLiteral("16")}, &why);
        QVERIFY2(port > 0, qPrintable(why));
        constexpr int kThreads = 16, kLimit = kThreads - kThreads / 8, kFlood = 3 * kThreads;
        std::vector<std::unique_ptr<QTcpSocket>> flood;
        for (int i = 0; i < kFlood; ++i) {
            auto s = std::make_unique<QTcpSocket>();
            s->connectToHost(QStringLiteral("127.0.0.1"), quint16(port));
            QVERIFY(s->waitForConnected(5000));
            s->write("GET /data?size=30&seed=1&rate=1 HTTP/1.1\r\nHost: lab\r\n\r\n");
            QVERIFY(s->waitForBytesWritten(5000));
            flood.push_back(std::move(s));
        }
        // Every request gets its status line soon: 200 (then a byte a second) or 503.
        std::vector<QByteArray> heads(flood.size());
        QElapsedTimer t;
        t.start();
        int answered = 0;
        while (answered < kFlood && t.elapsed() < 10000) {
            QTest::qWait(20);
            answered = 0;
            for (size_t i = 0; i < flood.size(); ++i) {
                heads[i] += flood[i]->readAll();
                answered += heads[i].contains("\r\n\r\n") ? 1 : 0;
            }
        }
        int ok = 0, busy = 0;
        for (const QByteArray &h : heads) {
            if (h.startsWith("HTTP/1.1 200"))
                ++ok;
            if (h.startsWith("HTTP/1.1 503")) {
                ++busy;
                QVERIFY2(h.contains("Retry-After: 1\r\n"), h.constData());
            }
        }
        QVERIFY2(answered == kFlood, qPrintable(QStringLiteral("%1 of %2 slow requests answered in 10 s")
                                                    .arg(answered)
                                                    .arg(kFlood)));
        QCOMPARE(ok, kLimit);
        QCOMPARE(busy, kFlood - kLimit);
        // The refused connections are closed by the server, not left holding a thread.
        t.restart();
        int closed = 0;
        while (t.elapsed() < 3000) {
            closed = 0;
            for (size_t i = 0; i < flood.size(); ++i)
                if (heads[i].startsWith("HTTP/1.1 503"))
                    closed += flood[i]->state() == QAbstractSocket::UnconnectedState ? 1 : 0;
            if (closed == busy)
                break;
            QTest::qWait(20);
        }
        QCOMPARE(closed, busy);

        QTcpSocket health;
        t.restart();
        health.connectToHost(QStringLiteral("127.0.0.1"), quint16(port));
        QVERIFY(health.waitForConnected(5000));
        health.write("GET /health HTTP/1.1\r\nHost: lab\r\n\r\n");
        QByteArray reply;
        while (!reply.endsWith("ok\n") && t.elapsed() < 5000) {
            health.waitForReadyRead(50);
            reply += health.readAll();
        }
        const qint64 ms = t.elapsed();
        qInfo("/health under %d slow requests: %lld ms", kLimit, ms);
        QVERIFY2(reply.startsWith("HTTP/1.1 200") && reply.endsWith("ok\n"), reply.constData());
        QVERIFY2(ms < 1000, qPrintable(QStringLiteral("/health took %1 ms under the flood").arg(ms)));
        flood.clear();
        server.closeWriteChannel();
        QVERIFY(server.waitForFinished(5000));
    }

    void serves256SlowRequestsAtOnce_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("async") << QStringLiteral("async");
        QTest::newRow("threads") << QStringLiteral("threads");
    }
    void serves256SlowRequestsAtOnce()
    {
        QFETCH(QString, model);
        Runner runner;
        const ExperimentResult r = runner.run(slowSpec(model, 256, 1000));
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        const RunRecord &run = r.runs.at(0);
        qInfo("%s: 256 x 1 s requests in %.3f s", qPrintable(model), run.wall_s);
        QCOMPARE(run.tasks_ok, 256);
        QVERIFY(run.verified);
        QVERIFY2(run.wall_s >= 1.0, qPrintable(QString::number(run.wall_s)));
        QVERIFY2(run.wall_s < 3.0, qPrintable(QStringLiteral("256 x 1 s requests took %1 s").arg(run.wall_s)));
        // The server waited with sleeping threads: far less CPU than wall time.
        const double serverCpu = run.toJson().value(QStringLiteral("server_cpu_s")).toDouble(-1);
        QVERIFY(serverCpu >= 0);
        QVERIFY2(serverCpu < 1.0, qPrintable(QString::number(serverCpu)));
    }
};

QTEST_GUILESS_MAIN(TestHttpServer)
#include "tst_httpserver.moc"
