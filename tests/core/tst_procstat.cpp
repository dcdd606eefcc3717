#include "sampling/cpusampler.h"
#include "sampling/procstat.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

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
