#include "callouts.h"

#include "lessons/measures.h"
#include "models/executionmodel.h"
#include "util/sysinfo.h"

#include <algorithm>

namespace lab {

namespace {
// Below this a parallel model has not gained anything worth a headline; measured GIL threads
// sit at 0.95-1.05x, native threads and processes on 2 idle cores at 1.9-2.0x.
constexpr double kNoGain = 1.25;

QString times(double x)
{
    return QStringLiteral("%1x").arg(x, 0, 'f', 2);
}

QString latency(double ms)
{
    if (ms < 1.0)
        return QStringLiteral("%1 µs").arg(ms * 1000.0, 0, 'f', 0);
    return QStringLiteral("%1 ms").arg(ms, 0, 'f', 2);
}

bool underGil(const QString &model)
{
    return model == QLatin1String("gil-threads") || model == QLatin1String("python-threads");
}

bool isProcesses(const QString &model)
{
    return model == QLatin1String("processes") || model == QLatin1String("python-processes");
}

bool isSequential(const QString &model)
{
    return model == QLatin1String("sequential") || model == QLatin1String("python-sequential");
}

QString coresText(int n)
{
    return n == 1 ? QStringLiteral("1 core") : QStringLiteral("%1 cores").arg(n);
}

void cpuCallouts(const std::vector<RunRecord> &runs, int cores, std::vector<Callout> &out)
{
    for (const RunRecord &r : runs) {
        const QString name = modelDisplayName(r.model);
        if (isSequential(r.model)) {
            out.push_back({r.model, QStringLiteral("%1: %2 s").arg(name).arg(r.wall_s, 0, 'f', 2),
                           r.model == QLatin1String("python-sequential")
                               ? QStringLiteral("the baseline of the CPython models (each task computed once)")
                               : QStringLiteral("the baseline: one task after another"),
                           false});
            continue;
        }
        const std::optional<double> s = measureOf(Measure::Speedup, r);
        if (!s)
            continue;
        const int used = std::max(1, std::min(r.workers, cores));
        Callout c{r.model, {}, {}, false};
        if (underGil(r.model)) {
            c.headline = QStringLiteral("%1: %2").arg(name, times(*s));
            c.explanation = *s < kNoGain
                                ? QStringLiteral("no speedup: only one thread runs Python code at a time")
                                : QStringLiteral("faster than one thread, which the GIL should not allow: "
                                                 "was the machine busy during the baseline?");
        } else if (isProcesses(r.model)) {
            c.headline = QStringLiteral("%1: %2 on %3").arg(name, times(*s), coresText(used));
            c.explanation = *s >= kNoGain
                                ? QStringLiteral("each process has its own interpreter and its own GIL")
                                : QStringLiteral("no gain: starting processes and sending them the work cost "
                                                 "more than the parallel part saved");
        } else {
            c.headline = QStringLiteral("%1: %2 on %3").arg(name, times(*s), coresText(used));
            c.explanation = *s >= kNoGain ? QStringLiteral("without a GIL, threads compute on every core at once")
                                          : QStringLiteral("no gain on this run");
        }
        out.push_back(c);
    }
}

void waitCallouts(const std::vector<RunRecord> &runs, std::vector<Callout> &out)
{
    for (const RunRecord &r : runs) {
        const QString name = modelDisplayName(r.model);
        if (isSequential(r.model)) {
            out.push_back({r.model, QStringLiteral("%1: %2 s").arg(name).arg(r.wall_s, 0, 'f', 2),
                           QStringLiteral("the baseline: every wait one after another"), false});
            continue;
        }
        const std::optional<double> s = measureOf(Measure::Speedup, r);
        if (!s)
            continue;
        Callout c{r.model, QStringLiteral("%1: %2").arg(name, times(*s)), {}, false};
        if (*s < kNoGain)
            c.explanation = QStringLiteral("no overlap: the waits ran one after another");
        else if (underGil(r.model))
            c.explanation = QStringLiteral("waits overlap even under the GIL: a thread gives it up while it waits");
        else if (r.model == QLatin1String("async"))
            c.explanation = QStringLiteral("one thread keeps %1 waits in flight").arg(r.workers);
        else
            c.explanation = QStringLiteral("%1 waits overlap").arg(r.workers);
        out.push_back(c);
    }
}

void convoyCallouts(const std::vector<RunRecord> &runs, const ExperimentSpec &spec, std::vector<Callout> &out)
{
    for (const RunRecord &r : runs) {
        const QString name = modelDisplayName(r.model);
        const std::optional<double> beside = measureOf(Measure::LatencyP50BesideMs, r);
        const std::optional<double> alone = measureOf(Measure::LatencyP50AloneMs, r);
        if (beside) {
            Callout c{r.model, QStringLiteral("%1: round trip %2 beside the CPU thread").arg(name, latency(*beside)), {}, false};
            const double factor = alone && *alone > 0 ? *beside / *alone : 0;
            const QString aloneText = alone ? QStringLiteral("%1 alone").arg(latency(*alone)) : QString();
            if (factor >= 5)
                c.explanation = QStringLiteral("%1, %2x slower: after each blocking call the I/O thread waits up to "
                                               "a switch interval (%3 ms) to get the GIL back")
                                    .arg(aloneText)
                                    .arg(factor, 0, 'f', 0)
                                    .arg(spec.gil.switchIntervalMs, 0, 'g', 3);
            else if (alone)
                c.explanation = QStringLiteral("%1: no convoy%2").arg(aloneText, underGil(r.model) ? QString()
                                                                      : QStringLiteral(", no GIL to wait for"));
            out.push_back(c);
        }
        const std::optional<double> rate = measureOf(Measure::GilSwitchesPerS, r);
        if (rate) {
            const std::optional<double> tenure = measureOf(Measure::GilTenureMs, r);
            Callout c{r.model, QStringLiteral("%1: %2 GIL switches per second").arg(name).arg(*rate, 0, 'f', 0), {}, false};
            c.explanation = tenure ? QStringLiteral("a thread holds the GIL %1 ms at a time (switch interval %2 ms)")
                                         .arg(*tenure, 0, 'f', 2)
                                         .arg(spec.gil.switchIntervalMs, 0, 'g', 3)
                                   : QStringLiteral("switch interval %1 ms").arg(spec.gil.switchIntervalMs, 0, 'g', 3);
            out.push_back(c);
        }
    }
}
} // namespace

QString Callout::text() const
{
    return explanation.isEmpty() ? headline : QStringLiteral("%1 — %2").arg(headline, explanation);
}

std::vector<Callout> headlineCallouts(const std::vector<RunRecord> &runs, const ExperimentSpec &spec, int usableCores)
{
    std::vector<Callout> out;
    const int cores = usableCores > 0 ? usableCores : std::max(1, lab::usableCores());
    if (spec.workload == QLatin1String("convoy"))
        convoyCallouts(runs, spec, out);
    else if (spec.workload == QLatin1String("cpu"))
        cpuCallouts(runs, cores, out);
    else
        waitCallouts(runs, out);
    const bool parallel = std::any_of(runs.begin(), runs.end(), [](const RunRecord &r) { return r.workers > 1; });
    if (cores < 2 && parallel && spec.workload == QLatin1String("cpu"))
        out.push_back({{}, QStringLiteral("Only %1 usable on this machine").arg(coresText(cores)),
                       QStringLiteral("no model can compute faster than 1x here"), true});
    return out;
}

std::vector<Callout> headlineCallouts(const ExperimentResult &result, int usableCores)
{
    int cores = usableCores;
    if (cores <= 0)
        cores = result.machine.usableCores > 0 ? result.machine.usableCores : result.machine.cores;
    return headlineCallouts(representativeRuns(result), result.spec, cores);
}

QStringList calloutTexts(const std::vector<Callout> &callouts)
{
    QStringList out;
    for (const Callout &c : callouts)
        out << c.text();
    return out;
}

} // namespace lab
