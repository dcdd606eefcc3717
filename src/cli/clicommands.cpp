#include "clicommands.h"

#include "experiment/presets.h"
#include "experiment/runner.h"
#include "lessons/lesson.h"
#include "export/resultwriter.h"
#include "models/executionmodel.h"
#include "sampling/cpusampler.h"
#include "sampling/foreignload.h"
#include "util/sysinfo.h"
#include "workloads/workload.h"
#include "labconfig.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHash>
#include <QSaveFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
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

// SIGINT/SIGTERM/SIGHUP become a cancel request handled in the event loop (self-pipe trick).
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
    // A closed terminal: cancel, keep the partial results, clean up; unless started under nohup.
    struct sigaction hup {};
    if (sigaction(SIGHUP, nullptr, &hup) == 0 && hup.sa_handler != SIG_IGN)
        sigaction(SIGHUP, &sa, nullptr);
    auto *notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, QCoreApplication::instance());
    QObject::connect(notifier, &QSocketNotifier::activated, [onCancel] {
        char buf[16];
        while (::read(g_signalPipe[0], buf, sizeof buf) > 0) {
        }
        onCancel();
    });
}

// Spec and result text (names, titles, URLs, errors quoting them) on the terminal: one helper.
QString literal(const QString &text)
{
    return literalText(text);
}

// A table cell: `text` padded to `width` (negative: left-aligned), by concatenation, so a %1 in
// a name stays text (chained QString::arg would substitute into it).
QString cell(const QString &text, int width)
{
    return width < 0 ? text.leftJustified(-width) : text.rightJustified(width);
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
        err(QStringLiteral("concurrency-lab-cli: ") + literal(problem) + QLatin1Char('\n'));
        return BadInput;
    }
    err(QStringLiteral(
        "usage:\n"
        "  concurrency-lab-cli run SPEC.json|PRESET [--models a,b,c] [--workers N] [--repetitions N]\n"
        "                      [--switch-interval MS] [--url URL]... [--param KEY=VALUE]...\n"
        "                      [--chunk-size N] [--task-timeout S] [--variants a,b]\n"
        "                      [--json FILE] [--csv FILE] [--quiet]\n"
        "  concurrency-lab-cli show RESULTS.json  print the results table of a saved run\n"
        "  concurrency-lab-cli presets            list the built-in experiments\n"
        "  concurrency-lab-cli models             list the execution models\n"
        "  concurrency-lab-cli workloads          list the workloads and the parameters each takes\n"
        "  concurrency-lab-cli monitor [--seconds S] [--hz H] [--json FILE]\n"
        "  concurrency-lab-cli lesson check FILE  validate a lesson file (docs/lessons.md)\n"
        "exit codes: 0 ok, 1 a task failed, 2 bad usage or input, 130 cancelled\n"));
    return BadInput;
}

// Options of one command, read with QCommandLineParser ("--name value", "--name=value").
struct Options {
    std::unique_ptr<QCommandLineParser> parser = std::make_unique<QCommandLineParser>();
    QString error;

    bool isSet(const QString &name) const { return parser->isSet(name); }
    QString value(const QString &name) const { return parser->value(name); }
    QStringList values(const QString &name) const { return parser->values(name); }
    QStringList positional() const { return parser->positionalArguments(); }
};

Options parseOptions(const QStringList &args, const QStringList &withValue, const QStringList &flagNames)
{
    Options o;
    QCommandLineParser &p = *o.parser;
    p.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    for (const QString &name : withValue)
        p.addOption(QCommandLineOption(name, QString(), QStringLiteral("value")));
    for (const QString &name : flagNames)
        p.addOption(QCommandLineOption(name));
    // Qt's wording differs from the messages scripts already match ("needs a value",
    // "unknown option --x"): a value option can only lack its value as the last argument.
    if (!args.isEmpty() && args.last().startsWith(QLatin1String("--")) && withValue.contains(args.last().mid(2))) {
        o.error = QStringLiteral("option %1 needs a value").arg(args.last());
        return o;
    }
    if (!p.parse(QStringList{QCoreApplication::applicationName()} + args)) {
        const QStringList unknown = p.unknownOptionNames();
        o.error = unknown.isEmpty() ? p.errorText() : QStringLiteral("unknown option --%1").arg(unknown.first());
    }
    return o;
}

bool intOption(const Options &o, const QString &name, int lo, int hi, int *out, QString *error)
{
    if (!o.isSet(name))
        return true;
    bool ok = false;
    const int v = o.value(name).toInt(&ok);
    if (!ok || v < lo || v > hi) {
        *error = QStringLiteral("--%1 must be a whole number from %2 to %3 (got \"%4\")")
                     .arg(name)
                     .arg(lo)
                     .arg(hi)
                     .arg(o.value(name));
        return false;
    }
    *out = v;
    return true;
}

// A real-valued option: finite and within [lo, hi] (NaN and infinities compare false with every
// bound, so they are refused by name, not let through); `fallback` when the option is absent.
bool numberOption(const Options &o, const QString &name, double lo, double hi, double fallback, double *out,
                  QString *error, const QString &unit = {})
{
    if (!o.isSet(name)) {
        *out = fallback;
        return true;
    }
    bool ok = false;
    const double v = o.value(name).toDouble(&ok);
    if (!ok || !std::isfinite(v) || v < lo || v > hi) {
        *error = QStringLiteral("--%1 must be a number from %2 to %3%4 (got \"%5\")")
                     .arg(name)
                     .arg(lo)
                     .arg(hi)
                     .arg(unit.isEmpty() ? QString() : QLatin1Char(' ') + unit, o.value(name));
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
    const QString gap = QStringLiteral("  ");
    bool variants = false;
    for (const RunRecord &run : r.runs)
        variants |= !run.variant.isEmpty();
    QString s = (variants ? cell(QStringLiteral("variant"), -16) + gap : QString()) + cell(QStringLiteral("model"), -18) + gap + cell(QStringLiteral("workers"), 7) + gap
                + cell(QStringLiteral("wall s"), 9) + gap + cell(QStringLiteral("CPU s"), 9) + gap
                + cell(QStringLiteral("busy cores"), 10) + gap + cell(QStringLiteral("speedup"), 7) + gap
                + cell(QStringLiteral("effic."), 6) + gap + cell(QStringLiteral("spawn ms"), 9) + gap
                + QStringLiteral("verified\n");
    // What the spawn column measures, per model: "thread start to running: sequential, threads".
    QStringList spawnKinds;
    QHash<QString, QStringList> spawnModels;
    for (const RunRecord &run : r.runs) {
        const QString what = run.spawn_us_median < 0 || run.spawnWhat.isEmpty() ? QStringLiteral("not applicable")
                                                                                 : run.spawnWhat;
        if (!spawnKinds.contains(what))
            spawnKinds << what;
        if (!spawnModels[what].contains(run.model))
            spawnModels[what] << run.model;
        QString verified = run.verified ? QStringLiteral("yes") : QStringLiteral("NO");
        if (run.cancelled)
            verified = QStringLiteral("cancelled");
        if (run.tasks_failed > 0)
            verified += QStringLiteral(" (%1/%2 failed)").arg(run.tasks_failed).arg(run.tasks_total);
        // A result file (`show`) may carry any model name and error text: cells by
        // concatenation, spec text through literal().
        s += (variants ? cell(literal(run.variant), -16) + gap : QString()) + cell(literal(run.model), -18) + gap
             + cell(QString::number(run.workers), 7) + gap
             + cell(fmt(run.wall_s, 3), 9) + gap + cell(fmt(run.cpu_s, 3), 9) + gap + cell(fmt(run.busy_cores, 2), 10)
             + gap + cell(fmt(run.speedup, 2), 7) + gap + cell(fmt(run.efficiency, 2), 6) + gap
             + cell(fmt(run.spawn_us_median < 0 ? -1 : run.spawn_us_median / 1000, 3), 9) + gap + verified
             + QLatin1Char('\n');
        if (!run.error.isEmpty())
            s += QStringLiteral("    error: ") + literal(run.error) + QLatin1Char('\n');
        // The workload's own figures (request latency, convoy round trips, ...), where they apply.
        if (run.workloadSummary) {
            QStringList parts;
            for (const Figure &f : run.workloadSummary->figures())
                if (f.value)
                    parts << QStringLiteral("%1 %2%3").arg(f.label, QString::number(*f.value, 'f', f.decimals),
                                                          f.unit.isEmpty() ? QString() : QLatin1Char(' ') + f.unit);
            if (!parts.isEmpty())
                s += QStringLiteral("    ") + literal(parts.join(QStringLiteral(", "))) + QLatin1Char('\n');
            // A variant's outcome: what it should give, what it gave, its cost, in words.
            if (const std::optional<VariantOutcome> v = run.workloadSummary->outcome()) {
                QString cost;
                if (v->nsPerOp)
                    cost = QStringLiteral(", %1 ns/op").arg(fmt(*v->nsPerOp, 1));
                else if (v->usPerOp)
                    cost = QStringLiteral(", %1 us/op").arg(fmt(*v->usPerOp, 2));
                if (v->gbPerS)
                    cost += QStringLiteral(", %1 GB/s").arg(fmt(*v->gbPerS, 3));
                s += QStringLiteral("    ")
                     + literal(QStringLiteral("expected %1, got %2: %3%4")
                                   .arg(v->expected, v->actual,
                                        v->ok ? QStringLiteral("ok")
                                              : (v->failsByDesign ? QStringLiteral("WRONG (by design)") : QStringLiteral("WRONG")),
                                        cost))
                     + QLatin1Char('\n');
                if (!v->words.isEmpty())
                    s += QStringLiteral("    ") + literal(v->words) + QLatin1Char('\n');
            }
        }
        for (const TaskResult &t : run.tasks)
            if (!t.ok && !t.error.isEmpty())
                s += QStringLiteral("    task %1 failed: ").arg(t.id) + literal(t.error) + QLatin1Char('\n');
    }
    QStringList legend;
    for (const QString &what : std::as_const(spawnKinds))
        legend << what + QStringLiteral(": ") + spawnModels.value(what).join(QStringLiteral(", "));
    if (!legend.isEmpty())
        s += QStringLiteral("spawn ms = ") + literal(legend.join(QStringLiteral("; "))) + QLatin1Char('\n');
    return s;
}


bool writeOutputs(const ExperimentResult &result, const Options &o)
{
    QString error;
    bool ok = true;
    if (o.isSet(QStringLiteral("json")))
        ok &= writeFileAtomically(o.value(QStringLiteral("json")), resultToJson(result), &error);
    if (o.isSet(QStringLiteral("csv"))) {
        ok &= writeCsvFiles(result, o.value(QStringLiteral("csv")), nullptr, &error);
    }
    if (!ok)
        err(QStringLiteral("concurrency-lab-cli: ") + literal(error) + QLatin1Char('\n'));
    return ok;
}

// Whether `path` can be written the way writeFileAtomically() will write it (a QSaveFile: a
// temporary file beside it, renamed over it), found out before an experiment runs rather than
// after. Probes with that same QSaveFile and discards it: nothing is created or changed.
bool checkOutputPath(const QString &option, const QString &path, QString *error)
{
    const auto fail = [&](const QString &why) {
        *error = QStringLiteral("--") + option + QStringLiteral(" ") + path + QStringLiteral(": ") + why;
        return false;
    };
    if (path.isEmpty())
        return fail(QStringLiteral("needs a file name"));
    const QFileInfo fi(path);
    if (fi.isDir())
        return fail(QStringLiteral("is a folder, not a file"));
    const QFileInfo dir(fi.absolutePath());
    if (!dir.exists())
        return fail(QStringLiteral("the folder %1 does not exist").arg(dir.filePath()));
    if (!dir.isDir())
        return fail(QStringLiteral("%1 is not a folder").arg(dir.filePath()));
    if (fi.exists() && !fi.isWritable())
        return fail(QStringLiteral("the file is read-only"));
    QSaveFile probe(path);
    if (!probe.open(QIODevice::WriteOnly))
        return fail(QStringLiteral("cannot write: ") + probe.errorString());
    probe.cancelWriting();
    return true;
}

// Every output file of `run`, checked before any work starts.
bool checkOutputs(const Options &o, QString *error)
{
    if (o.isSet(QStringLiteral("json")) && !checkOutputPath(QStringLiteral("json"), o.value(QStringLiteral("json")), error))
        return false;
    if (o.isSet(QStringLiteral("csv"))) {
        for (const QString &path : csvFilePaths(o.value(QStringLiteral("csv"))))
            if (!checkOutputPath(QStringLiteral("csv"), path, error))
                return false;
    }
    return true;
}

int runCommand(const QStringList &args)
{
    const Options o = parseOptions(
        args,
        {QStringLiteral("models"), QStringLiteral("workers"), QStringLiteral("repetitions"), QStringLiteral("json"),
         QStringLiteral("csv"), QStringLiteral("switch-interval"), QStringLiteral("url"), QStringLiteral("param"),
         QStringLiteral("chunk-size"), QStringLiteral("task-timeout"), QStringLiteral("variants")},
        {QStringLiteral("quiet")});
    if (!o.error.isEmpty())
        return usage(o.error);
    const QStringList positional = o.positional();
    if (positional.size() != 1)
        return usage(positional.isEmpty() ? QStringLiteral("run needs a spec file or preset name")
                                          : QStringLiteral("run takes one spec, got %1").arg(positional.size()));
    QString error;
    auto spec = loadSpec(positional.first(), &error);
    if (!spec)
        return usage(error);
    if (o.isSet(QStringLiteral("models")))
        spec->models = o.value(QStringLiteral("models")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (o.isSet(QStringLiteral("variants")))
        spec->variants = o.value(QStringLiteral("variants")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (!intOption(o, QStringLiteral("workers"), 1, ExperimentSpec::kMaxWorkers, &spec->workers, &error)
        || !intOption(o, QStringLiteral("repetitions"), 1, ExperimentSpec::kMaxRepetitions, &spec->repetitions,
                      &error))
        return usage(error);
    if (!numberOption(o, QStringLiteral("switch-interval"), 0.1, 100, spec->gil.switchIntervalMs,
                      &spec->gil.switchIntervalMs, &error, QStringLiteral("ms")))
        return usage(error);
    // Process pool: tasks per message (0 = auto) and the per-task deadline (0 = from the estimate).
    if (!intOption(o, QStringLiteral("chunk-size"), 0, ExperimentSpec::kMaxChunkSize, &spec->chunkSize, &error)
        || !numberOption(o, QStringLiteral("task-timeout"), 0, ExperimentSpec::kMaxTaskTimeoutS, spec->taskTimeout_s,
                         &spec->taskTimeout_s, &error, QStringLiteral("s")))
        return usage(error);
    if (o.isSet(QStringLiteral("url"))) {
        if (!spec->params.contains(QStringLiteral("urls")))
            return usage(QStringLiteral("--url only applies to I/O experiments"));
        spec->params.insert(QStringLiteral("urls"), QJsonArray::fromStringList(o.values(QStringLiteral("url"))));
        spec->params.insert(QStringLiteral("repeat"), 1);
    }
    // --param KEY=VALUE sets any parameter of the spec's workload (VALUE as JSON when it reads
    // as JSON: 5, 2.5, true, [1,2]; else as text); the workload's own checks judge it below.
    for (const QString &kv : o.values(QStringLiteral("param"))) {
        const qsizetype eq = kv.indexOf(QLatin1Char('='));
        const QString key = kv.left(eq).trimmed();
        if (eq <= 0 || key.isEmpty())
            return usage(QStringLiteral("--param needs KEY=VALUE (got \"%1\")").arg(kv));
        const QString text = kv.mid(eq + 1);
        const QJsonDocument doc = QJsonDocument::fromJson(("[" + text + "]").toUtf8());
        const QJsonValue value = doc.isArray() && doc.array().size() == 1 ? doc.array().at(0) : QJsonValue(text);
        spec->params.insert(key, value);
    }
    const QString problem = spec->validate();
    if (!problem.isEmpty())
        return usage(problem);
    const QStringList models = resolveModels(*spec, &error);
    if (!error.isEmpty())
        return usage(error);
    // Outputs that cannot be written are found out now, not after the whole experiment.
    if (!checkOutputs(o, &error))
        return usage(error);
    for (const QString &m : models) {
        const QString why = findModel(m)->whyUnavailable();
        if (!why.isEmpty() && spec->models.contains(m))
            err(literal(QStringLiteral("note: model %1 is unavailable: %2").arg(m, why)) + QLatin1Char('\n'));
    }

    const bool quiet = o.isSet(QStringLiteral("quiet"));
    const bool tty = ::isatty(STDERR_FILENO);
    const int usable = usableCores();
    // The name is the spec's text, printed as it is: concatenated, not an arg() pattern.
    out(literal(spec->name)
        + QStringLiteral(": %1 tasks x %2 model(s), %3 worker(s), %4 core(s)%5\n")
              .arg(QString::number(spec->taskCount()), QString::number(models.size()),
                   QString::number(spec->effectiveWorkers()), QString::number(usable),
                   usable != onlineCores() ? QStringLiteral(" usable of %1").arg(onlineCores()) : QString()));

    // Other programs' CPU use before and during each run (sampling/foreignload.h).
    const auto loadBefore = readLoadSnapshot();
    QThread::msleep(250);
    const std::optional<double> foreignBefore = foreignBusyCores(loadBefore, readLoadSnapshot());
    if (foreignBefore && !foreignLoadWarning(*foreignBefore).isEmpty())
        err(QStringLiteral("warning: %1\n").arg(foreignLoadWarning(*foreignBefore)));
    std::optional<LoadSnapshot> loadAtRunStart;
    QHash<int, double> foreignDuring;  // run index -> cores

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
        loadAtRunStart = readLoadSnapshot();
    });
    QObject::connect(&runner, &Runner::runFinished, qApp, [&](quint64, const RunRecord &r) {
        if (const auto f = foreignBusyCores(loadAtRunStart, readLoadSnapshot()))
            foreignDuring.insert(foreignDuring.size(), *f);
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
    // Per-core CPU during the experiment, into the result. The sampler lives on this (main)
    // thread, which only waits while the Runner works on its own.
    CpuSampler sampler;
    sampler.setRateHz(10);
    std::vector<CpuSample> samples;
    QObject::connect(&sampler, &CpuSampler::sampleTaken, [&](const CpuSample &s) { samples.push_back(s); });
    QObject::connect(&thread, &QThread::finished, qApp, &QCoreApplication::quit);
    sampler.start();
    thread.start();
    progress.start();
    QMetaObject::invokeMethod(&runner, [&] { runner.run(*spec); }, Qt::QueuedConnection);
    QCoreApplication::exec();
    thread.wait();
    sampler.sampleNow();
    sampler.stop();
    result.cpu = CpuSeries{sampler.rateHz(), std::move(samples)};
    if (foreignBefore && !foreignLoadWarning(*foreignBefore).isEmpty())
        result.warnings << QStringLiteral("before the experiment: %1").arg(foreignLoadWarning(*foreignBefore));
    for (int i = 0; i < int(result.runs.size()); ++i) {
        RunRecord &r = result.runs[size_t(i)];
        if (foreignDuring.contains(i))
            r.foreign_busy_cores = foreignDuring.value(i);
        const QString w = r.foreign_busy_cores ? foreignLoadWarning(*r.foreign_busy_cores) : QString();
        if (!w.isEmpty()) {
            result.warnings << QStringLiteral("during the %1 run: %2").arg(r.model, w);
            err(QStringLiteral("warning: during the %1 run: %2\n").arg(r.model, w));
        }
    }
    if (tty && !quiet)
        err(QStringLiteral("\r\033[K"));

    if (!result.error.isEmpty()) {
        err(QStringLiteral("concurrency-lab-cli: ") + literal(result.error) + QLatin1Char('\n'));
        writeOutputs(result, o);
        return TaskFailed;
    }
    // The table shows the figures as they are saved (rounded as in the JSON), so `show` of the
    // saved file prints exactly this table.
    QString reloadError;
    const std::optional<ExperimentResult> saved = ExperimentResult::fromJson(resultToJson(result), &reloadError);
    out(table(saved ? *saved : result));
    const bool written = writeOutputs(result, o);
    if (result.cancelled || interrupted)
        return Cancelled;
    if (!written)
        return TaskFailed;
    return result.allOk() ? Ok : TaskFailed;
}

int showCommand(const QStringList &args)
{
    const Options o = parseOptions(args, {}, {});
    if (!o.error.isEmpty())
        return usage(o.error);
    const QStringList positional = o.positional();
    if (positional.size() != 1)
        return usage(positional.isEmpty() ? QStringLiteral("show needs a results file")
                                          : QStringLiteral("show takes one results file, got %1").arg(positional.size()));
    QString error;
    const auto result = loadResultFile(positional.first(), &error);
    if (!result)
        return usage(error);
    out(literal(result->spec.name)
        + literal(QStringLiteral(": %1 run(s), %2 core(s)%3%4")
                      .arg(QString::number(result->runs.size()), QString::number(result->machine.cores),
                           result->startedAt.isEmpty() ? QString() : QStringLiteral(", started ") + result->startedAt,
                           result->cancelled ? QStringLiteral(", cancelled") : QString()))
        + QLatin1Char('\n'));
    if (!result->error.isEmpty())
        out(QStringLiteral("error: ") + literal(result->error) + QLatin1Char('\n'));
    out(table(*result));
    return Ok;
}

int presetsCommand()
{
    for (const QString &name : presetNames()) {
        QString error;
        const auto spec = loadPreset(name, &error);
        out(cell(literal(name), -20) + QStringLiteral("  ")
            + literal(spec ? spec->title : QStringLiteral("(broken: ") + error + QLatin1Char(')')) + QLatin1Char('\n'));
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

QString typeName(ParamInfo::Type t)
{
    switch (t) {
    case ParamInfo::Type::Int:
        return QStringLiteral("integer");
    case ParamInfo::Type::Number:
        return QStringLiteral("number");
    case ParamInfo::Type::Bool:
        return QStringLiteral("true/false");
    case ParamInfo::Type::String:
        return QStringLiteral("text");
    case ParamInfo::Type::StringList:
        return QStringLiteral("list of text");
    case ParamInfo::Type::IntList:
        return QStringLiteral("list of integers or {start, count}");
    }
    return {};
}

// Every workload, its parameters (as the spec parser checks them) and the models that cannot run it.
int workloadsCommand()
{
    for (const auto &w : workloadRegistry()) {
        out(QStringLiteral("%1  %2\n").arg(w->id(), -8).arg(w->description()));
        for (const ParamInfo &p : w->params()) {
            QString range;
            if (p.type == ParamInfo::Type::Int || p.type == ParamInfo::Type::Number || p.type == ParamInfo::Type::IntList)
                range = QStringLiteral(" %1..%2").arg(p.min, 0, 'g', 15).arg(p.max, 0, 'g', 15);
            const QString def = QString::fromUtf8(QJsonDocument(QJsonArray{p.defaultValue}).toJson(QJsonDocument::Compact));
            out(QStringLiteral("    %1  %2%3%4, default %5: %6\n")
                    .arg(p.key, -20)
                    .arg(typeName(p.type), range, p.unit.isEmpty() ? QString() : QLatin1Char(' ') + p.unit,
                         def.mid(1, def.size() - 2), p.tooltip));
        }
        for (const ModelInfo &m : modelRegistry()) {
            const QString why = m.whyNot(w->id());
            if (!why.isEmpty())
                out(QStringLiteral("    not on %1: %2\n").arg(m.id, why));
        }
    }
    return Ok;
}

int monitorCommand(const QStringList &args)
{
    const Options o = parseOptions(args, {QStringLiteral("seconds"), QStringLiteral("hz"), QStringLiteral("json")}, {});
    if (!o.error.isEmpty())
        return usage(o.error);
    if (!o.positional().isEmpty())
        return usage(QStringLiteral("monitor takes no positional arguments"));
    QString error;
    double seconds = 5, hz = 10;
    if (!numberOption(o, QStringLiteral("seconds"), 0.001, 86400, 5, &seconds, &error)
        || !numberOption(o, QStringLiteral("hz"), 1, 50, 10, &hz, &error))
        return usage(error);
    if (o.isSet(QStringLiteral("json")) && !checkOutputPath(QStringLiteral("json"), o.value(QStringLiteral("json")), &error))
        return usage(error);

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
        for (size_t i = 0; i < s.perCore.size() && i < cores; ++i) {
            if (!std::isnan(s.perCore[i])) {
                sum[i] += s.perCore[i];
                ++count[i];
            }
        }
        arr.append(CpuSeries::sampleToJson(s, t0));  // the shape results carry under "cpu"
    }
    QJsonArray meanPer;
    QString meanLine = QStringLiteral("mean  total %1%").arg(samples.empty() ? 0.0 : total / double(samples.size()), 5, 'f', 1);
    for (size_t i = 0; i < cores; ++i) {
        const double m = count[i] ? sum[i] / count[i] : 0.0;
        meanPer.append(std::round(m * 100) / 100);
        meanLine += QStringLiteral("  cpu%1 %2%").arg(i).arg(m, 5, 'f', 1);
    }
    out(meanLine + QLatin1Char('\n'));
    if (o.isSet(QStringLiteral("json"))) {
        const QJsonObject doc{{QStringLiteral("hz"), sampler.rateHz()},
                              {QStringLiteral("cores"), int(cores)},
                              {QStringLiteral("samples"), arr},
                              {QStringLiteral("mean_total"),
                               samples.empty() ? 0.0 : std::round(total / double(samples.size()) * 100) / 100},
                              {QStringLiteral("mean_per_core"), meanPer}};
        if (!writeFileAtomically(o.value(QStringLiteral("json")), QJsonDocument(doc).toJson(), &error)) {
            err(QStringLiteral("concurrency-lab-cli: ") + literal(error) + QLatin1Char('\n'));
            return TaskFailed;
        }
    }
    return interrupted ? Cancelled : Ok;
}

// lesson check FILE: 0 when the lesson is valid; 2 and "FILE:LINE: message" when not.
int lessonCommand(const QStringList &args)
{
    if (args.size() != 2 || args.at(0) != QLatin1String("check"))
        return usage(QStringLiteral("usage: lesson check FILE"));
    QString error;
    const std::optional<Lesson> lesson = loadLessonFile(args.at(1), &error);
    if (!lesson) {
        err(error + QLatin1Char('\n'));
        return BadInput;
    }
    out(QStringLiteral("%1: ok: \"%2\" (preset %3, %4 choices)\n")
            .arg(args.at(1), lesson->title, lesson->preset)
            .arg(lesson->choices.size()));
    return Ok;
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
    if (cmd == QLatin1String("show"))
        return showCommand(rest);
    if (cmd == QLatin1String("presets"))
        return presetsCommand();
    if (cmd == QLatin1String("models"))
        return modelsCommand();
    if (cmd == QLatin1String("workloads"))
        return workloadsCommand();
    if (cmd == QLatin1String("monitor"))
        return monitorCommand(rest);
    if (cmd == QLatin1String("lesson"))
        return lessonCommand(rest);
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
