// The worker wire protocol: framing (split, batched, garbage, oversize), message round trips,
// and the real concurrency-lab-worker speaking it as a child process.
#include "ipc/protocol.h"
#include "util/sysinfo.h"
#include "workloads/cpu/cpuwork.h"
#include "workloads/cpu/cpuworkload.h"
#include "workloads/io/httpclient.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QCborArray>
#include <cmath>
#include <functional>
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

// A direct reading (`fast`) held to the stream reader (`slow`) on every byte of `sample`
// flipped four ways: whenever the direct reading accepts, the stream reader accepts the same
// (`same`). Both must be seen: some flips accepted, some refused.
template<typename Message, typename Fast, typename Slow, typename Same>
void holdFastToSlowOnFlips(const QByteArray &sample, Fast &&fast, Slow &&slow, Same &&same)
{
    int accepted = 0, refused = 0;
    for (qsizetype at = 0; at < sample.size(); ++at) {
        for (const uchar flip : {uchar(0x01), uchar(0x20), uchar(0x80), uchar(0xff)}) {
            QByteArray bad = sample;
            bad[at] = char(uchar(bad[at]) ^ flip);
            Message quick, careful;
            QString error;
            const bool streamOk = slow(bad, &careful, &error);
            if (!fast(bad, &quick)) {
                ++refused;
                continue;
            }
            ++accepted;
            QVERIFY2(streamOk, qPrintable(QStringLiteral("byte %1 ^ %2: the stream reader refuses (%3)").arg(at).arg(flip).arg(error)));
            QVERIFY2(same(quick, careful), qPrintable(QStringLiteral("byte %1 ^ %2 read differently").arg(at).arg(flip)));
        }
    }
    QVERIFY(accepted > 0 && refused > 0);
}

bool sameResults(const ResultsMessage &a, const ResultsMessage &b)
{
    auto eq = [](double p, double q) { return p == q || (std::isnan(p) && std::isnan(q)); };
    if (a.results.size() != b.results.size() || !eq(a.workerCpu_s, b.workerCpu_s) ||
        a.workerPeakRssKb != b.workerPeakRssKb)
        return false;
    for (size_t i = 0; i < a.results.size(); ++i) {
        const TaskResult &x = a.results[i], &y = b.results[i];
        if (x.id != y.id || !eq(x.start_s, y.start_s) || !eq(x.end_s, y.end_s) || x.cpu_start != y.cpu_start ||
            x.cpu_end != y.cpu_end || x.ok != y.ok || x.verified != y.verified || x.cancelled != y.cancelled ||
            !eq(x.compute_s, y.compute_s) || !eq(x.cpuTime_s, y.cpuTime_s) || x.value != y.value ||
            x.value.isNull() != y.value.isNull() || x.error != y.error || x.errorCategory != y.errorCategory)
            return false;
    }
    return true;
}

// A result's id, times, CPUs and flags at random; a time now and then one of `specials`
// (zeros, extremes, infinities, NaN).
template<size_t N>
void randomHead(QRandomGenerator &rng, const double (&specials)[N], TaskResult *t)
{
    t->id = int(rng.bounded(0, std::numeric_limits<int>::max()));
    t->start_s = rng.generateDouble() * 1e5;
    t->end_s = rng.bounded(8) == 0 ? specials[rng.bounded(int(N))] : t->start_s + rng.generateDouble();
    t->cpu_start = qint16(rng.bounded(-1, 300));
    t->cpu_end = qint16(rng.bounded(-1, 300));
    t->ok = rng.bounded(2);
    t->verified = rng.bounded(2);
    t->cancelled = rng.bounded(5) == 0;
    t->compute_s = rng.generateDouble();
    t->cpuTime_s = specials[rng.bounded(int(N))];
}

// The payload of a frame appendResultsFrame wrote, and whether it chose the packed form.
QByteArray resultsPayload(const std::vector<TaskResult> &results, bool *packed, bool arrays = false)
{
    QByteArray out;
    if (arrays)
        appendCborResultsFrame(out, results, 2.5, 777);
    else
        appendResultsFrame(out, results, 2.5, 777);
    const QByteArray payload = out.mid(4);
    *packed = QCborValue::fromCbor(payload).toMap().contains(QStringLiteral("packed"));
    return payload;
}

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

    // The lean messages: a chunk of tasks and its results, decoded without a QCborValue tree.
    void chunkAndResultsRoundTrip()
    {
        std::vector<int> ids{3, 4, 99};
        std::vector<QByteArray> params;
        for (int id : ids)
            params.push_back(encodeParams(CpuWorkload::task(id, 1000 + quint64(id), 2).params));
        QByteArray frames;
        appendTasksFrame(frames, QStringLiteral("cpu"), ids, params);
        FrameDecoder d;
        d.feed(frames);
        const auto payload = d.nextPayload();
        QVERIFY(payload);
        QCOMPARE(peekMessageType(*payload), MessageType::Tasks);
        TaskChunk chunk;
        QString error;
        QVERIFY2(decodeTasks(*payload, &chunk, &error), qPrintable(error));
        QCOMPARE(chunk.size(), size_t(3));
        for (size_t i = 0; i < 3; ++i) {
            TaskSpec t;
            QVERIFY2(taskAt(chunk, i, &t, &error), qPrintable(error));
            QCOMPARE(t.id, ids[i]);
            QCOMPARE(t.workload, QStringLiteral("cpu"));
            QCOMPARE(t.integer(QLatin1String("n")), 1000 + ids[i]);
            QCOMPARE(t.integer(QLatin1String("repeat")), 2);
        }

        std::vector<TaskResult> results(2);
        results[0].id = 3;
        results[0].start_s = 10.5;
        results[0].end_s = 10.75;
        results[0].cpu_start = 0;
        results[0].cpu_end = 1;
        results[0].ok = results[0].verified = true;
        results[0].value = toDecimal(sumSquaresClosedForm(kCpuMaxN));
        results[0].compute_s = 0.25;
        results[0].cpuTime_s = 0.2;
        results[1].id = 4;
        results[1].error = QStringLiteral("refused");
        results[1].errorCategory = QStringLiteral("refused");
        results[1].url = QStringLiteral("http://127.0.0.1:1/x");
        results[1].bytes = 123456789012;
        results[1].httpStatus = 404;
        results[1].ttfb_s = 0.125;
        results[1].checksum = QStringLiteral("abc");
        QByteArray out;
        appendResultsFrame(out, results, 1.5, 4096);
        appendStartedFrame(out, {7, 12.25, 1});
        d.feed(out);
        const auto rp = d.nextPayload();
        QVERIFY(rp);
        QCOMPARE(peekMessageType(*rp), MessageType::Results);
        ResultsMessage rm;
        QVERIFY2(decodeResults(*rp, &rm, &error, 2), qPrintable(error));
        QCOMPARE(rm.workerCpu_s, 1.5);
        QCOMPARE(rm.workerPeakRssKb, 4096L);
        QCOMPARE(rm.results.size(), size_t(2));
        const TaskResult &a = rm.results[0], &b = rm.results[1];
        QCOMPARE(a.id, 3);
        QCOMPARE(a.start_s, 10.5);
        QCOMPARE(a.end_s, 10.75);
        QCOMPARE(a.cpu_end, 1);
        QVERIFY(a.ok && a.verified && !a.cancelled);
        QCOMPARE(a.value, toDecimal(sumSquaresClosedForm(kCpuMaxN)));
        QCOMPARE(a.compute_s, 0.25);
        QCOMPARE(a.cpuTime_s, 0.2);
        QVERIFY(a.url.isEmpty() && a.error.isEmpty());
        QCOMPARE(b.errorCategory, QStringLiteral("refused"));
        QCOMPARE(b.url, QStringLiteral("http://127.0.0.1:1/x"));
        QCOMPARE(b.bytes, 123456789012);
        QCOMPARE(b.httpStatus, 404);
        QCOMPARE(b.ttfb_s, 0.125);
        QCOMPARE(b.checksum, QStringLiteral("abc"));
        // More results than the worker holds tasks is a protocol violation.
        QVERIFY(!decodeResults(*rp, &rm, &error, 1));
        QVERIFY2(error.contains(QLatin1String("more results")), qPrintable(error));
        // The same lean "started" reads through the generic decoder too.
        const auto sp = d.nextPayload();
        QVERIFY(sp);
        Started st;
        QVERIFY2(decodeStartedPayload(*sp, &st, &error), qPrintable(error));
        QCOMPARE(st.id, 7);
        QCOMPARE(st.t, 12.25);
        QCOMPARE(st.cpu, 1);
        const auto generic = decodeMessage(*sp, &error);
        QVERIFY(generic && decodeStarted(*generic, &st, &error));
    }

    // decodeResults reads the shape appendResultsFrame writes directly, and leaves everything
    // else to the stream reader. The direct reading must never accept what the stream reader
    // refuses, nor read a value differently: held to each other over generated results, other
    // encodings of the same message, and every truncation and byte flip of one.
    void fastResultsDecoderMatchesTheStreamReader()
    {
        const auto same = sameResults;
        QRandomGenerator rng(1234);
        const double specials[] = {0.0, -0.0, 1e-300, 1e300, std::numeric_limits<double>::infinity(),
                                   std::numeric_limits<double>::quiet_NaN(), -2.5, 0.1};
        QByteArray sample;
        for (int round = 0; round < 200; ++round) {
            std::vector<TaskResult> results(size_t(rng.bounded(0, 40)));
            for (TaskResult &t : results) {
                randomHead(rng, specials, &t);
                t.value = rng.bounded(4) ? QString::number(rng.generate64()) : QString();
                if (rng.bounded(4) == 0) {
                    t.error = QStringLiteral("failed: %1").arg(rng.bounded(1000));
                    t.errorCategory = QStringLiteral("cpu");
                }
            }
            QByteArray out;
            appendResultsFrame(out, results, rng.generateDouble() * 100, long(rng.bounded(0, 1 << 30)));
            const QByteArray payload = out.mid(4);
            ResultsMessage fast, slow;
            QString error;
            QVERIFY2(detail::decodeResultsFast(payload, &fast, results.size()), "the direct reading declined its own shape");
            QVERIFY2(detail::decodeResultsByStream(payload, &slow, &error, results.size()), qPrintable(error));
            QVERIFY(same(fast, slow));
            // Fewer tasks held than results: both refuse (the stream reader says why).
            if (!results.empty()) {
                QVERIFY(!detail::decodeResultsFast(payload, &fast, results.size() - 1));
                QVERIFY(!decodeResults(payload, &fast, &error, results.size() - 1));
                QVERIFY2(error.contains(QLatin1String("more results")), qPrintable(error));
            }
            if (sample.isEmpty() && results.size() >= 20)
                sample = payload;
        }
        QVERIFY(!sample.isEmpty());
        // The same message as QCborValue writes it (half and single floats, keys reordered)
        // and with a non-ASCII text: the direct reading may decline, the result is the same.
        {
            QCborMap r;
            r.insert(QStringLiteral("results"),
                     QCborArray{QCborArray{7, 0.5, 1.0, 0, 1, 3, 0.25, 1e-30, QStringLiteral("14"), QCborValue(nullptr),
                                           QCborValue(nullptr), QCborValue(nullptr)},
                                QCborArray{8, 2, 3.5, -1, -1, 0, 0, 0, QCborValue(nullptr), QStringLiteral("zu groß"),
                                           QStringLiteral("cpu"), QCborValue(nullptr)}});
            r.insert(QStringLiteral("worker_peak_rss_kb"), -5);
            r.insert(QStringLiteral("type"), QStringLiteral("results"));
            r.insert(QStringLiteral("worker_cpu_s"), 1);
            // Half floats (0.5, 3.5), a single (1e-30 is not a half), integers for 1.0 and 2.
            const QByteArray payload =
                r.toCborValue().toCbor(QCborValue::EncodingOptions(QCborValue::UseFloat16 | QCborValue::UseIntegers));
            ResultsMessage any, slow;
            QString error;
            QVERIFY2(decodeResults(payload, &any, &error, 2), qPrintable(error));
            QVERIFY(detail::decodeResultsByStream(payload, &slow, &error, 2));
            QVERIFY(same(any, slow));
            QCOMPARE(any.results[0].start_s, 0.5);
            QCOMPARE(any.results[0].end_s, 1.0);
            QCOMPARE(any.results[0].cpuTime_s, double(1e-30f));
            QCOMPARE(any.results[1].end_s, 3.5);
            QCOMPARE(any.results[0].value, QStringLiteral("14"));
            QCOMPARE(any.results[1].error, QStringLiteral("zu groß"));
            QCOMPARE(any.workerPeakRssKb, 0L);
            QCOMPARE(any.workerCpu_s, 1.0);
            // In ASCII the direct reading takes it, halves and singles included.
            QCborArray list = r.value(QStringLiteral("results")).toArray();
            QCborArray second = list.at(1).toArray();
            second[9] = QStringLiteral("too big");
            list[1] = second;
            r.insert(QStringLiteral("results"), list);
            const QByteArray ascii =
                r.toCborValue().toCbor(QCborValue::EncodingOptions(QCborValue::UseFloat16 | QCborValue::UseIntegers));
            QVERIFY(detail::decodeResultsFast(ascii, &any, 2));
            QVERIFY(detail::decodeResultsByStream(ascii, &slow, &error, 2));
            QVERIFY(same(any, slow));
            QCOMPARE(any.results[1].end_s, 3.5);
            QCOMPARE(any.results[1].error, QStringLiteral("too big"));
        }
        // Every truncation and every byte flip of one message: whenever the direct reading
        // accepts, the stream reader accepts the same.
        for (qsizetype cut = 0; cut < sample.size(); ++cut) {
            ResultsMessage fast;
            QVERIFY(!detail::decodeResultsFast(sample.left(cut), &fast, 100));
        }
        holdFastToSlowOnFlips<ResultsMessage>(
            sample, [](const QByteArray &b, ResultsMessage *m) { return detail::decodeResultsFast(b, m, 100); },
            [](const QByteArray &b, ResultsMessage *m, QString *e) { return detail::decodeResultsByStream(b, m, e, 100); }, same);
    }

    // A CPU task's results (times, CPUs, flags, a short ASCII value) travel packed: read back
    // exactly as the CBOR arrays of the same results are, by both readers; anything else
    // (an error text, a non-ASCII value) goes as arrays. Held to the stream reader on every
    // truncation and byte flip, and malformed records are refused by both, with reasons.
    void packedResultsReadAsTheArrays()
    {
        QRandomGenerator rng(99);
        const double specials[] = {0.0, -0.0, 5e-324, 1e300, -std::numeric_limits<double>::infinity(),
                                   std::numeric_limits<double>::quiet_NaN(), 0.1};
        QByteArray sample;
        for (int round = 0; round < 60; ++round) {
            // Up to 700 results, with up to 300 distinct values (more than the interner's 256
            // slots), repeated values and tasks with no value at all.
            std::vector<TaskResult> results(size_t(rng.bounded(1, 700)));
            const int distinct = int(rng.bounded(1, 300));
            for (TaskResult &t : results) {
                randomHead(rng, specials, &t);
                if (rng.bounded(6))
                    t.value = QString::number(quint64(rng.bounded(distinct)) * 1000003ull);
            }
            bool packed = false, arrays = true;
            const QByteArray payload = resultsPayload(results, &packed);
            const QByteArray reference = resultsPayload(results, &arrays, true);
            QVERIFY(packed);
            QVERIFY(!arrays);
            QVERIFY2(payload.size() < reference.size(), "the packed form is not smaller");
            ResultsMessage fast, slow, expected;
            QString error;
            QVERIFY2(detail::decodeResultsByStream(reference, &expected, &error, results.size()), qPrintable(error));
            QVERIFY2(detail::decodeResultsFast(payload, &fast, results.size()), "the direct reading declined the packed form");
            QVERIFY2(detail::decodeResultsByStream(payload, &slow, &error, results.size()), qPrintable(error));
            QVERIFY(sameResults(fast, expected));
            QVERIFY(sameResults(slow, expected));
            // One task fewer held than results: both refuse, and the stream reader says why.
            QVERIFY(!detail::decodeResultsFast(payload, &fast, results.size() - 1));
            QVERIFY(!decodeResults(payload, &fast, &error, results.size() - 1));
            QVERIFY2(error.contains(QLatin1String("more results")), qPrintable(error));
            if (sample.isEmpty() && results.size() >= 3 && results.size() <= 12)
                sample = payload;
        }
        QVERIFY(!sample.isEmpty());
        // Values shared, not copied: two results with one value hold one string.
        {
            std::vector<TaskResult> results(2);
            results[0].value = results[1].value = QStringLiteral("285");
            results[1].id = 1;
            bool packed = false;
            ResultsMessage m;
            QString error;
            QVERIFY(decodeResults(resultsPayload(results, &packed), &m, &error, 2));
            QVERIFY(packed);
            QCOMPARE(m.results[0].value, QStringLiteral("285"));
            QCOMPARE(m.results[0].value.constData(), m.results[1].value.constData());
        }
        // What the packed form cannot carry goes as arrays, and reads back whole.
        for (int which = 0; which < 4; ++which) {
            std::vector<TaskResult> results(3);
            for (int i = 0; i < 3; ++i)
                results[size_t(i)].id = i;
            TaskResult &odd = results[1];
            if (which == 0)
                odd.error = QStringLiteral("task 1 failed");
            else if (which == 1)
                odd.value = QStringLiteral("zu groß");
            else if (which == 2)
                odd.value = QString(256, QLatin1Char('7'));
            else
                odd.url = QStringLiteral("http://127.0.0.1:1/x");
            bool packed = true;
            const QByteArray payload = resultsPayload(results, &packed);
            QVERIFY(!packed);
            ResultsMessage m;
            QString error;
            QVERIFY2(decodeResults(payload, &m, &error, 3), qPrintable(error));
            QCOMPARE(m.results.size(), size_t(3));
            QCOMPARE(m.results[1].error.toString(), odd.error.toString());
            QCOMPARE(m.results[1].value, odd.value);
        }
        // Every truncation refused; every byte flip the direct reading takes, the stream
        // reader takes the same.
        for (qsizetype cut = 0; cut < sample.size(); ++cut) {
            ResultsMessage fast;
            QVERIFY(!detail::decodeResultsFast(sample.left(cut), &fast, 100));
        }
        holdFastToSlowOnFlips<ResultsMessage>(
            sample, [](const QByteArray &b, ResultsMessage *m) { return detail::decodeResultsFast(b, m, 100); },
            [](const QByteArray &b, ResultsMessage *m, QString *e) { return detail::decodeResultsByStream(b, m, e, 100); },
            sameResults);
        // Malformed records, each refused by both readers: a value index past the table,
        // flags beyond the three, a non-zero pad byte, a record cut short, a non-ASCII text.
        std::vector<TaskResult> two(2);
        two[0].value = QStringLiteral("12");
        two[1].id = 1;
        bool packed = false;
        const QByteArray good = resultsPayload(two, &packed);
        QVERIFY(packed);
        const QCborMap map = QCborValue::fromCbor(good).toMap();
        const QByteArray bytes = map.value(QStringLiteral("packed")).toByteArray();
        // Layout: 8 bytes of head, the text "12" as 1 + 2 bytes, then 44 bytes a record.
        const qsizetype record = 8 + 3;
        auto with = [&](const std::function<void(QByteArray &)> &spoil) {
            QByteArray b = bytes;
            spoil(b);
            QCborMap m = map;
            m.insert(QStringLiteral("packed"), b);
            return m.toCborValue().toCbor();
        };
        const QByteArray bad[] = {
            with([&](QByteArray &b) { qToLittleEndian<quint16>(1, b.data() + record + 4); }),
            with([&](QByteArray &b) { b[record + 6] = char(8); }),
            with([&](QByteArray &b) { b[record + 7] = char(1); }),
            with([&](QByteArray &b) { b.chop(1); }),
            with([&](QByteArray &b) { b[9] = char(0xc3); }),
            with([&](QByteArray &b) { qToLittleEndian<qint32>(-1, b.data() + record); }),
        };
        for (const QByteArray &payload : bad) {
            ResultsMessage m;
            QString error;
            QVERIFY(!detail::decodeResultsFast(payload, &m, 2));
            QVERIFY(!decodeResults(payload, &m, &error, 2));
            QVERIFY2(error.contains(QLatin1String("packed")), qPrintable(error));
        }
    }

    // The worker frames results as they come (ResultsBuilder): a burst of one form must be
    // appendResultsFrame's frame, byte for byte; a mixed burst one message per run of one form,
    // which read back as the results in order; and so again after each burst it sends.
    void resultsBuilderFramesAsAppendResultsFrame()
    {
        QRandomGenerator rng(7);
        const double specials[] = {0.0, -0.0, 1e300, std::numeric_limits<double>::infinity(),
                                   std::numeric_limits<double>::quiet_NaN()};
        auto spoil = [&](TaskResult &odd) {
            switch (rng.bounded(4)) {
            case 0: odd.error = QStringLiteral("task failed"); break;
            case 1: odd.value = QStringLiteral("zu groß"); break;
            case 2: odd.value = QString(256, QLatin1Char('7')); break;
            default: odd.url = QStringLiteral("http://127.0.0.1:1/x"); break;
            }
        };
        ResultsBuilder builder;
        builder.reserve(600);  // the worker's warm-up: room made, nothing added
        QVERIFY(builder.empty());
        int mixedBursts = 0;
        for (int round = 0; round < 90; ++round) {
            std::vector<TaskResult> results(size_t(rng.bounded(1, 900)));
            const int distinct = int(rng.bounded(1, 700));  // past the builder's 512 hash slots
            for (TaskResult &t : results) {
                randomHead(rng, specials, &t);
                if (rng.bounded(6))
                    t.value = QString::number(quint64(rng.bounded(distinct)) * 1000003ull);
            }
            const int kind = round % 3;  // all packable, none, or a few that are not
            if (kind == 1) {
                for (TaskResult &t : results)
                    spoil(t);
            } else if (kind == 2) {
                for (int k = 0; k < 3; ++k)
                    spoil(results[size_t(rng.bounded(int(results.size())))]);
            }
            size_t runs = 0;
            for (size_t i = 0; i < results.size(); ++i)
                if (i == 0 || detail::fitsPacked(results[i]) != detail::fitsPacked(results[i - 1]))
                    ++runs;
            for (const TaskResult &t : results)
                builder.add(TaskResult(t));
            QCOMPARE(builder.size(), results.size());
            QByteArray framed("head");  // appended to what the buffer holds, as the worker's output
            builder.appendFrame(framed, 1.5, 4321);
            QVERIFY(builder.empty());
            QCOMPARE(framed.left(4), QByteArray("head"));
            QByteArray expected;
            appendResultsFrame(expected, results, 1.5, 4321);
            if (runs == 1) {
                QVERIFY2(framed.mid(4) == expected, qPrintable(QStringLiteral("round %1 framed differently").arg(round)));
                continue;
            }
            ++mixedBursts;
            FrameDecoder frames;
            frames.feed(framed.mid(4));
            ResultsMessage all, one;
            QString error;
            size_t messages = 0;
            while (const std::optional<QByteArray> payload = frames.nextPayload()) {
                QVERIFY2(decodeResults(*payload, &one, &error, results.size()), qPrintable(error));
                QCOMPARE(one.workerCpu_s, 1.5);
                QCOMPARE(one.workerPeakRssKb, 4321L);
                for (TaskResult &t : one.results)
                    all.results.push_back(std::move(t));
                ++messages;
            }
            QVERIFY(!frames.hasError());
            QCOMPARE(messages, runs);
            ResultsMessage reference;
            QVERIFY2(decodeResults(expected.mid(4), &reference, &error, results.size()), qPrintable(error));
            all.workerCpu_s = reference.workerCpu_s;
            all.workerPeakRssKb = reference.workerPeakRssKb;
            QVERIFY2(sameResults(all, reference), qPrintable(QStringLiteral("round %1 read back differently").arg(round)));
        }
        QVERIFY(mixedBursts > 0);
        // Nothing added: nothing framed.
        QByteArray none;
        builder.appendFrame(none, 1, 1);
        QVERIFY(none.isEmpty());
    }

    // The worker's cache of decoded parameter maps: the same tasks as without it, a map decoded
    // once however often it recurs, and a bad map refused every time, never remembered.
    void taskAtDecodesEachParameterMapOnce()
    {
        std::vector<int> ids;
        std::vector<QByteArray> params;
        for (int i = 0; i < 300; ++i) {
            ids.push_back(i);
            params.push_back(encodeParams(CpuWorkload::task(i, quint64(10 + i % 10), 1 + i % 3).params));
        }
        ids.push_back(300);
        params.push_back(QCborValue(QByteArray("\x05", 1)).toByteArray());
        ids.push_back(301);
        params.push_back(encodeParams(CpuWorkload::task(301, kCpuMaxN + 1).params));
        QByteArray frame;
        appendTasksFrame(frame, QString::fromLatin1(CpuWorkload::kId), ids, params);
        TaskChunk chunk;
        QString error;
        QVERIFY2(decodeTasks(frame.mid(4), &chunk, &error), qPrintable(error));
        ParamsCache cache;
        for (int pass = 0; pass < 2; ++pass) {
            for (size_t i = 0; i < 300; ++i) {
                TaskSpec plain, cached;
                QVERIFY2(taskAt(chunk, i, &plain, &error), qPrintable(error));
                QVERIFY2(taskAt(chunk, i, &cached, &error, &cache), qPrintable(error));
                QCOMPARE(cached.id, int(i));
                QCOMPARE(cached.workload, plain.workload);
                QCOMPARE(cached.params, plain.params);
            }
            // 10 n x 3 repeats; and from the first pass on, task 301's map, which parses.
            QCOMPARE(cache.size(), qsizetype(pass == 0 ? 30 : 31));
            TaskSpec t;
            QVERIFY(!taskAt(chunk, 300, &t, &error, &cache));
            QVERIFY2(error.contains(QLatin1String("not a CBOR map")), qPrintable(error));
            QVERIFY(!taskAt(chunk, 301, &t, &error, &cache));  // decoded and cached, refused by its check
            QVERIFY2(error.contains(QLatin1String("n must be")), qPrintable(error));
        }
        // Bounded: a cache that is full starts again.
        for (int i = 0; i < ParamsCache::kMaxMaps + 5; ++i)
            cache.insert(QByteArray::number(i), QCborMap{{QStringLiteral("i"), i}});
        QVERIFY(cache.size() <= ParamsCache::kMaxMaps);
        QVERIFY(cache.find(QByteArray::number(ParamsCache::kMaxMaps + 4)));
        QVERIFY(!cache.find(QByteArray::number(0)));
    }

    // decodeTasks' direct reading against the stream reader, on what both framings of a task
    // list write (one by one, and from the list encoded once), every truncation and byte flip.
    void tasksFastPathMatchesTheStreamReader()
    {
        auto same = [](const TaskChunk &a, const TaskChunk &b) {
            if (a.workload != b.workload || a.ids != b.ids || a.params.size() != b.params.size())
                return false;
            for (size_t i = 0; i < a.params.size(); ++i)
                if (a.payload.mid(a.params[i].first, a.params[i].second) != b.payload.mid(b.params[i].first, b.params[i].second))
                    return false;
            return true;
        };
        QRandomGenerator rng(4321);
        QByteArray sample;
        for (int round = 0; round < 100; ++round) {
            const size_t n = size_t(rng.bounded(1, 60));
            std::vector<int> ids;
            std::vector<QByteArray> params;
            EncodedTasks encoded;
            for (size_t i = 0; i < n; ++i) {
                QCborMap p;
                p.insert(QStringLiteral("n"), qint64(rng.bounded(0, 1 << 30)));
                if (rng.bounded(3) == 0)
                    p.insert(QStringLiteral("url"), QStringLiteral("http://127.0.0.1:%1/x").arg(rng.bounded(1, 65535)));
                ids.push_back(int(rng.bounded(0, std::numeric_limits<int>::max())));
                params.push_back(encodeParams(p));
                encoded.append(ids.back(), params.back());
            }
            const QString workload = rng.bounded(2) ? QStringLiteral("cpu") : QStringLiteral("io");
            QByteArray plain, copied;
            appendTasksFrame(plain, workload, ids, params);
            const size_t first = size_t(rng.bounded(0, int(n)));
            const size_t count = size_t(rng.bounded(1, int(n - first) + 1));
            appendTasksFrame(copied, workload, encoded, 0, n);
            QCOMPARE(copied, plain);  // the same bytes either way
            QByteArray part;
            appendTasksFrame(part, workload, encoded, first, count);
            const std::vector<int> partIds(ids.begin() + qsizetype(first), ids.begin() + qsizetype(first + count));
            const std::vector<QByteArray> partParams(params.begin() + qsizetype(first), params.begin() + qsizetype(first + count));
            QByteArray partPlain;
            appendTasksFrame(partPlain, workload, partIds, partParams);
            QCOMPARE(part, partPlain);
            const QByteArray payload = plain.mid(4);
            TaskChunk fast, slow;
            QString error;
            QVERIFY2(detail::decodeTasksFast(payload, &fast), "the direct reading declined its own shape");
            QVERIFY2(detail::decodeTasksByStream(payload, &slow, &error), qPrintable(error));
            QVERIFY(same(fast, slow));
            QCOMPARE(fast.ids, ids);
            if (sample.isEmpty() && n >= 20)
                sample = payload;
        }
        QVERIFY(!sample.isEmpty());
        for (qsizetype cut = 0; cut < sample.size(); ++cut) {
            TaskChunk fast;
            QVERIFY(!detail::decodeTasksFast(sample.left(cut), &fast));
        }
        holdFastToSlowOnFlips<TaskChunk>(
            sample, [](const QByteArray &b, TaskChunk *c) { return detail::decodeTasksFast(b, c); },
            [](const QByteArray &b, TaskChunk *c, QString *e) { return detail::decodeTasksByStream(b, c, e); }, same);
    }

    void resultsCarryATaskTraceBothWays()
    {
        // A traced task (13 fields) beside an untraced one (12): both read back, the trace intact.
        auto trace = std::make_shared<TaskTrace>();
        trace->spans.push_back({LaneState::Lock, 0, 100.25, 100.5, 1, 0.000125});
        trace->spans.push_back({LaneState::QueueFull, 2, 101.0, 101.125, -1, -1});
        trace->events.push_back({0, 100.5, 3, 3});
        trace->droppedSpans = 7;
        std::vector<TaskResult> results(2);
        results[0].id = 3;
        results[0].ok = results[0].verified = true;
        results[0].trace = trace;
        results[1].id = 4;
        QByteArray out;
        appendResultsFrame(out, results, 0.5, 1);
        FrameDecoder d;
        d.feed(out);
        const auto rp = d.nextPayload();
        QVERIFY(rp);
        ResultsMessage rm;
        QString error;
        QVERIFY2(decodeResults(*rp, &rm, &error, 2), qPrintable(error));
        QVERIFY(rm.results[0].trace);
        QVERIFY(!rm.results[1].trace);
        const TaskTrace &t = *rm.results[0].trace;
        QCOMPARE(t.spans.size(), size_t(2));
        QCOMPARE(t.spans[0].state, LaneState::Lock);
        QCOMPARE(t.spans[0].culpritTask, 1);
        QCOMPARE(t.spans[0].wakeLatency_s, 0.000125);
        QCOMPARE(t.spans[1].primitive, qint16(2));
        QCOMPARE(t.spans[1].wakeLatency_s, -1.0);
        QCOMPARE(t.events.size(), size_t(1));
        QCOMPARE(t.events[0].value, 3);
        QCOMPARE(t.droppedSpans, qint64(7));

        // The map form (encodeResult) carries it too.
        ResultMessage one;
        one.result = results[0];
        ResultMessage back;
        QVERIFY2(decodeResult(encodeResult(one), &back, &error), qPrintable(error));
        QVERIFY(back.result.trace && back.result.trace->spans.size() == 2);

        // A trace that is not one is a malformed result, not a crash.
        QCborMap bad = encodeResult(one);
        bad.insert(QStringLiteral("trace"), QByteArray("\xff\x00junk"));
        QVERIFY(!decodeResult(bad, &back, &error));
        QVERIFY2(error.contains(QLatin1String("trace")), qPrintable(error));
    }

    void leanDecodersRejectMalformedMessages_data()
    {
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<QString>("expected");
        auto cbor = [](const QCborMap &m) { return m.toCborValue().toCbor(); };
        QCborMap base{{QStringLiteral("type"), QStringLiteral("results")},
                      {QStringLiteral("worker_cpu_s"), 1.0},
                      {QStringLiteral("worker_peak_rss_kb"), 1}};
        QTest::newRow("no results") << cbor(base) << QStringLiteral("needs type and results");
        QCborMap shortRow = base;
        shortRow.insert(QStringLiteral("results"), QCborArray{QCborArray{1, 2.0, 3.0}});
        QTest::newRow("short row") << cbor(shortRow) << QStringLiteral("malformed");
        QCborMap badFlags = base;
        badFlags.insert(QStringLiteral("results"),
                        QCborArray{QCborArray{1, 2.0, 3.0, 0, 0, 99, 0.0, 0.0, QCborValue(), QCborValue(), QCborValue(), QCborValue()}});
        QTest::newRow("bad flags") << cbor(badFlags) << QStringLiteral("malformed");
        QTest::newRow("not a map") << QCborValue(5).toCbor() << QStringLiteral("must be a CBOR map");
        QTest::newRow("truncated") << cbor(shortRow).left(10) << QStringLiteral("results");
    }

    void leanDecodersRejectMalformedMessages()
    {
        QFETCH(QByteArray, payload);
        QFETCH(QString, expected);
        ResultsMessage rm;
        QString error;
        QVERIFY(!decodeResults(payload, &rm, &error, 10));
        QVERIFY2(error.contains(expected), qPrintable(error));
        QVERIFY(!error.contains(QLatin1Char('\n')));
    }

    void chunkDecoderRejectsMismatches()
    {
        auto cbor = [](const QCborMap &m) { return m.toCborValue().toCbor(); };
        QCborMap m{{QStringLiteral("type"), QStringLiteral("tasks")},
                   {QStringLiteral("workload"), QStringLiteral("cpu")},
                   {QStringLiteral("ids"), QCborArray{1, 2}},
                   {QStringLiteral("params"), QCborArray{encodeParams(CpuWorkload::task(1, 5).params)}}};
        TaskChunk c;
        QString error;
        QVERIFY(!decodeTasks(cbor(m), &c, &error));
        QVERIFY2(error.contains(QLatin1String("2 ids and 1 parameter")), qPrintable(error));
        // Parameters that are not a map, or a task its workload refuses, fail when the task is taken.
        m.insert(QStringLiteral("ids"), QCborArray{1, 2});
        m.insert(QStringLiteral("params"), QCborArray{QCborValue(QByteArray("\x05", 1)).toByteArray(),
                                                       encodeParams(CpuWorkload::task(2, kCpuMaxN + 1).params)});
        QVERIFY2(decodeTasks(cbor(m), &c, &error), qPrintable(error));
        TaskSpec t;
        QVERIFY(!taskAt(c, 0, &t, &error));
        QVERIFY2(error.contains(QLatin1String("not a CBOR map")), qPrintable(error));
        QVERIFY(!taskAt(c, 1, &t, &error));
        QVERIFY2(error.contains(QLatin1String("n must be")), qPrintable(error));
    }

    // One 16 MiB frame of nested or repeated empty arrays would decode into a gigabyte of
    // QCborValue tree; the budget refuses it from a scan that allocates nothing.
    void decoderBoundsNestingAndItemCounts_data()
    {
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<QString>("expected");
        QTest::newRow("deep nesting") << QByteArray(100000, '\x81') + QByteArray(1, '\x80') << QStringLiteral("nested more than");
        // {"type": "x", "a": [[], [], ... ]}: 1 byte each on the wire, ~100 bytes decoded.
        QByteArray wide = QByteArray::fromHex("a2647479706561786161" "9a000f4240");
        wide.append(QByteArray(1000000, '\x80'));
        QTest::newRow("a million empty arrays") << wide << QStringLiteral("would decode into more than");
        QByteArray ints = QByteArray::fromHex("a2647479706561786161" "9a000f4240");
        ints.append(QByteArray(1000000, '\x01'));
        QTest::newRow("a million small ints") << ints << QStringLiteral("would decode into more than");
    }

    void decoderBoundsNestingAndItemCounts()
    {
        QFETCH(QByteArray, payload);
        QFETCH(QString, expected);
        QVERIFY2(cborBudgetProblem(payload).contains(expected), qPrintable(cborBudgetProblem(payload)));
        FrameDecoder d;
        d.feed(rawFrame(payload));
        QVERIFY(!d.next());
        QVERIFY(d.hasError());
        QVERIFY2(d.errorString().contains(expected), qPrintable(d.errorString()));
        QVERIFY(!d.errorString().contains(QLatin1Char('\n')));
        // Messages of the protocol's own shape stay well inside the budget.
        QVERIFY(cborBudgetProblem(encodeTask(CpuWorkload::task(1, 10)).toCborValue().toCbor()).isEmpty());
        QVERIFY(cborBudgetProblem(encodeResult({}).toCborValue().toCbor()).isEmpty());
    }

    // The real worker fed the 16 MiB frame of empty arrays: it refuses it with one line and
    // its peak memory stays a small multiple of the frame (was 1.2 GB).
    void workerFedAnAmplifyingFrameStaysSmall()
    {
        WorkerProcess w;
        QVERIFY(w.start());
        QVERIFY(w.receive());  // hello
        // {"type": "cancel", "a": [[], [], ...]} filling the largest frame allowed.
        const quint32 items = kMaxFrameBytes - 20;
        QByteArray payload = QByteArray::fromHex("a26474797065666361" "6e63656c61619a");
        payload.append(header(0));
        qToBigEndian<quint32>(items, payload.data() + payload.size() - 4);
        payload.append(QByteArray(qsizetype(items), '\x80'));
        QCOMPARE(payload.size(), qsizetype(kMaxFrameBytes));
        const qint64 pid = w.proc().processId();
        w.proc().write(rawFrame(payload));
        long peakKb = 0;
        QElapsedTimer t;
        t.start();
        while (w.proc().state() != QProcess::NotRunning && t.elapsed() < 10000) {
            peakKb = std::max(peakKb, peakRssKbOf(pid));
            w.proc().waitForFinished(5);
        }
        QCOMPARE(w.proc().state(), QProcess::NotRunning);
        QCOMPARE(w.proc().exitCode(), 1);
        const QString err = QString::fromLocal8Bit(w.proc().readAllStandardError());
        QVERIFY2(err.contains(QLatin1String("would decode into more than")), qPrintable(err));
        qInfo("worker fed a 16 MiB frame of empty arrays peaked at %ld MB", peakKb / 1024);
        // The frame itself is buffered (16 MiB, twice while reassembled) plus the program.
        QVERIFY2(peakKb < 120 * 1024, qPrintable(QStringLiteral("worker peaked at %1 MB").arg(peakKb / 1024)));
    }

    // The real worker: handshake, a chunk, a cancel, and EOF ending it mid-task.
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

        // A chunk of two tasks: a "started" when the worker takes up work after waiting, then
        // the chunk's results in order, each with its own times.
        auto sendChunk = [&](std::vector<TaskSpec> tasks) {
            std::vector<int> ids;
            std::vector<QByteArray> params;
            for (const TaskSpec &t : tasks) {
                ids.push_back(t.id);
                params.push_back(encodeParams(t.params));
            }
            QByteArray f;
            appendTasksFrame(f, QStringLiteral("cpu"), ids, params);
            w.proc().write(f);
            w.proc().waitForBytesWritten(1000);
        };
        const double sent = monotonicSeconds();
        sendChunk({CpuWorkload::task(9, 5'000'000, 2), CpuWorkload::task(8, 10, 1)});
        auto started = w.receive();
        QVERIFY(started);
        Started st;
        QVERIFY2(decodeStarted(*started, &st, &error), qPrintable(error));
        QCOMPARE(st.id, 9);
        // Same CLOCK_MONOTONIC in both processes.
        QVERIFY2(st.t >= sent - 1e-3 && st.t <= monotonicSeconds(), qPrintable(QString::number(st.t - sent)));
        std::vector<TaskResult> got;
        double workerCpu = 0;
        long workerRss = 0;
        while (got.size() < 2) {
            auto m = w.receive();
            QVERIFY(m);
            if (messageType(*m) == MessageType::Started)
                continue;
            QCOMPARE(messageType(*m), MessageType::Results);
            ResultsMessage rm;
            QVERIFY2(decodeResults(m->toCborValue().toCbor(), &rm, &error, 2 - got.size()), qPrintable(error));
            got.insert(got.end(), rm.results.begin(), rm.results.end());
            workerCpu = rm.workerCpu_s;
            workerRss = rm.workerPeakRssKb;
        }
        QCOMPARE(got[0].id, 9);
        QCOMPARE(got[1].id, 8);
        QVERIFY(got[0].ok && got[0].verified && got[1].ok && got[1].verified);
        QCOMPARE(got[0].value, toDecimal(sumSquaresClosedForm(5'000'000)));
        QCOMPARE(got[1].value, toDecimal(sumSquaresClosedForm(10)));
        QVERIFY(got[0].compute_s > 0);
        QVERIFY(got[1].start_s >= got[0].end_s);
        QVERIFY(workerCpu >= got[0].cpuTime_s);
        QVERIFY(workerRss > 0);

        // A long task, cancelled: the answer is a cancelled result, at once. The worker announces
        // a task that follows a wait; this chunk may arrive before the worker waits (the answer
        // above wakes this test at once), so the sign that the task runs is the CPU it uses.
        auto waitUntilBusy = [&] {
            const double before = processCpuSecondsOf(w.proc().processId());
            QElapsedTimer busy;
            busy.start();
            while (processCpuSecondsOf(w.proc().processId()) < before + 0.05 && busy.elapsed() < 10000)
                QTest::qWait(5);
            return processCpuSecondsOf(w.proc().processId()) >= before + 0.05;
        };
        sendChunk({CpuWorkload::task(10, 5'000'000, 1'000'000)});
        QVERIFY2(waitUntilBusy(), "the worker does not run the task");
        QElapsedTimer timer;
        timer.start();
        w.send(encodeCancel(10));
        auto result = w.receive(2000);
        while (result && messageType(*result) == MessageType::Started)  // the task's, if it was announced
            result = w.receive(2000);
        QVERIFY(result);
        ResultsMessage rm;
        QVERIFY2(decodeResults(result->toCborValue().toCbor(), &rm, &error, 1), qPrintable(error));
        QVERIFY(rm.results[0].cancelled && !rm.results[0].ok);
        QVERIFY2(timer.elapsed() < 500, qPrintable(QString::number(timer.elapsed())));

        // Another long task, then stdin EOF: the worker exits promptly, mid-task, code 0.
        sendChunk({CpuWorkload::task(11, 5'000'000, 1'000'000)});
        QVERIFY2(waitUntilBusy(), "the worker does not run the task");
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
