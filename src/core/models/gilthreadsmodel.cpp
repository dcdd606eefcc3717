#include "gilthreadsmodel.h"

#include "gil/emulatedgil.h"
#include "util/sysinfo.h"


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
    record.gil = gilStats(*m_gil, monotonicSeconds() - m_t0);
}

GilStats GilThreadsModel::gilStats(const EmulatedGil &gil, double wall_s)
{
    // switch_number also counts the very first acquisition (from "nobody"): not a switch.
    const std::uint64_t sn = gil.switchNumber();
    GilStats g;
    g.switchIntervalMs = gil.intervalMs();
    g.switches = sn > 0 ? qint64(sn - 1) : 0;
    g.switchesPerS = wall_s > 0 ? double(g.switches) / wall_s : 0.0;
    const std::vector<EmulatedGil::ThreadStats> stats = gil.stats();
    for (size_t i = 0; i < stats.size(); ++i) {
        const EmulatedGil::ThreadStats &s = stats[i];
        g.threads.push_back({int(i), s.held_s, s.wait_s, qint64(s.acquisitions), qint64(s.drop_requests),
                             qint64(s.forced_switches)});
    }
    for (const EmulatedGil::Span &s : gil.spans())
        g.spans.push_back({s.worker, s.start_s, s.end_s});
    g.spansDropped = qint64(gil.spansDropped());
    return g;
}

} // namespace lab
