// The worker wire protocol: framing (split, batched, garbage, oversize), message round trips,
// and the real concurrency-lab-worker speaking it as a child process.
#include "ipc/protocol.h"
#include "util/sysinfo.h"
#include "workloads/cpu/cpuwork.h"
#include "workloads/cpu/cpuworkload.h"
#include "workloads/io/httpclient.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTest>
#include <QtEndian>

using namespace lab;
using namespace lab::ipc;

namespace {

QCborMap sample(int i)
{
    QCborMap m;
    m.insert(QStringLiteral("type"), QStringLiteral("started"));
    m.insert(QStringLiteral("id"), i);
    m.insert(QStringLiteral("blob"), QByteArray(i * 100, char('a' + i)));
    return m;
}

QByteArray header(quint32 length)
{
    QByteArray h(4, Qt::Uninitialized);
    qToLittleEndian<quint32>(length, h.data());
    return h;
}

QByteArray rawFrame(const QByteArray &payload)
{
    return header(quint32(payload.size())) + payload;
}

std::vector<QCborMap> drain(FrameDecoder &d)
{
    std::vector<QCborMap> out;
    while (auto m = d.next())
        out.push_back(*m);
    return out;
}

// A worker child with helpers to talk to it synchronously.
class WorkerProcess {
public:
    WorkerProcess()
    {
        m_proc.setProgram(siblingExecutable(QStringLiteral("concurrency-lab-worker")));
        m_proc.setArguments({QStringLiteral("--parent"), QString::number(QCoreApplication::applicationPid())});
    }
    ~WorkerProcess()
    {
        if (m_proc.state() != QProcess::NotRunning) {
            m_proc.kill();
            m_proc.waitForFinished(2000);
        }
    }
    bool start() { m_proc.start(); return m_proc.waitForStarted(5000); }
    void send(const QCborMap &m) { m_proc.write(encodeFrame(m)); m_proc.waitForBytesWritten(1000); }
    std::optional<QCborMap> receive(int timeoutMs = 10000)
    {
        QElapsedTimer t;
        t.start();
        for (;;) {
            if (auto m = m_decoder.next())
                return m;
            if (m_decoder.hasError() || t.elapsed() > timeoutMs)
                return std::nullopt;
            if (!m_proc.waitForReadyRead(int(std::max<qint64>(1, timeoutMs - t.elapsed()))) && m_proc.bytesAvailable() == 0)
                return std::nullopt;
            m_decoder.feed(m_proc.readAllStandardOutput());
        }
    }
    QProcess &proc() { return m_proc; }

private:
    QProcess m_proc;
    FrameDecoder m_decoder;
};

} // namespace

class TestProtocol : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void frameLayoutIsLittleEndianLengthPlusCbor()
    {
        const QByteArray f = encodeFrame(sample(1));
        const QByteArray payload = sample(1).toCborValue().toCbor();
        QCOMPARE(f.size(), payload.size() + 4);
        QCOMPARE(qFromLittleEndian<quint32>(f.constData()), quint32(payload.size()));
        QCOMPARE(f.mid(4), payload);
    }

    void splitFramesByteByByte()
    {
        const QByteArray stream = encodeFrame(sample(0)) + encodeFrame(sample(1)) + encodeFrame(sample(2));
        FrameDecoder d;
        std::vector<QCborMap> got;
        for (char c : stream) {
            d.feed(&c, 1);
            for (const QCborMap &m : drain(d))
                got.push_back(m);
        }
        QVERIFY2(!d.hasError(), qPrintable(d.errorString()));
        QCOMPARE(got.size(), size_t(3));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(got[size_t(i)], sample(i));
        QCOMPARE(d.bufferedBytes(), 0);
    }

    void twoFramesInOneChunkAndATail()
    {
        const QByteArray third = encodeFrame(sample(3));
        FrameDecoder d;
        d.feed(encodeFrame(sample(1)) + encodeFrame(sample(2)) + third.left(7));
        std::vector<QCborMap> got = drain(d);
        QCOMPARE(got.size(), size_t(2));
        QCOMPARE(got[0], sample(1));
        QCOMPARE(got[1], sample(2));
        QVERIFY(!d.next());   // the third is incomplete
        d.feed(third.mid(7));
        got = drain(d);
        QCOMPARE(got.size(), size_t(1));
        QCOMPARE(got[0], sample(3));
        QVERIFY(!d.hasError());
    }

    void garbage_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        // Text where a frame should be: its first 4 bytes read as a ~1.8 GB length.
        QTest::newRow("text") << QByteArray("hello worker, here is some text\n") << QStringLiteral("exceeds the 16 MiB");
        QTest::newRow("not cbor") << rawFrame(QByteArray("\xff\xff\xff\xff", 4)) << QStringLiteral("undecodable");
        QTest::newRow("truncated cbor") << rawFrame(QByteArray("\xa2\x64type", 6)) << QStringLiteral("undecodable");
        QTest::newRow("not a map") << rawFrame(QCborValue(42).toCbor()) << QStringLiteral("not a message");
        QTest::newRow("map without type") << rawFrame(QCborMap{{QStringLiteral("id"), 1}}.toCborValue().toCbor())
                                          << QStringLiteral("not a message");
        QTest::newRow("trailing bytes") << rawFrame(sample(1).toCborValue().toCbor() + QByteArray("xyz"))
                                        << QStringLiteral("3 bytes after");
        QTest::newRow("empty frame") << header(0) << QStringLiteral("empty frame");
    }

    void garbage()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        FrameDecoder d;
        d.feed(bytes);
        QVERIFY(!d.next());
        QVERIFY(d.hasError());
        QVERIFY2(d.errorString().contains(expected), qPrintable(d.errorString()));
        // The stream cannot be resynchronised: a good frame afterwards is not accepted.
        d.feed(encodeFrame(sample(1)));
        QVERIFY(!d.next());
        QVERIFY(d.hasError());
    }

    void oversizeRejectedFromTheHeaderAlone()
    {
        FrameDecoder d;
        d.feed(header(kMaxFrameBytes + 1));
        QVERIFY(!d.next());
        QVERIFY(d.hasError());
        QVERIFY2(d.errorString().contains(QString::number(kMaxFrameBytes + 1)), qPrintable(d.errorString()));

        FrameDecoder limit;   // exactly the limit is allowed: it waits for the payload
        limit.feed(header(kMaxFrameBytes));
        QVERIFY(!limit.next());
        QVERIFY(!limit.hasError());
    }

    void largeFrameAcrossManyChunks()
    {
        QCborMap m = sample(0);
        m.insert(QStringLiteral("blob"), QByteArray(3 * 1024 * 1024, 'x'));
        const QByteArray f = encodeFrame(m);
        FrameDecoder d;
        for (qsizetype i = 0; i < f.size(); i += 65536)
            d.feed(f.mid(i, 65536));
        const auto got = drain(d);
        QCOMPARE(got.size(), size_t(1));
        QCOMPARE(got[0], m);
    }

    void taskRoundTrip()
    {
        const TaskSpec cpu = CpuWorkload::task(17, kCpuMaxN, 128);
        TaskSpec back;
        QString error;
        QVERIFY2(decodeTask(encodeTask(cpu), &back, &error), qPrintable(error));
        QCOMPARE(back.id, 17);
        QCOMPARE(back.workload, QStringLiteral("cpu"));
        QCOMPARE(quint64(back.integer(QLatin1String("n"))), kCpuMaxN);
        QCOMPARE(back.integer(QLatin1String("repeat")), 128);
        QCOMPARE(back.params, cpu.params);

        HttpRequest io;
        io.id = 3;
        io.url = QStringLiteral("http://127.0.0.1:8080/bytes/1000?é");
        io.expectedBytes = 1000;
        io.expectedChecksum = QStringLiteral("abc123");
        io.connectTimeoutMs = 1234;
        io.timeoutMs = 5678;
        io.maxBodyBytes = 99;
        QVERIFY2(decodeTask(encodeTask(io.toTask()), &back, &error), qPrintable(error));
        QCOMPARE(back.workload, QStringLiteral("io"));
        const HttpRequest got = HttpRequest::fromTask(back);
        QCOMPARE(got.id, 3);
        QCOMPARE(got.url, io.url);
        QCOMPARE(got.expectedBytes, qint64(1000));
        QCOMPARE(got.expectedChecksum, io.expectedChecksum);
        QCOMPARE(got.connectTimeoutMs, 1234);
        QCOMPARE(got.timeoutMs, 5678);
        QCOMPARE(got.maxBodyBytes, qint64(99));

        // Every registered workload's tasks survive the wire unchanged.
        for (const auto &w : workloadRegistry()) {
            QJsonObject json{{QStringLiteral("kind"), w->id()}};
            const auto params = parseWorkloadParams(*w, json, &error);
            QVERIFY2(params, qPrintable(w->id() + QStringLiteral(": ") + error));
            for (const TaskSpec &t : w->makeTasks(*params, nullptr)) {
                QVERIFY2(decodeTask(encodeTask(t), &back, &error), qPrintable(w->id() + QStringLiteral(": ") + error));
                QCOMPARE(back.workload, t.workload);
                QCOMPARE(back.params, t.params);
            }
        }
    }

    void resultRoundTripKeeps128BitSums()
    {
        ResultMessage rm;
        TaskResult &r = rm.result;
        r.id = 5;
        r.start_s = 12345.678901234;
        r.end_s = 12346.5;
        r.cpu_start = 0;
        r.cpu_end = 1;
        r.ok = true;
        r.verified = true;
        // The largest sum the workload allows does not fit 64 bits; it travels as text.
        r.value = toDecimal(sumSquaresClosedForm(kCpuMaxN));
        QVERIFY(r.value.size() > 20);
        r.compute_s = 0.8125;
        r.cpuTime_s = 0.75;
        r.url = QStringLiteral("http://x/");
        r.bytes = 1 << 20;
        r.httpStatus = 200;
        r.ttfb_s = 0.001;
        r.checksum = QStringLiteral("ff");
        rm.workerCpu_s = 3.25;
        rm.workerPeakRssKb = 9000;

        ResultMessage back;
        QString error;
        QVERIFY2(decodeResult(encodeResult(rm), &back, &error), qPrintable(error));
        QCOMPARE(back.result.id, 5);
        QCOMPARE(back.result.start_s, r.start_s);
        QCOMPARE(back.result.end_s, r.end_s);
        QCOMPARE(back.result.cpu_end, 1);
        QVERIFY(back.result.ok && back.result.verified && !back.result.cancelled);
        QCOMPARE(back.result.value, r.value);
        QCOMPARE(back.result.compute_s, 0.8125);
        QCOMPARE(back.result.cpuTime_s, 0.75);
        QCOMPARE(back.result.bytes, qint64(1 << 20));
        QCOMPARE(back.result.httpStatus, 200);
        QCOMPARE(back.result.checksum, r.checksum);
        QCOMPARE(back.workerCpu_s, 3.25);
        QCOMPARE(back.workerPeakRssKb, 9000L);

        r.ok = false;
        r.verified = false;
        r.cancelled = true;
        r.error = QStringLiteral("cancelled");
        QVERIFY(decodeResult(encodeResult(rm), &back, &error));
        QVERIFY(back.result.cancelled && !back.result.ok);
        QCOMPARE(back.result.error, r.error);
    }

    void decodersRejectWrongMessages()
    {
        QString error;
        TaskSpec t;
        QVERIFY(!decodeTask(encodeBye(), &t, &error));
        QVERIFY2(error.contains(QLatin1String("expected a \"task\"")), qPrintable(error));

        QCborMap noId = encodeTask(TaskSpec{});
        noId.remove(QStringLiteral("id"));
        QVERIFY(!decodeTask(noId, &t, &error));
        QVERIFY2(error.contains(QLatin1String("\"id\"")), qPrintable(error));

        QCborMap badKind = encodeTask(CpuWorkload::task(0, 10));
        badKind.insert(QStringLiteral("workload"), QStringLiteral("quantum"));
        QVERIFY(!decodeTask(badKind, &t, &error));
        QVERIFY2(error.contains(QLatin1String("quantum")), qPrintable(error));

        QCborMap noParams = encodeTask(CpuWorkload::task(0, 10));
        noParams.insert(QStringLiteral("params"), 5);
        QVERIFY(!decodeTask(noParams, &t, &error));
        QVERIFY2(error.contains(QLatin1String("params")), qPrintable(error));

        TaskSpec lots = CpuWorkload::task(4, 10);
        lots.params.insert(QStringLiteral("n"), QStringLiteral("lots"));
        QVERIFY(!decodeTask(encodeTask(lots), &t, &error));
        QVERIFY2(error.contains(QLatin1String("task 4")) && error.contains(QLatin1String("n must be")), qPrintable(error));
        lots.params.insert(QStringLiteral("n"), -1);
        QVERIFY(!decodeTask(encodeTask(lots), &t, &error));

        ResultMessage rm;
        QCborMap noCpu = encodeResult(rm);
        noCpu.remove(QStringLiteral("worker_cpu_s"));
        QVERIFY(!decodeResult(noCpu, &rm, &error));
        QVERIFY2(error.contains(QLatin1String("worker_cpu_s")), qPrintable(error));

        Hello h;
        QVERIFY(decodeHello(encodeHello({7, 42}), &h, &error));
        QCOMPARE(h.version, 7);
        QCOMPARE(h.pid, qint64(42));
        QCOMPARE(messageType(encodeCancel(3)), MessageType::Cancel);
        QCOMPARE(decodeCancel(encodeCancel(3)), 3);
        QCOMPARE(messageType(encodeStarted({1, 2.0, 0})), MessageType::Started);
        QCOMPARE(messageType(QCborMap{{QStringLiteral("type"), QStringLiteral("nope")}}), MessageType::Unknown);
    }

    // The real worker: handshake, a task, a cancel, and EOF ending it mid-task.
    void workerSpeaksTheProtocol()
    {
        WorkerProcess w;
        QVERIFY2(w.start(), qPrintable(w.proc().errorString()));
        auto hello = w.receive();
        QVERIFY(hello);
        Hello h;
        QString error;
        QVERIFY2(decodeHello(*hello, &h, &error), qPrintable(error));
        QCOMPARE(h.version, kProtocolVersion);
        QCOMPARE(h.pid, w.proc().processId());

        TaskSpec t = CpuWorkload::task(9, 5'000'000, 2);
        const double sent = monotonicSeconds();
        w.send(encodeTask(t));
        auto started = w.receive();
        QVERIFY(started);
        Started st;
        QVERIFY2(decodeStarted(*started, &st, &error), qPrintable(error));
        QCOMPARE(st.id, 9);
        // Same CLOCK_MONOTONIC in both processes.
        QVERIFY2(st.t >= sent - 1e-3 && st.t <= monotonicSeconds(), qPrintable(QString::number(st.t - sent)));
        auto result = w.receive();
        QVERIFY(result);
        ResultMessage rm;
        QVERIFY2(decodeResult(*result, &rm, &error), qPrintable(error));
        QCOMPARE(rm.result.id, 9);
        QVERIFY(rm.result.ok && rm.result.verified);
        QCOMPARE(rm.result.value, toDecimal(sumSquaresClosedForm(5'000'000)));
        QVERIFY(rm.result.compute_s > 0);
        QVERIFY(rm.workerCpu_s >= rm.result.cpuTime_s);
        QVERIFY(rm.workerPeakRssKb > 0);

        // A long task, cancelled: the answer is a cancelled result, at once.
        t = CpuWorkload::task(10, 5'000'000, 1'000'000);
        w.send(encodeTask(t));
        QVERIFY(w.receive());  // started
        QElapsedTimer timer;
        timer.start();
        w.send(encodeCancel(10));
        result = w.receive(2000);
        QVERIFY(result);
        QVERIFY(decodeResult(*result, &rm, &error));
        QVERIFY(rm.result.cancelled && !rm.result.ok);
        QVERIFY2(timer.elapsed() < 500, qPrintable(QString::number(timer.elapsed())));

        // Another long task, then stdin EOF: the worker exits promptly, mid-task, code 0.
        t.id = 11;
        w.send(encodeTask(t));
        QVERIFY(w.receive());  // started
        timer.restart();
        w.proc().closeWriteChannel();
        QVERIFY(w.proc().waitForFinished(2000));
        QVERIFY2(timer.elapsed() < 500, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(w.proc().exitStatus(), QProcess::NormalExit);
        QCOMPARE(w.proc().exitCode(), 0);
    }

    void workerRejectsGarbageOnStdin()
    {
        WorkerProcess w;
        QVERIFY(w.start());
        QVERIFY(w.receive());  // hello
        w.proc().write("this is not a frame, it is text\n");
        QVERIFY(w.proc().waitForFinished(3000));
        QCOMPARE(w.proc().exitCode(), 1);
        const QString err = QString::fromLocal8Bit(w.proc().readAllStandardError());
        QVERIFY2(err.contains(QLatin1String("protocol error")), qPrintable(err));
    }

    void workerRejectsBadArgumentsAndAnOrphanedStart()
    {
        QProcess p;
        p.start(siblingExecutable(QStringLiteral("concurrency-lab-worker")), {QStringLiteral("--frob")});
        QVERIFY(p.waitForFinished(3000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("unknown argument"));
        // Started for a parent that is not its parent (as if that one had already died).
        p.start(siblingExecutable(QStringLiteral("concurrency-lab-worker")), {QStringLiteral("--parent"), QStringLiteral("1")});
        QVERIFY(p.waitForFinished(3000));
        QCOMPARE(p.exitCode(), 3);
        QCOMPARE(p.readAllStandardOutput().size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestProtocol)
#include "tst_protocol.moc"
