// ExperimentResult save and load: golden files of schema 1 (written by the CLI before typed
// results) and schema 2 load with their figures; write -> read -> write is byte-identical;
// damaged, foreign and newer files give one clear message; unknown keys survive.
#include "experiment/runrecord.h"
#include "export/chrometrace.h"
#include "export/resultwriter.h"
#include "testutil.h"
#include "util/sysinfo.h"
#include "workloads/io/ioworkload.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <tuple>

#include <cmath>
#include <sched.h>

using namespace lab;
using lab::test::runOf;

namespace {

QString dataFile(const char *name)
{
    return QStringLiteral(LAB_TEST_DATA_DIR "/") + QLatin1String(name);
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QJsonObject objectOf(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

} // namespace

class TestResults : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // A task record is kept for every task of every run: it stays packed, and its strings
    // that most tasks leave empty cost a pointer, while reading and copying as QStrings.
    void largeResultsAreWrittenOnOneLine()
    {
        ExperimentResult r;
        r.experimentId = QStringLiteral("20261202T000000Z-000001");
        r.spec.workload = QStringLiteral("cpu");
        RunRecord run;
        run.model = QStringLiteral("threads");
        run.workers = 2;
        run.wall_s = 1;
        for (int i = 0; i < 2; ++i) {
            TaskResult t;
            t.id = i;
            t.ok = t.verified = true;
            t.value = QStringLiteral("285");
            run.tasks.push_back(t);
        }
        r.runs.push_back(run);
        const QByteArray small = resultToJson(r);
        QVERIFY(small.count('\n') > 20);  // indented: a person reads it
        QVERIFY(small.size() < kIndentedJsonLimit);
        // 30,000 tasks: far over the limit indented, so on one line.
        for (int i = 2; i < 30000; ++i) {
            TaskResult t = r.runs[0].tasks[0];
            t.id = i;
            t.start_s = i * 1e-4;
            t.end_s = t.start_s + 5e-5;
            r.runs[0].tasks.push_back(t);
        }
        const QByteArray large = resultToJson(r);
        QVERIFY(large.count('\n') <= 1);
        QString error;
        const auto back = ExperimentResult::fromJson(large, &error);
        QVERIFY2(back, qPrintable(error));
        QCOMPARE(back->runs.size(), size_t(1));
        QCOMPARE(back->runs[0].tasks.size(), size_t(30000));
        QCOMPARE(back->runs[0].tasks.back().id, 29999);
    }

    void taskRecordsStayCompact()
    {
        static_assert(sizeof(CompactString) == sizeof(void *));
        QVERIFY2(sizeof(TaskResult) <= 160, qPrintable(QString::number(sizeof(TaskResult))));
        QVERIFY2(sizeof(LiveEvent) <= 32, qPrintable(QString::number(sizeof(LiveEvent))));
        TaskResult t;
        QVERIFY(t.error.isEmpty() && t.url.toString().isNull());
        t.error = QStringLiteral("connection refused");
        TaskResult copy = t;
        t.error = QString();  // an empty string frees the text
        QVERIFY(t.error.isEmpty());
        QCOMPARE(copy.error.toString(), QStringLiteral("connection refused"));
        QVERIFY(copy.error == QStringLiteral("connection refused"));
        QCOMPARE(copy.error.size(), qsizetype(18));
        const LiveEvent e(LiveEvent::TaskFinished, 7, 3, 1.5, true, 1024, 1);
        QCOMPARE(e.taskId, 7);
        QCOMPARE(e.worker, 3);
        QCOMPARE(e.t, 1.5);
        QVERIFY(e.ok && e.type == LiveEvent::TaskFinished);
        QCOMPARE(e.bytes, qint64(1024));
        QCOMPARE(int(e.cpu), 1);
    }
    void writeReadWriteIsIdentical_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("schema 1 cpu") << dataFile("result-v1-cpu-quick.json");
        QTest::newRow("schema 1 io") << dataFile("result-v1-io-seed.json");
        QTest::newRow("schema 2 cpu") << dataFile("result-v2-cpu-quick.json");
    }

    void writeReadWriteIsIdentical()
    {
        QFETCH(QString, file);
        const QByteArray original = readAll(file);
        QVERIFY(!original.isEmpty());
        QString error;
        const auto first = ExperimentResult::fromJson(original, &error);
        QVERIFY2(first, qPrintable(error));
        const QByteArray written = resultToJson(*first);
        const auto second = ExperimentResult::fromJson(written, &error);
        QVERIFY2(second, qPrintable(error));
        const QByteArray rewritten = resultToJson(*second);
        QCOMPARE(rewritten, written);
        if (objectOf(original).value(QStringLiteral("schema")).toInt() == ExperimentResult::kSchema)
            QCOMPARE(written, original);  // a file this program wrote comes back unchanged
        QCOMPARE(objectOf(written).value(QStringLiteral("schema")).toInt(), 2);
    }

    void schema1CpuGoldenKeepsItsFigures()
    {
        QString error;
        const auto r = loadResultFile(dataFile("result-v1-cpu-quick.json"), &error);
        QVERIFY2(r, qPrintable(error));
        const QJsonObject raw = objectOf(readAll(dataFile("result-v1-cpu-quick.json")));
        QCOMPARE(r->spec.name, QStringLiteral("cpu-quick"));
        QCOMPARE(int(r->spec.params.value(QStringLiteral("numbers")).toArray().size()), 20);
        QCOMPARE(r->machine.cores, raw.value(QStringLiteral("machine")).toObject().value(QStringLiteral("cores")).toInt());
        QVERIFY(r->machine.kernel.isEmpty());  // schema 1 did not record it: null, not invented
        QVERIFY(!r->cpu);
        QCOMPARE(int(r->runs.size()), 4);
        const QJsonArray runs = raw.value(QStringLiteral("runs")).toArray();
        double previousEnd = 0;
        for (size_t i = 0; i < r->runs.size(); ++i) {
            const RunRecord &run = r->runs[i];
            const QJsonObject j = runs.at(qsizetype(i)).toObject();
            QCOMPARE(run.model, j.value(QStringLiteral("model")).toString());
            QCOMPARE(run.wall_s, j.value(QStringLiteral("wall_s")).toDouble());
            QCOMPARE(run.cpu_s, j.value(QStringLiteral("cpu_s")).toDouble());
            QCOMPARE(run.peak_rss_kb, long(j.value(QStringLiteral("peak_rss_kb")).toDouble()));
            QCOMPARE(run.spawn_us_median, j.value(QStringLiteral("spawn_us_median")).toDouble());
            QVERIFY(!run.spawnWhat.isEmpty());
            QCOMPARE(int(run.tasks.size()), 20);
            QCOMPARE(int(run.throughput.size()), int(j.value(QStringLiteral("throughput")).toArray().size()));
            QVERIFY(run.verified);
            QCOMPARE(run.tasks[3].value, j.value(QStringLiteral("tasks")).toArray().at(3).toObject().value(QStringLiteral("value")).toString());
            // No start times in schema 1: laid end to end.
            QCOMPARE(run.t0, previousEnd);
            previousEnd = run.t0 + run.wall_s;
            QVERIFY(run.runId.startsWith(r->experimentId + QLatin1Char('/')));
            QVERIFY2(run.extra.isEmpty(), qPrintable(QStringList(run.extra.keys()).join(QLatin1Char(','))));
        }
        QCOMPARE(r->runs[3].speedup, -1.0);  // python-threads without python-sequential: null

        const RunRecord *gil = runOf(*r, QStringLiteral("gil-threads"));
        QVERIFY(gil && gil->gil);
        const QJsonObject gj = runs.at(1).toObject().value(QStringLiteral("gil")).toObject();
        QCOMPARE(qsizetype(gil->gil->spans.size()), gj.value(QStringLiteral("spans")).toArray().size());
        QVERIFY(gil->gil->spans.size() > 100);
        QCOMPARE(gil->gil->switchIntervalMs, 5.0);
        QCOMPARE(double(gil->gil->switches), gj.value(QStringLiteral("switches")).toDouble());
        QCOMPARE(int(gil->gil->threads.size()), 2);
        QVERIFY(gil->gil->threads[0].acquisitions > 0);

        const RunRecord *proc = runOf(*r, QStringLiteral("processes"));
        QVERIFY(proc && proc->ipc);
        QCOMPARE(proc->ipc->dispatchShare, 0.01403);
        QCOMPARE(proc->ipc->spawnMedian_ms, 28.676);
        QCOMPARE(proc->ipc->protocolVersion, 1);
        // Its split was not measured then: not measured now, and written back as absent-or-null.
        QCOMPARE(proc->ipc->startShare, -1.0);
        QCOMPARE(proc->ipc->gapsShare, -1.0);
        QCOMPARE(proc->ipc->endShare, -1.0);
        QCOMPARE(proc->spawnWhat, QStringLiteral("process start to handshake"));

        const RunRecord *py = runOf(*r, QStringLiteral("python-threads"));
        QVERIFY(py && py->python);
        QCOMPARE(py->python->version, QStringLiteral("3.11.7"));
        QCOMPARE(py->python->mode, QStringLiteral("threads"));
        QVERIFY(py->python->pid && *py->python->pid > 0);
        QVERIFY(py->note.contains(QStringLiteral("repeat")));

        // The same file loads with the same ids.
        const auto again = loadResultFile(dataFile("result-v1-cpu-quick.json"), &error);
        QCOMPARE(again->experimentId, r->experimentId);

        // ... and draws: the Chrome trace has every task and every GIL span.
        const QJsonArray events = objectOf(chromeTraceJson(*r)).value(QStringLiteral("traceEvents")).toArray();
        int tasks = 0, spans = 0;
        for (const QJsonValue &e : events) {
            const QString cat = e.toObject().value(QStringLiteral("cat")).toString();
            tasks += cat == QLatin1String("task");
            spans += cat == QLatin1String("gil");
        }
        QCOMPARE(tasks, 80);
        QCOMPARE(spans, int(gil->gil->spans.size()));
    }

    void schema1IoGoldenKeepsWorkloadSections()
    {
        QString error;
        const auto r = loadResultFile(dataFile("result-v1-io-seed.json"), &error);
        QVERIFY2(r, qPrintable(error));
        QCOMPARE(int(r->runs.size()), 5);
        for (const RunRecord &run : r->runs) {
            // The io measurements are the workload's typed summary, written back with today's keys.
            const QJsonObject json = run.toJson();
            const QJsonObject io = json.value(QStringLiteral("io")).toObject();
            QVERIFY2(io.value(QStringLiteral("latency_p50_ms")).toDouble() > 200, qPrintable(run.model));
            QCOMPARE(json.value(QStringLiteral("requests")).toArray().size(), 9);
            QVERIFY(json.contains(QStringLiteral("server_cpu_s")));
            QCOMPARE(int(run.tasks.size()), 9);
            QVERIFY(!run.tasks[0].url.isEmpty() && run.tasks[0].bytes > 0 && !run.tasks[0].checksum.isEmpty());
        }
        // Schema 1 wrote 0 for async's spawn time; it does not apply.
        const RunRecord *async = runOf(*r, QStringLiteral("async"));
        QVERIFY(async);
        QCOMPARE(async->spawn_us_median, -1.0);
        QVERIFY(resultToJson(*r).contains("\"spawn_us_median\": null"));
        QVERIFY(runOf(*r, QStringLiteral("gil-threads"))->gil);
    }

    void schema2GoldenHasEverything()
    {
        QString error;
        const auto r = loadResultFile(dataFile("result-v2-cpu-quick.json"), &error);
        QVERIFY2(r, qPrintable(error));
        QVERIFY(!r->experimentId.isEmpty() && !r->startedAt.isEmpty());
        QVERIFY(!r->machine.kernel.isEmpty() && !r->machine.qtVersion.isEmpty());
        QCOMPARE(r->machine.pythonVersion, r->runs[3].python->version);
        QVERIFY(r->cpu);
        QCOMPARE(r->cpu->hz, 10.0);
        QVERIFY(r->cpu->samples.size() > 100);
        QCOMPARE(r->cpu->cores(), r->machine.cores);
        for (size_t i = 0; i < r->runs.size(); ++i) {
            QCOMPARE(r->runs[i].runId, ExperimentResult::runIdFor(r->experimentId, int(i)));
            if (i > 0)
                QVERIFY(r->runs[i].t0 >= r->runs[i - 1].t0 + r->runs[i - 1].wall_s);
            QVERIFY(r->runs[i].peak_rss_kb > 1000);
            QVERIFY(!r->runs[i].spawnWhat.isEmpty());
            QCOMPARE(r->runs[i].ui_lag_p99_ms, -1.0);
        }
        // Samples cover the runs on the same time base.
        QVERIFY(r->cpu->samples.front().t < r->runs.front().t0 + 0.2);
        QVERIFY(r->cpu->samples.back().t >= r->runs.back().t0 + r->runs.back().wall_s - 0.2);
    }

    void badFilesGiveOneClearMessage_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("malformed JSON at line 1, column 1");
        QTest::newRow("truncated") << QByteArray("{\n  \"generator\": \"concurrency-lab\",\n  \"runs\": [")
                                   << QStringLiteral("malformed JSON at line 3");
        QTest::newRow("array") << QByteArray("[1, 2]") << QStringLiteral("not a Concurrency Lab result");
        QTest::newRow("spec file") << QByteArray(R"({"workload":{"kind":"cpu","numbers":[10]}})")
                                   << QStringLiteral("not a Concurrency Lab result");
        QTest::newRow("other generator") << QByteArray(R"({"generator":"perf","runs":[]})")
                                         << QStringLiteral("not a Concurrency Lab result");
        QTest::newRow("newer schema") << QByteArray(R"({"schema":3,"generator":"concurrency-lab","runs":[]})")
                                      << QStringLiteral("schema 3 is newer than this program understands (2)");
        QTest::newRow("schema text") << QByteArray(R"({"schema":"2","generator":"concurrency-lab","runs":[]})")
                                     << QStringLiteral("\"schema\" must be a whole number from 1 to 2");
        QTest::newRow("bad spec") << QByteArray(R"({"generator":"concurrency-lab","runs":[],"spec":{"workload":{"kind":"teleport"}}})")
                                  << QStringLiteral("the result's spec does not read");
        QTest::newRow("run not an object")
            << QByteArray(R"({"generator":"concurrency-lab","runs":[3],"spec":{"workload":{"kind":"cpu","numbers":[10]}}})")
            << QStringLiteral("run 1 is not a JSON object");
        QTest::newRow("run without model")
            << QByteArray(R"({"generator":"concurrency-lab","runs":[{"wall_s":1}],"spec":{"workload":{"kind":"cpu","numbers":[10]}}})")
            << QStringLiteral("run 1: a run has no model name");
    }

    void badFilesGiveOneClearMessage()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        QString error;
        QVERIFY(!ExperimentResult::fromJson(json, &error));
        QVERIFY2(error.startsWith(expected), qPrintable(error));
        QVERIFY(!error.contains(QLatin1Char('\n')));
    }

    void unknownKeysSurvive()
    {
        QJsonObject doc = objectOf(readAll(dataFile("result-v2-cpu-quick.json")));
        QJsonArray runs = doc.value(QStringLiteral("runs")).toArray();
        QJsonObject run = runs.at(0).toObject();
        run.insert(QStringLiteral("from_the_future"), QJsonArray{1, 2});
        run.insert(QStringLiteral("gil"), QStringLiteral("not an object"));
        runs[0] = run;
        doc.insert(QStringLiteral("runs"), runs);
        doc.insert(QStringLiteral("annotation"), QStringLiteral("lecture 3"));
        QJsonObject machine = doc.value(QStringLiteral("machine")).toObject();
        machine.insert(QStringLiteral("gpu"), QStringLiteral("none"));
        doc.insert(QStringLiteral("machine"), machine);
        const QByteArray json = QJsonDocument(doc).toJson();
        QString error;
        const auto r = ExperimentResult::fromJson(json, &error);
        QVERIFY2(r, qPrintable(error));
        QVERIFY(!r->runs[0].gil);
        QCOMPARE(resultToJson(*r), json);
    }

    // Each workload reads its own typed summary back (Workload::summaryFromJson); the keys it
    // owns leave `extra`, and writing the result again gives the same bytes.
    void workloadSummariesLoadTyped()
    {
        QString error;
        const auto r = loadResultFile(dataFile("result-v1-io-seed.json"), &error);
        QVERIFY2(r, qPrintable(error));
        QCOMPARE(r->runs.size(), size_t(5));
        for (const RunRecord &run : r->runs) {
            const auto io = std::dynamic_pointer_cast<const IoSummary>(run.workloadSummary);
            QVERIFY2(io, qPrintable(run.model));
            for (const char *k : {"io", "requests", "server_cpu_s"})
                QVERIFY2(!run.extra.contains(QLatin1String(k)), k);
            QCOMPARE(io->requests, 9);
            QVERIFY(io->requestsPerS && *io->requestsPerS > 1);
            QVERIFY(io->latencyP50Ms && *io->latencyP50Ms >= 250);  // the fastest "site" waits 250 ms
            QVERIFY(io->serverCpuS);
        }
        const auto again = ExperimentResult::fromJson(resultToJson(*r), &error);
        QVERIFY2(again, qPrintable(error));
        QCOMPARE(resultToJson(*again), resultToJson(*r));
    }

    void figuresThatDoNotApplyAreNull()
    {
        RunRecord run;
        run.model = QStringLiteral("async");
        run.spawn_us_median = -1;
        run.peak_rss_kb = -1;
        run.finalize();
        const QJsonObject j = run.toJson();
        for (const char *k : {"spawn_us_median", "spawn_what", "peak_rss_kb", "ui_lag_p99_ms", "speedup", "efficiency",
                              "busy_cores"})
            QVERIFY2(j.value(QLatin1String(k)).isNull(), k);
        QVERIFY(!j.contains(QStringLiteral("gil")) && !j.contains(QStringLiteral("ipc"))
                && !j.contains(QStringLiteral("spawn_ms_median")) && !j.contains(QStringLiteral("ran_on_ui_thread")));
        QString error;
        const auto back = RunRecord::fromJson(j, &error);
        QVERIFY(back);
        QCOMPARE(back->spawn_us_median, -1.0);
        QCOMPARE(back->peak_rss_kb, -1L);
        QCOMPARE(back->busy_cores, -1.0);
    }

    // The pool's split of its IPC share saves and loads; not measured, it is null, never 0.
    void ipcShareSplitRoundTrips()
    {
        RunRecord run;
        run.model = QStringLiteral("processes");
        IpcSplit ipc;
        ipc.chunkSize = 500;
        ipc.dispatchShare = 0.3;
        std::tie(ipc.startShare, ipc.gapsShare, ipc.endShare) = std::tuple(0.125, 0.075, 0.1);
        run.ipc = ipc;
        run.finalize();
        QString error;
        auto back = RunRecord::fromJson(run.toJson(), &error);
        QVERIFY2(back && back->ipc, qPrintable(error));
        QCOMPARE(back->ipc->startShare, 0.125);
        QCOMPARE(back->ipc->gapsShare, 0.075);
        QCOMPARE(back->ipc->endShare, 0.1);
        run.ipc->startShare = run.ipc->gapsShare = run.ipc->endShare = -1;
        const QJsonObject j = run.toJson().value(QStringLiteral("ipc")).toObject();
        for (const char *k : {"share_start", "share_gaps", "share_end"})
            QVERIFY2(j.value(QLatin1String(k)).isNull(), k);
        back = RunRecord::fromJson(run.toJson(), &error);
        QVERIFY2(back && back->ipc, qPrintable(error));
        QCOMPARE(back->ipc->startShare, -1.0);
        QCOMPARE(back->ipc->endShare, -1.0);
    }

    void cpuSeriesLikeMonitor()
    {
        CpuSeries c;
        c.hz = 10;
        c.samples.push_back({100.05, 42.123, {84.246, std::nan("")}});
        c.samples.push_back({100.15, 50, {50, 50}});
        const QJsonObject j = c.toJson(100.0);
        QCOMPARE(j.value(QStringLiteral("hz")).toDouble(), 10.0);
        QCOMPARE(j.value(QStringLiteral("cores")).toInt(), 2);
        const QJsonObject s0 = j.value(QStringLiteral("samples")).toArray().at(0).toObject();
        QCOMPARE(s0.value(QStringLiteral("t")).toDouble(), 0.05);
        QCOMPARE(s0.value(QStringLiteral("total")).toDouble(), 42.12);
        QCOMPARE(s0.value(QStringLiteral("per_core")).toArray().at(0).toDouble(), 84.25);
        QVERIFY(s0.value(QStringLiteral("per_core")).toArray().at(1).isNull());  // offline core
        const CpuSeries back = CpuSeries::fromJson(j);
        QCOMPARE(int(back.samples.size()), 2);
        QVERIFY(std::isnan(back.samples[0].perCore[1]));
        QCOMPARE(back.toJson(0), j);
    }

    void usableCoresFollowsTheAffinityMask()
    {
        cpu_set_t set;
        CPU_ZERO(&set);
        QCOMPARE(sched_getaffinity(0, sizeof set, &set), 0);
        QCOMPARE(usableCores(), std::min(CPU_COUNT(&set), onlineCores()));
        QVERIFY(usableCores() <= onlineCores());
        ExperimentSpec spec;
        spec.params = QJsonObject{{QStringLiteral("numbers"), QJsonArray{10}}};
        QCOMPARE(spec.effectiveWorkers(), usableCores());
        QCOMPARE(MachineInfo::current().usableCores, usableCores());
    }

    void peakRssResetWorks()
    {
        // clear_refs "5" sets VmHWM to the current RSS: a run's peak is its own. (Freed memory need
        // not leave the process — ASan keeps it in quarantine — so compare with the current RSS.)
        {
            std::vector<char> big(64u << 20, 1);
            QVERIFY(big.back() == 1);
        }
        if (!resetPeakRss())
            QSKIP("the kernel refuses /proc/self/clear_refs here: runs then report RSS at their end");
        const long afterReset = peakRssKb();
        QVERIFY2(afterReset <= currentRssKb() + 2048, qPrintable(QStringLiteral("%1 vs %2").arg(afterReset).arg(currentRssKb())));
        // Growth after the reset shows in the peak again.
        std::vector<char> more(48u << 20, 2);
        QVERIFY(more.back() == 2);
        QVERIFY2(peakRssKb() >= afterReset + 40000,
                 qPrintable(QStringLiteral("%1 after the reset, %2 with 48 MiB more").arg(afterReset).arg(peakRssKb())));
    }
};

QTEST_GUILESS_MAIN(TestResults)
#include "tst_results.moc"
