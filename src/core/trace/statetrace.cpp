#include "statetrace.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QJsonValue>
#include <algorithm>
#include <array>
#include <climits>
#include <cmath>

namespace lab {

namespace {

struct StateName {
    const char *id;
    const char *label;
};
constexpr std::array<StateName, kLaneStateCount> kStates{{
    {"running", "running"},
    {"lock", "waiting for a lock"},
    {"semaphore", "waiting for a semaphore permit"},
    {"event", "waiting for an event"},
    {"condition", "waiting on a condition"},
    {"queue-empty", "blocked on an empty queue or pipe"},
    {"queue-full", "blocked on a full queue or pipe"},
    {"gil", "waiting for the GIL"},
    {"io", "in I/O"},
    {"sleep", "sleeping"},
    {"join", "waiting for another thread or process to end"},
}};

double rounded(double v)
{
    return std::round(v * 1e9) / 1e9;  // ns resolution, as recorded
}

qint64 clampTo(qint64 lo, qint64 v, qint64 hi)
{
    return std::clamp(v, lo, hi);
}

bool finite(double v)
{
    return std::isfinite(v);
}

} // namespace

QString laneStateId(LaneState s)
{
    return QString::fromLatin1(kStates[size_t(s)].id);
}

QString laneStateLabel(LaneState s)
{
    return QString::fromLatin1(kStates[size_t(s)].label);
}

bool laneStateFromId(const QString &id, LaneState *out)
{
    for (int i = 0; i < kLaneStateCount; ++i)
        if (id == QLatin1String(kStates[size_t(i)].id)) {
            *out = LaneState(i);
            return true;
        }
    return false;
}

void TaskTrace::shift(double by)
{
    for (StateSpan &s : spans) {
        s.start_s += by;
        s.end_s += by;
    }
    for (PrimitiveEvent &e : events)
        e.t_s += by;
}

QJsonObject TaskTrace::toJson() const
{
    QJsonArray sp, ev;
    for (const StateSpan &s : spans)
        sp.append(QJsonArray{laneStateId(s.state), s.primitive, rounded(s.start_s), rounded(s.end_s), s.culpritTask,
                             s.wakeLatency_s < 0 ? QJsonValue() : QJsonValue(rounded(s.wakeLatency_s))});
    for (const PrimitiveEvent &e : events)
        ev.append(QJsonArray{e.primitive, rounded(e.t_s), e.value, e.task});
    QJsonObject o{{QStringLiteral("spans"), sp}, {QStringLiteral("events"), ev}};
    if (droppedSpans)
        o.insert(QStringLiteral("dropped_spans"), double(droppedSpans));
    if (droppedEvents)
        o.insert(QStringLiteral("dropped_events"), double(droppedEvents));
    return o;
}

bool TaskTrace::fromJson(const QJsonObject &o, TaskTrace *out, QString *error)
{
    TaskTrace t;
    const QJsonArray sp = o.value(QStringLiteral("spans")).toArray();
    const QJsonArray ev = o.value(QStringLiteral("events")).toArray();
    if (size_t(sp.size()) > kMaxRecords || size_t(ev.size()) > kMaxRecords) {
        *error = QStringLiteral("a trace holds more than %1 spans or events").arg(kMaxRecords);
        return false;
    }
    t.spans.reserve(size_t(sp.size()));
    for (const QJsonValue &v : sp) {
        const QJsonArray a = v.toArray();
        StateSpan s;
        if (a.size() != 6 || !laneStateFromId(a.at(0).toString(), &s.state) || !a.at(2).isDouble() ||
            !a.at(3).isDouble() || !finite(a.at(2).toDouble()) || a.at(3).toDouble() < a.at(2).toDouble()) {
            *error = QStringLiteral("trace span %1 is malformed (expected [state, primitive, start, end, culprit, wake])")
                         .arg(t.spans.size());
            return false;
        }
        s.primitive = qint16(qBound(-1, a.at(1).toInt(-1), 32767));
        s.start_s = a.at(2).toDouble();
        s.end_s = a.at(3).toDouble();
        s.culpritTask = qMax(-1, a.at(4).toInt(-1));
        s.wakeLatency_s = a.at(5).isDouble() && finite(a.at(5).toDouble()) ? a.at(5).toDouble() : -1;
        t.spans.push_back(s);
    }
    t.events.reserve(size_t(ev.size()));
    for (const QJsonValue &v : ev) {
        const QJsonArray a = v.toArray();
        if (a.size() != 4 || !a.at(1).isDouble() || !finite(a.at(1).toDouble())) {
            *error = QStringLiteral("trace event %1 is malformed (expected [primitive, t, value, task])").arg(t.events.size());
            return false;
        }
        t.events.push_back({qint16(qBound(0, a.at(0).toInt(), 32767)), a.at(1).toDouble(), a.at(2).toInt(),
                            qMax(-1, a.at(3).toInt(-1))});
    }
    t.droppedSpans = qMax<qint64>(0, qint64(o.value(QStringLiteral("dropped_spans")).toDouble()));
    t.droppedEvents = qMax<qint64>(0, qint64(o.value(QStringLiteral("dropped_events")).toDouble()));
    *out = std::move(t);
    return true;
}

QByteArray TaskTrace::toCbor() const
{
    QCborArray sp, ev;
    for (const StateSpan &s : spans)
        sp.append(QCborArray{int(s.state), s.primitive, s.start_s, s.end_s, s.culpritTask, s.wakeLatency_s});
    for (const PrimitiveEvent &e : events)
        ev.append(QCborArray{e.primitive, e.t_s, e.value, e.task});
    return QCborValue(QCborArray{sp, ev, droppedSpans, droppedEvents}).toCbor();
}

bool TaskTrace::fromCbor(const QByteArray &bytes, TaskTrace *out, QString *error)
{
    // A span costs 20-40 bytes encoded; anything much larger than the bound is not a trace.
    if (bytes.size() > qsizetype(kMaxRecords) * 2 * 64) {
        *error = QStringLiteral("a trace of %1 bytes is larger than any trace a task may record").arg(bytes.size());
        return false;
    }
    QCborParserError perr;
    const QCborValue v = QCborValue::fromCbor(bytes, &perr);
    const QCborArray top = v.toArray();
    if (perr.error != QCborError::NoError || top.size() != 4 || !top.at(0).isArray() || !top.at(1).isArray()) {
        *error = QStringLiteral("a task's trace is malformed");
        return false;
    }
    const QCborArray sp = top.at(0).toArray(), ev = top.at(1).toArray();
    if (size_t(sp.size()) > kMaxRecords || size_t(ev.size()) > kMaxRecords) {
        *error = QStringLiteral("a trace holds more than %1 spans or events").arg(kMaxRecords);
        return false;
    }
    TaskTrace t;
    for (const QCborValue &x : sp) {
        const QCborArray a = x.toArray();
        const qint64 state = a.at(0).toInteger(-1);
        if (a.size() != 6 || state < 0 || state >= kLaneStateCount || !finite(a.at(2).toDouble(NAN)) ||
            !(a.at(3).toDouble(NAN) >= a.at(2).toDouble(NAN))) {
            *error = QStringLiteral("span %1 of a task's trace is malformed").arg(t.spans.size());
            return false;
        }
        t.spans.push_back({LaneState(state), qint16(clampTo(-1, a.at(1).toInteger(-1), 32767)), a.at(2).toDouble(),
                           a.at(3).toDouble(), int(clampTo(-1, a.at(4).toInteger(-1), 1 << 30)),
                           finite(a.at(5).toDouble(-1)) ? a.at(5).toDouble(-1) : -1});
    }
    for (const QCborValue &x : ev) {
        const QCborArray a = x.toArray();
        if (a.size() != 4 || !finite(a.at(1).toDouble(NAN))) {
            *error = QStringLiteral("event %1 of a task's trace is malformed").arg(t.events.size());
            return false;
        }
        t.events.push_back({qint16(clampTo(0, a.at(0).toInteger(), 32767)), a.at(1).toDouble(),
                            int(clampTo(INT_MIN, a.at(2).toInteger(), INT_MAX)),
                            int(clampTo(-1, a.at(3).toInteger(-1), 1 << 30))});
    }
    t.droppedSpans = qMax<qint64>(0, top.at(2).toInteger());
    t.droppedEvents = qMax<qint64>(0, top.at(3).toInteger());
    *out = std::move(t);
    return true;
}

QJsonObject PrimitiveInfo::toJson() const
{
    QJsonObject o{{QStringLiteral("name"), name}, {QStringLiteral("kind"), kind}};
    if (capacity > 0)
        o.insert(QStringLiteral("capacity"), capacity);
    return o;
}

PrimitiveInfo PrimitiveInfo::fromJson(const QJsonObject &o)
{
    return {o.value(QStringLiteral("name")).toString(), o.value(QStringLiteral("kind")).toString(),
            qMax(0, o.value(QStringLiteral("capacity")).toInt())};
}

void TraceRecorder::wait(LaneState state, int primitive, qint64 startNs, qint64 endNs, int culpritTask, qint64 releasedNs)
{
    if (m_trace.spans.size() >= TaskTrace::kMaxRecords) {
        ++m_trace.droppedSpans;
        return;
    }
    const double wake = releasedNs > 0 && endNs >= releasedNs ? double(endNs - releasedNs) * 1e-9 : -1.0;
    m_trace.spans.push_back({state, qint16(primitive), double(startNs) * 1e-9, double(endNs) * 1e-9, culpritTask, wake});
}

void TraceRecorder::set(int primitive, qint64 tNs, int value)
{
    if (m_trace.events.size() >= TaskTrace::kMaxRecords) {
        ++m_trace.droppedEvents;
        return;
    }
    m_trace.events.push_back({qint16(primitive), double(tNs) * 1e-9, value, m_task});
}

TaskTracePtr TraceRecorder::finish()
{
    if (m_trace.empty())
        return nullptr;
    auto out = std::make_shared<TaskTrace>(std::move(m_trace));
    m_trace = TaskTrace();
    return out;
}

} // namespace lab
