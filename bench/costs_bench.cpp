// costs-bench: what moving data and starting workers cost (issue 11, part 3), in one run:
// pipe, socket and shared-memory GB/s at 1 MiB and round trips at 64 B in C++ beside CPython's
// multiprocessing.Pipe / Queue / socketpair / shared_memory; thread vs fork / posix_spawn /
// QProcess start-up beside threading.Thread and multiprocessing's three start methods. Every
// figure is the median of --rounds repetitions of the ipc-cost and startup-cost presets'
// variants (each verified: checksums, counts), then the two targets' ratios.
// Usage: costs-bench [--rounds N] [--no-python]
#include "benchutil.h"
#include "experiment/experimentspec.h"
#include "experiment/runner.h"
#include "util/sysinfo.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

#include <cstdio>
#include <map>

using namespace lab;
using namespace lab::bench;

namespace {

// (variant, model) -> the median headline figure of the verified runs
using Figures = std::map<std::pair<QString, QString>, double>;

Figures measure(const QByteArray &json, int rounds, bool python, bool gb)
{
    QString error;
    auto spec = ExperimentSpec::fromJson(json, &error);
    if (!spec) {
        std::fprintf(stderr, "costs-bench: %s\n", qPrintable(error));
        std::exit(2);
    }
    spec->repetitions = rounds;
    spec->models = python ? QStringList{QStringLiteral("sequential"), QStringLiteral("python-sequential")}
                          : QStringList{QStringLiteral("sequential")};
    Runner runner;
    const ExperimentResult r = runner.run(*spec);
    std::map<std::pair<QString, QString>, std::vector<double>> all;
    for (const RunRecord &run : r.runs) {
        const auto o = run.workloadSummary ? run.workloadSummary->outcome() : std::nullopt;
        if (!run.verified || !o || !o->ok) {
            std::fprintf(stderr, "costs-bench: %s on %s failed: %s\n", qPrintable(run.variant), qPrintable(run.model),
                         qPrintable(o ? o->words : run.error));
            continue;
        }
        const std::optional<double> v = gb ? (o->gbPerS ? o->gbPerS : std::nullopt) : o->usPerOp;
        if (v)
            all[{run.variant, run.model}].push_back(*v);
    }
    Figures f;
    for (auto &[key, values] : all)
        f[key] = median(values);
    return f;
}

double get(const Figures &f, const char *variant, const char *model)
{
    const auto it = f.find({QString::fromLatin1(variant), QString::fromLatin1(model)});
    return it == f.end() ? -1 : it->second;
}

QString num(double v, int decimals)
{
    return v < 0 ? QStringLiteral("–") : QString::number(v, 'f', decimals);
}

QString ratio(double a, double b)
{
    return a < 0 || b <= 0 ? QStringLiteral("–") : QStringLiteral("%1x").arg(a / b, 0, 'f', 2);
}

void row(const Figures &f, const char *label, const char *variant, int decimals)
{
    print(QStringLiteral("  %1 %2 %3\n")
              .arg(QString::fromLatin1(label), -38)
              .arg(num(get(f, variant, "sequential"), decimals), 12)
              .arg(num(get(f, variant, "python-sequential"), decimals), 12));
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    int rounds = 3;
    bool python = true;
    const QStringList args = app.arguments().mid(1);
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--rounds") && i + 1 < args.size())
            rounds = std::max(1, args[++i].toInt());
        else if (args[i] == QLatin1String("--no-python"))
            python = false;
        else {
            std::fprintf(stderr, "usage: costs-bench [--rounds N] [--no-python]\n");
            return 2;
        }
    }
    print(QStringLiteral("costs-bench: %1 rounds, %2 usable cores, load %3\n")
              .arg(rounds)
              .arg(usableCores())
              .arg(loadAverage()));

    const Figures bulk = measure(R"({"workload": {"kind": "ipc-cost"},
        "variants": ["thread-1MiB", "pipe-1MiB", "socket-1MiB", "shm-1MiB", "queue-1MiB"]})",
                                 rounds, python, true);
    const Figures trips = measure(R"({"workload": {"kind": "ipc-cost"},
        "variants": ["thread-64B", "pipe-64B", "socket-64B", "shm-64B", "queue-64B"]})",
                                  rounds, python, false);
    print(QStringLiteral("\n1 MiB payloads, GB/s (256 messages)          %1 %2\n")
              .arg(QStringLiteral("C++"), 12)
              .arg(QStringLiteral("CPython"), 12));
    row(bulk, "two threads (shared buffer)", "thread-1MiB", 3);
    row(bulk, "pipe (CPython: multiprocessing.Pipe)", "pipe-1MiB", 3);
    row(bulk, "Unix socket pair", "socket-1MiB", 3);
    row(bulk, "shared memory", "shm-1MiB", 3);
    row(bulk, "multiprocessing.Queue", "queue-1MiB", 3);
    print(QStringLiteral("\n64 B round trips, µs (10,000)                %1 %2\n")
              .arg(QStringLiteral("C++"), 12)
              .arg(QStringLiteral("CPython"), 12));
    row(trips, "two threads", "thread-64B", 2);
    row(trips, "pipe (CPython: multiprocessing.Pipe)", "pipe-64B", 2);
    row(trips, "Unix socket pair", "socket-64B", 2);
    row(trips, "shared memory", "shm-64B", 2);
    row(trips, "multiprocessing.Queue", "queue-64B", 2);

    const Figures start = measure(R"({"workload": {"kind": "startup-cost"},
        "variants": ["thread", "fork", "posix-spawn", "qprocess", "mp-fork", "mp-spawn", "mp-forkserver"]})",
                                  rounds, python, false);
    print(QStringLiteral("\nstart-up, median µs (1000 threads, 100 processes)  %1 %2\n")
              .arg(QStringLiteral("C++"), 12)
              .arg(QStringLiteral("CPython"), 12));
    row(start, "thread create + join", "thread", 1);
    row(start, "fork + _exit + reap", "fork", 1);
    row(start, "posix_spawn /bin/true + reap", "posix-spawn", 1);
    row(start, "QProcess /bin/true", "qprocess", 1);
    row(start, "multiprocessing fork", "mp-fork", 1);
    row(start, "multiprocessing spawn", "mp-spawn", 1);
    row(start, "multiprocessing forkserver", "mp-forkserver", 1);

    const double shm = get(bulk, "shm-1MiB", "sequential"), pipe = get(bulk, "pipe-1MiB", "sequential");
    const double rttNative = get(trips, "pipe-64B", "sequential"), rttMp = get(trips, "pipe-64B", "python-sequential");
    print(QStringLiteral("\ntargets:\n"));
    print(QStringLiteral("  shared memory / pipe at 1 MiB (C++):            %1 (target >= 5x)%2\n")
              .arg(ratio(shm, pipe))
              .arg(shm > 0 && pipe > 0 ? (shm / pipe >= 5 ? QStringLiteral(" met") : QStringLiteral(" NOT met"))
                                       : QString()));
    print(QStringLiteral("  pipe round trip, C++ / multiprocessing.Pipe:    %1 (target <= 0.33x)%2\n")
              .arg(ratio(rttNative, rttMp))
              .arg(rttNative > 0 && rttMp > 0
                       ? (rttNative / rttMp <= 1.0 / 3 ? QStringLiteral(" met") : QStringLiteral(" NOT met"))
                       : QString()));
    print(QStringLiteral("  fork / thread start (C++):                      %1\n")
              .arg(ratio(get(start, "fork", "sequential"), get(start, "thread", "sequential"))));
    print(QStringLiteral("  mp-spawn / threading.Thread (CPython):          %1\n")
              .arg(ratio(get(start, "mp-spawn", "python-sequential"), get(start, "thread", "python-sequential"))));
    return 0;
}
