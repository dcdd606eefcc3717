#include "protocol.h"

#include "workloads/workload.h"

#include <QCborValue>

namespace lab::ipc {

namespace {

const QString kType = QStringLiteral("type");

QString key(const char *k)
{
    return QString::fromLatin1(k);
}

QCborMap message(MessageType type)
{
    QCborMap m;
    m.insert(kType, messageTypeName(type));
    return m;
}

// Field readers: every one reports the field it choked on.
class Reader {
public:
    Reader(const QCborMap &m, MessageType expected, QString *error) : m_map(m), m_error(error)
    {
        if (messageType(m) != expected)
            setError(QStringLiteral("expected a \"%1\" message, got \"%2\"")
                         .arg(messageTypeName(expected), m.value(kType).toString()));
    }
    bool ok() const { return m_ok; }

    qint64 integer(const char *k, bool required = true, qint64 fallback = 0)
    {
        const QCborValue v = m_map.value(key(k));
        if (v.isInteger())
            return v.toInteger();
        if (required || !v.isUndefined())
            setError(QStringLiteral("field \"%1\" must be an integer").arg(key(k)));
        return fallback;
    }
    double real(const char *k, bool required = true)
    {
        const QCborValue v = m_map.value(key(k));
        if (v.isDouble() || v.isInteger())
            return v.toDouble();
        if (required || !v.isUndefined())
            setError(QStringLiteral("field \"%1\" must be a number").arg(key(k)));
        return 0;
    }
    QString string(const char *k, bool required = false)
    {
        const QCborValue v = m_map.value(key(k));
        if (v.isString())
            return v.toString();
        if (required || !v.isUndefined())
            setError(QStringLiteral("field \"%1\" must be a string").arg(key(k)));
        return {};
    }
    bool boolean(const char *k)
    {
        const QCborValue v = m_map.value(key(k));
        if (v.isBool())
            return v.toBool();
        if (!v.isUndefined())
            setError(QStringLiteral("field \"%1\" must be true or false").arg(key(k)));
        return false;
    }

private:
    void setError(const QString &e)
    {
        if (m_ok && m_error)
            *m_error = e;
        m_ok = false;
    }
    const QCborMap &m_map;
    QString *m_error;
    bool m_ok = true;
};

} // namespace

QString messageTypeName(MessageType type)
{
    switch (type) {
    case MessageType::Hello:
        return QStringLiteral("hello");
    case MessageType::Task:
        return QStringLiteral("task");
    case MessageType::Started:
        return QStringLiteral("started");
    case MessageType::Result:
        return QStringLiteral("result");
    case MessageType::Cancel:
        return QStringLiteral("cancel");
    case MessageType::Bye:
        return QStringLiteral("bye");
    case MessageType::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

MessageType messageType(const QCborMap &m)
{
    const QString t = m.value(kType).toString();
    for (MessageType type : {MessageType::Hello, MessageType::Task, MessageType::Started, MessageType::Result,
                             MessageType::Cancel, MessageType::Bye})
        if (t == messageTypeName(type))
            return type;
    return MessageType::Unknown;
}

QCborMap encodeHello(const Hello &hello)
{
    QCborMap m = message(MessageType::Hello);
    m.insert(key("version"), hello.version);
    m.insert(key("pid"), hello.pid);
    return m;
}

bool decodeHello(const QCborMap &m, Hello *out, QString *error)
{
    Reader r(m, MessageType::Hello, error);
    out->version = int(r.integer("version"));
    out->pid = r.integer("pid");
    return r.ok();
}

QCborMap encodeTask(const TaskSpec &t)
{
    QCborMap m = message(MessageType::Task);
    m.insert(key("id"), t.id);
    m.insert(key("workload"), t.workload);
    m.insert(key("params"), t.params);
    return m;
}

bool decodeTask(const QCborMap &m, TaskSpec *out, QString *error)
{
    Reader r(m, MessageType::Task, error);
    TaskSpec t;
    t.id = int(r.integer("id"));
    t.workload = r.string("workload", true);
    if (!r.ok())
        return false;
    const QCborValue params = m.value(key("params"));
    if (!params.isMap()) {
        *error = QStringLiteral("field \"params\" must be a map");
        return false;
    }
    t.params = params.toMap();
    const Workload *w = findWorkload(t.workload);
    if (!w) {
        *error = QStringLiteral("unknown workload \"%1\" (this worker knows: %2)")
                     .arg(t.workload, workloadIds().join(QStringLiteral(", ")));
        return false;
    }
    const QString problem = w->checkTask(t);
    if (!problem.isEmpty()) {
        *error = QStringLiteral("task %1: %2").arg(t.id).arg(problem);
        return false;
    }
    *out = t;
    return true;
}

QCborMap encodeStarted(const Started &s)
{
    QCborMap m = message(MessageType::Started);
    m.insert(key("id"), s.id);
    m.insert(key("t"), s.t);
    m.insert(key("cpu"), s.cpu);
    return m;
}

bool decodeStarted(const QCborMap &m, Started *out, QString *error)
{
    Reader r(m, MessageType::Started, error);
    out->id = int(r.integer("id"));
    out->t = r.real("t");
    out->cpu = int(r.integer("cpu", false, -1));
    return r.ok();
}

QCborMap encodeResult(const ResultMessage &rm)
{
    const TaskResult &t = rm.result;
    QCborMap m = message(MessageType::Result);
    m.insert(key("id"), t.id);
    m.insert(key("start"), t.start_s);
    m.insert(key("end"), t.end_s);
    m.insert(key("cpu_start"), t.cpu_start);
    m.insert(key("cpu_end"), t.cpu_end);
    m.insert(key("ok"), t.ok);
    m.insert(key("verified"), t.verified);
    m.insert(key("cancelled"), t.cancelled);
    if (!t.error.isEmpty())
        m.insert(key("error"), t.error);
    if (!t.errorCategory.isEmpty())
        m.insert(key("error_category"), t.errorCategory);
    // 128-bit sums do not fit a CBOR integer; they travel as decimal strings.
    if (!t.value.isEmpty())
        m.insert(key("value"), t.value);
    m.insert(key("compute_s"), t.compute_s);
    m.insert(key("task_cpu_s"), t.cpuTime_s);
    if (!t.url.isEmpty()) {
        m.insert(key("url"), t.url);
        m.insert(key("bytes"), t.bytes);
        m.insert(key("http_status"), t.httpStatus);
        m.insert(key("ttfb_s"), t.ttfb_s);
        m.insert(key("checksum"), t.checksum);
    }
    m.insert(key("worker_cpu_s"), rm.workerCpu_s);
    m.insert(key("worker_peak_rss_kb"), qint64(rm.workerPeakRssKb));
    return m;
}

bool decodeResult(const QCborMap &m, ResultMessage *out, QString *error)
{
    Reader r(m, MessageType::Result, error);
    ResultMessage rm;
    TaskResult &t = rm.result;
    t.id = int(r.integer("id"));
    t.start_s = r.real("start");
    t.end_s = r.real("end");
    t.cpu_start = int(r.integer("cpu_start", false, -1));
    t.cpu_end = int(r.integer("cpu_end", false, -1));
    t.ok = r.boolean("ok");
    t.verified = r.boolean("verified");
    t.cancelled = r.boolean("cancelled");
    t.error = r.string("error");
    t.errorCategory = r.string("error_category");
    t.value = r.string("value");
    t.compute_s = r.real("compute_s");
    t.cpuTime_s = r.real("task_cpu_s", false);
    t.url = r.string("url");
    t.bytes = r.integer("bytes", false, 0);
    t.httpStatus = int(r.integer("http_status", false, 0));
    t.ttfb_s = r.real("ttfb_s", false);
    t.checksum = r.string("checksum");
    rm.workerCpu_s = r.real("worker_cpu_s");
    rm.workerPeakRssKb = long(r.integer("worker_peak_rss_kb", false, 0));
    if (!r.ok())
        return false;
    *out = rm;
    return true;
}

QCborMap encodeCancel(int taskId)
{
    QCborMap m = message(MessageType::Cancel);
    m.insert(key("id"), taskId);
    return m;
}

int decodeCancel(const QCborMap &m)
{
    const QCborValue v = m.value(key("id"));
    return v.isInteger() ? int(v.toInteger()) : -1;
}

QCborMap encodeBye()
{
    return message(MessageType::Bye);
}

} // namespace lab::ipc
