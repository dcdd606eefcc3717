// dispatch-bench: what the pools themselves cost per task (issue 13), in one run: tiny tasks
// (cpu-tiny: 4000 x n = 10..19) on sequential, threads and processes at chunk size 1 and auto,
// the raw pipe round trip between two processes, CPython's Pool.map (chunksize 1 and default)
// and ThreadPoolExecutor.map on the same tasks, the ratios; PSS of 1 and 256 workers; the time
// until a pool of 256 is ready; result memory per task.
// Usage: dispatch-bench [--rounds N] [--no-python] [--no-256]
#include "benchutil.h"
#include "experiment/presets.h"
#include "experiment/runner.h"
#include "models/processpoolmodel.h"
#include "sampling/smapsrollup.h"
#include "util/sysinfo.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>

#include <QJsonArray>

#include <algorithm>
#include <cstdio>
#include <malloc.h>
#include <map>
#include <memory>
#include <sys/wait.h>
#include <unistd.h>

using namespace lab;
using namespace lab::bench;

namespace {

// Median of `rounds` runs of one model on `spec`; the figure every row prints.
struct PoolFigure {
    double dispatchUs = -1;
    double wallMs = -1;
    double ipcShare = -1;
    double ipcShareMin = -1;  // the rounds' spread: on 2 cores it is wide (the scheduler's
    double ipcShareMax = -1;  // placement of wake-ups), and a median alone hides that
    // The share's parts, means over the rounds (means add up; medians would not): to the first
    // task's start, between answers, and the last answer's way back.
    double startShare = -1;
    double gapsShare = -1;
    double endShare = -1;
    double readyMs = -1;
    long pssKb = -1;
    long rssKb = -1;
    int workers = 0;
    bool verified = true;
};

PoolFigure measure(const ExperimentSpec &base, const QString &model, int chunk, int rounds, int workers = 0)
{
    ExperimentSpec spec = base;
    spec.models = {model};
    spec.chunkSize = chunk;
    spec.repetitions = rounds;
    if (workers > 0)
        spec.workers = workers;
    Runner runner;
    const ExperimentResult r = runner.run(spec);
    std::vector<double> d, w, share, ready;
    double parts[3] = {0, 0, 0};
    int split = 0;
    PoolFigure f;
    for (const RunRecord &run : r.runs) {
        f.verified = f.verified && run.verified;
        f.workers = run.workers;
        if (run.dispatch_us_per_task && *run.dispatch_us_per_task >= 0)
            d.push_back(*run.dispatch_us_per_task);
        w.push_back(run.wall_s * 1e3);
        if (run.ipc) {
            share.push_back(run.ipc->dispatchShare);
            if (run.ipc->startShare >= 0 && run.ipc->gapsShare >= 0 && run.ipc->endShare >= 0) {
                parts[0] += run.ipc->startShare;
                parts[1] += run.ipc->gapsShare;
                parts[2] += run.ipc->endShare;
                ++split;
            }
            if (run.ipc->readyMs >= 0)
                ready.push_back(run.ipc->readyMs);
        }
        if (run.pss_kb)
            f.pssKb = std::max(f.pssKb, *run.pss_kb);
        f.rssKb = std::max(f.rssKb, run.peak_rss_kb);
        if (!run.error.isEmpty())
            std::fprintf(stderr, "dispatch-bench: %s: %s\n", qPrintable(model), qPrintable(run.error));
    }
    f.dispatchUs = d.empty() ? -1 : median(d);
    f.wallMs = w.empty() ? -1 : median(w);
    f.ipcShare = share.empty() ? -1 : median(share);
    if (!share.empty()) {
        f.ipcShareMin = *std::min_element(share.begin(), share.end());
        f.ipcShareMax = *std::max_element(share.begin(), share.end());
    }
    f.readyMs = ready.empty() ? -1 : median(ready);
    if (split > 0) {
        f.startShare = parts[0] / split;
        f.gapsShare = parts[1] / split;
        f.endShare = parts[2] / split;
    }
    return f;
}

// One-byte ping-pong between this process and a forked child over two pipes: the floor any
// pipe protocol pays per round trip. Median of per-batch means.
double pipeRoundTripUs(int trips)
{
    int down[2], up[2];
    if (::pipe(down) != 0 || ::pipe(up) != 0)
        return -1;
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(down[1]);
        ::close(up[0]);
        char c;
        while (::read(down[0], &c, 1) == 1 && ::write(up[1], &c, 1) == 1) {
        }
        ::_exit(0);
    }
    ::close(down[0]);
    ::close(up[1]);
    std::vector<double> batches;
    char c = 'x';
    for (int b = 0; b < 10; ++b) {
        const double t0 = monotonicSeconds();
        for (int i = 0; i < trips / 10; ++i)
            if (::write(down[1], &c, 1) != 1 || ::read(up[0], &c, 1) != 1)
                break;
        batches.push_back((monotonicSeconds() - t0) / (trips / 10) * 1e6);
    }
    ::close(down[1]);
    ::close(up[0]);
    ::waitpid(child, nullptr, 0);
    return median(batches);
}

// CPython on the same tasks: per-task dispatch as (wall - compute / W) / tasks for Pool.map
// (processes compute in parallel) and (wall - compute) / tasks for ThreadPoolExecutor.map
// (the GIL runs one task at a time). Medians of `rounds`.
const char *kPythonScript = R"PY(
import concurrent.futures as cf, json, multiprocessing as mp, statistics, sys, time
def f(n):
    return sum(i * i for i in range(n))
if __name__ == "__main__":
    W, rounds = int(sys.argv[1]), int(sys.argv[2])
    tasks = [10 + i % 10 for i in range(4000)]
    comp = []
    for _ in range(rounds):
        t = time.perf_counter(); [f(n) for n in tasks]; comp.append(time.perf_counter() - t)
    compute = statistics.median(comp)
    out = {"version": sys.version.split()[0], "compute_s": compute}
    def timed(fn):
        walls = []
        for _ in range(rounds):
            t = time.perf_counter(); r = fn(); walls.append(time.perf_counter() - t)
            assert r == [f(n) for n in tasks]
        return statistics.median(walls)
    with mp.Pool(W) as p:
        p.map(f, tasks[:200], chunksize=1)
        out["pool_cs1_s"] = timed(lambda: p.map(f, tasks, chunksize=1))
        out["pool_default_s"] = timed(lambda: p.map(f, tasks))
    with cf.ThreadPoolExecutor(W) as ex:
        list(ex.map(f, tasks[:200]))
        out["tpe_s"] = timed(lambda: list(ex.map(f, tasks)))
    print(json.dumps(out))
)PY";

std::optional<QJsonObject> runCPython(int workers, int rounds, QString *why)
{
    QString python = qEnvironmentVariable("LAB_PYTHON");
    if (python.isEmpty())
        python = QStandardPaths::findExecutable(QStringLiteral("python3"));
    if (python.isEmpty()) {
        *why = QStringLiteral("python3 not found");
        return std::nullopt;
    }
    QProcess p;
    p.start(python, {QStringLiteral("-c"), QString::fromUtf8(kPythonScript), QString::number(workers),
                     QString::number(rounds)});
    if (!p.waitForFinished(120000) || p.exitCode() != 0) {
        *why = QStringLiteral("python3 failed: %1").arg(QString::fromLocal8Bit(p.readAllStandardError()).trimmed());
        p.kill();
        p.waitForFinished(1000);
        return std::nullopt;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(p.readAllStandardOutput());
    if (!doc.isObject()) {
        *why = QStringLiteral("python3 printed no JSON");
        return std::nullopt;
    }
    return doc.object();
}

QString us(double v, int decimals = 2)
{
    return v < 0 ? QStringLiteral("–") : QString::number(v, 'f', decimals);
}

QString ratio(double a, double b)
{
    return a < 0 || b <= 0 ? QStringLiteral("–") : QStringLiteral("%1x").arg(a / b, 0, 'f', 2);
}

} // namespace

// Heap one run of `tasks` tiny sequential tasks keeps (glibc's mallinfo2: small blocks and
// mmapped ones): its ExperimentResult (heap with the result held minus heap once it is gone),
// and the Runner's live event log, kept until the next experiment starts (the rest).
struct ResultMemory {
    double resultBytes = -1;   // per task
    double liveLogBytes = -1;  // per task
};
ResultMemory resultBytesPerTask(int tasks, QString *why)
{
    QJsonArray numbers;
    for (int i = 0; i < tasks; ++i)
        numbers.append(10 + i % 10);
    QJsonObject workload{{QStringLiteral("kind"), QStringLiteral("cpu")}, {QStringLiteral("numbers"), numbers}};
    QJsonObject o{{QStringLiteral("name"), QStringLiteral("memory")},
                  {QStringLiteral("workload"), workload},
                  {QStringLiteral("models"), QJsonArray{QStringLiteral("sequential")}}};
    auto spec = ExperimentSpec::fromJson(QJsonDocument(o).toJson(), why);
    if (!spec)
        return {};
    auto heap = [] {
        const struct mallinfo2 m = mallinfo2();
        return double(m.uordblks + m.hblkhd);
    };
    Runner runner;
    malloc_trim(0);
    const double before = heap();
    auto r = std::make_unique<ExperimentResult>(runner.run(*spec));
    const double after = heap();
    if (r->runs.size() != 1 || int(r->runs[0].tasks.size()) != tasks || !r->runs[0].verified) {
        *why = QStringLiteral("the run did not verify %1 tasks").arg(tasks);
        return {};
    }
    r.reset();
    const double without = heap();
    return {(after - without) / tasks, (without - before) / tasks};
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    int rounds = 5;
    bool python = true, big = true;
    const QStringList args = app.arguments().mid(1);
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--rounds") && i + 1 < args.size())
            rounds = std::max(1, args[++i].toInt());
        else if (args[i] == QLatin1String("--no-python"))
            python = false;
        else if (args[i] == QLatin1String("--no-256"))
            big = false;
        else {
            std::fprintf(stderr, "usage: dispatch-bench [--rounds N] [--no-python] [--no-256]\n");
            return 2;
        }
    }
    QString error;
    auto spec = loadSpec(QStringLiteral("cpu-tiny"), &error);
    if (!spec) {
        std::fprintf(stderr, "dispatch-bench: %s\n", qPrintable(error));
        return 2;
    }
    const int workers = spec->effectiveWorkers();
    const size_t tasks = spec->makeTasks().size();
    print(QStringLiteral("dispatch-bench: %1 tasks (n = 10..19), %2 workers, %3 online core(s), median of %4 rounds\n")
              .arg(tasks)
              .arg(workers)
              .arg(onlineCores())
              .arg(rounds));
    print(QStringLiteral("load average before: %1\n\n").arg(loadAverage()));

    const double pipeUs = pipeRoundTripUs(20000);
    const PoolFigure seq = measure(*spec, QStringLiteral("sequential"), 0, rounds);
    const PoolFigure thr = measure(*spec, QStringLiteral("threads"), 0, rounds);
    const PoolFigure p1 = measure(*spec, QStringLiteral("processes"), 1, rounds);
    const PoolFigure pa = measure(*spec, QStringLiteral("processes"), 0, rounds);
    // The same with one worker: the parent then has a core of its own, so the share is the
    // IPC's own cost and not also the parent waiting for a core two busy workers hold.
    const PoolFigure pa1 = workers > 1 ? measure(*spec, QStringLiteral("processes"), 0, rounds, 1) : pa;
    std::optional<QJsonObject> py;
    QString pyWhy = QStringLiteral("--no-python");
    if (python)
        py = runCPython(workers, rounds, &pyWhy);
    double pyPool1 = -1, pyPoolDefault = -1, pyTpe = -1;
    if (py) {
        const double c = py->value(QStringLiteral("compute_s")).toDouble();
        auto per = [&](const char *key, double parallel) {
            return std::max(0.0, py->value(QLatin1String(key)).toDouble() - c / parallel) / double(tasks) * 1e6;
        };
        pyPool1 = per("pool_cs1_s", workers);
        pyPoolDefault = per("pool_default_s", workers);
        pyTpe = per("tpe_s", 1);
    }

    print(QStringLiteral("%1 %2 %3 %4 %5\n")
              .arg(QStringLiteral("per-task dispatch"), -44)
              .arg(QStringLiteral("us/task"), 9)
              .arg(QStringLiteral("wall ms"), 9)
              .arg(QStringLiteral("IPC share"), 10)
              .arg(QStringLiteral("x pipe RTT"), 11));
    auto row = [&](const QString &what, double d, double wall, double share) {
        print(QStringLiteral("%1 %2 %3 %4 %5\n")
                  .arg(what, -44)
                  .arg(us(d), 9)
                  .arg(us(wall, 1), 9)
                  .arg(share < 0 ? QStringLiteral("–") : QStringLiteral("%1 %").arg(share * 100, 0, 'f', 1), 10)
                  .arg(ratio(d, pipeUs), 11));
    };
    row(QStringLiteral("pipe round trip (1 byte, 2 processes)"), pipeUs, -1, -1);
    row(QStringLiteral("sequential (bookkeeping)"), seq.dispatchUs, seq.wallMs, -1);
    row(QStringLiteral("threads"), thr.dispatchUs, thr.wallMs, -1);
    row(QStringLiteral("processes, chunk size 1"), p1.dispatchUs, p1.wallMs, p1.ipcShare);
    row(QStringLiteral("processes, auto chunks"), pa.dispatchUs, pa.wallMs, pa.ipcShare);
    if (workers > 1)
        row(QStringLiteral("processes, auto chunks, 1 worker"), pa1.dispatchUs, pa1.wallMs, pa1.ipcShare);
    if (py) {
        print(QStringLiteral("CPython %1 (same tasks, same run):\n").arg(py->value(QStringLiteral("version")).toString()));
        row(QStringLiteral("  Pool.map(chunksize=1)"), pyPool1, py->value(QStringLiteral("pool_cs1_s")).toDouble() * 1e3, -1);
        row(QStringLiteral("  Pool.map (default chunks)"), pyPoolDefault,
            py->value(QStringLiteral("pool_default_s")).toDouble() * 1e3, -1);
        row(QStringLiteral("  ThreadPoolExecutor.map"), pyTpe, py->value(QStringLiteral("tpe_s")).toDouble() * 1e3, -1);
    } else {
        print(QStringLiteral("CPython: not measured (%1)\n").arg(pyWhy));
    }
    // Where the workers' windows went that was not their tasks.
    auto splitRow = [&](const QString &what, const PoolFigure &f) {
        if (f.startShare < 0)
            return;
        print(QStringLiteral("  %1: start %2 % + between answers %3 % + end %4 % = %5 % (means of the rounds)\n")
                  .arg(what)
                  .arg(f.startShare * 100, 0, 'f', 1)
                  .arg(f.gapsShare * 100, 0, 'f', 1)
                  .arg(f.endShare * 100, 0, 'f', 1)
                  .arg((f.startShare + f.gapsShare + f.endShare) * 100, 0, 'f', 1));
    };
    print(QStringLiteral("IPC share by where it went (of the workers' windows: first task sent to its start, "
                         "gaps between answers, last task's end to its answer read):\n"));
    splitRow(QStringLiteral("chunk size 1"), p1);
    splitRow(QStringLiteral("auto chunks"), pa);
    if (workers > 1)
        splitRow(QStringLiteral("auto chunks, 1 worker"), pa1);
    bool pass = seq.verified && thr.verified && p1.verified && pa.verified && pa1.verified;
    print(QStringLiteral("\nratios: processes chunk 1 / Pool.map(chunksize=1) = %1 (target <= 0.33: %2); "
                         "auto / Pool.map default = %3; threads / ThreadPoolExecutor = %4; "
                         "sequential bookkeeping %5 us (target <= 0.5: %6); auto IPC share %7 (target < 20 %: %8; "
                         "rounds %10), with 1 worker %9\n")
              .arg(ratio(p1.dispatchUs, pyPool1))
              .arg(pyPool1 < 0 ? QStringLiteral("–")
                               : p1.dispatchUs <= pyPool1 / 3 ? QStringLiteral("PASS") : QStringLiteral("MISS"))
              .arg(ratio(pa.dispatchUs, pyPoolDefault))
              .arg(ratio(thr.dispatchUs, pyTpe))
              .arg(us(seq.dispatchUs))
              .arg(seq.dispatchUs >= 0 && seq.dispatchUs <= 0.5 ? QStringLiteral("PASS") : QStringLiteral("MISS"))
              .arg(pa.ipcShare < 0 ? QStringLiteral("–") : QStringLiteral("%1 %").arg(pa.ipcShare * 100, 0, 'f', 1))
              .arg(pa.ipcShare >= 0 && pa.ipcShare < 0.2 ? QStringLiteral("PASS") : QStringLiteral("MISS"))
              .arg(pa1.ipcShare < 0 ? QStringLiteral("–") : QStringLiteral("%1 %").arg(pa1.ipcShare * 100, 0, 'f', 1))
              .arg(pa.ipcShareMin < 0 ? QStringLiteral("–")
                                      : QStringLiteral("%1-%2 %")
                                            .arg(pa.ipcShareMin * 100, 0, 'f', 1)
                                            .arg(pa.ipcShareMax * 100, 0, 'f', 1)));

    // Memory: PSS counts a page shared by k processes as 1/k in each, so it adds up.
    const long appPss = pssKbOf();
    if (big) {
        ExperimentSpec small = *spec;
        const PoolFigure one = measure(small, QStringLiteral("processes"), 0, 1, 1);
        const PoolFigure many = measure(small, QStringLiteral("processes"), 0, std::max(1, rounds / 2), 256);
        print(QStringLiteral("\nmemory: app PSS %1 MB; 1 worker: PSS %2 MB (RSS %3 MB); 256 workers: PSS %4 MB in all, "
                             "%5 MB each (RSS summed %6 MB)\n")
                  .arg(appPss / 1024.0, 0, 'f', 1)
                  .arg(one.pssKb / 1024.0, 0, 'f', 2)
                  .arg(one.rssKb / 1024.0, 0, 'f', 1)
                  .arg(many.pssKb / 1024.0, 0, 'f', 1)
                  .arg(many.pssKb / 1024.0 / 256, 0, 'f', 2)
                  .arg(many.rssKb / 1024.0, 0, 'f', 0));
        print(QStringLiteral("pool of 256 ready (first start to last handshake): %1 ms (target <= 1000: %2); "
                             "pool of 1: %3 ms\n")
                  .arg(us(many.readyMs, 0))
                  .arg(many.readyMs >= 0 && many.readyMs <= 1000 ? QStringLiteral("PASS") : QStringLiteral("MISS"))
                  .arg(us(one.readyMs, 1)));
        pass = pass && one.verified && many.verified;
    }
    {
        QString why;
        const ResultMemory m = resultBytesPerTask(100000, &why);
        if (m.resultBytes < 0)
            print(QStringLiteral("results in memory: not measured: %1\n").arg(why));
        else
            print(QStringLiteral("results in memory, 100,000 sequential tasks: %1 bytes per task in the result (target <= 200: %2); "
                                 "the runner's live event log keeps %3 bytes per task until the next experiment\n")
                      .arg(m.resultBytes, 0, 'f', 0)
                      .arg(m.resultBytes <= 200 ? QStringLiteral("PASS") : QStringLiteral("MISS"))
                      .arg(m.liveLogBytes, 0, 'f', 0));
    }
    print(QStringLiteral("load average after: %1\n").arg(loadAverage()));
    return pass ? 0 : 1;
}
