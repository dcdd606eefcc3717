#include "barpanelsmodel.h"

#include "lessons/measures.h"

#include <algorithm>

namespace lab {

namespace {
QString latencyText(std::optional<double> ms)
{
    if (!ms)
        return QStringLiteral("–");
    if (*ms < 1.0)
        return QStringLiteral("%1 µs").arg(*ms * 1000.0, 0, 'f', *ms < 0.01 ? 1 : 0);
    return QStringLiteral("%1 ms").arg(*ms, 0, 'f', 2);
}

// A panel of milliseconds whose figures are all below 1 ms is drawn in µs (no "5·10^-5" ticks).
void microsecondsIfSmall(BarPanel &p)
{
    double maxValue = 0;
    for (const BarPanel::Row &r : p.rows)
        for (const std::optional<double> &v : {r.value, r.second})
            if (v)
                maxValue = std::max(maxValue, *v);
    if (maxValue <= 0 || maxValue >= 1.0)
        return;
    for (BarPanel::Row &r : p.rows) {
        if (r.value)
            *r.value *= 1000.0;
        if (r.second)
            *r.second *= 1000.0;
    }
    p.title.replace(QStringLiteral("(ms)"), QStringLiteral("(µs)"));
}

bool isBaseline(const QString &model)
{
    return baselineModel(model) == model;
}
} // namespace

bool BarPanel::hasValues() const
{
    return std::any_of(rows.begin(), rows.end(), [](const Row &r) { return r.value.has_value() || r.second.has_value(); });
}

std::vector<BarPanel> gilPanels(const std::vector<RunRecord> &runs)
{
    BarPanel latency{QStringLiteral("latency"), QStringLiteral("Round trip, median (ms)"), false, {}, {}, {}};
    BarPanel switches{QStringLiteral("switches"), QStringLiteral("GIL switches per second"), false, {}, {}, {}};
    BarPanel tenure{QStringLiteral("tenure"), QStringLiteral("GIL hold time, median (ms)"), false, {}, {}, {}};
    for (const RunRecord &r : runs) {
        const std::optional<double> beside = measureOf(Measure::LatencyP50BesideMs, r);
        const std::optional<double> alone = measureOf(Measure::LatencyP50AloneMs, r);
        if (beside || alone) {
            BarPanel::Row row{r.model, {}, beside,
                              QStringLiteral("beside %1").arg(latencyText(beside)), false, alone,
                              QStringLiteral("alone %1").arg(latencyText(alone)), true, r.variant};
            latency.rows.push_back(row);
        }
        if (r.gil) {
            const std::optional<double> rate = measureOf(Measure::GilSwitchesPerS, r);
            const std::optional<double> hold = measureOf(Measure::GilTenureMs, r);
            switches.rows.push_back({r.model, {}, rate, rate ? QString::number(*rate, 'f', 0) : QStringLiteral("–"), false, {}, {}, false, r.variant});
            tenure.rows.push_back({r.model, {}, hold, latencyText(hold), false, {}, {}, false, r.variant});
        }
    }
    microsecondsIfSmall(latency);
    microsecondsIfSmall(tenure);
    std::vector<BarPanel> out;
    for (BarPanel *p : {&latency, &switches, &tenure})
        if (p->hasValues())
            out.push_back(std::move(*p));
    return out;
}

std::vector<BarPanel> headlinePanels(const std::vector<RunRecord> &runs, const QString &workload)
{
    if (workload == QLatin1String("convoy")) {
        std::vector<BarPanel> all = gilPanels(runs);
        std::vector<BarPanel> out;
        for (BarPanel &p : all)
            if (p.id == QLatin1String("latency") || p.id == QLatin1String("switches"))
                out.push_back(std::move(p));
        return out;
    }
    BarPanel speedup{QStringLiteral("speedup"), QStringLiteral("Speedup (x)"), false, 1.0,
                     QStringLiteral("1x"), {}};
    BarPanel busy{QStringLiteral("busy"), QStringLiteral("Cores busy"), false, {}, {}, {}};
    for (const RunRecord &r : runs) {
        if (!isBaseline(r.model)) {
            const std::optional<double> s = measureOf(Measure::Speedup, r);
            speedup.rows.push_back({r.model, {}, s, formatMeasure(Measure::Speedup, s), false, {}, {}, false, r.variant});
        }
        const std::optional<double> b = measureOf(Measure::BusyCores, r);
        busy.rows.push_back({r.model, {}, b, b ? QString::number(*b, 'f', 2) : QStringLiteral("–"), false, {}, {}, false, r.variant});
    }
    std::vector<BarPanel> out;
    if (speedup.hasValues())
        out.push_back(std::move(speedup));
    if (busy.hasValues())
        out.push_back(std::move(busy));
    return out;
}

BarPanelsModel::BarPanelsModel(QObject *parent) : QObject(parent) {}

bool BarPanelsModel::hasValues() const
{
    return std::any_of(m_panels.begin(), m_panels.end(), [](const BarPanel &p) { return p.hasValues(); });
}

void BarPanelsModel::setPanels(std::vector<BarPanel> panels)
{
    m_panels = std::move(panels);
    Q_EMIT changed();
}

} // namespace lab
