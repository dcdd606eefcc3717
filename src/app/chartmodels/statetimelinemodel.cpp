#include "statetimelinemodel.h"

#include "chartmodels/variantmodel.h"

#include <QCoreApplication>
#include <QLocale>
#include <QSet>
#include <algorithm>
#include <cmath>

namespace lab {

namespace {

// "850 µs", "12.3 ms", "1.25 s"
QString spanText(double s)
{
    if (!std::isfinite(s) || s < 0)
        return QStringLiteral("–");
    if (s < 1e-3)
        return QStringLiteral("%1 µs").arg(s * 1e6, 0, 'f', s < 1e-5 ? 2 : 1);
    if (s < 1)
        return QStringLiteral("%1 ms").arg(s * 1e3, 0, 'f', s < 1e-2 ? 2 : 1);
    return QStringLiteral("%1 s").arg(s, 0, 'f', 3);
}

QString at(double s)
{
    return QStringLiteral("%1 ms").arg(s * 1e3, 0, 'f', 3);
}

bool isWait(LaneState s)
{
    return s != LaneState::Running;
}

} // namespace

StateTimelineModel::StateTimelineModel(QObject *parent) : QObject(parent) {}

StateTimelineModel::PrimitiveShape StateTimelineModel::shapeOf(const QString &kind)
{
    const QString k = kind.toLower();
    if (k.contains(QLatin1String("lock")) || k.contains(QLatin1String("mutex")))
        return PrimitiveShape::Holder;
    if (k == QLatin1String("event") || k == QLatin1String("flag"))
        return PrimitiveShape::Flag;
    return PrimitiveShape::Level;
}

void StateTimelineModel::clear()
{
    m_runs.clear();
    m_candidates.clear();
    m_selected = -1;
    m_picked = false;
    m_run = RunRecord();
    build();
    Q_EMIT candidatesChanged();
    Q_EMIT changed();
}

void StateTimelineModel::setRun(const RunRecord &run)
{
    setRuns({run});
}

void StateTimelineModel::setRuns(const std::vector<RunRecord> &runs, const QHash<QString, QString> &variantLabels)
{
    m_variantLabels = variantLabels;
    // The user's choice stays while runs come in; otherwise the most telling run is shown.
    const QString keep = m_picked && m_selected >= 0 ? m_run.runId : QString();
    // Only the runs with something to draw are kept (copies share their traces).
    m_runs.clear();
    m_candidates.clear();
    int best = -1, keepAt = -1;
    qint64 bestScore = -1;
    for (const RunRecord &r : runs) {
        qint64 waits = 0;
        bool traced = false, deadlocked = false;
        for (const TaskResult &t : r.tasks) {
            if (t.trace) {
                traced = true;
                waits += qint64(t.trace->spans.size());
            }
            deadlocked = deadlocked || t.errorCategory == QLatin1String("deadlock");
        }
        if (!traced && !deadlocked && !(r.gil && !r.gil->spans.empty()))
            continue;
        const int candidate = int(m_runs.size());
        m_runs.push_back(r);
        m_candidates.push_back(candidate);
        if (!keep.isEmpty() && r.runId == keep)
            keepAt = candidate;
        // Waits among several workers are what this chart is for; a GIL-only run comes next.
        // A deadlock is the first thing to show.
        // Among those, the run with the most recorded waits (lock-contention's 4 contenders).
        constexpr qint64 kTier = qint64(1) << 40;
        const qint64 score = (deadlocked ? 4 * kTier : 0) + (waits > 0 ? 2 * kTier : 0) + (r.workers > 1 ? kTier : 0)
                             + std::min(waits, kTier - 1);
        if (score > bestScore) {
            bestScore = score;
            best = candidate;
        }
    }
    m_selected = keepAt >= 0 ? keepAt : best;
    m_run = m_selected >= 0 ? m_runs[size_t(m_selected)] : RunRecord();
    build();
    Q_EMIT candidatesChanged();
    Q_EMIT changed();
}

QStringList StateTimelineModel::candidateLabels() const
{
    QStringList out;
    for (int i : m_candidates)
        out << VariantModel::runLabel(m_runs[size_t(i)], m_variantLabels);
    return out;
}

void StateTimelineModel::select(int candidate)
{
    if (candidate < 0 || candidate >= int(m_candidates.size()) || candidate == m_selected)
        return;
    m_selected = candidate;
    m_picked = true;
    m_run = m_runs[size_t(m_candidates[size_t(candidate)])];
    build();
    Q_EMIT changed();
}

int StateTimelineModel::lane(int task) const
{
    return m_taskLane.value(task, -1);
}

void StateTimelineModel::build()
{
    m_segments.clear();
    m_arrows.clear();
    m_primitives.clear();
    m_taskLane.clear();
    m_lanes = 0;
    m_duration = 0;
    m_dropped = 0;
    m_capped = false;
    m_deadlock.clear();
    if (m_selected < 0) {
        m_laneSegments.clear();
        return;
    }
    const RunRecord &r = m_run;
    for (const TaskResult &t : r.tasks) {
        m_taskLane.insert(t.id, std::max(0, t.worker));
        m_lanes = std::max(m_lanes, std::max(0, t.worker) + 1);
        m_duration = std::max(m_duration, t.end_s);
    }
    m_duration = std::max(m_duration, r.wall_s);

    // GIL tenures per worker, by start; past the last recorded one (spans were dropped) the
    // gaps are unknown, not waits.
    std::vector<std::vector<GilStats::Span>> gil;
    double gilEnd = qInf();
    if (r.gil && !r.gil->spans.empty()) {
        for (const GilStats::Span &s : r.gil->spans) {
            const int w = std::max(0, s.worker);
            if (w >= int(gil.size()))
                gil.resize(size_t(w) + 1);
            gil[size_t(w)].push_back(s);
        }
        for (auto &lane : gil)
            std::sort(lane.begin(), lane.end(), [](const auto &a, const auto &b) { return a.start_s < b.start_s; });
        if (r.gil->spansDropped > 0) {
            gilEnd = 0;
            for (const GilStats::Span &s : r.gil->spans)
                gilEnd = std::max(gilEnd, s.end_s);
        }
    }
    for (const TaskResult &t : r.tasks)
        addTask(t, gil, gilEnd);

    m_laneSegments.assign(size_t(std::max(0, m_lanes)), {});
    for (int i = 0; i < int(m_segments.size()); ++i)
        m_laneSegments[size_t(m_segments[size_t(i)].lane)].push_back(i);
    for (auto &lane : m_laneSegments)
        std::stable_sort(lane.begin(), lane.end(), [this](int a, int b) { return m_segments[size_t(a)].t0 < m_segments[size_t(b)].t0; });

    // The deadlock: the tasks that failed with it, their error text, the run's own words.
    QStringList words;
    QSet<int> stuck;
    for (const TaskResult &t : r.tasks) {
        if (t.errorCategory != QLatin1String("deadlock"))
            continue;
        stuck.insert(t.id);
        if (!t.error.isEmpty() && !words.contains(t.error) && words.size() < 4)
            words << t.error;
    }
    const QJsonValue extra = r.extra.value(QStringLiteral("deadlock"));
    QString runWords = extra.isString() ? extra.toString() : QString();
    if (extra.isObject())
        for (const char *key : {"cycle", "words", "text"})
            if (extra.toObject().value(QLatin1String(key)).isString()) {
                runWords = extra.toObject().value(QLatin1String(key)).toString();
                break;
            }
    if (!stuck.isEmpty() || !runWords.isEmpty()) {
        if (!runWords.isEmpty())
            words.prepend(runWords);
        // The workload's own words may start with the word already ("deadlock: task 0 holds...").
        for (QString &w : words)
            if (w.startsWith(QLatin1String("deadlock: "), Qt::CaseInsensitive))
                w.remove(0, 10);
        m_deadlock = tr("Deadlock: %1").arg(words.isEmpty() ? tr("%n task(s) waited for each other", nullptr, int(stuck.size()))
                                                            : words.join(QStringLiteral("; ")));
        // The cycle's waits: each stuck task's last wait (the one it never left).
        for (const auto &lane : m_laneSegments)
            for (auto it = lane.rbegin(); it != lane.rend(); ++it) {
                Segment &s = m_segments[size_t(*it)];
                if (stuck.contains(s.task) && isWait(s.state)) {
                    stuck.remove(s.task);
                    s.deadlock = true;
                }
            }
    }

    for (int i = 0; i < int(m_segments.size()); ++i) {
        Segment &s = m_segments[size_t(i)];
        if (s.culprit < 0 || !isWait(s.state))
            continue;
        s.culpritLane = lane(s.culprit);
        if (s.culpritLane < 0)
            continue;
        Arrow a;
        a.segment = i;
        a.fromLane = s.culpritLane;
        a.toLane = s.lane;
        a.tTo = s.t1;
        a.tFrom = s.wake >= 0 ? std::max(s.t0, s.t1 - s.wake) : s.t1;
        m_arrows.push_back(a);
    }

    // Primitive lanes: every declared primitive, and any index the traces use beyond them.
    std::vector<std::vector<PrimitiveEvent>> events;
    for (const TaskResult &t : r.tasks) {
        if (!t.trace)
            continue;
        for (const PrimitiveEvent &e : t.trace->events) {
            if (e.primitive < 0)
                continue;
            if (e.primitive >= int(events.size()))
                events.resize(size_t(e.primitive) + 1);
            events[size_t(e.primitive)].push_back(e);
        }
    }
    const int primitives = std::max(int(r.primitives.size()), int(events.size()));
    for (int p = 0; p < primitives; ++p) {
        PrimitiveLane lane;
        if (p < int(r.primitives.size()))
            lane.info = r.primitives[size_t(p)];
        if (lane.info.name.isEmpty())
            lane.info.name = tr("primitive %1").arg(p);
        lane.shape = shapeOf(lane.info.kind);
        if (p < int(events.size())) {
            std::vector<PrimitiveEvent> &ev = events[size_t(p)];
            std::stable_sort(ev.begin(), ev.end(), [](const auto &a, const auto &b) { return a.t_s < b.t_s; });
            for (size_t k = 0; k < ev.size(); ++k) {
                Step s;
                s.t0 = ev[k].t_s;
                s.t1 = k + 1 < ev.size() ? ev[k + 1].t_s : std::max(m_duration, ev[k].t_s);
                s.value = ev[k].value;
                s.task = ev[k].task;
                lane.maxValue = std::max(lane.maxValue, s.value);
                lane.steps.push_back(s);
            }
        }
        m_primitives.push_back(std::move(lane));
    }
}

void StateTimelineModel::addTask(const TaskResult &t, const std::vector<std::vector<GilStats::Span>> &gil, double gilEnd)
{
    const int laneIndex = std::max(0, t.worker);
    const double ts = t.start_s, te = std::max(t.start_s, t.end_s);
    auto push = [&](Segment s) {
        if (int(m_segments.size()) >= kMaxSegments) {
            m_capped = true;
            return;
        }
        m_segments.push_back(s);
    };
    auto running = [&](double a, double b) {
        if (b <= a)
            return;
        Segment s;
        s.lane = laneIndex;
        s.task = t.id;
        const std::vector<GilStats::Span> *held = laneIndex < int(gil.size()) ? &gil[size_t(laneIndex)] : nullptr;
        if (!held || held->empty() || a >= gilEnd) {
            s.t0 = a;
            s.t1 = b;
            push(s);
            return;
        }
        // Inside a gil-threads task: running while the worker held the GIL, waiting for it
        // in between.
        auto it = std::lower_bound(held->begin(), held->end(), a, [](const GilStats::Span &g, double x) { return g.end_s < x; });
        double cursor = a;
        const double limit = std::min(b, gilEnd);
        for (; it != held->end() && it->start_s < limit; ++it) {
            const double h0 = std::max(cursor, it->start_s), h1 = std::min(b, it->end_s);
            if (h1 <= h0)
                continue;
            if (h0 > cursor) {
                s.state = LaneState::Gil;
                s.t0 = cursor;
                s.t1 = h0;
                push(s);
            }
            s.state = LaneState::Running;
            s.t0 = h0;
            s.t1 = h1;
            push(s);
            cursor = h1;
        }
        if (cursor < limit) {
            s.state = LaneState::Gil;
            s.t0 = cursor;
            s.t1 = limit;
            push(s);
            cursor = limit;
        }
        if (cursor < b) {
            s.state = LaneState::Running;
            s.t0 = cursor;
            s.t1 = b;
            push(s);
        }
    };

    if (!t.trace || t.trace->spans.empty()) {
        running(ts, te);
        return;
    }
    m_dropped += t.trace->droppedSpans + t.trace->droppedEvents;
    std::vector<StateSpan> spans = t.trace->spans;
    std::stable_sort(spans.begin(), spans.end(), [](const StateSpan &a, const StateSpan &b) { return a.start_s < b.start_s; });
    double cursor = ts;
    for (const StateSpan &sp : spans) {
        // Clipped to the task and to what came before: a lane is in one state at a time.
        const double a = std::clamp(sp.start_s, cursor, te), b = std::clamp(sp.end_s, a, te);
        if (b <= a && sp.end_s > sp.start_s)
            continue;
        running(cursor, a);
        Segment s;
        s.lane = laneIndex;
        s.task = t.id;
        s.state = sp.state;
        s.primitive = sp.primitive;
        s.t0 = a;
        s.t1 = b;
        s.culprit = sp.culpritTask;
        s.wake = sp.wakeLatency_s;
        push(s);
        cursor = b;
    }
    running(cursor, te);
}

std::vector<LaneState> StateTimelineModel::statesPresent() const
{
    bool seen[kLaneStateCount] = {};
    for (const Segment &s : m_segments)
        seen[int(s.state)] = true;
    std::vector<LaneState> out;
    for (int i = 0; i < kLaneStateCount; ++i)
        if (seen[i])
            out.push_back(LaneState(i));
    return out;
}

std::vector<int> StateTimelineModel::visibleArrows(double lower, double upper, int limit, int *total) const
{
    std::vector<int> out;
    for (int i = 0; i < int(m_arrows.size()); ++i) {
        const Arrow &a = m_arrows[size_t(i)];
        if (a.tTo >= lower && a.tFrom <= upper)
            out.push_back(i);
    }
    if (total)
        *total = int(out.size());
    if (int(out.size()) > limit) {
        auto waited = [this](int i) {
            const Segment &s = m_segments[size_t(m_arrows[size_t(i)].segment)];
            return s.t1 - s.t0;
        };
        std::nth_element(out.begin(), out.begin() + limit, out.end(), [&](int a, int b) { return waited(a) > waited(b); });
        out.resize(size_t(std::max(0, limit)));
        std::sort(out.begin(), out.end());
    }
    return out;
}

std::vector<StateTimelineModel::Cell> StateTimelineModel::reduce(double lower, double upper, int columns) const
{
    std::vector<Cell> cells;
    if (columns <= 0 || !(upper > lower))
        return cells;
    const double scale = columns / (upper - lower);
    std::vector<float> cover(static_cast<size_t>(columns) * kLaneStateCount);
    std::vector<quint8> stuck(static_cast<size_t>(columns));
    for (int laneIndex = 0; laneIndex < int(m_laneSegments.size()); ++laneIndex) {
        const std::vector<int> &lane = m_laneSegments[size_t(laneIndex)];
        // Segments of a lane do not overlap: ends are in start order too.
        auto first = std::lower_bound(lane.begin(), lane.end(), lower,
                                      [this](int i, double t) { return m_segments[size_t(i)].t1 < t; });
        if (first == lane.end())
            continue;
        std::fill(cover.begin(), cover.end(), 0.0f);
        std::fill(stuck.begin(), stuck.end(), quint8(0));
        bool any = false;
        for (auto it = first; it != lane.end(); ++it) {
            const Segment &s = m_segments[size_t(*it)];
            if (s.t0 > upper)
                break;
            const double a = std::clamp((s.t0 - lower) * scale, 0.0, double(columns));
            const double b = std::clamp((s.t1 - lower) * scale, 0.0, double(columns));
            const int c0 = std::min(columns - 1, int(a));
            const int c1 = std::min(columns, std::max(c0 + 1, int(std::ceil(b))));
            for (int c = c0; c < c1; ++c) {
                const double overlap = std::max(std::min(b, double(c + 1)) - std::max(a, double(c)), 1e-4);
                cover[size_t(c) * kLaneStateCount + size_t(s.state)] += float(overlap);
                stuck[size_t(c)] |= s.deadlock ? 1 : 0;
            }
            any = true;
        }
        if (!any)
            continue;
        int runStart = 0, runState = -1;
        bool runStuck = false;
        for (int c = 0; c <= columns; ++c) {
            int state = -1;
            if (c < columns) {
                float best = 0;
                for (int k = 0; k < kLaneStateCount; ++k) {
                    const float v = cover[size_t(c) * kLaneStateCount + size_t(k)];
                    if (v > best) {
                        best = v;
                        state = k;
                    }
                }
            }
            const bool st = c < columns && stuck[size_t(c)];
            if (c == columns || state != runState || st != runStuck) {
                if (runState >= 0)
                    cells.push_back(Cell{float(runStart), float(c), laneIndex, LaneState(runState), runStuck});
                runStart = c;
                runState = state;
                runStuck = st;
            }
        }
    }
    return cells;
}

int StateTimelineModel::segmentAt(int laneIndex, double t, double tolerance) const
{
    if (laneIndex < 0 || laneIndex >= int(m_laneSegments.size()))
        return -1;
    const std::vector<int> &lane = m_laneSegments[size_t(laneIndex)];
    auto it = std::lower_bound(lane.begin(), lane.end(), t - tolerance,
                               [this](int i, double x) { return m_segments[size_t(i)].t1 < x; });
    int inside = -1, nearWait = -1;
    for (; it != lane.end(); ++it) {
        const Segment &s = m_segments[size_t(*it)];
        if (s.t0 > t + tolerance)
            break;
        if (isWait(s.state) && nearWait < 0)
            nearWait = *it;
        if (t >= s.t0 && t <= s.t1 && inside < 0)
            inside = *it;
    }
    // A wait narrower than the pointer is still what one points at.
    if (inside >= 0 && isWait(m_segments[size_t(inside)].state))
        return inside;
    return nearWait >= 0 ? nearWait : inside;
}

int StateTimelineModel::stepAt(int primitive, double t) const
{
    if (primitive < 0 || primitive >= int(m_primitives.size()))
        return -1;
    const std::vector<Step> &steps = m_primitives[size_t(primitive)].steps;
    auto it = std::upper_bound(steps.begin(), steps.end(), t, [](double x, const Step &s) { return x < s.t0; });
    if (it == steps.begin())
        return -1;
    --it;
    return t <= it->t1 ? int(it - steps.begin()) : -1;
}

QString StateTimelineModel::primitiveName(int primitive) const
{
    if (primitive < 0 || primitive >= int(m_primitives.size()))
        return {};
    const PrimitiveInfo &p = m_primitives[size_t(primitive)].info;
    return p.kind.isEmpty() ? p.name : tr("%1 (%2)").arg(p.name, p.kind);
}

QString StateTimelineModel::describeSegment(int index) const
{
    if (index < 0 || index >= int(m_segments.size()))
        return {};
    const Segment &s = m_segments[size_t(index)];
    QStringList lines;
    lines << tr("Task %1 on worker %2: %3").arg(s.task).arg(s.lane).arg(laneStateLabel(s.state));
    if (s.primitive >= 0)
        lines << primitiveName(s.primitive);
    if (isWait(s.state))
        lines << tr("waited %1 (from %2 to %3)").arg(spanText(s.t1 - s.t0), at(s.t0), at(s.t1));
    else
        lines << tr("for %1 (from %2 to %3)").arg(spanText(s.t1 - s.t0), at(s.t0), at(s.t1));
    if (s.culprit >= 0) {
        const QString who = s.culpritLane >= 0 ? tr("task %1 on worker %2").arg(s.culprit).arg(s.culpritLane)
                                               : tr("task %1").arg(s.culprit);
        lines << tr("ended by %1").arg(who);
        if (s.wake >= 0)
            lines << tr("running again %1 after that release").arg(spanText(s.wake));
        else
            lines << tr("wake-up delay not measured");
    } else if (isWait(s.state) && s.state != LaneState::Gil && s.state != LaneState::Sleep) {
        lines << tr("who ended the wait was not recorded");
    }
    if (s.deadlock)
        lines << tr("part of the deadlock: this wait never ended by itself");
    return lines.join(QLatin1Char('\n'));
}

QString StateTimelineModel::describeStep(int primitive, int step) const
{
    if (primitive < 0 || primitive >= int(m_primitives.size()))
        return {};
    const PrimitiveLane &p = m_primitives[size_t(primitive)];
    if (step < 0 || step >= int(p.steps.size()))
        return {};
    const Step &s = p.steps[size_t(step)];
    QString what;
    switch (p.shape) {
    case PrimitiveShape::Holder:
        what = s.value < 0 ? tr("free")
                           : lane(s.value) >= 0 ? tr("held by task %1 on worker %2").arg(s.value).arg(lane(s.value))
                                                : tr("held by task %1").arg(s.value);
        break;
    case PrimitiveShape::Flag:
        what = s.value ? tr("set") : tr("clear");
        if (s.task >= 0)
            what += tr(" (by task %1)").arg(s.task);
        break;
    case PrimitiveShape::Level: {
        const QString kind = p.info.kind.toLower();
        if (kind.contains(QLatin1String("semaphore")))
            what = p.info.capacity > 0 ? tr("%1 of %2 permits in use").arg(s.value).arg(p.info.capacity)
                                       : tr("%1 permits in use").arg(s.value);
        else if (kind.contains(QLatin1String("queue")) || kind.contains(QLatin1String("pipe")))
            what = p.info.capacity > 0 ? tr("%1 items waiting (room for %2)").arg(s.value).arg(p.info.capacity)
                                       : tr("%1 items waiting").arg(s.value);
        else
            what = p.info.capacity > 0 ? tr("%1 of %2").arg(s.value).arg(p.info.capacity) : QString::number(s.value);
        if (s.task >= 0)
            what += tr(", changed by task %1").arg(s.task);
        break;
    }
    }
    return tr("%1\n%2\nfrom %3 for %4").arg(primitiveName(primitive), what, at(s.t0), spanText(s.t1 - s.t0));
}

} // namespace lab
