// io-bench: the seed's I/O-bound example and two heavier variants, all against the built-in
// local server, measured in one run:
//   io-seed        threads and async vs sequential          (target >= 5x)
//   io-many        threads(32) and async(64) vs sequential  (target >= 15x)
//   io-throughput  requests/s and CPU per request: threads vs async vs processes
//   cancel         how long after a cancel each model's run returns (target <= 200 ms)
// Usage: io-bench
#include "benchutil.h"
#include "experiment/presets.h"
#include "experiment/runner.h"
#include "models/executionmodel.h"
#include "util/sysinfo.h"
#include "workloads/io/ioworkload.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

#include <cstdio>
#include <thread>

using namespace lab;
using namespace lab::bench;

namespace {

bool registered(const QString &model)
{
    const ModelInfo *m = findModel(model);
    return m && m->supports(QStringLiteral("io")) && m->whyUnavailable().isEmpty();
}

// One model on a preset with a given worker count; with repetitions > 1 the run of median
// wall time. nullopt (and a message) on failure.
std::optional<RunRecord> runOne(const QString &preset, const QString &model, int workers, int repetitions = 1)
{
    QString error;
    auto spec = loadPreset(preset, &error);
    if (!spec) {
        print(QStringLiteral("  %1: %2\n").arg(preset, error));
        return std::nullopt;
    }
    spec->models = {model};
    spec->workers = workers;
    spec->repetitions = repetitions;
    Runner runner;
    ExperimentResult r = runner.run(*spec);
    if (!r.error.isEmpty() || r.runs.empty()) {
        print(QStringLiteral("  %1 on %2: %3\n").arg(model, preset, r.error));
        return std::nullopt;
    }
    std::sort(r.runs.begin(), r.runs.end(), [](const RunRecord &a, const RunRecord &b) { return a.wall_s < b.wall_s; });
    const RunRecord &rec = r.runs[r.runs.size() / 2];
    if (!rec.error.isEmpty() || rec.tasks_failed > 0 || !rec.verified)
        print(QStringLiteral("  %1 on %2: %3 failed, verified=%4 %5\n")
                  .arg(model, preset)
                  .arg(rec.tasks_failed)
                  .arg(rec.verified ? QStringLiteral("yes") : QStringLiteral("no"), rec.error));
    return rec;
}

QString verdict(double value, double target)
{
    return value >= target ? QStringLiteral("PASS") : QStringLiteral("MISS");
}

void line(const RunRecord &r, double baseWall)
{
    const auto io = std::dynamic_pointer_cast<const IoSummary>(r.workloadSummary);
    print(QStringLiteral("  %1 %2 %3 %4 %5 %6 %7\n")
              .arg(r.model, -12)
              .arg(r.workers, 7)
              .arg(r.wall_s, 9, 'f', 3)
              .arg(baseWall > 0 ? QString::number(baseWall / r.wall_s, 'f', 2) + QLatin1Char('x') : QStringLiteral("-"), 9)
              .arg(io && io->requestsPerS ? *io->requestsPerS : 0.0, 10, 'f', 1)
              .arg(io && io->latencyP50Ms ? *io->latencyP50Ms : 0.0, 9, 'f', 1)
              .arg(QStringLiteral("%1/%2").arg(r.tasks_ok).arg(r.tasks_total), 9));
}

void header()
{
    print(QStringLiteral("  %1 %2 %3 %4 %5 %6 %7\n")
              .arg(QStringLiteral("model"), -12)
              .arg(QStringLiteral("workers"), 7)
              .arg(QStringLiteral("wall s"), 9)
              .arg(QStringLiteral("speedup"), 9)
              .arg(QStringLiteral("req/s"), 10)
              .arg(QStringLiteral("p50 ms"), 9)
              .arg(QStringLiteral("ok"), 9));
}

// Starts slow transfers, cancels after 300 ms, returns ms from the cancel to run() returning.
double cancelLatencyMs(const QString &model)
{
    ExperimentSpec spec;
    spec.name = QStringLiteral("cancel");
    spec.workload = QStringLiteral("io");
    spec.params = QJsonObject{{QStringLiteral("urls"), QJsonArray{QStringLiteral("http://{server}/data?size=10&latency_ms=10000"),
                                                                 QStringLiteral("http://{server}/data?size=1000000&rate=100000")}},
                              {QStringLiteral("repeat"), 4}};
    spec.models = {model};
    spec.workers = 8;
    Runner runner;
    std::atomic<double> cancelledAt{0};
    std::thread canceller([&] {
        // Processes need their workers up first (spawn + handshake) for a mid-transfer cancel.
        std::this_thread::sleep_for(std::chrono::milliseconds(model == QLatin1String("processes") ? 1200 : 300));
        cancelledAt = monotonicSeconds();
        runner.requestCancel();
    });
    const ExperimentResult r = runner.run(spec);
    const double ms = (monotonicSeconds() - cancelledAt.load()) * 1e3;
    canceller.join();
    return r.cancelled ? ms : -1;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    for (const QString &a : app.arguments().mid(1)) {
        std::fprintf(stderr, "io-bench: unknown option %s\nusage: io-bench\n", qPrintable(a));
        return 2;
    }
    print(QStringLiteral("io-bench: %1 cores, load average %2\n").arg(onlineCores()).arg(loadAverage()));
    bool allPass = true;

    // 1. io-seed: 9 requests, one worker per request.
    print(QStringLiteral("\nio-seed (3 sites x 3: 250 ms/50 KB, 400 ms/5 KB, 300 ms/150 KB; ideal ~%1x)\n")
              .arg((3 * (250 + 400 + 300)) / 400.0, 0, 'f', 1));
    header();
    double seqSeed = -1;
    for (const QString &m : {QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("async"),
                             QStringLiteral("gil-threads"), QStringLiteral("processes")}) {
        if (!registered(m))
            continue;
        const auto r = runOne(QStringLiteral("io-seed"), m, 0);
        if (!r)
            continue;
        if (m == QLatin1String("sequential"))
            seqSeed = r->wall_s;
        line(*r, seqSeed);
        if ((m == QLatin1String("threads") || m == QLatin1String("async")) && seqSeed > 0) {
            const double s = seqSeed / r->wall_s;
            allPass &= s >= 5.0;
            print(QStringLiteral("    -> %1 speedup %2x, target >= 5x: %3\n").arg(m).arg(s, 0, 'f', 2).arg(verdict(s, 5.0)));
        }
    }

    // 2. io-many: 200 requests of 50 ms.
    print(QStringLiteral("\nio-many (200 requests, 50 ms before the first byte)\n"));
    header();
    const auto seqMany = runOne(QStringLiteral("io-many"), QStringLiteral("sequential"), 1);
    if (seqMany)
        line(*seqMany, seqMany->wall_s);
    const std::pair<QString, int> manyRuns[] = {{QStringLiteral("threads"), 32}, {QStringLiteral("async"), 64},
                                                {QStringLiteral("gil-threads"), 32}, {QStringLiteral("threads"), 200},
                                                {QStringLiteral("async"), 200}};
    for (const auto &[m, w] : manyRuns) {
        if (!registered(m) || !seqMany)
            continue;
        const auto r = runOne(QStringLiteral("io-many"), m, w);
        if (!r)
            continue;
        line(*r, seqMany->wall_s);
        if ((m == QLatin1String("threads") && w == 32) || (m == QLatin1String("async") && w == 64)) {
            const double s = seqMany->wall_s / r->wall_s;
            allPass &= s >= 15.0;
            print(QStringLiteral("    -> %1(%2) speedup %3x, target >= 15x: %4\n")
                      .arg(m)
                      .arg(w)
                      .arg(s, 0, 'f', 2)
                      .arg(verdict(s, 15.0)));
        }
    }

    // 3. io-throughput: 2000 instant requests, 16 in flight: cost per request.
    print(QStringLiteral("\nio-throughput (2000 x 1 KB, no latency, 16 in flight; median of 5 interleaved rounds)\n"));
    print(QStringLiteral("  %1 %2 %3 %4 %5 %6\n")
              .arg(QStringLiteral("model"), -12)
              .arg(QStringLiteral("req/s"), 10)
              .arg(QStringLiteral("client CPU s"), 13)
              .arg(QStringLiteral("server CPU s"), 13)
              .arg(QStringLiteral("client us/req"), 14)
              .arg(QStringLiteral("ok"), 9));
    // One experiment, 5 repetitions: the Runner interleaves the models (round after round),
    // so a burst of foreign load on this shared box hits them alike; median run per model.
    QString error;
    auto tp = loadPreset(QStringLiteral("io-throughput"), &error);
    if (tp) {
        tp->models.clear();
        for (const QString &m : {QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("async"),
                                 QStringLiteral("processes"), QStringLiteral("gil-threads")})
            if (registered(m))
                tp->models << m;
        tp->workers = 16;
        tp->repetitions = 5;
        Runner runner;
        const ExperimentResult res = runner.run(*tp);
        if (!res.error.isEmpty())
            print(QStringLiteral("  %1\n").arg(res.error));
        for (const QString &m : std::as_const(tp->models)) {
            std::vector<const RunRecord *> runs;
            for (const RunRecord &r : res.runs)
                if (r.model == m)
                    runs.push_back(&r);
            if (runs.empty())
                continue;
            std::sort(runs.begin(), runs.end(), [](auto *a, auto *b) { return a->wall_s < b->wall_s; });
            const RunRecord *r = runs[runs.size() / 2];
            const auto io = std::dynamic_pointer_cast<const IoSummary>(r->workloadSummary);
            print(QStringLiteral("  %1 %2 %3 %4 %5 %6\n")
                      .arg(m, -12)
                      .arg(io && io->requestsPerS ? *io->requestsPerS : 0.0, 10, 'f', 0)
                      .arg(r->cpu_s, 13, 'f', 3)
                      .arg(io && io->serverCpuS ? *io->serverCpuS : 0.0, 13, 'f', 3)
                      .arg(r->cpu_s / std::max(1, r->tasks_ok) * 1e6, 14, 'f', 1)
                      .arg(QStringLiteral("%1/%2").arg(r->tasks_ok).arg(r->tasks_total), 9));
        }
    } else {
        print(QStringLiteral("  %1\n").arg(error));
    }

    // 4. Cancel: time from requestCancel() to run() returning, with transfers in flight.
    print(QStringLiteral("\ncancel with 8 slow transfers in flight (target <= 200 ms)\n"));
    for (const QString &m : {QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("gil-threads"),
                             QStringLiteral("processes"), QStringLiteral("async")}) {
        if (!registered(m))
            continue;
        const double ms = cancelLatencyMs(m);
        const bool ok = ms >= 0 && ms <= 200;
        allPass &= ok;
        print(QStringLiteral("  %1 %2 ms  %3\n")
                  .arg(m, -12)
                  .arg(ms, 7, 'f', 1)
                  .arg(ok ? QStringLiteral("PASS") : QStringLiteral("MISS")));
    }
    print(QStringLiteral("\nload average after: %1\n%2\n")
              .arg(loadAverage(), allPass ? QStringLiteral("all targets met") : QStringLiteral("some targets missed")));
    return allPass ? 0 : 1;
}
