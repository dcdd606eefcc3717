// Foreign load = machine busy time - this process tree's CPU time: the /proc parsers on fixture
// text, the arithmetic on a fixture /proc tree (with a grandchild that exits between readings),
// the live tree on this machine, the warning text and an injected reading.
#include "sampling/foreignload.h"
#include "experiment/runrecord.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

#include <unistd.h>
#include <cmath>

using namespace lab;

static QString fixture(const char *name)
{
    return QStringLiteral(LAB_TEST_DATA_DIR "/foreignload/") + QLatin1String(name);
}

static std::optional<PidStat> readPid(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QByteArray b = f.readAll();
    return parsePidStat(std::string_view(b.constData(), size_t(b.size())));
}

class TestForeignLoad : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void listsThisProcessWithItsGroup()
    {
        bool found = false;
        for (const PidStat &p : listProcesses())
            if (p.pid == qint64(::getpid())) {
                found = true;
                QCOMPARE(p.pgrp, qint64(::getpgrp()));
                QCOMPARE(p.ppid, qint64(::getppid()));
            }
        QVERIFY(found);
        QVERIFY(listProcesses(QStringLiteral("/nonexistent")).empty());
    }

    void parsesPidStat()
    {
        const auto s = parsePidStat("4242 (a (b) c) R 17 4240 4242 0 -1 4194304 99 0 0 0 123 45 6 7 20 0 1 0");
        QVERIFY(s);
        QCOMPARE(s->pid, qint64(4242));
        QCOMPARE(s->ppid, qint64(17));
        QCOMPARE(s->pgrp, qint64(4240));
        QCOMPARE(s->state, 'R');
        QCOMPARE(s->utime, quint64(123));
        QCOMPARE(s->stime, quint64(45));
        QCOMPARE(s->cutime, quint64(6));
        QCOMPARE(s->cstime, quint64(7));
        QCOMPARE(s->treeTicks(), quint64(181));
    }

    void rejectsMalformedPidStat()
    {
        QVERIFY(!parsePidStat(""));
        QVERIFY(!parsePidStat("12 (no close paren R 1 2"));
        QVERIFY(!parsePidStat("12 (x) R 1 2 3"));          // cut before utime
        QVERIFY(!parsePidStat("x (y) R 1 2 3 4 5 6 7 8 9 10 11 12 13"));
    }

    void parsesChildrenLists()
    {
        QCOMPARE(parseChildrenList(""), std::vector<qint64>{});
        QCOMPARE(parseChildrenList("12 34 \n"), (std::vector<qint64>{12, 34}));
    }

    void fixtureTreeGivesForeignCores()
    {
        const auto a = readLoadSnapshot(fixture("a"), 100);
        const auto b = readLoadSnapshot(fixture("b"), 100);
        QVERIFY(a && b);
        QCOMPARE(a->cores, 2);
        QCOMPARE(a->machineBusy, quint64(1500));
        QCOMPARE(a->machineAll, quint64(9600));
        // app 15 + worker child 30 + python grandchild 5
        QCOMPARE(a->own, quint64(50));
        // the grandchild exited: its time is in the worker's cutime now
        QCOMPARE(b->own, quint64(165));
        const auto f = foreignBusyCores(a, b);
        QVERIFY(f);
        // (150 busy - 115 own) ticks over 100 ticks of each core
        QVERIFY2(std::abs(*f - 0.35) < 1e-9, qPrintable(QString::number(*f)));
    }

    void noElapsedTimeIsUnknown()
    {
        const auto a = readLoadSnapshot(fixture("a"), 100);
        QVERIFY(!foreignBusyCores(a, a));
        QVERIFY(!foreignBusyCores(std::nullopt, a));
        QVERIFY(!readLoadSnapshot(fixture("missing"), 100));
        // own time above machine time (tick rounding) is 0 cores, never negative
        LoadSnapshot x{100, 1000, 2, 0}, y{110, 1200, 2, 50};
        QCOMPARE(*foreignBusyCores(x, y), 0.0);
        // A window too short for the tick counters (a 6 ms run with one foreign tick) is not a
        // measurement: without the bound this read 1 core busy elsewhere.
        LoadSnapshot shortEnd{101, 1002, 2, 0};
        QVERIFY(!foreignBusyCores(x, shortEnd));
        LoadSnapshot justLongEnough{100 + 2 * 25, 1000 + 2 * 25, 2, 0};
        QCOMPARE(*foreignBusyCores(x, justLongEnough), 2.0);
    }

    void liveTreeCountsARunningChild()
    {
        QProcess child;
        child.start(QStringLiteral("sh"), {QStringLiteral("-c"), QStringLiteral("while :; do :; done")});
        QVERIFY(child.waitForStarted());
        const qint64 pid = child.processId();
        // Wait until the child has used some CPU time.
        std::optional<PidStat> c;
        QTRY_VERIFY_WITH_TIMEOUT((c = readPid(pid)) && c->ownTicks() > 0, 10000);
        const auto self = readPid(QCoreApplication::applicationPid());
        QVERIFY(self);
        const auto snap = readLoadSnapshot();
        child.kill();
        child.waitForFinished();
        QVERIFY(snap);
        QVERIFY(snap->cores >= 1);
        QVERIFY2(snap->own >= self->treeTicks() + c->ownTicks(),
                 qPrintable(QStringLiteral("own %1, self %2, child %3").arg(snap->own).arg(self->treeTicks()).arg(c->ownTicks())));
    }

    void warningTextAboveTheLimitOnly()
    {
        QVERIFY(foreignLoadWarning(0.3).isEmpty());
        QVERIFY(foreignLoadWarning(0.0).isEmpty());
        QVERIFY(foreignLoadWarning(qQNaN()).isEmpty());
        QCOMPARE(foreignLoadWarning(1.0), QStringLiteral("another program uses 1.0 core: figures will be disturbed"));
        QCOMPARE(foreignLoadWarning(0.42), QStringLiteral("another program uses 0.4 cores: figures will be disturbed"));
    }

    void monitorMeasuresAndTakesAnInjectedReading()
    {
        ForeignLoadMonitor m;
        QCOMPARE(m.latestCores(), -1.0);
        QSignalSpy spy(&m, &ForeignLoadMonitor::measured);
        m.start();
        QTRY_VERIFY_WITH_TIMEOUT(spy.count() >= 1, 5000);
        QVERIFY(m.latestCores() >= 0);
        QVERIFY(m.latestCores() <= 64);
        m.setOverride(1.25);
        QCOMPARE(m.latestCores(), 1.25);
        spy.clear();
        m.measureNow();
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toDouble(), 1.25);
        m.setOverride(-1);
        QVERIFY(m.latestCores() != 1.25);
        m.stop();
    }

    void jsonKeepsNullAndValues()
    {
        RunRecord r;
        r.model = QStringLiteral("threads");
        QVERIFY(r.toJson().value(QStringLiteral("foreign_busy_cores")).isNull());
        r.foreign_busy_cores = 1.234;
        QString error;
        const auto back = RunRecord::fromJson(r.toJson(), &error);
        QVERIFY(back);
        QVERIFY(back->foreign_busy_cores);
        QCOMPARE(*back->foreign_busy_cores, 1.234);
        QVERIFY(!back->extra.contains(QStringLiteral("foreign_busy_cores")));
        RunRecord none;
        none.model = QStringLiteral("threads");
        QVERIFY(!RunRecord::fromJson(none.toJson(), &error)->foreign_busy_cores);
    }
};

QTEST_GUILESS_MAIN(TestForeignLoad)
#include "tst_foreignload.moc"
