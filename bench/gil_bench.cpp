// gil-bench: the emulated GIL against real CPython, in one run (issue 4).
//  1. The seed's number cruncher on 8 of its numbers: CPython threads/sequential wall ratio
//     vs the emulation's (target: within 0.10), processes speedup for both.
//  2. The emulated GIL's switch rate and median tenure with 2 CPU threads at 5 ms
//     (CPython: ~195-200 switches/s, tenure 5.1 ms).
//  3. The convoy: p50 round trip beside one CPU thread / alone, emulated and CPython.
// Usage: gil-bench [--tasks N] [--round-trips N] [--repetitions N]
#include "benchutil.h"
#include "experiment/runner.h"
#include "workloads/convoy/convoyworkload.h"
#include "models/pythonmodel.h"
#include "sampling/procstat.h"
#include "util/sysinfo.h"
#include "workloads/cpu/cpuwork.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

#include <sys/resource.h>
#include <map>

using namespace lab;
using namespace lab::bench;

namespace {

// CPU seconds of this process and of its reaped descendants (python3, pool workers, workers).
double ownCpuSeconds()
{
    rusage ru{};
    ::getrusage(RUSAGE_CHILDREN, &ru);
    const double children = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
                            + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    return processCpuSeconds() + children;
}

const RunRecord *runOf(const ExperimentResult &r, const QString &model)
{
    for (const RunRecord &run : r.runs)
        if (run.model == model && run.error.isEmpty() && run.verified)
            return &run;
    return nullptr;
}

// Median wall time of a model over the experiment's repetitions (-1: no good run).
double medianWall(const ExperimentResult &r, const QString &model)
{
    std::vector<double> walls;
    for (const RunRecord &run : r.runs)
        if (run.model == model && run.error.isEmpty() && run.verified)
            walls.push_back(run.wall_s);
    return walls.empty() ? -1 : median(walls);
}

ExperimentResult runSpec(const QJsonObject &obj)
{
    QString error;
    const auto spec = ExperimentSpec::fromJsonObject(obj, &error);
    if (!spec) {
        print(QStringLiteral("bad spec: %1\n").arg(error));
        std::exit(2);
    }
    Runner runner;
    ExperimentResult r = runner.run(*spec);
    for (const RunRecord &run : r.runs)
        if (!run.error.isEmpty() || !run.verified)
            print(QStringLiteral("  ! %1: %2\n").arg(run.model, run.error.isEmpty() ? QStringLiteral("not verified") : run.error));
    return r;
}

double meanCompute(const RunRecord &run)
{
    double s = 0;
    for (const TaskResult &t : run.tasks)
        s += t.compute_s;
    return run.tasks.empty() ? 0 : s / double(run.tasks.size());
}

QString f(double v, int digits = 3)
{
    return QString::number(v, 'f', digits);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    int taskCount = 8;
    int roundTrips = 1000;
    int repetitions = 3;
    const QStringList args = app.arguments().mid(1);
    for (qsizetype i = 0; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--tasks"))
            taskCount = std::clamp(args[i + 1].toInt(), 2, 20);
        else if (args[i] == QLatin1String("--round-trips"))
            roundTrips = std::clamp(args[i + 1].toInt(), 10, 100000);
        else if (args[i] == QLatin1String("--repetitions"))
            repetitions = std::clamp(args[i + 1].toInt(), 1, 20);
    }
    const QString noPython = PythonModel::unavailableReason();
    const auto stat0 = readProcStat();
    const double t0 = monotonicSeconds(), cpu0 = ownCpuSeconds();
    print(QStringLiteral("gil-bench on %1 cores (%2), load %3\n").arg(onlineCores()).arg(cpuModel(), loadAverage()));
    if (!noPython.isEmpty())
        print(QStringLiteral("CPython figures skipped: %1\n").arg(noPython));

    // 1. The number cruncher. CPython first: its per-task time sizes the C++ repeat factor so
    //    both sides hand the GIL over at the same task granularity.
    const QJsonObject numbers{{QStringLiteral("start"), 5000000}, {QStringLiteral("count"), taskCount}};
    double pyRatio = -1, pySpeedup = -1, pyTask = 0.25;
    if (noPython.isEmpty()) {
        const ExperimentResult py = runSpec(QJsonObject{
            {QStringLiteral("name"), QStringLiteral("gil-bench-cpython")},
            {QStringLiteral("workload"), QJsonObject{{QStringLiteral("kind"), QStringLiteral("cpu")}, {QStringLiteral("numbers"), numbers}}},
            {QStringLiteral("models"), QJsonArray{QStringLiteral("python-sequential"), QStringLiteral("python-threads"),
                                                  QStringLiteral("python-processes")}},
            {QStringLiteral("workers"), 2},
            {QStringLiteral("repetitions"), repetitions}});
        const RunRecord *seq = runOf(py, QStringLiteral("python-sequential"));
        const RunRecord *thr = runOf(py, QStringLiteral("python-threads"));
        const RunRecord *pro = runOf(py, QStringLiteral("python-processes"));
        if (seq && thr && pro) {
            const double s = medianWall(py, QStringLiteral("python-sequential"));
            const double t = medianWall(py, QStringLiteral("python-threads"));
            const double p = medianWall(py, QStringLiteral("python-processes"));
            pyRatio = t / s;
            pySpeedup = s / p;
            pyTask = meanCompute(*seq);
            print(QStringLiteral("CPython %1, %2 seed tasks, median of %3: sequential %4 s, threads %5 s, processes %6 s "
                                 "(%7 s per task; python startup %8 ms)\n")
                      .arg(seq->python ? seq->python->version : QStringLiteral("?"))
                      .arg(taskCount)
                      .arg(repetitions)
                      .arg(f(s), f(t), f(p), f(pyTask))
                      .arg(seq->spawn_us_median / 1000, 0, 'f', 0));
        }
    }
    const int repeat = std::max(1, int(std::lround(pyTask / (5e6 * cpuSecondsPerIteration()))));
    const ExperimentResult emu = runSpec(QJsonObject{
        {QStringLiteral("name"), QStringLiteral("gil-bench-emulated")},
        {QStringLiteral("workload"), QJsonObject{{QStringLiteral("kind"), QStringLiteral("cpu")},
                                                 {QStringLiteral("numbers"), numbers},
                                                 {QStringLiteral("repeat"), repeat}}},
        {QStringLiteral("models"), QJsonArray{QStringLiteral("sequential"), QStringLiteral("threads"),
                                              QStringLiteral("gil-threads"), QStringLiteral("processes")}},
        {QStringLiteral("workers"), 2},
        {QStringLiteral("repetitions"), repetitions},
        {QStringLiteral("gil"), QJsonObject{{QStringLiteral("switch_interval_ms"), 5}}}});
    const RunRecord *seq = runOf(emu, QStringLiteral("sequential"));
    const RunRecord *thr = runOf(emu, QStringLiteral("threads"));
    const RunRecord *gil = runOf(emu, QStringLiteral("gil-threads"));
    const RunRecord *pro = runOf(emu, QStringLiteral("processes"));
    double emuRatio = -1, emuSpeedup = -1, switchesPerS = -1, tenureMs = -1;
    const double seqWall = medianWall(emu, QStringLiteral("sequential"));
    const double gilWall = medianWall(emu, QStringLiteral("gil-threads"));
    if (seq && gil) {
        emuRatio = gilWall / seqWall;
        std::vector<double> rates, tenures;
        for (const RunRecord &run : emu.runs) {
            if (run.model != QLatin1String("gil-threads"))
                continue;
            if (!run.gil)
                continue;
            rates.push_back(run.gil->switchesPerS);
            const std::vector<GilStats::Span> &spans = run.gil->spans;
            for (size_t i = 1; i + 1 < spans.size(); ++i)
                tenures.push_back((spans[i].end_s - spans[i].start_s) * 1e3);
        }
        switchesPerS = median(rates);
        tenureMs = tenures.empty() ? -1 : median(tenures);
        print(QStringLiteral("Emulation, same %1 tasks x repeat %2, median of %3: sequential %4 s, threads %5 s, "
                             "gil-threads %6 s (busy cores %7), processes %8 s\n")
                  .arg(taskCount)
                  .arg(repeat)
                  .arg(repetitions)
                  .arg(f(seqWall), thr ? f(medianWall(emu, QStringLiteral("threads"))) : QStringLiteral("-"), f(gilWall),
                       f(gil->busy_cores, 2), pro ? f(medianWall(emu, QStringLiteral("processes"))) : QStringLiteral("-")));
    }
    if (seq && pro)
        emuSpeedup = seqWall / medianWall(emu, QStringLiteral("processes"));

    // 3. The convoy, 5 ms interval.
    const QJsonObject convoyWorkload{{QStringLiteral("kind"), QStringLiteral("convoy")},
                                     {QStringLiteral("round_trips"), roundTrips},
                                     {QStringLiteral("cpu_threads"), 1}};
    QJsonArray convoyModels{QStringLiteral("threads"), QStringLiteral("gil-threads")};
    if (noPython.isEmpty())
        convoyModels.append(QStringLiteral("python-threads"));
    const ExperimentResult convoy = runSpec(QJsonObject{{QStringLiteral("name"), QStringLiteral("gil-bench-convoy")},
                                                        {QStringLiteral("workload"), convoyWorkload},
                                                        {QStringLiteral("models"), convoyModels},
                                                        {QStringLiteral("gil"), QJsonObject{{QStringLiteral("switch_interval_ms"), 5}}}});
    std::map<QString, std::shared_ptr<const ConvoySummary>> c;
    for (const RunRecord &run : convoy.runs) {
        const auto s = std::dynamic_pointer_cast<const ConvoySummary>(run.workloadSummary);
        c[run.model] = s;
        if (s)
            print(QStringLiteral("Convoy %1: %2 round trips, p50/p99 alone %3/%4 us, beside a CPU thread %5/%6 us\n")
                      .arg(run.model, -14)
                      .arg(s->roundTrips)
                      .arg(s->aloneP50Us.value_or(-1))
                      .arg(s->aloneP99Us.value_or(-1))
                      .arg(s->besideP50Us.value_or(-1))
                      .arg(s->besideP99Us.value_or(-1)));
    }
    auto multiplier = [&](const QString &m) { return c[m] && c[m]->multiplierP50 ? *c[m]->multiplierP50 : -1.0; };

    const auto stat1 = readProcStat();
    const double wall = monotonicSeconds() - t0;
    double others = -1;
    if (stat0 && stat1)
        others = std::max(0.0, machineBusyCores(stat0, stat1) - (ownCpuSeconds() - cpu0) / wall);

    auto v = [](double x, int d = 3) { return x < 0 ? QStringLiteral("n/a") : QString::number(x, 'f', d); };
    print(QStringLiteral("\n== figures ==\n"));
    print(QStringLiteral("threads/sequential wall ratio: CPython %1, emulation %2, difference %3 (target <= 0.10; "
                         "CPython 3.11-3.13 measured 0.985-1.16)\n")
              .arg(v(pyRatio), v(emuRatio), pyRatio > 0 && emuRatio > 0 ? v(std::abs(pyRatio - emuRatio)) : QStringLiteral("n/a")));
    print(QStringLiteral("processes speedup (2 workers): CPython %1x, emulation side (worker processes) %2x\n")
              .arg(v(pySpeedup, 2), v(emuSpeedup, 2)));
    print(QStringLiteral("emulated GIL, 2 CPU threads at 5 ms: %1 switches/s (CPython ceiling ~200/s), median tenure %2 ms "
                         "(CPython 5.09-5.11)\n")
              .arg(v(switchesPerS, 1), v(tenureMs, 2)));
    print(QStringLiteral("convoy p50 multiplier (beside a CPU thread / alone): emulation %1x, CPython %2x, native threads %3x "
                         "(CPython reference: 5.1 ms / 30 us)\n")
              .arg(v(multiplier(QStringLiteral("gil-threads")), 1), v(multiplier(QStringLiteral("python-threads")), 1),
                   v(multiplier(QStringLiteral("threads")), 1)));
    print(QStringLiteral("other load during the bench: %1 cores busy outside this process and its children "
                         "(figures are only meaningful near 0), %2 s total\n")
              .arg(v(others, 2), v(wall, 1)));
    return 0;
}
