#include "sampling/cpusampler.h"
#include "sampling/procfile.h"
#include "sampling/procstat.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <cerrno>
#include <cmath>
#include <fcntl.h>
#include <unistd.h>

using namespace lab;

static ProcStatSnapshot load(const char *name)
{
    QFile f(QStringLiteral(LAB_TEST_DATA_DIR "/procstat/") + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", name);
    const QByteArray text = f.readAll();
    auto snap = parseProcStat(std::string_view(text.constData(), size_t(text.size())));
    if (!snap)
        qFatal("fixture %s did not parse", name);
    return *snap;
}

static int openDescriptors()
{
    int n = 0;
    for (int fd = 0; fd < 1024; ++fd)
        n += ::fcntl(fd, F_GETFD) != -1;
    return n;
}

static void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

class TestProcStat : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesFields()
    {
        const ProcStatSnapshot s = load("two-cores-a.txt");
        QCOMPARE(s.cores.size(), size_t(2));
        QCOMPARE(s.total.user, quint64(1000));
        QCOMPARE(s.total.busy(), quint64(1500));
        QCOMPARE(s.total.idleAll(), quint64(8100));
        QVERIFY(s.cores[1].has_value());
    }

    void rejectsTextWithoutCpuLine()
    {
        QVERIFY(!parseProcStat("intr 1 2 3\nctxt 4\n"));
        QVERIFY(!parseProcStat(""));
        QVERIFY(!parseProcStat("cpu  garbage here\n"));
    }

    void usageDeltas()
    {
        const CpuUsage u = usageBetween(load("two-cores-a.txt"), load("two-cores-b.txt"));
        QCOMPARE(u.perCore.size(), size_t(2));
        QCOMPARE(u.perCore[0], 100.0);       // +100 busy, +0 idle
        QCOMPARE(u.perCore[1], 50.0);        // +100 busy, +100 idle
        QCOMPARE(u.total, 75.0);
    }

    void hotplugCoreGoesOffline()
    {
        const CpuUsage u = usageBetween(load("two-cores-b.txt"), load("cpu1-offline.txt"));
        QCOMPARE(u.perCore.size(), size_t(1));
        QCOMPARE(u.perCore[0], 100.0);
        QCOMPARE(u.total, 100.0);           // mean of cores online in both reads
        // ...and comes back: no value for a core absent from the previous read.
        const CpuUsage back = usageBetween(load("cpu1-offline.txt"), load("two-cores-b.txt"));
        QCOMPARE(back.perCore.size(), size_t(2));
        QVERIFY(std::isnan(back.perCore[1]));
        QVERIFY(back.total >= 0 && back.total <= 100);
    }

    void countersGoingBackwardsClampToZero()
    {
        const CpuUsage u = usageBetween(load("two-cores-b.txt"), load("counters-backwards.txt"));
        for (double v : u.perCore)
            QVERIFY(std::isnan(v) || (v >= 0 && v <= 100));
        QCOMPARE(u.perCore[0], 0.0);        // every counter went down: no progress, not negative
        QVERIFY(u.total >= 0 && u.total <= 100);
    }

    // /proc/stat stays open and each read is the file afresh: the counters move on, and the
    // descriptor is the same one (no open per tick).
    void procFileKeepsProcfsOpenAndRereadsIt()
    {
        ProcFile f("/proc/stat");
        std::string_view text;
        QVERIFY(f.read(&text));
        QVERIFY(f.isKeptOpen());
        const auto a = parseProcStat(text);
        QVERIFY(a);
        const int fdsBefore = openDescriptors();
        QTest::qWait(60);  // a few ticks of CPU time pass (this test's own, at least)
        for (int i = 0; i < 50; ++i) {
            volatile double x = 0;
            for (int k = 0; k < 200000; ++k)
                x = x + k;
        }
        QTest::qWait(30);
        QVERIFY(f.read(&text));
        QCOMPARE(openDescriptors(), fdsBefore);
        const auto b = parseProcStat(text);
        QVERIFY(b);
        QCOMPARE(b->cores.size(), a->cores.size());
        QVERIFY(b->total.busy() + b->total.idleAll() > a->total.busy() + a->total.idleAll());
        // The same text as a fresh open gives, line for line (the counters may have moved on).
        std::string fresh;
        QVERIFY(readWholeFile("/proc/stat", &fresh));
        QCOMPARE(QByteArray(text.data(), qsizetype(text.size())).count('\n'),
                 QByteArray(fresh.data(), qsizetype(fresh.size())).count('\n'));
    }

    // Any other file is opened per read: a fixture replaced between reads is read anew; a
    // missing one is an error with errno, and reads again once it is back.
    void procFileReopensOtherFilesAndReportsErrors()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("stat"));
        ProcFile f(path.toStdString());
        std::string_view text;
        errno = 0;
        QVERIFY(!f.read(&text));
        QCOMPARE(errno, ENOENT);
        QVERIFY(text.empty());
        writeFile(path, "first\n");
        QVERIFY(f.read(&text));
        QCOMPARE(QByteArray(text.data(), qsizetype(text.size())), QByteArray("first\n"));
        QVERIFY(!f.isKeptOpen());
        QFile::remove(path);
        // Longer than the first buffer (4096): the whole file, not its first page.
        QByteArray big;
        for (int i = 0; i < 3000; ++i)
            big += QByteArray::number(i) + ' ';
        writeFile(path, big);
        QVERIFY(f.read(&text));
        QCOMPARE(QByteArray(text.data(), qsizetype(text.size())), big);
        std::string whole;
        QVERIFY(readWholeFile(path.toLocal8Bit().constData(), &whole, 100));
        QCOMPARE(whole.size(), size_t(100));  // bounded
        QVERIFY(!readWholeFile("/nonexistent/x", &whole));
        QVERIFY(whole.empty());
        char small[16];
        size_t n = 0;
        QVERIFY(readSmallFile(path.toLocal8Bit().constData(), small, sizeof small, &n));
        QCOMPARE(n, size_t(15));
        QCOMPARE(small[15], '\0');
    }

    void samplerEmitsFromFixtureAndReportsErrors()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("stat"));
        QFile::copy(QStringLiteral(LAB_TEST_DATA_DIR "/procstat/two-cores-a.txt"), path);
        CpuSampler sampler;
        sampler.setSourcePath(path);
        QSignalSpy samples(&sampler, &CpuSampler::sampleTaken);
        QSignalSpy failures(&sampler, &CpuSampler::readFailed);
        sampler.sampleNow();                 // primes, no sample yet
        QCOMPARE(samples.size(), 0);
        QFile::remove(path);
        QFile::copy(QStringLiteral(LAB_TEST_DATA_DIR "/procstat/two-cores-b.txt"), path);
        sampler.sampleNow();
        QCOMPARE(samples.size(), 1);
        const auto s = samples.at(0).at(0).value<CpuSample>();
        QCOMPARE(s.total, 75.0);
        QCOMPARE(sampler.coreCount(), 2);
        QFile::remove(path);
        sampler.sampleNow();
        QCOMPARE(failures.size(), 1);
        QVERIFY(failures.at(0).at(0).toString().contains(path));
    }

    void rateIsClamped()
    {
        CpuSampler sampler;
        sampler.setRateHz(500);
        QCOMPARE(sampler.rateHz(), 50.0);
        sampler.setRateHz(0);
        QCOMPARE(sampler.rateHz(), 1.0);
    }

    void liveProcStatAtTenHertz()
    {
        CpuSampler sampler;
        QSignalSpy samples(&sampler, &CpuSampler::sampleTaken);
        sampler.start();
        QTest::qWait(1050);
        sampler.stop();
        QVERIFY2(samples.size() >= 6 && samples.size() <= 12, qPrintable(QString::number(samples.size())));
        const auto s = samples.last().at(0).value<CpuSample>();
        QVERIFY(s.total >= 0 && s.total <= 100);
        QVERIFY(!s.perCore.empty());
    }
};

QTEST_GUILESS_MAIN(TestProcStat)
#include "tst_procstat.moc"
