#include "clicommands.h"

#include "experiment/presets.h"
#include "experiment/runner.h"
#include "export/resultwriter.h"
#include "models/executionmodel.h"
#include "sampling/cpusampler.h"
#include "util/sysinfo.h"
#include "labconfig.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace lab::cli {

namespace {

int g_signalPipe[2] = {-1, -1};

void onSignal(int sig)
{
    const char c = char(sig);
    [[maybe_unused]] ssize_t n = ::write(g_signalPipe[1], &c, 1);
}

// SIGINT/SIGTERM become a cancel request handled in the event loop (self-pipe trick).
void installSignalHandlers(const std::function<void()> &onCancel)
{
    if (::pipe2(g_signalPipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    auto *notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, QCoreApplication::instance());
    QObject::connect(notifier, &QSocketNotifier::activated, [onCancel] {
        char buf[16];
        while (::read(g_signalPipe[0], buf, sizeof buf) > 0) {
        }
        onCancel();
    });
}

void out(const QString &s)
{
    std::fputs(qPrintable(s), stdout);
    std::fflush(stdout);
}

void err(const QString &s)
{
    std::fputs(qPrintable(s), stderr);
    std::fflush(stderr);
}

int usage(const QString &problem = {})
{
    // Bad input is one line naming the problem (scripts and people read the first line only);
    // the full usage text is for --help.
    if (!problem.isEmpty()) {
        err(QStringLiteral("concurrency-lab-cli: %1\n").arg(problem));
        return BadInput;
    }
    err(QStringLiteral(
        "usage:\n"
        "  concurrency-lab-cli run SPEC.json|PRESET [--models a,b,c] [--workers N] [--repetitions N]\n"
        "                      [--switch-interval MS] [--url URL]... [--json FILE] [--csv FILE] [--quiet]\n"
        "  concurrency-lab-cli presets            list the built-in experiments\n"
        "  concurrency-lab-cli models             list the execution models\n"
        "  concurrency-lab-cli monitor [--seconds S] [--hz H] [--json FILE]\n"
        "exit codes: 0 ok, 1 a task failed, 2 bad usage or input, 130 cancelled\n"));
    return BadInput;
}

// Minimal option reader: "--name value" and "--name=value"; flags without values.
struct Options {
    QStringList positional;
    QMultiHash<QString, QString> values;
    QSet<QString> flags;
    QString error;
};

Options parseOptions(const QStringList &args, const QSet<QString> &withValue, const QSet<QString> &flagNames)
{
    Options o;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &a = args.at(i);
        if (!a.startsWith(QLatin1String("--"))) {
            o.positional << a;
            continue;
        }
        QString name = a.mid(2), value;
        const qsizetype eq = name.indexOf(QLatin1Char('='));
        const bool inlineValue = eq >= 0;
        if (inlineValue) {
            value = name.mid(eq + 1);
            name = name.left(eq);
        }
        if (flagNames.contains(name)) {
            o.flags.insert(name);
        } else if (withValue.contains(name)) {
            if (!inlineValue) {
                if (i + 1 >= args.size()) {
                    o.error = QStringLiteral("option --%1 needs a value").arg(name);
                    return o;
                }
                value = args.at(++i);
            }
            o.values.insert(name, value);
        } else {
            o.error = QStringLiteral("unknown option --%1").arg(name);
            return o;
        }
    }
    return o;
}

bool intOption(const Options &o, const QString &name, int lo, int hi, int *out, QString *error)
{
    if (!o.values.contains(name))
        return true;
    bool ok = false;
    const int v = o.values.value(name).toInt(&ok);
    if (!ok || v < lo || v > hi) {
        *error = QStringLiteral("--%1 must be a whole number from %2 to %3 (got \"%4\")")
                     .arg(name)
                     .arg(lo)
                     .arg(hi)
                     .arg(o.values.value(name));
        return false;
    }
    *out = v;
    return true;
}

QString fmt(double v, int prec)
{
    return v < 0 ? QStringLiteral("-") : QString::number(v, 'f', prec);
}

QString table(const ExperimentResult &r)
{
    QString s = QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8\n")
                    .arg(QStringLiteral("model"), -18)
                    .arg(QStringLiteral("workers"), 7)
                    .arg(QStringLiteral("wall s"), 9)
                    .arg(QStringLiteral("CPU s"), 9)
                    .arg(QStringLiteral("busy cores"), 10)
                    .arg(QStringLiteral("speedup"), 7)
                    .arg(QStringLiteral("effic."), 6)
                    .arg(QStringLiteral("verified"));
    for (const RunRecord &run : r.runs) {
        QString verified = run.verified ? QStringLiteral("yes") : QStringLiteral("NO");
        if (run.cancelled)
            verified = QStringLiteral("cancelled");
        if (run.tasks_failed > 0)
            verified += QStringLiteral(" (%1/%2 failed)").arg(run.tasks_failed).arg(run.tasks_total);
        s += QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8\n")
                 .arg(run.model, -18)
                 .arg(run.workers, 7)
                 .arg(fmt(run.wall_s, 3), 9)
                 .arg(fmt(run.cpu_s, 3), 9)
                 .arg(fmt(run.busy_cores, 2), 10)
                 .arg(fmt(run.speedup, 2), 7)
                 .arg(fmt(run.efficiency, 2), 6)
                 .arg(verified);
        if (!run.error.isEmpty())
            s += QStringLiteral("    error: %1\n").arg(run.error);
        // The workload's own figures (request latency, convoy round trips, ...), where they apply.
        if (run.workloadSummary) {
            QStringList parts;
            for (const Figure &f : run.workloadSummary->figures())
                if (f.value)
                    parts << QStringLiteral("%1 %2%3").arg(f.label, QString::number(*f.value, 'f', f.decimals),
                                                          f.unit.isEmpty() ? QString() : QLatin1Char(' ') + f.unit);
            if (!parts.isEmpty())
                s += QStringLiteral("    %1\n").arg(parts.join(QStringLiteral(", ")));
        }
        for (const TaskResult &t : run.tasks)
            if (!t.ok && !t.error.isEmpty())
                s += QStringLiteral("    task %1 failed: %2\n").arg(t.id).arg(t.error);
    }
    return s;
}

bool writeOutputs(const ExperimentResult &result, const Options &o)
{
    QString error;
    bool ok = true;
    if (o.values.contains(QStringLiteral("json")))
        ok &= writeFileAtomically(o.values.value(QStringLiteral("json")), resultToJson(result), &error);
    if (o.values.contains(QStringLiteral("csv"))) {
        const QString path = o.values.value(QStringLiteral("csv"));
        const QFileInfo fi(path);
        const QString tasksPath = fi.path() + QLatin1Char('/') + fi.completeBaseName() + QStringLiteral(".tasks.csv");
        ok &= writeFileAtomically(path, runsToCsv(result.runs), &error);
        ok &= writeFileAtomically(tasksPath, tasksToCsv(result.runs), &error);
    }
    if (!ok)
        err(QStringLiteral("concurrency-lab-cli: %1\n").arg(error));
    return ok;
}

int runCommand(const QStringList &args)
{
    const Options o = parseOptions(
        args,
        {QStringLiteral("models"), QStringLiteral("workers"), QStringLiteral("repetitions"), QStringLiteral("json"),
         QStringLiteral("csv"), QStringLiteral("switch-interval"), QStringLiteral("url")},
        {QStringLiteral("quiet")});
    if (!o.error.isEmpty())
        return usage(o.error);
    if (o.positional.size() != 1)
        return usage(o.positional.isEmpty() ? QStringLiteral("run needs a spec file or preset name")
                                            : QStringLiteral("run takes one spec, got %1").arg(o.positional.size()));
    QString error;
    auto spec = loadSpec(o.positional.first(), &error);
    if (!spec)
        return usage(error);
    if (o.values.contains(QStringLiteral("models")))
        spec->models = o.values.value(QStringLiteral("models")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (!intOption(o, QStringLiteral("workers"), 1, ExperimentSpec::kMaxWorkers, &spec->workers, &error)
        || !intOption(o, QStringLiteral("repetitions"), 1, ExperimentSpec::kMaxRepetitions, &spec->repetitions,
                      &error))
        return usage(error);
    if (o.values.contains(QStringLiteral("switch-interval"))) {
        bool okNum = false;
        const double ms = o.values.value(QStringLiteral("switch-interval")).toDouble(&okNum);
        if (!okNum || ms < 0.1 || ms > 100)
            return usage(QStringLiteral("--switch-interval must be between 0.1 and 100 ms"));
        spec->gil.switchIntervalMs = ms;
    }
    if (o.values.contains(QStringLiteral("url"))) {
        if (!spec->params.contains(QStringLiteral("urls")))
            return usage(QStringLiteral("--url only applies to I/O experiments"));
        QStringList urls = o.values.values(QStringLiteral("url"));
        std::reverse(urls.begin(), urls.end());  // QMultiHash returns the latest first
        spec->params.insert(QStringLiteral("urls"), QJsonArray::fromStringList(urls));
        spec->params.insert(QStringLiteral("repeat"), 1);
    }
    const QString problem = spec->validate();
    if (!problem.isEmpty())
        return usage(problem);
    const QStringList models = resolveModels(*spec, &error);
    if (!error.isEmpty())
        return usage(error);
    for (const QString &m : models) {
        const QString why = findModel(m)->whyUnavailable();
        if (!why.isEmpty() && spec->models.contains(m))
            err(QStringLiteral("note: model %1 is unavailable: %2\n").arg(m, why));
    }

    const bool quiet = o.flags.contains(QStringLiteral("quiet"));
    const bool tty = ::isatty(STDERR_FILENO);
    out(QStringLiteral("%1: %2 tasks x %3 model(s), %4 worker(s), %5 core(s)\n")
            .arg(spec->name)
            .arg(spec->makeTasks().size())
            .arg(models.size())
            .arg(spec->effectiveWorkers())
            .arg(onlineCores()));

    QThread thread;
    thread.setObjectName(QStringLiteral("runner"));
    Runner runner;
    runner.moveToThread(&thread);
    ExperimentResult result;
    int tasksPerRun = 0;
    QString currentModel;
    QElapsedTimer sinceStart;
    sinceStart.start();
    QObject::connect(&runner, &Runner::experimentStarted, &runner,
                     [&](quint64, int, int tasks) { tasksPerRun = tasks; }, Qt::DirectConnection);
    QObject::connect(&runner, &Runner::runStarted, qApp, [&](quint64, int, const QString &model, int, double) {
        currentModel = model;
    });
    QObject::connect(&runner, &Runner::runFinished, qApp, [&](quint64, const RunRecord &r) {
        if (!quiet)
            err(QStringLiteral("%1%2: %3 s, %4 busy cores%5\n")
                    .arg(tty ? QStringLiteral("\r\033[K") : QString(), r.model, fmt(r.wall_s, 3), fmt(r.busy_cores, 2),
                         r.cancelled ? QStringLiteral(" (cancelled)") : QString()));
    });
    QObject::connect(&runner, &Runner::experimentFinished, qApp, [&](quint64, const ExperimentResult &r) {
        result = r;
        thread.quit();
    });
    QTimer progress;
    progress.setInterval(250);
    QObject::connect(&progress, &QTimer::timeout, qApp, [&] {
        if (quiet || !tty || currentModel.isEmpty())
            return;
        err(QStringLiteral("\r\033[K%1: %2/%3 tasks, %4 s")
                .arg(currentModel)
                .arg(runner.live().finishedCount())
                .arg(tasksPerRun)
                .arg(sinceStart.elapsed() / 1000.0, 0, 'f', 1));
    });
    bool interrupted = false;
    installSignalHandlers([&] {
        if (!interrupted)
            err(QStringLiteral("\ncancelling (partial results are kept)...\n"));
        interrupted = true;
        runner.requestCancel();
    });
    QObject::connect(&thread, &QThread::finished, qApp, &QCoreApplication::quit);
    thread.start();
    progress.start();
    QMetaObject::invokeMethod(&runner, [&] { runner.run(*spec); }, Qt::QueuedConnection);
    QCoreApplication::exec();
    thread.wait();
    if (tty && !quiet)
        err(QStringLiteral("\r\033[K"));

    if (!result.error.isEmpty()) {
        err(QStringLiteral("concurrency-lab-cli: %1\n").arg(result.error));
        writeOutputs(result, o);
        return TaskFailed;
    }
    out(table(result));
    const bool written = writeOutputs(result, o);
    if (result.cancelled || interrupted)
        return Cancelled;
    if (!written)
        return TaskFailed;
    return result.allOk() ? Ok : TaskFailed;
}

int presetsCommand()
{
    for (const QString &name : presetNames()) {
        QString error;
        const auto spec = loadPreset(name, &error);
        out(QStringLiteral("%1  %2\n").arg(name, -20).arg(spec ? spec->title : QStringLiteral("(broken: %1)").arg(error)));
    }
    return Ok;
}

int modelsCommand()
{
    for (const ModelInfo &m : modelRegistry()) {
        const QString why = m.whyUnavailable();
        out(QStringLiteral("%1  %2%3\n")
                .arg(m.id, -18)
                .arg(m.description, why.isEmpty() ? QString() : QStringLiteral(" [unavailable: %1]").arg(why)));
    }
    return Ok;
}

int monitorCommand(const QStringList &args)
{
    const Options o = parseOptions(args, {QStringLiteral("seconds"), QStringLiteral("hz"), QStringLiteral("json")}, {});
    if (!o.error.isEmpty())
        return usage(o.error);
    if (!o.positional.isEmpty())
        return usage(QStringLiteral("monitor takes no positional arguments"));
    bool ok = true;
    const double seconds = o.values.value(QStringLiteral("seconds"), QStringLiteral("5")).toDouble(&ok);
    if (!ok || seconds <= 0 || seconds > 86400)
        return usage(QStringLiteral("--seconds must be a number from 0 to 86400"));
    const double hz = o.values.value(QStringLiteral("hz"), QStringLiteral("10")).toDouble(&ok);
    if (!ok || hz < 1 || hz > 50)
        return usage(QStringLiteral("--hz must be a number from 1 to 50"));

    CpuSampler sampler;
    sampler.setRateHz(hz);
    std::vector<CpuSample> samples;
    QString readError;
    double t0 = monotonicSeconds();
    const int printEvery = std::max(1, int(std::lround(hz)));
    QObject::connect(&sampler, &CpuSampler::sampleTaken, [&](const CpuSample &s) {
        samples.push_back(s);
        if (samples.size() % size_t(printEvery) == 0) {
            QString line = QStringLiteral("%1 s  total %2%").arg(s.t - t0, 6, 'f', 1).arg(s.total, 5, 'f', 1);
            for (size_t i = 0; i < s.perCore.size(); ++i)
                line += std::isnan(s.perCore[i]) ? QStringLiteral("  cpu%1   off").arg(i)
                                                 : QStringLiteral("  cpu%1 %2%").arg(i).arg(s.perCore[i], 5, 'f', 1);
            out(line + QLatin1Char('\n'));
        }
    });
    QObject::connect(&sampler, &CpuSampler::readFailed, [&](const QString &m) {
        readError = m;
        QCoreApplication::exit(1);
    });
    bool interrupted = false;
    installSignalHandlers([&] {
        interrupted = true;
        QCoreApplication::quit();
    });
    QTimer::singleShot(int(seconds * 1000), qApp, &QCoreApplication::quit);
    sampler.start();
    t0 = monotonicSeconds();
    QCoreApplication::exec();
    sampler.stop();
    if (!readError.isEmpty()) {
        err(QStringLiteral("concurrency-lab-cli: %1\n").arg(readError));
        return TaskFailed;
    }

    const size_t cores = samples.empty() ? 0 : samples.back().perCore.size();
    std::vector<double> sum(cores, 0.0);
    std::vector<int> count(cores, 0);
    double total = 0;
    QJsonArray arr;
    for (const CpuSample &s : samples) {
        total += s.total;
        QJsonArray per;
        for (size_t i = 0; i < s.perCore.size(); ++i) {
            const bool on = !std::isnan(s.perCore[i]);
            per.append(on ? QJsonValue(std::round(s.perCore[i] * 100) / 100) : QJsonValue());
            if (on && i < cores) {
                sum[i] += s.perCore[i];
                ++count[i];
            }
        }
        arr.append(QJsonObject{{QStringLiteral("t"), std::round((s.t - t0) * 1000) / 1000},
                               {QStringLiteral("total"), std::round(s.total * 100) / 100},
                               {QStringLiteral("per_core"), per}});
    }
    QJsonArray meanPer;
    QString meanLine = QStringLiteral("mean  total %1%").arg(samples.empty() ? 0.0 : total / double(samples.size()), 5, 'f', 1);
    for (size_t i = 0; i < cores; ++i) {
        const double m = count[i] ? sum[i] / count[i] : 0.0;
        meanPer.append(std::round(m * 100) / 100);
        meanLine += QStringLiteral("  cpu%1 %2%").arg(i).arg(m, 5, 'f', 1);
    }
    out(meanLine + QLatin1Char('\n'));
    if (o.values.contains(QStringLiteral("json"))) {
        const QJsonObject doc{{QStringLiteral("hz"), sampler.rateHz()},
                              {QStringLiteral("cores"), int(cores)},
                              {QStringLiteral("samples"), arr},
                              {QStringLiteral("mean_total"),
                               samples.empty() ? 0.0 : std::round(total / double(samples.size()) * 100) / 100},
                              {QStringLiteral("mean_per_core"), meanPer}};
        QString error;
        if (!writeFileAtomically(o.values.value(QStringLiteral("json")), QJsonDocument(doc).toJson(), &error)) {
            err(QStringLiteral("concurrency-lab-cli: %1\n").arg(error));
            return TaskFailed;
        }
    }
    return interrupted ? Cancelled : Ok;
}

} // namespace

int main(const QStringList &args)
{
    if (args.size() < 2)
        return usage(QStringLiteral("missing command"));
    const QString cmd = args.at(1);
    const QStringList rest = args.mid(2);
    if (cmd == QLatin1String("run"))
        return runCommand(rest);
    if (cmd == QLatin1String("presets"))
        return presetsCommand();
    if (cmd == QLatin1String("models"))
        return modelsCommand();
    if (cmd == QLatin1String("monitor"))
        return monitorCommand(rest);
    if (cmd == QLatin1String("--help") || cmd == QLatin1String("-h") || cmd == QLatin1String("help")) {
        usage();
        return Ok;
    }
    if (cmd == QLatin1String("--version")) {
        out(QStringLiteral("concurrency-lab-cli %1\n").arg(QStringLiteral(LAB_VERSION)));
        return Ok;
    }
    return usage(QStringLiteral("unknown command \"%1\"").arg(cmd));
}

} // namespace lab::cli
