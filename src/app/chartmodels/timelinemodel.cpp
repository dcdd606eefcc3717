#include "timelinemodel.h"

#include <QJsonArray>
#include <QThread>
#include <algorithm>
#include <cmath>

namespace lab {

TimelineModel::TimelineModel(QObject *parent) : QObject(parent)
{
    rebuildLaneIndex();
}

const TaskSpec *TimelineModel::taskSpec(int taskId) const
{
    const auto it = m_specs.constFind(taskId);
    return it == m_specs.constEnd() ? nullptr : &*it;
}

bool TimelineModel::timeSpan(double now, double *lower, double *upper) const
{
    if (m_bars.empty())
        return false;
    double lo = 1e300, hi = -1e300;
    for (const Bar &b : m_bars) {
        lo = std::min(lo, b.t0);
        hi = std::max(hi, std::isnan(b.t1) ? std::max(now, b.t0) : b.t1);
    }
    *lower = lo;
    *upper = hi;
    return true;
}

void TimelineModel::setTaskSpecs(const std::vector<TaskSpec> &tasks)
{
    m_specs.clear();
    for (const TaskSpec &t : tasks)
        m_specs.insert(t.id, t);
}

void TimelineModel::clear()
{
    m_bars.clear();
    m_gil.clear();
    m_open.clear();
    m_models.clear();
    m_nextRun = 0;
    m_lastRunT0 = m_lastRunT1 = qQNaN();
    rebuildLaneIndex();
    Q_EMIT modelsChanged();
    Q_EMIT changed();
}

int TimelineModel::modelIndex(const QString &model)
{
    int i = int(m_models.indexOf(model));
    if (i < 0) {
        m_models.append(model);
        i = int(m_models.size()) - 1;
        Q_EMIT modelsChanged();
    }
    return i;
}

void TimelineModel::setRun(int run, const RunRecord &r)
{
    const int mi = modelIndex(r.model);
    const bool hadGil = !m_gil.empty();
    std::erase_if(m_bars, [run](const Bar &b) { return b.run == run; });
    std::erase_if(m_gil, [run](const GilSpan &s) { return s.run == run; });
    // Indices of open bars moved; a finished run has no open tasks left.
    m_open.clear();
    for (const TaskResult &t : r.tasks) {
        Bar b;
        b.t0 = r.t0 + t.start_s;
        b.t1 = r.t0 + std::max(t.start_s, t.end_s);
        b.lane = std::max(0, t.worker);
        b.modelIndex = mi;
        b.taskId = t.id;
        b.cpuStart = t.cpu_start;
        b.cpuEnd = t.cpu_end;
        b.ok = t.ok;
        b.run = run;
        b.url = t.url;
        b.error = t.error;
        m_bars.push_back(b);
    }
    if (r.gil) {
        for (const GilStats::Span &g : r.gil->spans) {
            GilSpan s;
            s.lane = std::max(0, g.worker);
            s.t0 = r.t0 + g.start_s;
            s.t1 = r.t0 + std::max(g.start_s, g.end_s);
            s.run = run;
            m_gil.push_back(s);
        }
    }
    if (int(m_bars.size()) > kMaxBars)
        m_bars.erase(m_bars.begin(), m_bars.begin() + (int(m_bars.size()) - kMaxBars));
    if (int(m_gil.size()) > kMaxGilSpans)
        m_gil.erase(m_gil.begin(), m_gil.begin() + (int(m_gil.size()) - kMaxGilSpans));
    m_nextRun = std::max(m_nextRun, run + 1);
    m_lastRunT0 = r.t0;
    m_lastRunT1 = r.t0 + std::max(0.0, r.wall_s);
    rebuildLaneIndex();
    if (hadGil != !m_gil.empty())
        Q_EMIT modelsChanged();  // the legend shows a GIL swatch only when there are spans
    Q_EMIT changed();
}

void TimelineModel::addLiveEvent(const LiveEvent &e, double runT0, const QString &model)
{
    Q_ASSERT(QThread::currentThread() == thread());
    const quint64 key = (quint64(quint32(e.run)) << 32) | quint32(e.taskId);
    if (e.type == LiveEvent::TaskStarted) {
        if (int(m_bars.size()) >= kMaxBars)
            return;
        Bar b;
        b.t0 = e.t;
        b.lane = std::max(0, e.worker);
        b.modelIndex = modelIndex(model);
        b.taskId = e.taskId;
        b.cpuStart = e.cpu;
        b.run = e.run;
        m_bars.push_back(b);
        m_open.insert(key, int(m_bars.size()) - 1);
        if (b.lane >= int(m_laneBars.size()))
            rebuildLaneIndex();
        else
            m_laneBars[size_t(b.lane)].push_back(int(m_bars.size()) - 1);
        m_nextRun = std::max(m_nextRun, e.run + 1);
        if (std::isnan(m_lastRunT0) || std::abs(m_lastRunT0 - runT0) > 1e-6) {
            m_lastRunT0 = runT0;
            m_lastRunT1 = qQNaN();
        }
    } else {
        const auto it = m_open.find(key);
        if (it == m_open.end())
            return;
        Bar &b = m_bars[size_t(*it)];
        b.t1 = std::max(e.t, b.t0);
        b.cpuEnd = e.cpu;
        b.ok = e.ok;
        m_open.erase(it);
        m_lastRunT1 = std::isnan(m_lastRunT1) ? b.t1 : std::max(m_lastRunT1, b.t1);
    }
    Q_EMIT changed();
}

void TimelineModel::rebuildLaneIndex()
{
    int lanes = 1;
    for (const Bar &b : m_bars)
        lanes = std::max(lanes, b.lane + 1);
    for (const GilSpan &s : m_gil)
        lanes = std::max(lanes, s.lane + 1);
    m_laneBars.assign(size_t(lanes), {});
    m_laneGil.assign(size_t(lanes), {});
    for (int i = 0; i < int(m_bars.size()); ++i)
        m_laneBars[size_t(m_bars[size_t(i)].lane)].push_back(i);
    for (int i = 0; i < int(m_gil.size()); ++i)
        m_laneGil[size_t(m_gil[size_t(i)].lane)].push_back(i);
    for (auto &lane : m_laneBars)
        std::stable_sort(lane.begin(), lane.end(), [this](int a, int b) { return m_bars[size_t(a)].t0 < m_bars[size_t(b)].t0; });
    for (auto &lane : m_laneGil)
        std::stable_sort(lane.begin(), lane.end(), [this](int a, int b) { return m_gil[size_t(a)].t0 < m_gil[size_t(b)].t0; });
    if (lanes != m_lanes) {
        m_lanes = lanes;
        Q_EMIT lanesChanged(lanes);
    }
}

} // namespace lab
