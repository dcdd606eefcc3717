// The workload plug-in layer: the registry, the one parameter parser, per-run state, model
// compatibility with reasons, and the sleep workload end to end (it was added by following
// docs/adding-a-workload.md, so it also checks that the pipeline takes a new workload unchanged).
#include "experiment/runner.h"
#include "ipc/protocol.h"
#include "models/executionmodel.h"
#include "testutil.h"
#include "util/sysinfo.h"
#include "workloads/io/ioworkload.h"
#include "workloads/taskexec.h"
#include "workloads/workload.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTest>
#include <unistd.h>

using namespace lab;
using namespace lab::test;

class TestWorkloads : public QObject {
    Q_OBJECT

    static QJsonObject parsed(const QString &kind, QJsonObject json = {})
    {
        json.insert(QStringLiteral("kind"), kind);
        QString error;
        const auto p = parseWorkloadParams(*findWorkload(kind), json, &error);
        if (!p)
            qFatal("%s: %s", qPrintable(kind), qPrintable(error));
        return *p;
    }

private Q_SLOTS:
    void registryIsComplete()
    {
        QSet<QString> ids;
        for (const auto &w : workloadRegistry()) {
            QVERIFY2(!ids.contains(w->id()), qPrintable(w->id()));
            ids.insert(w->id());
            QVERIFY(!w->label().isEmpty());
            QVERIFY(!w->description().isEmpty());
            QVERIFY(!w->params().empty());
            for (const ParamInfo &p : w->params()) {
                QVERIFY2(!p.label.isEmpty() && !p.tooltip.isEmpty(), qPrintable(w->id() + QLatin1Char('.') + p.key));
                if (p.type == ParamInfo::Type::Int || p.type == ParamInfo::Type::Number)
                    QVERIFY2(p.min <= p.max, qPrintable(p.key));
            }
            // Every parameter has a default: a bare {"kind": id} runs, and makes tasks.
            const QJsonObject params = parsed(w->id());
            QVERIFY2(!w->makeTasks(params, nullptr).empty(), qPrintable(w->id()));
            QCOMPARE(findWorkload(w->id()), w.get());
        }
        for (const char *id : {"cpu", "io", "convoy", "sleep"})
            QVERIFY2(ids.contains(QString::fromLatin1(id)), id);
        QVERIFY(!findWorkload(QStringLiteral("gpu")));
    }

    void parserNamesTheKey_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown key") << QByteArray(R"({"kind":"sleep","tasks":3,"msec":5})")
                                     << QStringLiteral("unknown key workload.msec (the sleep workload takes: tasks, ms)");
        QTest::newRow("below range") << QByteArray(R"({"kind":"sleep","tasks":0})")
                                     << QStringLiteral("workload.tasks = 0 is out of range (1..100000)");
        QTest::newRow("fraction") << QByteArray(R"({"kind":"sleep","tasks":2.5})") << QStringLiteral("whole number");
        QTest::newRow("text number") << QByteArray(R"({"kind":"sleep","ms":"5"})")
                                     << QStringLiteral("workload.ms must be a number");
        QTest::newRow("too long") << QByteArray(R"({"kind":"sleep","ms":60001})")
                                  << QStringLiteral("workload.ms = 60001 is out of range");
        QTest::newRow("range count") << QByteArray(R"({"kind":"cpu","numbers":{"start":1,"count":100001}})")
                                     << QStringLiteral("workload.numbers.count");
        QTest::newRow("url list type") << QByteArray(R"({"kind":"io","urls":"x"})")
                                       << QStringLiteral("workload.urls must be a non-empty list of strings");
        QTest::newRow("empty url") << QByteArray(R"({"kind":"io","urls":["x"," "]})")
                                   << QStringLiteral("workload.urls contains an empty string");
    }
    void parserNamesTheKey()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        const QJsonObject obj = QJsonDocument::fromJson(json).object();
        QString error;
        QVERIFY(!parseWorkloadParams(*findWorkload(obj.value(QStringLiteral("kind")).toString()), obj, &error));
        QVERIFY2(error.contains(expected), qPrintable(error));
        // The same message reaches whoever parses a whole spec.
        QString specError;
        QVERIFY(!ExperimentSpec::fromJson(QByteArray(R"({"workload":)") + json + "}", &specError));
        QCOMPARE(specError, error);
    }

    void defaultsAndRangesAreNormalised()
    {
        const QJsonObject cpu = parsed(QStringLiteral("cpu"), {{QStringLiteral("numbers"),
                                                                QJsonObject{{QStringLiteral("start"), 7},
                                                                            {QStringLiteral("count"), 3}}}});
        QCOMPARE(cpu.value(QStringLiteral("numbers")).toArray(), (QJsonArray{7, 8, 9}));
        QCOMPARE(cpu.value(QStringLiteral("repeat")).toInt(), 1);
        // The seed's numbers are the default.
        const QJsonArray seed = parsed(QStringLiteral("cpu")).value(QStringLiteral("numbers")).toArray();
        QCOMPARE(seed.size(), 20);
        QCOMPARE(seed.first().toDouble(), 5000000.0);
        // Parsing a normalised object again changes nothing (the panel and validate() rely on it).
        QJsonObject again = cpu;
        again.insert(QStringLiteral("kind"), QStringLiteral("cpu"));
        QCOMPARE(parsed(QStringLiteral("cpu"), again), cpu);
    }

    void modelsSayWhyNot()
    {
        const ModelInfo *async = findModel(QStringLiteral("async"));
        const ModelInfo *processes = findModel(QStringLiteral("processes"));
        const ModelInfo *pySeq = findModel(QStringLiteral("python-sequential"));
        QVERIFY(async && processes && pySeq);
        QVERIFY(async->supports(QStringLiteral("io")));
        QVERIFY2(async->whyNot(QStringLiteral("sleep")).contains(QStringLiteral("one thread")),
                 qPrintable(async->whyNot(QStringLiteral("sleep"))));
        QVERIFY(!processes->supports(QStringLiteral("convoy")));
        QVERIFY(processes->whyNot(QStringLiteral("convoy")).contains(QStringLiteral("one process")));
        QVERIFY(!pySeq->supports(QStringLiteral("convoy")));
        QVERIFY(processes->supports(QStringLiteral("sleep")));
        QVERIFY(findModel(QStringLiteral("threads"))->whyNot(QStringLiteral("nope")).contains(QStringLiteral("unknown")));

        // A spec naming a model that cannot run its workload fails with the reason.
        ExperimentSpec s = specFromJson(R"({"workload":{"kind":"sleep","tasks":2,"ms":1},"models":["async"]})");
        QString error;
        QVERIFY(resolveModels(s, &error).isEmpty());
        QVERIFY2(error.contains(QStringLiteral("model \"async\" cannot run the sleep workload: ")), qPrintable(error));
        // Without a model list, every model that fits and is available.
        s.models.clear();
        const QStringList all = resolveModels(s, &error);
        QVERIFY(all.contains(QStringLiteral("sequential")) && all.contains(QStringLiteral("processes")));
        QVERIFY(!all.contains(QStringLiteral("async")));
    }

    // The sleep workload, on every model that can run it, in one experiment: verified results,
    // waits that overlap (threads) and no CPU spent waiting.
    void sleepRunsOnEveryModel()
    {
        ExperimentSpec s = specFromJson(R"({"name":"t","workload":{"kind":"sleep","tasks":8,"ms":50},"workers":8})");
        QString error;
        s.models = resolveModels(s, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        Runner runner;
        const ExperimentResult r = runner.run(s);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(r.runs.size(), size_t(s.models.size()));
        for (const RunRecord &run : r.runs) {
            QVERIFY2(run.error.isEmpty(), qPrintable(run.model + QStringLiteral(": ") + run.error));
            QVERIFY2(run.verified, qPrintable(run.model));
            QCOMPARE(run.tasks_ok, 8);
            for (const TaskResult &t : run.tasks)
                QVERIFY2(t.compute_s >= 0.0499, qPrintable(QStringLiteral("%1 task %2: %3 s").arg(run.model).arg(t.id).arg(t.compute_s)));
            if (run.model == QLatin1String("sequential"))
                QVERIFY2(run.wall_s >= 0.399, qPrintable(QString::number(run.wall_s)));
            if (run.model == QLatin1String("threads") || run.model == QLatin1String("gil-threads")) {
                // Eight 50 ms waits on eight threads overlap: far below the 400 ms of one thread.
                QVERIFY2(run.wall_s < 0.3, qPrintable(run.model + QStringLiteral(" %1 s").arg(run.wall_s)));
                // Waiting costs no CPU: well under the 0.4 s of waits (spinning threads would take
                // both cores). In CPU seconds, not busy cores: /proc counts CPU in 10 ms ticks, and
                // two ticks in a 60 ms run read as 0.34 cores (a clean-clone CI failure).
                QVERIFY2(run.cpu_s <= 0.04, qPrintable(QStringLiteral("%1 s of CPU").arg(run.cpu_s)));
            }
        }
        QVERIFY(childProcesses(::getpid()).empty());
    }

    void sleepJudgesWhatItMeasured()
    {
        const Workload *w = findWorkload(QStringLiteral("sleep"));
        const std::vector<TaskSpec> tasks = w->makeTasks(parsed(QStringLiteral("sleep"), {{QStringLiteral("tasks"), 1},
                                                                                         {QStringLiteral("ms"), 30}}),
                                                         nullptr);
        QCOMPARE(tasks.size(), size_t(1));
        TaskResult r;
        w->judgePython(tasks[0], QJsonObject{{QStringLiteral("slept_ms"), 12.5}}, r);
        QVERIFY(!r.ok && !r.verified);
        QVERIFY2(r.error.toString().contains(QStringLiteral("slept 12.500 ms of the 30.000 ms asked")), qPrintable(r.error.toString()));
        TaskResult missing;
        w->judgePython(tasks[0], QJsonObject{}, missing);
        QVERIFY(!missing.ok);
        TaskResult good;
        w->judgePython(tasks[0], QJsonObject{{QStringLiteral("slept_ms"), 30.2}}, good);
        QVERIFY(good.ok && good.verified);

        // A cancel ends a long wait within a slice.
        const std::vector<TaskSpec> longOne = w->makeTasks(
            parsed(QStringLiteral("sleep"), {{QStringLiteral("tasks"), 1}, {QStringLiteral("ms"), 60000}}), nullptr);
        std::atomic<bool> cancel{false};
        ExecHooks hooks;
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            cancel = true;
        });
        const TaskResult c = executeTask(longOne[0], cancel, hooks);
        canceller.join();
        QVERIFY(c.cancelled && !c.ok);
        QVERIFY2(c.compute_s < 0.5, qPrintable(QString::number(c.compute_s)));
    }

    // The io workload's state: a local server per run, stopped after it, its port in the tasks.
    void perRunStateIsSetUpAndTornDown()
    {
        const Workload *io = findWorkload(QStringLiteral("io"));
        const QJsonObject params =
            parsed(QStringLiteral("io"), {{QStringLiteral("urls"), QJsonArray{QStringLiteral("http://{server}/data?size=10")}}});
        QString error;
        std::unique_ptr<WorkloadState> state = io->setUp(params, &error);
        QVERIFY2(state && error.isEmpty(), qPrintable(error));
        QCOMPARE(childProcesses(::getpid()).size(), size_t(1));
        const std::vector<TaskSpec> tasks = io->makeTasks(params, state.get());
        const QString url = tasks.at(0).string(QLatin1String("url"));
        QVERIFY2(url.startsWith(QStringLiteral("http://127.0.0.1:")) && !url.contains(QStringLiteral("{server}")),
                 qPrintable(url));
        state.reset();
        QVERIFY(childProcesses(::getpid()).empty());
        // Without state (counting tasks) the placeholder stays.
        QVERIFY(io->makeTasks(params, nullptr).at(0).string(QLatin1String("url")).contains(QStringLiteral("{server}")));
        // A spec without "{server}" starts nothing.
        const QJsonObject outside =
            parsed(QStringLiteral("io"), {{QStringLiteral("urls"), QJsonArray{QStringLiteral("http://127.0.0.1:9/")}}});
        QVERIFY(!io->setUp(outside, &error));
        QVERIFY(error.isEmpty());
    }

    // A task naming no known workload fails readably instead of running something else.
    void unknownWorkloadTaskFails()
    {
        TaskSpec t;
        t.workload = QStringLiteral("quantum");
        std::atomic<bool> cancel{false};
        ExecHooks hooks;
        const TaskResult r = executeTask(t, cancel, hooks);
        QVERIFY(!r.ok);
        QCOMPARE(r.errorCategory, QStringLiteral("unknown-workload"));
    }

    // Typed summaries write today's keys and read back to the same JSON.
    void summariesRoundTrip()
    {
        std::vector<TaskResult> tasks(3);
        for (int i = 0; i < 3; ++i) {
            tasks[size_t(i)].id = i;
            tasks[size_t(i)].ok = i != 1;
            tasks[size_t(i)].verified = i != 1;
            tasks[size_t(i)].start_s = 0.1 * i;
            tasks[size_t(i)].end_s = 0.1 * i + 0.05;
            tasks[size_t(i)].bytes = 1000;
            tasks[size_t(i)].url = QStringLiteral("http://x/%1").arg(i);
        }
        tasks[1].errorCategory = QStringLiteral("dns");
        tasks[1].error = QStringLiteral("DNS lookup failed");
        const IoSummary s = IoSummary::compute(tasks, 0.5, 0.01, -1);
        QJsonObject run;
        s.writeJson(run);
        const QJsonObject io = run.value(QStringLiteral("io")).toObject();
        QCOMPARE(io.value(QStringLiteral("requests_ok")).toInt(), 2);
        QCOMPARE(io.value(QStringLiteral("requests_failed")).toInt(), 1);
        QCOMPARE(io.value(QStringLiteral("failures_by_category")).toObject().value(QStringLiteral("dns")).toInt(), 1);
        QVERIFY(!run.contains(QStringLiteral("server_cpu_s")));  // no local server: absent, not 0
        QCOMPARE(run.value(QStringLiteral("requests")).toArray().size(), 3);
        const auto back = findWorkload(QStringLiteral("io"))->summaryFromJson(run);
        QVERIFY(back);
        QJsonObject again;
        back->writeJson(again);
        QCOMPARE(again, run);
        bool sawLatency = false;
        for (const Figure &f : back->figures())
            if (f.key == QLatin1String("latency_p50_ms")) {
                sawLatency = true;
                QVERIFY(f.value && std::abs(*f.value - 50.0) < 1e-6);
            }
        QVERIFY(sawLatency);
        QVERIFY(!findWorkload(QStringLiteral("io"))->summaryFromJson(QJsonObject{}));
    }
};

QTEST_GUILESS_MAIN(TestWorkloads)
#include "tst_workloads.moc"
