#include "gilthreadsmodel.h"

#include "gil/emulatedgil.h"
#include "util/sysinfo.h"

#include <QJsonArray>

#include <cmath>

namespace lab {

namespace {

// One worker thread's view of the GIL. Used only by that thread.
class GilHooks : public ExecHooks {
public:
    GilHooks(EmulatedGil &gil, int index) : m_gil(gil), m_index(index) {}
    void attach() override { m_holding = m_gil.take(m_index); }
    void detach() override { release(); }
    void checkpoint() override
    {
        if (m_holding)
            m_holding = m_gil.yieldIfRequested(m_index);
    }
    void beginBlocking() override { release(); }
    void endBlocking() override { m_holding = m_gil.take(m_index); }

private:
    void release()
    {
        if (m_holding)
            m_gil.drop(m_index);
        m_holding = false;
    }

    EmulatedGil &m_gil;
    const int m_index;
    bool m_holding = false;  // false after a take() refused by cancel: the task is about to stop
};

double rounded(double v, int digits = 6)
{
    const double f = std::pow(10.0, digits);
    return std::round(v * f) / f;
}

} // namespace

GilThreadsModel::GilThreadsModel() : ThreadPoolModel(QStringLiteral("gil-threads")) {}
GilThreadsModel::~GilThreadsModel() = default;

void GilThreadsModel::beforeRun(RunContext &ctx, int workers)
{
    m_t0 = ctx.t0;
    m_gil = std::make_unique<EmulatedGil>(workers, ctx.spec.gil.switchIntervalMs, &ctx.cancel, ctx.t0);
}

std::unique_ptr<ExecHooks> GilThreadsModel::makeHooks(int index, RunContext &)
{
    return std::make_unique<GilHooks>(*m_gil, index);
}

void GilThreadsModel::afterRun(RunRecord &record)
{
    record.extra.insert(QStringLiteral("gil"), gilReportJson(*m_gil, monotonicSeconds() - m_t0));
}

QJsonObject GilThreadsModel::gilReportJson(const EmulatedGil &gil, double wall_s)
{
    // switch_number also counts the very first acquisition (from "nobody"): not a switch.
    const std::uint64_t sn = gil.switchNumber();
    const double switches = sn > 0 ? double(sn - 1) : 0.0;
    QJsonObject o;
    o.insert(QStringLiteral("switch_interval_ms"), gil.intervalMs());
    o.insert(QStringLiteral("switches"), switches);
    o.insert(QStringLiteral("switches_per_s"), wall_s > 0 ? rounded(switches / wall_s, 2) : 0.0);
    QJsonArray threads;
    const std::vector<EmulatedGil::ThreadStats> stats = gil.stats();
    for (size_t i = 0; i < stats.size(); ++i) {
        const EmulatedGil::ThreadStats &s = stats[i];
        threads.append(QJsonObject{{QStringLiteral("worker"), int(i)},
                                   {QStringLiteral("held_s"), rounded(s.held_s)},
                                   {QStringLiteral("wait_s"), rounded(s.wait_s)},
                                   {QStringLiteral("acquisitions"), double(s.acquisitions)},
                                   {QStringLiteral("drop_requests"), double(s.drop_requests)},
                                   {QStringLiteral("forced_switches"), double(s.forced_switches)}});
    }
    o.insert(QStringLiteral("threads"), threads);
    QJsonArray spans;
    for (const EmulatedGil::Span &s : gil.spans())
        spans.append(QJsonArray{s.worker, rounded(s.start_s), rounded(s.end_s)});
    o.insert(QStringLiteral("spans"), spans);
    o.insert(QStringLiteral("spans_dropped"), double(gil.spansDropped()));
    return o;
}

} // namespace lab
