#include "callouts.h"

#include "lessons/measures.h"
#include "models/executionmodel.h"
#include "util/sysinfo.h"
#include "workloads/workload.h"

#include <QHash>
#include <QLocale>

#include <algorithm>
#include <cmath>

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

// A wall time with the unit its size reads best in: "9.67 s", "41.3 ms", "850 µs" (a tiny-task
// baseline is milliseconds; "0.00 s" said nothing).
QString durationText(double s)
{
    if (!(s >= 0))
        return QStringLiteral("–");
    if (s >= 0.995)
        return QStringLiteral("%1 s").arg(s, 0, 'f', s >= 100 ? 0 : (s >= 10 ? 1 : 2));
    if (s >= 0.000995)
        return QStringLiteral("%1 ms").arg(s * 1e3, 0, 'f', s >= 0.0995 ? 0 : (s >= 0.00995 ? 1 : 2));
    return QStringLiteral("%1 µs").arg(s * 1e6, 0, 'f', s >= 0.0000995 ? 0 : 1);
}

QString coresText(int n)
{
    return n == 1 ? QStringLiteral("1 core") : QStringLiteral("%1 cores").arg(n);
}

// Below this share of the workers' time on messages the pool's cost is not worth a word (the
// seed's cruncher: ~0.1 %; 4000 tiny tasks: 30 % in chunks, 94 % one task a message).
constexpr double kMessagesWorthSaying = 0.05;

// What the pool's workers spent on messages rather than tasks, measured, and where the largest
// part of it went: "; 94 % of the workers' time went to messages, most of it between one and
// the next". Empty where it was not measured (CPython's pool, older files) or is small.
QString messagesText(const RunRecord &r)
{
    if (!r.ipc || !(r.ipc->dispatchShare >= kMessagesWorthSaying))
        return {};
    QString text = QStringLiteral("; %1 % of the workers' time went to messages").arg(r.ipc->dispatchShare * 100, 0, 'f', 0);
    const IpcSplit &i = *r.ipc;
    if (i.startShare < 0 || i.gapsShare < 0 || i.endShare < 0)
        return text;
    // The largest of its parts, named "most of it" only where it is at least half.
    const double largest = std::max({i.startShare, i.gapsShare, i.endShare});
    text += largest >= 0.5 * i.dispatchShare ? QStringLiteral(", most of it ") : QStringLiteral(", the largest part ");
    if (i.gapsShare == largest)
        text += QStringLiteral("between one and the next");
    else if (i.startShare == largest)
        text += QStringLiteral("before the first task started");
    else
        text += QStringLiteral("on the answers' way back");
    return text;
}

void cpuCallouts(const std::vector<RunRecord> &runs, int cores, std::vector<Callout> &out)
{
    for (const RunRecord &r : runs) {
        const QString name = modelDisplayName(r.model);
        if (isSequential(r.model)) {
            out.push_back({r.model, QStringLiteral("%1: %2").arg(name, durationText(r.wall_s)),
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
            c.explanation = (*s >= kNoGain ? QStringLiteral("each process has its own interpreter and its own GIL")
                                           : QStringLiteral("no gain: starting processes and sending them the work "
                                                            "cost more than the parallel part saved")) +
                            messagesText(r);
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
            out.push_back({r.model, QStringLiteral("%1: %2").arg(name, durationText(r.wall_s)),
                           QStringLiteral("the baseline: every wait one after another"), false});
            continue;
        }
        const std::optional<double> s = measureOf(Measure::Speedup, r);
        if (!s) {
            // No baseline ran (the experiment compares models side by side): its wall time and
            // the first figures its workload reports.
            if (!r.error.isEmpty() || r.cancelled || r.wall_s <= 0)
                continue;
            QStringList figures;
            const QLocale grouped(QLocale::English);  // "812,753" on every machine, as the workloads' own words
            if (r.workloadSummary)
                for (const Figure &f : r.workloadSummary->figures()) {
                    if (!f.value || !std::isfinite(*f.value))
                        continue;
                    const QString value = grouped.toString(*f.value, 'f', f.decimals) +
                                          (f.unit.isEmpty() ? QString() : QLatin1Char(' ') + f.unit);
                    // "1,424,091 items/s", not "items/s 1,424,091 items/s"
                    figures << (f.label == f.unit ? value : f.label + QLatin1Char(' ') + value);
                    if (figures.size() == 2)
                        break;
                }
            out.push_back({r.model, QStringLiteral("%1: %2").arg(name, durationText(r.wall_s)),
                           figures.join(QStringLiteral(", ")), false});
            continue;
        }
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

// A variant's headline figure: the outcome's cost per operation or its rate, else what it gave.
QString outcomeFigure(const VariantOutcome &o)
{
    const auto num = [](double v, const char *unit) {
        return QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 2 : v < 100 ? 1 : 0).arg(QString::fromUtf8(unit));
    };
    if (o.nsPerOp)
        return num(*o.nsPerOp, "ns");
    if (o.usPerOp)
        return num(*o.usPerOp, "µs");
    if (o.gbPerS)
        return num(*o.gbPerS, "GB/s");
    return o.actual;
}

// Experiments of variants: one line per variant, its models side by side ("Mutex, 2: Threads
// 17.7 ns · Threads + GIL 15.0 ns"), with the words of an outcome that was not what it should be.
void variantCallouts(const std::vector<RunRecord> &runs, const ExperimentSpec &spec, std::vector<Callout> &out)
{
    QHash<QString, QString> labels;
    if (const Workload *w = spec.workloadImpl())
        for (const Variant &v : w->variants(spec.params))
            labels.insert(v.name, v.label);
    QStringList order;
    for (const RunRecord &r : runs)
        if (!r.variant.isEmpty() && !order.contains(r.variant))
            order << r.variant;
    for (const QString &variant : order) {
        QStringList parts;
        QString words;
        for (const RunRecord &r : runs) {
            if (r.variant != variant || !r.error.isEmpty() || r.cancelled || !r.workloadSummary)
                continue;
            const std::optional<VariantOutcome> o = r.workloadSummary->outcome();
            if (!o)
                continue;
            const QString figure = outcomeFigure(*o);
            if (!figure.isEmpty())
                parts << modelDisplayName(r.model) + QLatin1Char(' ') + figure;
            if (!o->ok && words.isEmpty() && !o->words.isEmpty())
                words = modelDisplayName(r.model) + QStringLiteral(": ") + o->words;
        }
        if (parts.isEmpty())
            continue;
        out.push_back({{}, labels.value(variant, variant) + QStringLiteral(": ") + parts.join(QStringLiteral(" · ")), words,
                       false});
    }
}

// Foreign load above which a missing convoy is put down to it. (With a spinning echo peer
// 0.09-0.2 cores made it vanish on this 2-core VM; the peer sleeps now and the convoy holds
// beside one busy core, tst_gil, so a convoy missing under load is rare, and the load is then
// the likeliest cause.)
constexpr double kConvoyForeignCores = 0.05;

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
            else if (alone && underGil(r.model) && r.foreign_busy_cores && *r.foreign_busy_cores >= kConvoyForeignCores)
                // Woken late beside the other programs, the CPU thread never took the GIL back:
                // the I/O thread found it free again each time (see kConvoyForeignCores).
                c.explanation = QStringLiteral("%1: no convoy on this run: other programs used %2 cores, so the CPU "
                                               "thread was woken late and never took the GIL back; run it on a quiet machine")
                                    .arg(aloneText)
                                    .arg(*r.foreign_busy_cores, 0, 'f', 2);
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
    else if (std::any_of(runs.begin(), runs.end(), [](const RunRecord &r) { return !r.variant.isEmpty(); }))
        variantCallouts(runs, spec, out);
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
