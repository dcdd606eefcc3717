// The I/O workload against the built-in server: byte-exact bodies in every model, every error
// category, redirects, limits, cancel, the GIL hooks, the CLI's io-custom.
#include "experiment/runner.h"
#include "models/executionmodel.h"
#include "testutil.h"
#include "util/sysinfo.h"
#include "workloads/io/httpbody.h"
#include "workloads/io/httpclient.h"
#include "workloads/io/iowork.h"
#include "workloads/io/localserver.h"
#include "workloads/taskexec.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <thread>

using namespace lab;
using namespace lab::test;

namespace {

// Counts the GIL bracket calls and checks they nest: "held" at entry and exit of a task.
class CountingHooks : public ExecHooks {
public:
    void beginBlocking() override
    {
        ++begins;
        if (blocking)
            nested = true;
        blocking = true;
    }
    void endBlocking() override
    {
        ++ends;
        if (!blocking)
            nested = true;
        blocking = false;
    }
    int begins = 0, ends = 0;
    bool blocking = false, nested = false;
};

QStringList ioModels()
{
    QStringList out;
    for (const QString &m : {QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("gil-threads"),
                             QStringLiteral("processes"), QStringLiteral("async")}) {
        const ModelInfo *info = findModel(m);
        if (info && info->supports(QStringLiteral("io")) && info->whyUnavailable().isEmpty())
            out << m;
    }
    return out;
}

ExperimentSpec ioSpec(const QStringList &urls, const QStringList &models, int workers = 0)
{
    ExperimentSpec s;
    s.name = QStringLiteral("io-test");
    s.workload = QStringLiteral("io");
    s.params.insert(QStringLiteral("urls"), QJsonArray::fromStringList(urls));
    s.models = models;
    s.workers = workers;
    return s;
}

} // namespace

class TestIoWork : public QObject {
    Q_OBJECT

    LocalServer m_server;
    QString m_base;  // http://127.0.0.1:PORT

    QString url(const QString &pathAndQuery) const { return m_base + pathAndQuery; }

    TaskResult fetch(const QString &u, qint64 maxBody = 64ll << 20, int timeoutMs = 10000)
    {
        HttpRequest t;
        t.url = u;
        t.maxBodyBytes = maxBody;
        t.timeoutMs = timeoutMs;
        std::atomic<bool> cancel{false};
        ExecHooks hooks;
        return executeTask(t.toTask(), cancel, hooks);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_server.start(&error), qPrintable(error));
        m_base = QStringLiteral("http://") + m_server.hostPort();
    }
    void cleanupTestCase() { m_server.stop(); }

    void checkUrl_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("category");
        const QString ok, malformed = QString::fromLatin1(ioerror::kMalformedUrl),
                          scheme = QString::fromLatin1(ioerror::kUnsupportedScheme);
        QTest::newRow("http") << "http://example.com/x?y=1" << ok;
        QTest::newRow("https upper") << "HTTPS://example.com" << ok;
        QTest::newRow("ipv6") << "http://[::1]:8080/" << ok;
        QTest::newRow("empty") << "" << malformed;
        QTest::newRow("no scheme") << "example.com/index.html" << malformed;
        QTest::newRow("no host") << "http://" << malformed;
        QTest::newRow("space") << "http://exa mple.com/" << malformed;
        QTest::newRow("bad port") << "http://example.com:99999/" << malformed;
        QTest::newRow("file") << "file:///etc/passwd" << scheme;
        QTest::newRow("FILE") << "FILE:///etc/passwd" << scheme;
        QTest::newRow("ftp") << "ftp://ftp.example.com/pub" << scheme;
        QTest::newRow("gopher") << "gopher://example.com/" << scheme;
        QTest::newRow("dict") << "dict://example.com/" << scheme;
        QTest::newRow("javascript") << "javascript:alert(1)" << scheme;
        QTest::newRow("data") << "data:text/plain,hi" << scheme;
    }
    void checkUrl()
    {
        QFETCH(QString, url);
        QFETCH(QString, category);
        const UrlCheck c = lab::checkUrl(url);
        QCOMPARE(c.category, category);
        QCOMPARE(c.error.isEmpty(), category.isEmpty());
    }

    // file:// and ftp:// never reach libcurl: no status, no bytes, and even a missing file or a
    // host that does not exist gives the scheme error, not a file or DNS error.
    void refusedSchemesDoNoIo()
    {
        const QString file = QDir::temp().filePath(QStringLiteral("lab-io-test-does-not-exist"));
        for (const QString &u : QStringList{QStringLiteral("file://") + file, QStringLiteral("file:///etc/hostname"),
                                 QStringLiteral("ftp://nohost.invalid/x"), QStringLiteral("gopher://nohost.invalid/")}) {
            const TaskResult r = fetch(u);
            QVERIFY(!r.ok);
            QCOMPARE(r.errorCategory, QString::fromLatin1(ioerror::kUnsupportedScheme));
            QCOMPARE(r.bytes, 0);
            QCOMPARE(r.httpStatus, 0);
            QVERIFY2(r.error.toString().contains(QLatin1String("only http and https")), qPrintable(r.error.toString()));
        }
    }

    void deterministicBody_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<qint64>("size");
        QTest::addColumn<quint64>("seed");
        QTest::newRow("empty") << "/data?size=0&seed=1" << qint64(0) << quint64(1);
        QTest::newRow("one byte") << "/data?size=1&seed=2" << qint64(1) << quint64(2);
        QTest::newRow("odd size") << "/data?size=65537&seed=3" << qint64(65537) << quint64(3);
        QTest::newRow("1 MiB") << "/data?size=1048576&seed=4" << qint64(1048576) << quint64(4);
        QTest::newRow("chunked") << "/data?size=300001&seed=5&chunked=1" << qint64(300001) << quint64(5);
        QTest::newRow("chunked empty") << "/data?size=0&seed=5&chunked=1" << qint64(0) << quint64(5);
        QTest::newRow("paced") << "/data?size=20000&seed=6&rate=200000" << qint64(20000) << quint64(6);
        QTest::newRow("redirect 5") << "/redirect/5?size=777&seed=7" << qint64(777) << quint64(7);
        QTest::newRow("status 203") << "/status/203?size=99&seed=8" << qint64(99) << quint64(8);
    }
    void deterministicBody()
    {
        QFETCH(QString, query);
        QFETCH(qint64, size);
        QFETCH(quint64, seed);
        const TaskResult r = fetch(url(query));
        QVERIFY2(r.ok, qPrintable(r.error));
        QVERIFY(r.verified);
        QCOMPARE(r.bytes, size);
        QCOMPARE(r.checksum, QString::fromStdString(httpbody::checksumOf(seed, quint64(size))));
        QVERIFY(r.ttfb_s > 0);
    }

    // The checker can fail: a wrong expectation is caught.
    void wrongExpectationsFail()
    {
        HttpRequest t;
        t.url = url(QStringLiteral("/data?size=100&seed=1"));
        t.expectedChecksum = QStringLiteral("0123456789abcdef");
        std::atomic<bool> cancel{false};
        ExecHooks hooks;
        TaskResult r = executeTask(t.toTask(), cancel, hooks);
        QVERIFY(!r.ok);
        QCOMPARE(r.errorCategory, QString::fromLatin1(ioerror::kCorrupt));
        t.expectedChecksum.clear();
        t.expectedBytes = 101;
        r = executeTask(t.toTask(), cancel, hooks);
        QVERIFY(!r.ok);
        QCOMPARE(r.errorCategory, QString::fromLatin1(ioerror::kTruncated));
    }

    void latencyAndBandwidthKnobs()
    {
        const TaskResult slow = fetch(url(QStringLiteral("/data?size=100000&seed=1&latency_ms=300&rate=400000")));
        QVERIFY2(slow.ok && slow.verified, qPrintable(slow.error));
        QVERIFY2(slow.ttfb_s >= 0.29, qPrintable(QString::number(slow.ttfb_s)));
        // 100 kB at 400 kB/s after the first byte: about 0.25 s more.
        QVERIFY2(slow.compute_s >= 0.29 + 0.2, qPrintable(QString::number(slow.compute_s)));
        QVERIFY2(slow.compute_s < 3.0, qPrintable(QString::number(slow.compute_s)));
    }

    void errorCategories_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<qint64>("maxBody");
        QTest::addColumn<int>("timeoutMs");
        QTest::addColumn<QString>("category");
        QTest::addColumn<int>("status");
        const qint64 big = 64ll << 20;
        QTest::newRow("404") << url(QStringLiteral("/status/404?size=10")) << big << 10000 << "http" << 404;
        QTest::newRow("503") << url(QStringLiteral("/status/503")) << big << 10000 << "http" << 503;
        QTest::newRow("unknown route") << url(QStringLiteral("/nope")) << big << 10000 << "http" << 404;
        QTest::newRow("bad knob") << url(QStringLiteral("/data?size=abc")) << big << 10000 << "http" << 400;
        QTest::newRow("cut") << url(QStringLiteral("/cut?size=100000&at=5000")) << big << 10000 << "truncated" << 200;
        QTest::newRow("cut chunked") << url(QStringLiteral("/data?size=100000&chunked=1&cut_at=7000")) << big << 10000
                                     << "truncated" << 200;
        QTest::newRow("too large") << url(QStringLiteral("/data?size=5000")) << qint64(1000) << 10000 << "too-large"
                                   << 200;
        QTest::newRow("too large chunked") << url(QStringLiteral("/data?size=50000&chunked=1")) << qint64(1000) << 10000
                                           << "too-large" << 200;
        QTest::newRow("timeout") << url(QStringLiteral("/data?size=10&latency_ms=5000")) << big << 300 << "timeout" << 0;
        QTest::newRow("6 redirects") << url(QStringLiteral("/redirect/6?size=10")) << big << 10000
                                     << "too-many-redirects" << 302;
        QTest::newRow("redirect to file") << url(QStringLiteral("/redirect-to?url=file:///etc/passwd")) << big << 10000
                                          << "unsupported-scheme" << 302;
        QTest::newRow("redirect to ftp") << url(QStringLiteral("/redirect-to?url=ftp://127.0.0.1/x")) << big << 10000
                                         << "unsupported-scheme" << 302;
        QTest::newRow("dns") << QStringLiteral("http://no-such-host.invalid/") << big << 10000 << "dns" << 0;
        QTest::newRow("malformed") << QStringLiteral("http://exa mple.com/") << big << 10000 << "malformed-url" << 0;
    }
    void errorCategories()
    {
        QFETCH(QString, url);
        QFETCH(qint64, maxBody);
        QFETCH(int, timeoutMs);
        QFETCH(QString, category);
        QFETCH(int, status);
        QElapsedTimer timer;
        timer.start();
        const TaskResult r = fetch(url, maxBody, timeoutMs);
        QVERIFY(!r.ok);
        QVERIFY(!r.verified);
        QVERIFY2(r.errorCategory.toString() == category, qPrintable(r.errorCategory.toString() + QStringLiteral(": ") + r.error.toString()));
        QVERIFY(!r.error.isEmpty());
        QCOMPARE(r.httpStatus, status);
        QVERIFY2(timer.elapsed() < 5000, "each failure is reported promptly");
        if (category == QLatin1String("too-large"))
            QVERIFY(r.bytes <= maxBody);
        if (category == QLatin1String("truncated"))
            QVERIFY(r.bytes > 0 && r.bytes < 100000);
    }

    void connectionRefused()
    {
        quint16 port = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            port = probe.serverPort();
        }  // closed: nothing listens there now
        const TaskResult r = fetch(QStringLiteral("http://127.0.0.1:%1/data").arg(port));
        QVERIFY(!r.ok);
        QVERIFY2(r.errorCategory.toString() == QLatin1String("refused"), qPrintable(r.errorCategory.toString() + QLatin1Char(' ') + r.error.toString()));
    }

    // The GIL brackets: blocking while waiting, re-taken for every body chunk, held at exit.
    void gilHooksBracketTheWaits()
    {
        HttpRequest t;
        t.url = url(QStringLiteral("/data?size=500000&seed=9&rate=2000000"));
        std::atomic<bool> cancel{false};
        CountingHooks hooks;
        TaskResult r;
        runIoTask(t.toTask(), cancel, hooks, r);
        QVERIFY2(r.ok && r.verified, qPrintable(r.error));
        QVERIFY(!hooks.nested);
        QVERIFY(!hooks.blocking);
        QCOMPARE(hooks.begins, hooks.ends);
        QVERIFY2(hooks.begins >= 5, qPrintable(QString::number(hooks.begins)));  // one per chunk + the wait
    }

    void cancelSingleTransfer()
    {
        HttpRequest req;
        req.url = url(QStringLiteral("/data?size=1000000&seed=1&rate=100000"));  // 10 s
        const TaskSpec t = req.toTask();
        std::atomic<bool> cancel{false};
        std::atomic<double> cancelledAt{0};
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(400));
            cancelledAt = monotonicSeconds();
            cancel = true;
        });
        ExecHooks hooks;
        const TaskResult r = executeTask(t, cancel, hooks);
        const double late = monotonicSeconds() - cancelledAt.load();
        canceller.join();
        QVERIFY(r.cancelled);
        QCOMPARE(r.errorCategory, QString::fromLatin1(ioerror::kCancelled));
        QVERIFY2(r.bytes > 0 && r.bytes < 1000000, qPrintable(QString::number(r.bytes)));  // mid-body
        QVERIFY2(late < 1.0, qPrintable(QString::number(late)));
    }

    void byteExactInEveryModel()
    {
        const QStringList models = ioModels();
        QVERIFY(models.contains(QStringLiteral("async")));
        const QStringList urls = {QStringLiteral("http://{server}/data?size=0&seed=1"),
                                  QStringLiteral("http://{server}/data?size=65537&seed=2&latency_ms=20"),
                                  QStringLiteral("http://{server}/data?size=250000&seed=3&chunked=1"),
                                  QStringLiteral("http://{server}/redirect/2?size=4097&seed=4"),
                                  QStringLiteral("http://{server}/data?size=30000&seed=5&rate=300000")};
        ExperimentSpec spec = ioSpec(urls, models, 3);
        spec.params.insert(QStringLiteral("repeat"), 2);
        Runner runner;
        const ExperimentResult res = runner.run(spec);
        QVERIFY2(res.error.isEmpty(), qPrintable(res.error));
        QCOMPARE(res.runs.size(), size_t(models.size()));
        const qint64 sizes[] = {0, 65537, 250000, 4097, 30000};
        for (const RunRecord &run : res.runs) {
            QVERIFY2(run.error.isEmpty(), qPrintable(run.model + QStringLiteral(": ") + run.error));
            QCOMPARE(run.tasks_total, 10);
            QVERIFY2(run.verified, qPrintable(run.model));
            for (const TaskResult &t : run.tasks) {
                const int k = t.id % 5;
                QVERIFY2(t.ok && t.verified, qPrintable(run.model + QStringLiteral(": ") + t.error.toString()));
                QCOMPARE(t.bytes, sizes[k]);
                QCOMPARE(t.checksum, QString::fromStdString(httpbody::checksumOf(quint64(k + 1), quint64(sizes[k]))));
                QVERIFY(t.start_s >= 0 && t.end_s >= t.start_s && t.end_s <= run.wall_s + 0.01);
            }
            const QJsonObject io = run.toJson().value(QStringLiteral("io")).toObject();
            QCOMPARE(io.value(QStringLiteral("requests_ok")).toInt(), 10);
            QCOMPARE(qint64(io.value(QStringLiteral("bytes_verified")).toDouble()), 2 * (0 + 65537 + 250000 + 4097 + 30000));
            QVERIFY(io.contains(QStringLiteral("server_cpu_s")));
            QVERIFY(io.value(QStringLiteral("latency_p99_ms")).toDouble() >= io.value(QStringLiteral("latency_p50_ms")).toDouble());
            QCOMPARE(run.toJson().value(QStringLiteral("requests")).toArray().size(), 10);
        }
    }

    // Failures stay per request: the run completes, keeps the good results and lists the bad.
    void failuresAreCountedAndListed()
    {
        const QStringList urls = {QStringLiteral("http://{server}/data?size=100&seed=1"),
                                  QStringLiteral("file:///etc/passwd"),
                                  QStringLiteral("http://{server}/status/500"),
                                  QStringLiteral("http://no-such-host.invalid/"),
                                  QStringLiteral("http://{server}/cut?size=1000&at=10")};
        Runner runner;
        const ExperimentResult res = runner.run(ioSpec(urls, {QStringLiteral("threads"), QStringLiteral("async")}));
        QVERIFY2(res.error.isEmpty(), qPrintable(res.error));
        for (const RunRecord &run : res.runs) {
            QCOMPARE(run.tasks_total, 5);
            QCOMPARE(run.tasks_ok, 1);
            QCOMPARE(run.tasks_failed, 4);
            const QJsonObject io = run.toJson().value(QStringLiteral("io")).toObject();
            const QJsonObject cats = io.value(QStringLiteral("failures_by_category")).toObject();
            QCOMPARE(cats.value(QStringLiteral("unsupported-scheme")).toInt(), 1);
            QCOMPARE(cats.value(QStringLiteral("http")).toInt(), 1);
            QCOMPARE(cats.value(QStringLiteral("dns")).toInt(), 1);
            QCOMPARE(cats.value(QStringLiteral("truncated")).toInt(), 1);
            QCOMPARE(io.value(QStringLiteral("failed")).toArray().size(), 4);
            const QJsonArray reqs = run.toJson().value(QStringLiteral("requests")).toArray();
            QCOMPARE(reqs.size(), 5);
            QVERIFY(reqs.at(0).toObject().value(QStringLiteral("ok")).toBool());
            QVERIFY(!reqs.at(1).toObject().value(QStringLiteral("error")).toString().isEmpty());
        }
        QVERIFY(!res.allOk());
    }

    // Cancel mid-transfer in every model: run() returns soon after, without the slow requests.
    void cancelInEveryModel()
    {
        for (const QString &model : ioModels()) {
            // 8 transfers of 10 s each (slow first byte for some, slow body for others).
            const QStringList urls = {QStringLiteral("http://{server}/data?size=10&latency_ms=10000"),
                                      QStringLiteral("http://{server}/data?size=1000000&rate=100000")};
            ExperimentSpec spec = ioSpec(urls, {model}, 4);
            spec.params.insert(QStringLiteral("repeat"), 4);
            Runner runner;
            const CancelledRun c = runCancelledAfter(runner, spec, model == QLatin1String("processes") ? 1500 : 500);
            const ExperimentResult &res = c.result;
            const double late = c.late_s;
            qInfo("%s: run() returned %.0f ms after cancel", qPrintable(model), late * 1e3);
            QVERIFY2(res.cancelled, qPrintable(model));
            QVERIFY2(late < 1.0, qPrintable(model + QStringLiteral(": returned %1 s after cancel").arg(late)));
            QCOMPARE(res.runs.size(), size_t(1));
            QVERIFY2(res.runs[0].tasks_ok == 0, qPrintable(model));
        }
    }

    // TLS verification is on: a self-signed certificate is refused (category tls).
    void selfSignedCertificateRefused()
    {
        QTemporaryDir dir;
        const QString cert = dir.filePath(QStringLiteral("cert.pem")), key = dir.filePath(QStringLiteral("key.pem"));
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
                      {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
                       QStringLiteral("-nodes"), QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert,
                       QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-days"), QStringLiteral("1")});
        if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0)
            QSKIP("the openssl command is not available to make a test certificate");
        QProcess server;
        server.start(siblingExecutable(QStringLiteral("concurrency-lab-server")),
                     {QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"), key});
        QVERIFY(server.waitForStarted(5000));
        QByteArray line;
        QElapsedTimer t;
        t.start();
        while (!line.contains('\n') && t.elapsed() < 5000 && server.waitForReadyRead(100))
            line += server.readAllStandardOutput();
        QVERIFY2(line.startsWith("LISTENING "), line.constData());
        const QString hostPort = QString::fromLatin1(line.mid(10).trimmed());
        const TaskResult r = fetch(QStringLiteral("https://%1/data?size=1000").arg(hostPort));
        server.closeWriteChannel();  // stdin EOF: the server leaves
        QVERIFY(server.waitForFinished(5000));
        QVERIFY(!r.ok);
        QVERIFY2(r.errorCategory.toString() == QLatin1String("tls"), qPrintable(r.errorCategory.toString() + QLatin1Char(' ') + r.error.toString()));
        QCOMPARE(r.bytes, 0);
    }

    void cliIoCustom()
    {
        const QString cli = siblingExecutable(QStringLiteral("concurrency-lab-cli"));
        if (cli.isEmpty())
            QSKIP("concurrency-lab-cli not built");
        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("out.json"));
        QProcess p;
        p.start(cli, {QStringLiteral("run"), QStringLiteral("io-custom"), QStringLiteral("--models"),
                      QStringLiteral("sequential,async"), QStringLiteral("--url"),
                      QStringLiteral("http://{server}/data?size=12345&seed=77"), QStringLiteral("--url"),
                      QStringLiteral("ftp://example.com/x"), QStringLiteral("--json"), json, QStringLiteral("--quiet")});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 1);  // one request failed (and was listed)
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject root = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonArray runs = root.value(QStringLiteral("runs")).toArray();
        QCOMPARE(runs.size(), 2);
        for (const QJsonValue &v : runs) {
            const QJsonArray reqs = v.toObject().value(QStringLiteral("requests")).toArray();
            QCOMPARE(reqs.size(), 2);
            QVERIFY(reqs.at(0).toObject().value(QStringLiteral("ok")).toBool());
            QCOMPARE(reqs.at(0).toObject().value(QStringLiteral("checksum")).toString(),
                     QString::fromStdString(httpbody::checksumOf(77, 12345)));
            QCOMPARE(reqs.at(1).toObject().value(QStringLiteral("category")).toString(),
                     QStringLiteral("unsupported-scheme"));
        }
    }
};

QTEST_GUILESS_MAIN(TestIoWork)
#include "tst_iowork.moc"
