// concurrency-lab-cli end to end: every bad input exits 2 with one line, a real run writes the
// documented JSON/CSV, SIGINT cancels with partial results, and no worker outlives the CLI.
#include "testutil.h"
#include "util/sysinfo.h"
#include "workloads/cpu/cpuwork.h"
#include "workloads/workload.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <grp.h>
#include <sched.h>
#include <unistd.h>

using namespace lab;
using namespace lab::test;

namespace {

struct CliRun {
    int exitCode = -1;
    QProcess::ExitStatus status = QProcess::NormalExit;
    QString out;
    QString err;
    qint64 ms = 0;
};

QString cliPath()
{
    return siblingExecutable(QStringLiteral("concurrency-lab-cli"));
}

CliRun runCli(const QStringList &args, const std::function<void()> &childModifier = {}, int timeoutMs = 60000,
              const QString &program = cliPath())
{
    QProcess p;
    if (childModifier)
        p.setChildProcessModifier(childModifier);
    QElapsedTimer t;
    t.start();
    p.start(program, args);
    CliRun r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(2000);
        r.err = QStringLiteral("TIMEOUT");
        return r;
    }
    r.ms = t.elapsed();
    r.exitCode = p.exitCode();
    r.status = p.exitStatus();
    r.out = QString::fromLocal8Bit(p.readAllStandardOutput());
    r.err = QString::fromLocal8Bit(p.readAllStandardError());
    return r;
}

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &content)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (f.open(QIODevice::WriteOnly))
        f.write(content);
    return path;
}

// Still running as a worker (whatever its parent now is)?
bool workerAlive(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray s = f.readAll();
    const QList<QByteArray> fields = s.mid(s.lastIndexOf(')') + 2).split(' ');
    if (fields.value(0) == "Z" || fields.value(0) == "X")
        return false;
    QFile cmd(QStringLiteral("/proc/%1/cmdline").arg(pid));
    return cmd.open(QIODevice::ReadOnly) && cmd.readAll().split('\0').value(0).endsWith("concurrency-lab-worker");
}

double cpuSecondsOf(const std::vector<qint64> &pids)
{
    double sum = 0;
    for (qint64 pid : pids) {
        QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray s = f.readAll();
        const QList<QByteArray> fields = s.mid(s.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 12)
            sum += double(fields.at(11).toLongLong() + fields.at(12).toLongLong()) / double(::sysconf(_SC_CLK_TCK));
    }
    return sum;
}

// Polls until `cli` runs two workers, for at most 15 s; the pids found (fewer on timeout).
std::vector<qint64> waitForTwoWorkers(const QProcess &cli)
{
    std::vector<qint64> workers;
    QElapsedTimer t;
    t.start();
    while (workers.size() < 2 && t.elapsed() < 15000) {
        QTest::qWait(20);
        workers = liveWorkers(cli.processId());
    }
    return workers;
}

// A processes-only run long enough to be interrupted (about 10 s of CPU).
QByteArray longProcessesSpec()
{
    return R"({"name":"long","workload":{"kind":"cpu","numbers":{"start":5000000,"count":60},"repeat":30},
              "models":["processes"],"workers":2})";
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
    double m_secondsPerLongTask = 0.1;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!cliPath().isEmpty(), "concurrency-lab-cli not built");
        QVERIFY2(!siblingExecutable(QStringLiteral("concurrency-lab-worker")).isEmpty(), "concurrency-lab-worker not built");
        // CPU time of one task of longProcessesSpec() in this build (the worker is built alike).
        const double cpu0 = threadCpuSeconds();
        std::atomic<bool> cancel{false};
        ExecHooks hooks;
        QVERIFY(computeSumSquares(5000000, 30, cancel, hooks).verified);
        m_secondsPerLongTask = threadCpuSeconds() - cpu0;
    }

    void badInputExitsTwoWithOneLine_data()
    {
        QTest::addColumn<QStringList>("args");     // "@name" is replaced by a file of that name in a temp dir
        QTest::addColumn<QString>("expected");
        const QString run = QStringLiteral("run");
        QTest::newRow("no command") << QStringList{} << QStringLiteral("missing command");
        QTest::newRow("unknown command") << QStringList{QStringLiteral("fly")} << QStringLiteral("unknown command \"fly\"");
        QTest::newRow("missing file") << QStringList{run, QStringLiteral("/nonexistent/spec.json")} << QStringLiteral("no such file");
        QTest::newRow("malformed json") << QStringList{run, QStringLiteral("@malformed.json")} << QStringLiteral("line 3, column");
        QTest::newRow("not an object") << QStringList{run, QStringLiteral("@array.json")} << QStringLiteral("JSON object");
        QTest::newRow("unknown preset") << QStringList{run, QStringLiteral("no-such-preset")} << QStringLiteral("unknown preset \"no-such-preset\"");
        QTest::newRow("unknown model") << QStringList{run, QStringLiteral("cpu-quick"), QStringLiteral("--models"), QStringLiteral("threads,bogus")}
                                       << QStringLiteral("unknown model \"bogus\"");
        QTest::newRow("workers 0") << QStringList{run, QStringLiteral("cpu-quick"), QStringLiteral("--workers"), QStringLiteral("0")}
                                   << QStringLiteral("--workers must be a whole number from 1 to 256");
        QTest::newRow("workers 257") << QStringList{run, QStringLiteral("cpu-quick"), QStringLiteral("--workers=257")}
                                     << QStringLiteral("(got \"257\")");
        QTest::newRow("workers abc") << QStringList{run, QStringLiteral("cpu-quick"), QStringLiteral("--workers"), QStringLiteral("abc")}
                                     << QStringLiteral("(got \"abc\")");
        QTest::newRow("workers missing value") << QStringList{run, QStringLiteral("cpu-quick"), QStringLiteral("--workers")}
                                               << QStringLiteral("--workers needs a value");
        QTest::newRow("negative n") << QStringList{run, QStringLiteral("@negative.json")} << QStringLiteral("must not be negative");
        QTest::newRow("n beyond 2^40") << QStringList{run, QStringLiteral("@toolarge.json")} << QStringLiteral("too large");
        QTest::newRow("days of work") << QStringList{run, QStringLiteral("@days.json")} << QStringLiteral("hours");
        QTest::newRow("workers 300 in spec file") << QStringList{run, QStringLiteral("@workers300.json")} << QStringLiteral("workers = 300 is out of range");
        QTest::newRow("unknown option") << QStringList{run, QStringLiteral("cpu-quick"), QStringLiteral("--frobnicate")}
                                        << QStringLiteral("unknown option --frobnicate");
        QTest::newRow("two specs") << QStringList{run, QStringLiteral("cpu-quick"), QStringLiteral("cpu-seed")} << QStringLiteral("one spec");
        QTest::newRow("param without =") << QStringList{run, QStringLiteral("sleep-overlap"), QStringLiteral("--param"), QStringLiteral("ms")}
                                         << QStringLiteral("--param needs KEY=VALUE");
        QTest::newRow("param wrong type") << QStringList{run, QStringLiteral("sleep-overlap"), QStringLiteral("--param=ms=abc")}
                                          << QStringLiteral("workload.ms must be a number");
        QTest::newRow("param unknown key") << QStringList{run, QStringLiteral("sleep-overlap"), QStringLiteral("--param"), QStringLiteral("msec=3")}
                                           << QStringLiteral("unknown key workload.msec (the sleep workload takes: tasks, ms)");
        const QString show = QStringLiteral("show");
        QTest::newRow("show nothing") << QStringList{show} << QStringLiteral("show needs a results file");
        QTest::newRow("show missing file") << QStringList{show, QStringLiteral("/nonexistent/r.json")} << QStringLiteral("no such file");
        QTest::newRow("show damaged") << QStringList{show, QStringLiteral("@malformed.json")} << QStringLiteral("line 3, column");
        QTest::newRow("show array") << QStringList{show, QStringLiteral("@array.json")} << QStringLiteral("not a Concurrency Lab result");
        QTest::newRow("show a spec") << QStringList{show, QStringLiteral("@negative.json")} << QStringLiteral("not a Concurrency Lab result");
        QTest::newRow("show newer schema") << QStringList{show, QStringLiteral("@newer.json")}
                                           << QStringLiteral("schema 3 is newer than this program understands (2)");
        QTest::newRow("show unknown option") << QStringList{show, QStringLiteral("@newer.json"), QStringLiteral("--fast")}
                                             << QStringLiteral("unknown option --fast");
        QTest::newRow("monitor bad hz") << QStringList{QStringLiteral("monitor"), QStringLiteral("--hz"), QStringLiteral("500")}
                                        << QStringLiteral("--hz");
        // NaN and infinities compare false with every bound: refused by name, never run.
        QTest::newRow("monitor seconds nan") << QStringList{QStringLiteral("monitor"), QStringLiteral("--seconds"), QStringLiteral("nan")}
                                             << QStringLiteral("--seconds must be a number from 0.001 to 86400 (got \"nan\")");
        QTest::newRow("monitor hz nan") << QStringList{QStringLiteral("monitor"), QStringLiteral("--hz=nan")}
                                        << QStringLiteral("--hz must be a number from 1 to 50 (got \"nan\")");
        QTest::newRow("monitor seconds inf") << QStringList{QStringLiteral("monitor"), QStringLiteral("--seconds"), QStringLiteral("inf")}
                                             << QStringLiteral("--seconds must be");
        QTest::newRow("switch interval nan") << QStringList{run, QStringLiteral("cpu-quick"), QStringLiteral("--switch-interval"), QStringLiteral("nan")}
                                             << QStringLiteral("--switch-interval must be a number from 0.1 to 100 ms (got \"nan\")");
        // Output files that cannot be written are refused before the experiment runs, not
        // found out after it (the results were lost).
        const QStringList quick{run, QStringLiteral("sleep-overlap"), QStringLiteral("--param=tasks=2"), QStringLiteral("--param=ms=1")};
        QTest::newRow("json into a missing folder") << quick + QStringList{QStringLiteral("--json"), QStringLiteral("/nonexistent/dir/r.json")}
                                                    << QStringLiteral("--json /nonexistent/dir/r.json: the folder /nonexistent/dir does not exist");
        QTest::newRow("json onto a folder") << quick + QStringList{QStringLiteral("--json"), QStringLiteral("@")}
                                            << QStringLiteral("is a folder, not a file");
        QTest::newRow("csv into a missing folder") << quick + QStringList{QStringLiteral("--csv=/nonexistent/r.csv")}
                                                   << QStringLiteral("--csv /nonexistent/r.csv: the folder /nonexistent does not exist");
        QTest::newRow("json where no file can be made") << quick + QStringList{QStringLiteral("--json"), QStringLiteral("/proc/r.json")}
                                                        << QStringLiteral("--json /proc/r.json: cannot write");
        QTest::newRow("json under a file") << quick + QStringList{QStringLiteral("--json"), QStringLiteral("@array.json/r.json")}
                                           << QStringLiteral("is not a folder");
        QTest::newRow("monitor json into a missing folder")
            << QStringList{QStringLiteral("monitor"), QStringLiteral("--seconds=3"), QStringLiteral("--json=/nonexistent/m.json")}
            << QStringLiteral("--json /nonexistent/m.json: the folder /nonexistent does not exist");
        // One task cap, whichever parameters make the tasks: 20 URLs x 10,000 repeats.
        QStringList urls;
        for (int i = 0; i < 20; ++i)
            urls << QStringLiteral("\"http://{server}/data?size=1&seed=%1\"").arg(i);
        QTest::newRow("urls x repeat") << QStringList{run, QStringLiteral("io-seed"), QStringLiteral("--param"),
                                                      QStringLiteral("urls=[") + urls.join(QLatin1Char(',')) + QLatin1Char(']'),
                                                      QStringLiteral("--param=repeat=10000")}
                                       << QStringLiteral("would make 200000 tasks per run: too many tasks (at most 100000)");
        // The time guard covers the convoy: 10^6 round trips against a 1 s echo.
        QTest::newRow("convoy for days") << QStringList{run, QStringLiteral("gil-convoy"), QStringLiteral("--param=round_trips=1000000"),
                                                        QStringLiteral("--param=echo_us=1000000")}
                                         << QStringLiteral("the convoy workload would take about 555.6 hours sequentially");
        QTest::newRow("results beyond memory") << QStringList{run, QStringLiteral("cpu-quick"), QStringLiteral("--param=numbers={\"start\":0,\"count\":100000}"),
                                                              QStringLiteral("--repetitions=100")}
                                               << QStringLiteral("GiB of results; the limit is 2 GiB");
        QTest::newRow("terminal escape in a model name") << QStringList{run, QStringLiteral("cpu-quick"), QStringLiteral("--models"),
                                                                        QStringLiteral("threads,\x1b]0;pwned\x07")}
                                                         << QStringLiteral("unknown model \"\\x1b]0;pwned\\x07\"");
    }

    // `workloads` lists every workload with its parameters and the models that cannot run it;
    // --param sets one of them for a run, checked by the workload like a spec file's value.
    void workloadsAndParam()
    {
        const CliRun list = runCli({QStringLiteral("workloads")});
        QCOMPARE(list.exitCode, 0);
        for (const auto &w : workloadRegistry()) {
            QVERIFY2(list.out.contains(QLatin1Char('\n') + w->id() + QLatin1Char(' ')) || list.out.startsWith(w->id()),
                     qPrintable(w->id()));
            for (const ParamInfo &p : w->params())
                QVERIFY2(list.out.contains(QStringLiteral("    ") + p.key + QLatin1Char(' ')), qPrintable(p.key));
        }
        QVERIFY(list.out.contains(QStringLiteral("not on processes: the convoy's threads must meet in one process")));

        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("sleep.json"));
        const CliRun r = runCli({QStringLiteral("run"), QStringLiteral("sleep-overlap"), QStringLiteral("--models"),
                                 QStringLiteral("sequential,threads"), QStringLiteral("--param"), QStringLiteral("ms=30"),
                                 QStringLiteral("--param=tasks=4"), QStringLiteral("--json"), json, QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonObject w = doc.value(QStringLiteral("spec")).toObject().value(QStringLiteral("workload")).toObject();
        QCOMPARE(w.value(QStringLiteral("ms")).toDouble(), 30.0);
        QCOMPARE(w.value(QStringLiteral("tasks")).toInt(), 4);
        const QJsonArray runs = doc.value(QStringLiteral("runs")).toArray();
        QCOMPARE(runs.size(), 2);
        const double seq = runs.at(0).toObject().value(QStringLiteral("wall_s")).toDouble();
        QVERIFY2(seq >= 0.119, qPrintable(QString::number(seq)));  // 4 x 30 ms, one after another
        QCOMPARE(runs.at(1).toObject().value(QStringLiteral("tasks_ok")).toInt(), 4);
    }

    void badInputExitsTwoWithOneLine()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QHash<QString, QByteArray> files{
            {QStringLiteral("malformed.json"), "{\n  \"name\": \"x\",\n  \"workload\": {\"kind\": \"cpu\" \"numbers\": [1]}\n}\n"},
            {QStringLiteral("array.json"), "[1, 2, 3]"},
            {QStringLiteral("negative.json"), R"({"workload":{"kind":"cpu","numbers":[10, -5]}})"},
            {QStringLiteral("toolarge.json"), R"({"workload":{"kind":"cpu","numbers":[1e15]}})"},
            {QStringLiteral("days.json"), R"({"workload":{"kind":"cpu","numbers":[1099511627776],"repeat":1000000}})"},
            {QStringLiteral("workers300.json"), R"({"workload":{"kind":"cpu","numbers":[10]},"workers":300})"},
            {QStringLiteral("newer.json"), R"({"schema":3,"generator":"concurrency-lab","runs":[]})"},
        };
        for (QString &a : args) {
            if (a == QLatin1String("@")) {
                a = dir.path();
            } else if (a.startsWith(QLatin1Char('@'))) {
                const QString name = a.mid(1).section(QLatin1Char('/'), 0, 0);
                a = writeFile(dir, name, files.value(name)) + a.mid(1 + name.size());
            }
        }
        const CliRun r = runCli(args, {}, 20000);
        QVERIFY2(r.err != QLatin1String("TIMEOUT"), "the CLI hung");
        QCOMPARE(r.status, QProcess::NormalExit);
        QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.err)));
        const QStringList lines = r.err.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY2(lines.size() == 1, qPrintable(QStringLiteral("%1 lines on stderr:\n%2").arg(lines.size()).arg(r.err)));
        QVERIFY2(lines[0].startsWith(QLatin1String("concurrency-lab-cli: ")), qPrintable(lines[0]));
        QVERIFY2(lines[0].contains(expected), qPrintable(lines[0]));
        QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
    }

    // A read-only output file and a folder where the user may not create files: refused before
    // the run (as nobody when this runs as root, who may write anything), nothing created.
    // An output that passes the check is not created by it either.
    void unwritableOutputsExitTwoFirst()
    {
        QTemporaryDir dir;
        QVERIFY(QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadOther
                                                      | QFile::ExeOther | QFile::ReadGroup | QFile::ExeGroup));
        const QString readOnly = writeFile(dir, QStringLiteral("old.json"), "{}");
        QVERIFY(QFile::setPermissions(readOnly, QFile::ReadOwner | QFile::ReadOther | QFile::ReadGroup));
        std::function<void()> asNobody;
        QString program = cliPath();
        if (::geteuid() == 0) {
            asNobody = [] {
                if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
                    ::_exit(99);
            };
            program = dir.filePath(QStringLiteral("concurrency-lab-cli"));
            QVERIFY(QFile::copy(cliPath(), program));
            QVERIFY(QFile::setPermissions(program, QFile::permissions(cliPath()) | QFile::ReadOther | QFile::ExeOther));
        } else {
            QVERIFY(QFile::setPermissions(readOnly, QFile::ReadOwner));
            QVERIFY(QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::ExeOwner));
        }
        const QStringList quick{QStringLiteral("run"), QStringLiteral("sleep-overlap"), QStringLiteral("--param=tasks=2"),
                                QStringLiteral("--param=ms=1")};
        const CliRun ro = runCli(quick + QStringList{QStringLiteral("--json"), readOnly}, asNobody, 20000, program);
        QVERIFY2(ro.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(ro.exitCode).arg(ro.err)));
        QCOMPARE(ro.err, QStringLiteral("concurrency-lab-cli: --json %1: the file is read-only\n").arg(readOnly));
        QVERIFY(ro.out.isEmpty());
        const QString inDir = dir.filePath(QStringLiteral("new.csv"));
        const CliRun nd = runCli(quick + QStringList{QStringLiteral("--csv"), inDir}, asNobody, 20000, program);
        QVERIFY2(nd.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(nd.exitCode).arg(nd.err)));
        QVERIFY2(nd.err.startsWith(QStringLiteral("concurrency-lab-cli: --csv %1: cannot write").arg(inDir)), qPrintable(nd.err));
        QCOMPARE(nd.err.count(QLatin1Char('\n')), 1);
        QVERIFY(!QFile::exists(inDir));
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);

        // --json passes its check, --csv fails its own: no empty JSON file is left behind.
        QTemporaryDir dir2;
        const QString json = dir2.filePath(QStringLiteral("r.json"));
        const CliRun r = runCli(quick + QStringList{QStringLiteral("--json"), json, QStringLiteral("--csv"),
                                                    QStringLiteral("/nonexistent/r.csv")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(!QFile::exists(json));
        QCOMPARE(QDir(dir2.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
    }

    // Names are printed as they are: a %1 in a spec's name stays "%1" (chained QString::arg
    // substituted the task count into it), and control characters reach no terminal raw.
    void specTextPrintedLiterally()
    {
        QTemporaryDir dir;
        const QString spec = writeFile(dir, QStringLiteral("odd.json"),
                                       R"({"name":"odd %1 %2 \u001b[2J\u001b]0;pwned\u0007 end\r\n","workload":{"kind":"sleep","tasks":2,"ms":1},"models":["threads"]})");
        const QString json = dir.filePath(QStringLiteral("odd-result.json"));
        const CliRun r = runCli({QStringLiteral("run"), spec, QStringLiteral("--json"), json, QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString header = r.out.section(QLatin1Char('\n'), 0, 0);
        QCOMPARE(header, QStringLiteral("odd %1 %2 \\x1b[2J\\x1b]0;pwned\\x07 end\\x0d\\x0a: 2 tasks x 1 model(s), ") + header.section(QStringLiteral("model(s), "), 1));
        QVERIFY2(!r.out.contains(QChar(0x1b)) && !r.err.contains(QChar(0x1b)), qPrintable(r.out));
        // `show` of the saved file: the same name, and a model name and error text from the
        // file go through the same escaping.
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        f.close();
        QJsonArray runs = doc.value(QStringLiteral("runs")).toArray();
        QJsonObject run0 = runs.at(0).toObject();
        run0.insert(QStringLiteral("error"), QStringLiteral("bad %1 \u001b[31mred\u202e"));
        runs.replace(0, run0);
        doc.insert(QStringLiteral("runs"), runs);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QJsonDocument(doc).toJson());
        f.close();
        const CliRun s = runCli({QStringLiteral("show"), json});
        QVERIFY2(s.exitCode == 0, qPrintable(s.err));
        QVERIFY2(s.out.startsWith(QStringLiteral("odd %1 %2 \\x1b[2J\\x1b]0;pwned\\x07 end\\x0d\\x0a: 1 run(s), ")), qPrintable(s.out));
        QVERIFY2(s.out.contains(QStringLiteral("    error: bad %1 \\x1b[31mred\\u202e\n")), qPrintable(s.out));
        QVERIFY(!s.out.contains(QChar(0x1b)) && !s.out.contains(QChar(0x202e)));
    }

    void unreadableFileExitsTwo()
    {
        QTemporaryDir dir;
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadOther
                                              | QFile::ExeOther | QFile::ReadGroup | QFile::ExeGroup);
        const QString path = writeFile(dir, QStringLiteral("secret.json"), R"({"workload":{"kind":"cpu","numbers":[10]}})");
        QVERIFY(QFile::setPermissions(path, QFile::WriteOwner));
        // root reads anything, so run the CLI as nobody then.
        std::function<void()> asNobody;
        QString program = cliPath();
        if (::geteuid() == 0) {
            asNobody = [] {
                if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
                    ::_exit(99);
            };
            // nobody may not reach the build tree (a checkout in a 0700 folder): run a copy of the
            // CLI (self-contained but for system libraries) from the world-readable test folder.
            program = dir.filePath(QStringLiteral("concurrency-lab-cli"));
            QVERIFY(QFile::copy(cliPath(), program));
            QVERIFY(QFile::setPermissions(program, QFile::permissions(cliPath()) | QFile::ReadOther | QFile::ExeOther));
        }
        const CliRun r = runCli({QStringLiteral("run"), path}, asNobody, 20000, program);
        QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.err)));
        const QStringList lines = r.err.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines[0].contains(QLatin1String("cannot read")) && lines[0].contains(path), qPrintable(lines[0]));
    }

    void runWritesDocumentedJsonAndCsv()
    {
        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("out.json"));
        const QString csv = dir.filePath(QStringLiteral("out.csv"));
        const CliRun r = runCli({QStringLiteral("run"), QStringLiteral("cpu-quick"), QStringLiteral("--json"), json,
                                 QStringLiteral("--csv"), csv});
        QVERIFY2(r.exitCode == 0, qPrintable(QStringLiteral("exit %1: %2 %3").arg(r.exitCode).arg(r.err, r.out)));
        QVERIFY2(r.out.contains(QLatin1String("processes")), qPrintable(r.out));

        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonParseError pe;
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll(), &pe).object();
        QCOMPARE(pe.error, QJsonParseError::NoError);
        QVERIFY(doc.value(QStringLiteral("spec")).isObject());
        QCOMPARE(doc.value(QStringLiteral("schema")).toInt(), 2);
        const QString experimentId = doc.value(QStringLiteral("experiment_id")).toString();
        QVERIFY(!experimentId.isEmpty());
        // Per-core CPU sampled at 10 Hz over the whole experiment, shaped like monitor --json.
        const QJsonObject cpu = doc.value(QStringLiteral("cpu")).toObject();
        QCOMPARE(cpu.value(QStringLiteral("hz")).toDouble(), 10.0);
        QCOMPARE(cpu.value(QStringLiteral("cores")).toInt(), onlineCores());
        const QJsonArray samples = cpu.value(QStringLiteral("samples")).toArray();
        QVERIFY2(samples.size() >= 5, qPrintable(QString::number(samples.size())));
        const QJsonObject s0 = samples.at(0).toObject();
        QVERIFY(s0.value(QStringLiteral("t")).isDouble() && s0.value(QStringLiteral("total")).isDouble());
        QCOMPARE(s0.value(QStringLiteral("per_core")).toArray().size(), onlineCores());
        const QJsonObject machine = doc.value(QStringLiteral("machine")).toObject();
        QCOMPARE(machine.value(QStringLiteral("cores")).toInt(), onlineCores());
        QVERIFY(!machine.value(QStringLiteral("cpu_model")).toString().isEmpty());
        const QJsonArray runs = doc.value(QStringLiteral("runs")).toArray();
        QStringList models;
        for (const QJsonValue &v : runs) {
            const QJsonObject run = v.toObject();
            models << run.value(QStringLiteral("model")).toString();
            for (const char *k : {"model", "workers", "wall_s", "cpu_s", "busy_cores", "speedup", "efficiency", "tasks_total",
                                  "tasks_ok", "tasks_failed", "verified", "worker_restarts", "spawn_us_median", "peak_rss_kb",
                                  "tasks"})
                QVERIFY2(run.contains(QLatin1String(k)), k);
            QVERIFY(run.value(QStringLiteral("verified")).toBool());
            QCOMPARE(run.value(QStringLiteral("tasks_total")).toInt(), 20);
            QCOMPARE(run.value(QStringLiteral("tasks_ok")).toInt(), 20);
            QVERIFY(run.value(QStringLiteral("speedup")).toDouble() > 0);
            const QJsonArray tasks = run.value(QStringLiteral("tasks")).toArray();
            QCOMPARE(tasks.size(), 20);
            QCOMPARE(run.value(QStringLiteral("run_id")).toString(), QStringLiteral("%1/%2").arg(experimentId).arg(models.size() - 1));
            QVERIFY(run.value(QStringLiteral("peak_rss_kb")).toDouble() > 1000);
            QVERIFY(!run.value(QStringLiteral("spawn_what")).toString().isEmpty());
            for (const QJsonValue &t : tasks)
                for (const char *k : {"id", "worker", "start_s", "end_s", "cpu_start", "cpu_end", "ok"})
                    QVERIFY2(t.toObject().contains(QLatin1String(k)), k);
        }
        QCOMPARE(models, (QStringList{QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("processes")}));
        const QJsonObject processes = runs.at(2).toObject();
        QVERIFY(processes.value(QStringLiteral("spawn_us_median")).toDouble() > 0);
        QVERIFY(processes.value(QStringLiteral("ipc")).toObject().contains(QStringLiteral("dispatch_share")));

        QFile c(csv);
        QVERIFY(c.open(QIODevice::ReadOnly));
        const QList<QByteArray> rows = c.readAll().trimmed().split('\n');
        QCOMPARE(rows.size(), 4);  // header + 3 runs
        QVERIFY2(rows[0].contains("model") && rows[0].contains("wall_s"), rows[0].constData());
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("out.tasks.csv"))));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("out.states.csv"))));  // the cruncher records no waits

        // show prints the very table run printed (everything below run's first line).
        const CliRun shown = runCli({QStringLiteral("show"), json});
        QVERIFY2(shown.exitCode == 0, qPrintable(shown.err));
        QVERIFY(shown.err.isEmpty());
        QVERIFY2(shown.out.startsWith(QLatin1String("cpu-quick: 3 run(s)")), qPrintable(shown.out));
        QCOMPARE(shown.out.section(QLatin1Char('\n'), 1), r.out.section(QLatin1Char('\n'), 1));
    }

    // An experiment that records waits gets its thread-state rows beside the CSV pair: the two
    // tasks of the deadlock each wait for the lock the other holds.
    void csvOfAnExperimentWithWaitsHasItsStates()
    {
        QTemporaryDir dir;
        const QString csv = dir.filePath(QStringLiteral("dl.csv"));
        const CliRun r = runCli({QStringLiteral("run"), QStringLiteral("deadlock"), QStringLiteral("--models"), QStringLiteral("threads"),
                                 QStringLiteral("--variants"), QStringLiteral("opposite"), QStringLiteral("--quiet"),
                                 QStringLiteral("--csv"), csv});
        QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(r.err));
        QFile states(dir.filePath(QStringLiteral("dl.states.csv")));
        QVERIFY2(states.open(QIODevice::ReadOnly), qPrintable(r.out + r.err));
        const QList<QByteArray> rows = states.readAll().trimmed().split('\n');
        QVERIFY2(rows.size() >= 3, rows.join('\n').constData());  // header + a wait of each task
        QVERIFY2(rows[0].contains("state") && rows[0].contains("culprit"), rows[0].constData());
        QVERIFY2(rows.join('\n').contains("lock"), rows.join('\n').constData());
    }

    void showPrintsSavedResults_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("schema 1 io") << QStringLiteral(LAB_TEST_DATA_DIR "/result-v1-io-seed.json")
                                     << QStringList{QStringLiteral("io-seed: 5 run(s)"), QStringLiteral("async  "),
                                                    QStringLiteral("p50 latency 303.25 ms, p99 latency 401.21 ms"),
                                                    QStringLiteral("not applicable: async")};
        QTest::newRow("schema 1 cpu") << QStringLiteral(LAB_TEST_DATA_DIR "/result-v1-cpu-quick.json")
                                      << QStringList{QStringLiteral("python-threads            2     13.595"),
                                                     QStringLiteral("28.676  yes"),
                                                     QStringLiteral("process start to handshake: processes")};
        QTest::newRow("schema 2 cpu") << QStringLiteral(LAB_TEST_DATA_DIR "/result-v2-cpu-quick.json")
                                      << QStringList{QStringLiteral("cpu-quick: 5 run(s), 2 core(s), started 20"),
                                                     QStringLiteral("gil-threads  "),
                                                     QStringLiteral("interpreter start-up")};
    }

    void showPrintsSavedResults()
    {
        QFETCH(QString, file);
        QFETCH(QStringList, expected);
        const CliRun r = runCli({QStringLiteral("show"), file});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QLatin1String("model               workers     wall s")));
        for (const QString &e : expected)
            QVERIFY2(r.out.contains(e), qPrintable(e + QStringLiteral(" not in:\n") + r.out));
    }

    // The default worker count honours the affinity mask, as under `taskset -c 0`.
    void affinityMaskOfOneCoreGivesOneWorker()
    {
        QTemporaryDir dir;
        const QString spec = writeFile(dir, QStringLiteral("small.json"),
                                       R"({"workload":{"kind":"cpu","numbers":[1000,2000,3000]},"models":["threads"]})");
        const QString json = dir.filePath(QStringLiteral("one.json"));
        const CliRun r = runCli({QStringLiteral("run"), spec, QStringLiteral("--json"), json, QStringLiteral("--quiet")}, [] {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(0, &set);
            if (::sched_setaffinity(0, sizeof set, &set) != 0)
                ::_exit(98);
        });
        QVERIFY2(r.exitCode == 0, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.out.contains(QLatin1String("1 worker(s), 1 core(s)")), qPrintable(r.out));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(doc.value(QStringLiteral("machine")).toObject().value(QStringLiteral("usable_cores")).toInt(), 1);
        QCOMPARE(doc.value(QStringLiteral("machine")).toObject().value(QStringLiteral("cores")).toInt(), onlineCores());
        QCOMPARE(doc.value(QStringLiteral("runs")).toArray().at(0).toObject().value(QStringLiteral("workers")).toInt(), 1);
    }

    void optionsInAnyOrderAndRepeatedUrlsKeepTheirOrder()
    {
        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("urls.json"));
        // Unreachable URLs fail fast (connection refused on a closed local port): exit 1.
        const CliRun r = runCli({QStringLiteral("run"), QStringLiteral("--json=") + json, QStringLiteral("io-custom"),
                                 QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:9/a"), QStringLiteral("--url"),
                                 QStringLiteral("http://127.0.0.1:9/b"), QStringLiteral("--models"), QStringLiteral("sequential"),
                                 QStringLiteral("--quiet")});
        QVERIFY2(r.exitCode == 1, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.err)));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonArray tasks = doc.value(QStringLiteral("runs")).toArray().at(0).toObject().value(QStringLiteral("tasks")).toArray();
        QCOMPARE(tasks.size(), 2);
        QCOMPARE(tasks.at(0).toObject().value(QStringLiteral("url")).toString(), QStringLiteral("http://127.0.0.1:9/a"));
        QCOMPARE(tasks.at(1).toObject().value(QStringLiteral("url")).toString(), QStringLiteral("http://127.0.0.1:9/b"));
    }

    void sigintCancelsWithPartialJsonAndNoWorkerLeft()
    {
        QTemporaryDir dir;
        const QString spec = writeFile(dir, QStringLiteral("long.json"), longProcessesSpec());
        const QString json = dir.filePath(QStringLiteral("partial.json"));
        QProcess cli;
        cli.start(cliPath(), {QStringLiteral("run"), spec, QStringLiteral("--json"), json});
        QVERIFY(cli.waitForStarted(5000));
        QElapsedTimer t;
        t.start();
        const std::vector<qint64> workers = waitForTwoWorkers(cli);
        QCOMPARE(workers.size(), size_t(2));
        // Let some tasks finish, however loaded the machine and slow the build (sanitizers):
        // 6 tasks' worth of worker CPU (3 a worker) means a task completed even where a task
        // costs the workers twice the CPU it costs this process alone (two busy cores of a VM
        // can run that much slower: a parallel ctest run here saw 3 tasks' worth give none).
        while (cpuSecondsOf(workers) < 6 * m_secondsPerLongTask && t.elapsed() < 60000)
            QTest::qWait(20);
        QCOMPARE(::kill(pid_t(cli.processId()), SIGINT), 0);
        QVERIFY(cli.waitForFinished(10000));
        QCOMPARE(cli.exitStatus(), QProcess::NormalExit);
        QVERIFY2(cli.exitCode() == 130, qPrintable(QString::fromLocal8Bit(cli.readAllStandardError())));
        for (qint64 pid : workers)
            QVERIFY2(!workerAlive(pid), qPrintable(QString::number(pid)));

        QFile f(json);
        QVERIFY2(f.open(QIODevice::ReadOnly), "no partial JSON written");
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        QVERIFY(doc.value(QStringLiteral("cancelled")).toBool());
        const QJsonObject run = doc.value(QStringLiteral("runs")).toArray().at(0).toObject();
        QCOMPARE(run.value(QStringLiteral("model")).toString(), QStringLiteral("processes"));
        QVERIFY(run.value(QStringLiteral("cancelled")).toBool());
        const QJsonArray tasks = run.value(QStringLiteral("tasks")).toArray();
        QVERIFY(!tasks.isEmpty());
        QVERIFY(tasks.size() < 60);
        for (const QJsonValue &v : tasks)
            QVERIFY(v.toObject().value(QStringLiteral("ok")).toBool());
    }

    // The CLI cannot clean up after SIGKILL: the workers must notice (PR_SET_PDEATHSIG).
    void sigkilledCliTakesItsWorkersAlong()
    {
        QTemporaryDir dir;
        const QString spec = writeFile(dir, QStringLiteral("long.json"), longProcessesSpec());
        QProcess cli;
        cli.start(cliPath(), {QStringLiteral("run"), spec, QStringLiteral("--quiet")});
        QVERIFY(cli.waitForStarted(5000));
        QElapsedTimer t;
        t.start();
        const std::vector<qint64> workers = waitForTwoWorkers(cli);
        QCOMPARE(workers.size(), size_t(2));
        QCOMPARE(::kill(pid_t(cli.processId()), SIGKILL), 0);
        t.restart();
        bool anyAlive = true;
        while (anyAlive && t.elapsed() < 2000) {
            anyAlive = false;
            for (qint64 pid : workers)
                anyAlive = anyAlive || workerAlive(pid);
            if (anyAlive)
                QTest::qWait(10);
        }
        QVERIFY2(!anyAlive, "a worker survived its CLI by more than 2 s");
        QVERIFY(cli.state() == QProcess::NotRunning || cli.waitForFinished(5000));
        QCOMPARE(cli.exitStatus(), QProcess::CrashExit);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
