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
    *lower = m_minT0;
    *upper = m_runningBars == 0 ? m_maxT1 : std::max(m_maxT1, now);
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
    m_minT0 = qInf();
    m_maxT1 = -qInf();
    m_runningBars = 0;
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
    m_minT0 = qInf();
    m_maxT1 = -qInf();
    m_runningBars = 0;
    for (const Bar &b : m_bars) {
        m_minT0 = std::min(m_minT0, b.t0);
        m_maxT1 = std::max(m_maxT1, std::isnan(b.t1) ? b.t0 : b.t1);
        m_runningBars += std::isnan(b.t1) ? 1 : 0;
    }
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
        m_minT0 = std::min(m_minT0, b.t0);
        m_maxT1 = std::max(m_maxT1, b.t0);
        ++m_runningBars;
        if (b.lane >= int(m_laneBars.size())) {
            rebuildLaneIndex();
        } else {
            // Kept in start order (events of another run may come late): normally an append.
            std::vector<int> &lane = m_laneBars[size_t(b.lane)];
            const auto at = std::upper_bound(lane.begin(), lane.end(), b.t0,
                                             [this](double t, int idx) { return t < m_bars[size_t(idx)].t0; });
            const int pos = int(at - lane.begin());
            lane.insert(at, int(m_bars.size()) - 1);
            std::vector<LaneBar> &draw = m_laneDraw[size_t(b.lane)];
            draw.insert(draw.begin() + pos, laneBar(b));
            m_laneEndMax[size_t(b.lane)].resize(lane.size());
            updateEndMax(b.lane, pos);
        }
        m_nextRun = std::max(m_nextRun, e.run + 1);
        if (std::isnan(m_lastRunT0) || std::abs(m_lastRunT0 - runT0) > 1e-6) {
            m_lastRunT0 = runT0;
            m_lastRunT1 = qQNaN();
        }
    } else {
        const auto it = m_open.find(key);
        if (it == m_open.end())
            return;
        const int index = *it;
        Bar &b = m_bars[size_t(index)];
        b.t1 = std::max(e.t, b.t0);
        b.cpuEnd = e.cpu;
        b.ok = e.ok;
        m_open.erase(it);
        m_maxT1 = std::max(m_maxT1, b.t1);
        --m_runningBars;
        // Normally the lane's newest bar: search from the back.
        const std::vector<int> &lane = m_laneBars[size_t(b.lane)];
        for (int k = int(lane.size()) - 1; k >= 0; --k) {
            if (lane[size_t(k)] == index) {
                m_laneDraw[size_t(b.lane)][size_t(k)] = laneBar(b);
                updateEndMax(b.lane, k);
                break;
            }
        }
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
    m_laneDraw.assign(size_t(lanes), {});
    m_laneEndMax.assign(size_t(lanes), {});
    for (int lane = 0; lane < lanes; ++lane) {
        std::vector<LaneBar> &draw = m_laneDraw[size_t(lane)];
        draw.reserve(m_laneBars[size_t(lane)].size());
        for (int idx : m_laneBars[size_t(lane)])
            draw.push_back(laneBar(m_bars[size_t(idx)]));
        m_laneEndMax[size_t(lane)].resize(m_laneBars[size_t(lane)].size());
        updateEndMax(lane, 0);
    }
    if (lanes != m_lanes) {
        m_lanes = lanes;
        Q_EMIT lanesChanged(lanes);
    }
}

void TimelineModel::updateEndMax(int lane, int from)
{
    const std::vector<LaneBar> &bars = m_laneDraw[size_t(lane)];
    std::vector<double> &em = m_laneEndMax[size_t(lane)];
    double running = from > 0 ? em[size_t(from - 1)] : -qInf();
    for (size_t k = size_t(std::max(0, from)); k < bars.size(); ++k) {
        const LaneBar &b = bars[k];
        running = std::max(running, std::isnan(b.t1) ? qInf() : b.t1);
        em[k] = running;
    }
}

std::pair<int, int> TimelineModel::visibleBars(int lane, double lower, double upper, double now) const
{
    Q_UNUSED(now);  // running bars have an infinite end in the index; callers clip them
    if (lane < 0 || lane >= int(m_laneBars.size()))
        return {0, 0};
    const std::vector<LaneBar> &bars = m_laneDraw[size_t(lane)];
    const std::vector<double> &em = m_laneEndMax[size_t(lane)];
    // Every bar before `first` ends before the view; every bar from `last` on starts after it.
    const int first = int(std::lower_bound(em.begin(), em.end(), lower) - em.begin());
    const auto startsAfter = std::upper_bound(bars.begin() + first, bars.end(), upper,
                                              [](double t, const LaneBar &b) { return t < b.t0; });
    return {first, int(startsAfter - bars.begin())};
}

int TimelineModel::groupSizeFor(int lanes, int maxRows)
{
    maxRows = std::max(1, maxRows);
    int g = 1;
    while ((lanes + g - 1) / g > maxRows && g < (1 << 20))
        g *= 2;
    return g;
}

TimelineModel::Frame TimelineModel::reduce(double lower, double upper, int columns, int groupSize, double now) const
{
    Frame f;
    f.groupSize = std::max(1, groupSize);
    const int lanes = int(m_laneBars.size());
    f.rows = (lanes + f.groupSize - 1) / f.groupSize;
    if (columns <= 0 || !(upper > lower) || m_bars.empty())
        return f;
    const double scale = columns / (upper - lower);
    // Clamped a little outside the view, so clipped bars keep their edges off screen.
    auto px = [&](double t) { return float(std::clamp((t - lower) * scale, -2.0, double(columns) + 2.0)); };
    auto kindOf = [](const LaneBar &b) {
        return std::isnan(b.t1) ? SpanKind::Running : b.ok ? SpanKind::Done : SpanKind::Failed;
    };

    if (f.groupSize == 1) {
        for (int lane = 0; lane < lanes; ++lane) {
            const auto [first, last] = visibleBars(lane, lower, upper, now);
            const std::vector<LaneBar> &bars = m_laneDraw[size_t(lane)];
            Span cur;
            bool have = false, curTiny = false;
            for (int k = first; k < last; ++k) {
                const LaneBar &b = bars[size_t(k)];
                ++f.barsVisited;
                const double end = std::isnan(b.t1) ? std::max(now, b.t0) : b.t1;
                if (end < lower || b.t0 > upper)
                    continue;
                const float x0 = px(b.t0), x1 = std::max(px(end), x0);
                const SpanKind kind = kindOf(b);
                const bool tiny = x1 - x0 < kMergePx;
                if (have && tiny && curTiny && cur.modelIndex == b.modelIndex && cur.kind == kind && x0 <= cur.x1 + 1.0f) {
                    cur.x1 = std::max(cur.x1, x1);
                    ++cur.tasks;
                    continue;
                }
                if (have)
                    f.spans.push_back(cur);
                cur = Span{x0, x1, lane, b.modelIndex, kind, 1.0f, 1};
                curTiny = tiny;
                have = true;
            }
            if (have)
                f.spans.push_back(cur);
        }
        return f;
    }

    // Grouped rows: busy share of the row's lanes per pixel column, coloured by the model that
    // covers the column most.
    std::vector<float> cover(static_cast<size_t>(columns)), best(static_cast<size_t>(columns));
    std::vector<int> model(static_cast<size_t>(columns));
    std::vector<quint8> flags(static_cast<size_t>(columns));  // 1: a running bar, 2: a failed bar
    for (int row = 0; row < f.rows; ++row) {
        const int lane0 = row * f.groupSize;
        const int laneCount = std::min(f.groupSize, lanes - lane0);
        std::fill(cover.begin(), cover.end(), 0.0f);
        std::fill(best.begin(), best.end(), 0.0f);
        std::fill(flags.begin(), flags.end(), quint8(0));
        bool any = false;
        for (int lane = lane0; lane < lane0 + laneCount; ++lane) {
            const auto [first, last] = visibleBars(lane, lower, upper, now);
            const std::vector<LaneBar> &bars = m_laneDraw[size_t(lane)];
            for (int k = first; k < last; ++k) {
                const LaneBar &b = bars[size_t(k)];
                ++f.barsVisited;
                const double end = std::isnan(b.t1) ? std::max(now, b.t0) : b.t1;
                if (end < lower || b.t0 > upper)
                    continue;
                const float a = std::clamp(px(b.t0), 0.0f, float(columns));
                const float e = std::clamp(px(end), 0.0f, float(columns));
                const quint8 flag = std::isnan(b.t1) ? 1 : b.ok ? 0 : 2;
                const int c0 = std::min(columns - 1, int(a));
                const int c1 = std::min(columns, std::max(c0 + 1, int(std::ceil(e))));
                for (int c = c0; c < c1; ++c) {
                    // A zero-length task still marks its column, with the least weight.
                    const float overlap = std::max(std::min(e, float(c + 1)) - std::max(a, float(c)), 1e-4f);
                    cover[size_t(c)] += overlap;
                    flags[size_t(c)] |= flag;
                    if (overlap > best[size_t(c)]) {
                        best[size_t(c)] = overlap;
                        model[size_t(c)] = b.modelIndex;
                    }
                }
                any = true;
            }
        }
        if (!any)
            continue;
        int runStart = 0, runLevel = 0, runModel = -1;
        SpanKind runKind = SpanKind::Done;
        auto flush = [&](int end) {
            if (runLevel > 0)
                f.spans.push_back(Span{float(runStart), float(end), row, runModel, runKind,
                                       float(runLevel) / kFillLevels, 0});
        };
        for (int c = 0; c <= columns; ++c) {
            int level = 0, m = -1;
            SpanKind kind = SpanKind::Done;
            if (c < columns && cover[size_t(c)] > 0) {
                const float share = std::min(1.0f, cover[size_t(c)] / float(laneCount));
                level = std::clamp(int(std::lround(share * kFillLevels)), 1, kFillLevels);  // busy at all: visible
                m = model[size_t(c)];
                kind = (flags[size_t(c)] & 2) ? SpanKind::Failed : (flags[size_t(c)] & 1) ? SpanKind::Running : SpanKind::Done;
            }
            if (c == columns || level != runLevel || m != runModel || kind != runKind) {
                flush(c);
                runStart = c;
                runLevel = level;
                runModel = m;
                runKind = kind;
            }
        }
    }
    return f;
}

std::vector<int> TimelineModel::barsAt(int firstLane, int count, double t, double tolerance, double now) const
{
    std::vector<int> inside, near;
    for (int lane = std::max(0, firstLane); lane < std::min(int(m_laneBars.size()), firstLane + count); ++lane) {
        const auto [first, last] = visibleBars(lane, t - tolerance, t + tolerance, now);
        const std::vector<int> &bars = m_laneBars[size_t(lane)];
        for (int k = first; k < last; ++k) {
            const Bar &b = m_bars[size_t(bars[size_t(k)])];
            const double end = std::isnan(b.t1) ? std::max(now, b.t0) : b.t1;
            if (t >= b.t0 && t <= end)
                inside.push_back(bars[size_t(k)]);
            else if (t >= b.t0 - tolerance && t <= end + tolerance)
                near.push_back(bars[size_t(k)]);
        }
    }
    inside.insert(inside.end(), near.begin(), near.end());
    return inside;
}

} // namespace lab
