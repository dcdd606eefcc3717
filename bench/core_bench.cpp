// core-bench: the seed's CPU-bound example (preset cpu-seed) on sequential, threads and
// processes in one run, speedups against their targets, and creation costs (median of 50).
// Usage: core-bench [PRESET|SPEC.json] [--samples N]
#include "benchutil.h"
#include "experiment/presets.h"
#include "experiment/runner.h"
#include "models/processpoolmodel.h"
#include "sampling/procstat.h"
#include "util/sysinfo.h"

#include <QCoreApplication>
#include <QJsonObject>

#include <cstdio>
#include <map>
#include <thread>

using namespace lab;
using namespace lab::bench;

namespace {

// Same measure as ThreadPoolModel: std::thread constructor called -> body running.
double threadStartMicros()
{
    double latency = 0;
    const double requested = monotonicSeconds();
    std::thread t([&] { latency = monotonicSeconds() - requested; });
    t.join();
    return latency * 1e6;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QString specName = QStringLiteral("cpu-seed");
    int samples = 50;
    const QStringList args = app.arguments().mid(1);
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--samples") && i + 1 < args.size())
            samples = std::max(1, args[++i].toInt());
        else if (!args[i].startsWith(QLatin1String("--")))
            specName = args[i];
        else {
            std::fprintf(stderr, "core-bench: unknown option %s\nusage: core-bench [PRESET|SPEC.json] [--samples N]\n",
                         qPrintable(args[i]));
            return 2;
        }
    }
    QString error;
    auto spec = loadSpec(specName, &error);
    if (!spec) {
        std::fprintf(stderr, "core-bench: %s\n", qPrintable(error));
        return 2;
    }
    spec->models = {QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("processes")};
    spec->repetitions = 1;

    print(QStringLiteral("core-bench: %1, %2 tasks, %3 worker(s), %4 online core(s), %5\n")
              .arg(spec->name)
              .arg(spec->makeTasks().size())
              .arg(spec->effectiveWorkers())
              .arg(onlineCores())
              .arg(cpuModel()));
    print(QStringLiteral("load average before: %1\n\n").arg(loadAverage()));

    // CPU that other programs used during each run: a speedup measured on a shared box is
    // only meaningful when this is near zero.
    Runner runner;
    std::map<QString, double> others;
    std::optional<ProcStatSnapshot> statAtStart;
    QObject::connect(&runner, &Runner::runStarted, &runner, [&] { statAtStart = readProcStat(); });
    QObject::connect(&runner, &Runner::runFinished, &runner, [&](quint64, const RunRecord &rec) {
        others[rec.model] = std::max(0.0, machineBusyCores(statAtStart, readProcStat()) - rec.busy_cores);
    });
    const ExperimentResult r = runner.run(*spec);
    if (!r.error.isEmpty()) {
        std::fprintf(stderr, "core-bench: %s\n", qPrintable(r.error));
        return 1;
    }
    const std::map<QString, double> targets{{QStringLiteral("threads"), 1.85}, {QStringLiteral("processes"), 1.75}};
    print(QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8  %9\n")
              .arg(QStringLiteral("model"), -11)
              .arg(QStringLiteral("workers"), 7)
              .arg(QStringLiteral("wall s"), 8)
              .arg(QStringLiteral("CPU s"), 8)
              .arg(QStringLiteral("busy"), 6)
              .arg(QStringLiteral("others"), 6)
              .arg(QStringLiteral("speedup"), 8)
              .arg(QStringLiteral("target"), 7)
              .arg(QStringLiteral("verdict")));
    bool allVerified = true;
    for (const RunRecord &run : r.runs) {
        allVerified = allVerified && run.verified;
        const auto target = targets.find(run.model);
        QString verdict = run.verified ? QString() : QStringLiteral("NOT VERIFIED ");
        if (!run.error.isEmpty())
            verdict += run.error;
        else if (target != targets.end())
            verdict += run.speedup >= target->second ? QStringLiteral("PASS") : QStringLiteral("MISS");
        else
            verdict += QStringLiteral("baseline");
        // Other work only hurts a run when it needs a core the run would have used.
        if (others[run.model] > std::max(0, onlineCores() - run.workers) + 0.15)
            verdict += QStringLiteral(" (box busy: not a valid figure)");
        print(QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8  %9\n")
                  .arg(run.model, -11)
                  .arg(run.workers, 7)
                  .arg(run.wall_s, 8, 'f', 3)
                  .arg(run.cpu_s, 8, 'f', 3)
                  .arg(run.busy_cores, 6, 'f', 2)
                  .arg(others[run.model], 6, 'f', 2)
                  .arg(QStringLiteral("%1x").arg(run.speedup, 0, 'f', 2), 8)
                  .arg(target != targets.end() ? QStringLiteral(">=%1x").arg(target->second, 0, 'f', 2) : QString(), 7)
                  .arg(verdict));
        if (run.model == QLatin1String("processes")) {
            const IpcSplit ipc = run.ipc.value_or(IpcSplit{});
            print(QStringLiteral("            per task: compute %1 ms, dispatch/IPC %2 ms (median), IPC share %3 %, "
                                 "restarts %4\n")
                      .arg(ipc.computeMedian_s * 1e3, 0, 'f', 2)
                      .arg(ipc.dispatchMedian_s * 1e3, 0, 'f', 3)
                      .arg(ipc.dispatchShare * 100, 0, 'f', 3)
                      .arg(run.worker_restarts));
        }
    }

    // The other side of the coin: tasks so small that the pipe round trip dominates.
    QString tinyError;
    auto tiny = ExperimentSpec::fromJson(R"({"name":"tiny","workload":{"kind":"cpu","numbers":{"start":1000,"count":2000}},
                                            "models":["sequential","threads","processes"]})",
                                         &tinyError);
    if (tiny) {
        tiny->workers = spec->workers;
        const ExperimentResult t = runner.run(*tiny);
        print(QStringLiteral("\ntiny tasks (2000 x n=1000..2999):"));
        for (const RunRecord &run : t.runs) {
            allVerified = allVerified && run.verified;
            print(QStringLiteral("  %1 %2 ms").arg(run.model).arg(run.wall_s * 1e3, 0, 'f', 1));
            if (run.model == QLatin1String("processes"))
                print(QStringLiteral(" (IPC share %1 %, %2x vs sequential)")
                          .arg((run.ipc ? run.ipc->dispatchShare : 0.0) * 100,
                               0, 'f', 1)
                          .arg(run.speedup, 0, 'f', 2));
        }
        print(QStringLiteral("\n"));
    }

    std::vector<double> threadUs, spawnMs;
    for (int i = 0; i < samples; ++i)
        threadUs.push_back(threadStartMicros());
    const QString worker = siblingExecutable(ProcessPoolModel::workerName());
    for (int i = 0; i < samples; ++i) {
        const double s = measureWorkerSpawnSeconds(worker, &error);
        if (s < 0) {
            std::fprintf(stderr, "core-bench: %s\n", qPrintable(error));
            return 1;
        }
        spawnMs.push_back(s * 1e3);
    }
    print(QStringLiteral("\nthread creation (start to running): median %1 us, p90 %2 us (%3 samples)\n")
              .arg(median(threadUs), 0, 'f', 1)
              .arg(percentile(threadUs, 90), 0, 'f', 1)
              .arg(samples));
    print(QStringLiteral("process spawn (start to handshake):  median %1 ms, p90 %2 ms (%3 samples) = %4x a thread\n")
              .arg(median(spawnMs), 0, 'f', 2)
              .arg(percentile(spawnMs, 90), 0, 'f', 2)
              .arg(samples)
              .arg(median(spawnMs) * 1e3 / std::max(1e-3, median(threadUs)), 0, 'f', 0));
    print(QStringLiteral("load average after: %1\n").arg(loadAverage()));
    return allVerified ? 0 : 1;
}
