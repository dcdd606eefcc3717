#include "protocol.h"

#include "workloads/workload.h"

#include <QCborStreamReader>
#include <QCborValue>
#include <QtEndian>

#include <algorithm>
#include <cstring>
#include <limits>

namespace lab::ipc {

MessageType messageTypeFromName(QStringView t);

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
    case MessageType::Tasks:
        return QStringLiteral("tasks");
    case MessageType::Results:
        return QStringLiteral("results");
    case MessageType::Started:
        return QStringLiteral("started");
    case MessageType::Result:
        return QStringLiteral("result");
    case MessageType::Cancel:
        return QStringLiteral("cancel");
    case MessageType::Bye:
        return QStringLiteral("bye");
    case MessageType::Host:
        return QStringLiteral("host");
    case MessageType::Forked:
        return QStringLiteral("forked");
    case MessageType::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

MessageType messageType(const QCborMap &m)
{
    const QString t = m.value(kType).toString();
    return messageTypeFromName(t);
}

MessageType messageTypeFromName(QStringView t)
{
    for (MessageType type : {MessageType::Hello, MessageType::Task, MessageType::Tasks, MessageType::Started,
                             MessageType::Result, MessageType::Results, MessageType::Cancel, MessageType::Bye,
                             MessageType::Host, MessageType::Forked})
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

bool acceptHello(const std::optional<QCborMap> &m, Hello *out, QString *why, bool *otherVersion,
                 const QString &decodeError)
{
    if (otherVersion)
        *otherVersion = false;
    QString error = decodeError;
    if (!m || messageType(*m) != MessageType::Hello || !decodeHello(*m, out, &error)) {
        *why = QStringLiteral("expected a hello handshake, got \"%1\" %2").arg(m ? m->value(kType).toString() : QString(), error);
        return false;
    }
    if (out->version != kProtocolVersion) {
        *why = QStringLiteral("speaks protocol version %1, this program speaks version %2 "
                              "(worker and app are from different builds)")
                   .arg(out->version)
                   .arg(kProtocolVersion);
        if (otherVersion)
            *otherVersion = true;
        return false;
    }
    return true;
}

QCborMap encodeForked(const Forked &forked)
{
    QCborMap m = message(MessageType::Forked);
    if (forked.pid > 0)
        m.insert(key("pid"), forked.pid);
    else
        m.insert(key("error"), forked.error.isEmpty() ? QStringLiteral("no pid") : forked.error);
    return m;
}

bool decodeForked(const QCborMap &m, Forked *out, QString *error)
{
    Reader r(m, MessageType::Forked, error);
    out->pid = r.integer("pid", false, 0);
    out->error = r.string("error");
    if (r.ok() && out->pid <= 0 && out->error.isEmpty()) {
        if (error)
            *error = QStringLiteral("a \"forked\" message needs a pid or an error");
        return false;
    }
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
        m.insert(key("error"), t.error.toString());
    if (!t.errorCategory.isEmpty())
        m.insert(key("error_category"), t.errorCategory.toString());
    // 128-bit sums do not fit a CBOR integer; they travel as decimal strings.
    if (!t.value.isEmpty())
        m.insert(key("value"), t.value);
    m.insert(key("compute_s"), t.compute_s);
    m.insert(key("task_cpu_s"), t.cpuTime_s);
    if (!t.url.isEmpty()) {
        m.insert(key("url"), t.url.toString());
        m.insert(key("bytes"), t.bytes);
        m.insert(key("http_status"), t.httpStatus);
        m.insert(key("ttfb_s"), t.ttfb_s);
        m.insert(key("checksum"), t.checksum.toString());
    }
    if (t.trace)
        m.insert(key("trace"), t.trace->toCbor());
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
    if (m.value(key("trace")).isByteArray()) {
        auto trace = std::make_shared<TaskTrace>();
        if (!TaskTrace::fromCbor(m.value(key("trace")).toByteArray(), trace.get(), error))
            return false;
        t.trace = std::move(trace);
    }
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

QCborMap encodeHost(const HostJob &job)
{
    QCborMap m = message(MessageType::Host);
    m.insert(key("spec"), QString::fromUtf8(job.specJson));
    m.insert(key("workers"), job.workers);
    m.insert(key("tasks"), job.tasks);
    return m;
}

bool decodeHost(const QCborMap &m, HostJob *out, QString *error)
{
    Reader r(m, MessageType::Host, error);
    out->specJson = r.string("spec", true).toUtf8();
    const qint64 workers = r.integer("workers");
    const qint64 tasks = r.integer("tasks");
    if (!r.ok())
        return false;
    // The same bounds the spec parser and the task cap hold the parent to.
    if (workers < 1 || workers > 256) {
        *error = QStringLiteral("field \"workers\" must be in 1..256");
        return false;
    }
    if (tasks < 0 || tasks > 100000) {
        *error = QStringLiteral("field \"tasks\" must be in 0..100000");
        return false;
    }
    out->workers = int(workers);
    out->tasks = int(tasks);
    return true;
}

} // namespace lab::ipc

// ---- The lean path: streaming encoders and decoders of the hot messages ----

namespace lab::ipc {

namespace {

// A minimal CBOR writer straight into the frame buffer: the hot messages are a handful of
// heads, integers, doubles and short strings, and QCborStreamWriter costs a QBuffer (a QObject)
// per message. The output is ordinary CBOR, read back with QCborStreamReader.
class CborOut {
public:
    explicit CborOut(QByteArray &out) : m_out(out) {}
    void head(quint8 major, quint64 v)
    {
        char b[9];
        const char m = char(major << 5);
        if (v < 24) {
            m_out.append(char(m | char(v)));
        } else if (v <= 0xff) {
            b[0] = char(m | 24);
            b[1] = char(v);
            m_out.append(b, 2);
        } else if (v <= 0xffff) {
            b[0] = char(m | 25);
            qToBigEndian<quint16>(quint16(v), b + 1);
            m_out.append(b, 3);
        } else if (v <= 0xffffffffu) {
            b[0] = char(m | 26);
            qToBigEndian<quint32>(quint32(v), b + 1);
            m_out.append(b, 5);
        } else {
            b[0] = char(m | 27);
            qToBigEndian<quint64>(v, b + 1);
            m_out.append(b, 9);
        }
    }
    void integer(qint64 v) { v >= 0 ? head(0, quint64(v)) : head(1, quint64(-1 - v)); }
    void real(double d)
    {
        char b[9];
        b[0] = char(0xfb);
        quint64 u;
        std::memcpy(&u, &d, 8);
        qToBigEndian<quint64>(u, b + 1);
        m_out.append(b, 9);
    }
    void key(QLatin1StringView k)
    {
        head(3, quint64(k.size()));
        m_out.append(k.data(), k.size());
    }
    void text(const QString &s)
    {
        // ASCII (digits, categories, most URLs) without a UTF-8 copy.
        const QChar *c = s.constData();
        bool ascii = true;
        for (qsizetype i = 0; i < s.size() && ascii; ++i)
            ascii = c[i].unicode() < 0x80;
        if (!ascii) {
            const QByteArray u = s.toUtf8();
            head(3, quint64(u.size()));
            m_out.append(u);
            return;
        }
        head(3, quint64(s.size()));
        const qsizetype at = m_out.size();
        m_out.resize(at + s.size());
        char *d = m_out.data() + at;
        for (qsizetype i = 0; i < s.size(); ++i)
            d[i] = char(c[i].unicode());
    }
    void optionalText(const QString &s) { s.isEmpty() ? null() : text(s); }
    void bytes(const QByteArray &b)
    {
        head(2, quint64(b.size()));
        m_out.append(b);
    }
    void null() { m_out.append(char(0xf6)); }
    void array(quint64 n) { head(4, n); }
    void map(quint64 n) { head(5, n); }

private:
    QByteArray &m_out;
};

// Reserves a frame's length prefix and patches it in when the payload is written.
class FrameWriter {
public:
    explicit FrameWriter(QByteArray &out) : m_out(out), m_start(out.size()), m_cbor(out) { m_out.append(4, '\0'); }
    CborOut &cbor() { return m_cbor; }
    ~FrameWriter()
    {
        const qsizetype length = m_out.size() - m_start - 4;
        Q_ASSERT(quint64(length) <= kMaxFrameBytes);
        qToLittleEndian<quint32>(quint32(length), m_out.data() + m_start);
    }

private:
    QByteArray &m_out;
    qsizetype m_start;
    CborOut m_cbor;
};

bool readString(QCborStreamReader &r, QString *out)
{
    out->clear();
    if (!r.isString())
        return false;
    auto chunk = r.readString();
    while (chunk.status == QCborStreamReader::Ok) {
        *out += chunk.data;
        chunk = r.readString();
    }
    return chunk.status == QCborStreamReader::EndOfString;
}

bool readNumber(QCborStreamReader &r, double *out)
{
    if (r.isDouble())
        *out = r.toDouble();
    else if (r.isFloat())
        *out = double(r.toFloat());
    else if (r.isFloat16())
        *out = double(r.toFloat16());
    else if (r.isInteger())
        *out = double(r.toInteger());
    else
        return false;
    return r.next();
}

bool readInteger(QCborStreamReader &r, qint64 *out)
{
    if (!r.isInteger())
        return false;
    *out = r.toInteger();
    return r.next();
}


// A string or null (empty).
bool readOptionalString(QCborStreamReader &r, QString *out)
{
    if (r.isNull()) {
        out->clear();
        return r.next();
    }
    return readString(r, out);
}

// Reads the top-level map of a payload, calling field(key, reader) for every entry; field
// consumes the value (or returns false). Unknown keys are skipped by the caller's field().
template <typename Field>
bool readMap(QByteArrayView payload, QString *error, const char *what, Field &&field)
{
    QCborStreamReader r(payload.constData(), payload.size());
    if (!r.isMap() || !r.enterContainer()) {
        *error = QStringLiteral("a \"%1\" message must be a CBOR map").arg(QLatin1String(what));
        return false;
    }
    QString key;
    while (r.hasNext()) {
        if (!readString(r, &key)) {
            *error = QStringLiteral("\"%1\" message: map keys must be strings").arg(QLatin1String(what));
            return false;
        }
        if (!field(key, r)) {
            if (error->isEmpty())
                *error = QStringLiteral("\"%1\" message: bad field \"%2\"%3")
                             .arg(QLatin1String(what), key,
                                  r.lastError() != QCborError::NoError
                                      ? QStringLiteral(" (%1)").arg(r.lastError().toString())
                                      : QString());
            return false;
        }
    }
    if (!r.leaveContainer() || r.lastError() != QCborError::NoError) {
        *error = QStringLiteral("undecodable \"%1\" message: %2").arg(QLatin1String(what), r.lastError().toString());
        return false;
    }
    if (r.currentOffset() != payload.size()) {
        *error = QStringLiteral("\"%1\" message has %2 bytes after its CBOR value")
                     .arg(QLatin1String(what))
                     .arg(payload.size() - r.currentOffset());
        return false;
    }
    return true;
}

bool expectType(QCborStreamReader &r, MessageType type, QString *error)
{
    QString t;
    if (!readString(r, &t) || t != messageTypeName(type)) {
        *error = QStringLiteral("expected a \"%1\" message, got \"%2\"").arg(messageTypeName(type), t);
        return false;
    }
    return true;
}

int headerSize(quint8 initial)
{
    const int info = initial & 0x1f;
    return info < 24 ? 1 : info == 24 ? 2 : info == 25 ? 3 : info == 26 ? 5 : info == 27 ? 9 : -1;
}

} // namespace

MessageType peekMessageType(QByteArrayView payload)
{
    QCborStreamReader r(payload.constData(), payload.size());
    if (!r.isMap() || !r.enterContainer())
        return MessageType::Unknown;
    QString key;
    while (r.hasNext()) {
        if (!readString(r, &key))
            return MessageType::Unknown;
        if (key == kType) {
            QString t;
            return readString(r, &t) ? messageTypeFromName(t) : MessageType::Unknown;
        }
        if (!r.next(kMaxNesting))
            return MessageType::Unknown;
    }
    return MessageType::Unknown;
}

QByteArray encodeParams(const QCborMap &params)
{
    return params.toCborValue().toCbor();
}

void appendTasksFrame(QByteArray &out, const QString &workload, const std::vector<int> &ids,
                      const std::vector<QByteArray> &encodedParams)
{
    Q_ASSERT(ids.size() == encodedParams.size());
    FrameWriter f(out);
    CborOut &w = f.cbor();
    w.map(4);
    w.key(QLatin1StringView("type"));
    w.key(QLatin1StringView("tasks"));
    w.key(QLatin1StringView("workload"));
    w.text(workload);
    w.key(QLatin1StringView("ids"));
    w.array(quint64(ids.size()));
    for (int id : ids)
        w.integer(id);
    w.key(QLatin1StringView("params"));
    w.array(quint64(encodedParams.size()));
    for (const QByteArray &p : encodedParams)
        w.bytes(p);
}

bool decodeTasks(const QByteArray &payload, TaskChunk *out, QString *error)
{
    TaskChunk c;
    c.payload = payload;
    bool typed = false, haveIds = false, haveParams = false;
    const bool ok = readMap(payload, error, "tasks", [&](const QString &key, QCborStreamReader &r) {
        if (key == kType)
            return typed = expectType(r, MessageType::Tasks, error);
        if (key == QLatin1String("workload"))
            return readString(r, &c.workload);
        if (key == QLatin1String("ids")) {
            if (!r.isArray() || !r.enterContainer())
                return false;
            while (r.hasNext()) {
                qint64 id = 0;
                if (!readInteger(r, &id) || id < 0 || id > std::numeric_limits<int>::max())
                    return false;
                c.ids.push_back(int(id));
            }
            return haveIds = r.leaveContainer();
        }
        if (key == QLatin1String("params")) {
            if (!r.isArray() || !r.enterContainer())
                return false;
            while (r.hasNext()) {
                if (!r.isByteArray() || !r.isLengthKnown())
                    return false;
                const qsizetype at = qsizetype(r.currentOffset());
                const int header = at < payload.size() ? headerSize(quint8(payload.at(at))) : -1;
                const qsizetype length = qsizetype(r.length());
                if (header < 0 || at + header + length > payload.size())
                    return false;
                c.params.emplace_back(at + header, length);
                if (!r.next())
                    return false;
            }
            return haveParams = r.leaveContainer();
        }
        return r.next(kMaxNesting);
    });
    if (!ok)
        return false;
    if (!typed || !haveIds || !haveParams || c.workload.isEmpty()) {
        *error = QStringLiteral("a \"tasks\" message needs type, workload, ids and params");
        return false;
    }
    if (c.ids.size() != c.params.size() || c.ids.empty()) {
        *error = QStringLiteral("a \"tasks\" message has %1 ids and %2 parameter maps").arg(c.ids.size()).arg(c.params.size());
        return false;
    }
    *out = std::move(c);
    return true;
}

bool taskAt(const TaskChunk &chunk, size_t i, TaskSpec *out, QString *error)
{
    const auto [offset, length] = chunk.params.at(i);
    const QByteArray bytes = QByteArray::fromRawData(chunk.payload.constData() + offset, length);
    const QString problem = bytes.size() > kSmallPayload ? cborBudgetProblem(bytes) : QString();
    QCborStreamReader reader(bytes);
    const QCborValue v = problem.isEmpty() ? QCborValue::fromCbor(reader) : QCborValue();
    if (!problem.isEmpty() || reader.lastError() != QCborError::NoError || !v.isMap() ||
        reader.currentOffset() != bytes.size()) {
        *error = QStringLiteral("task %1: parameters are not a CBOR map%2")
                     .arg(chunk.ids[i])
                     .arg(problem.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(problem));
        return false;
    }
    TaskSpec t;
    t.id = chunk.ids[i];
    t.workload = chunk.workload;
    // A deep copy: the map must not point into the chunk's payload, which is dropped first.
    t.params = v.toMap();
    const Workload *w = findWorkload(t.workload);
    if (!w) {
        *error = QStringLiteral("unknown workload \"%1\" (this worker knows: %2)")
                     .arg(t.workload, workloadIds().join(QStringLiteral(", ")));
        return false;
    }
    const QString check = w->checkTask(t);
    if (!check.isEmpty()) {
        *error = QStringLiteral("task %1: %2").arg(t.id).arg(check);
        return false;
    }
    *out = std::move(t);
    return true;
}

// Each result: [id, start, end, cpu_start, cpu_end, flags (1 ok, 2 verified, 4 cancelled),
// compute_s, task_cpu_s, value|null, error|null, error_category|null,
// io: [url, bytes, http_status, ttfb_s, checksum] | null].
void appendResultsFrame(QByteArray &out, const std::vector<TaskResult> &results, double workerCpu_s,
                        long workerPeakRssKb)
{
    FrameWriter f(out);
    CborOut &w = f.cbor();
    w.map(4);
    w.key(QLatin1StringView("type"));
    w.key(QLatin1StringView("results"));
    w.key(QLatin1StringView("worker_cpu_s"));
    w.real(workerCpu_s);
    w.key(QLatin1StringView("worker_peak_rss_kb"));
    w.integer(workerPeakRssKb);
    w.key(QLatin1StringView("results"));
    w.array(quint64(results.size()));
    for (const TaskResult &t : results) {
        // A 13th field, the task's thread-state trace (trace/statetrace.h), only when recorded.
        w.array(t.trace ? 13 : 12);
        w.integer(t.id);
        w.real(t.start_s);
        w.real(t.end_s);
        w.integer(t.cpu_start);
        w.integer(t.cpu_end);
        w.integer((t.ok ? 1 : 0) | (t.verified ? 2 : 0) | (t.cancelled ? 4 : 0));
        w.real(t.compute_s);
        w.real(t.cpuTime_s);
        w.optionalText(t.value);
        w.optionalText(t.error);
        w.optionalText(t.errorCategory);
        if (t.url.isEmpty()) {
            w.null();
        } else {
            w.array(5);
            w.text(t.url);
            w.integer(t.bytes);
            w.integer(t.httpStatus);
            w.real(t.ttfb_s);
            w.text(t.checksum);
        }
        if (t.trace)
            w.bytes(t.trace->toCbor());
    }
}

namespace {

bool readResult(QCborStreamReader &r, TaskResult *t)
{
    if (!r.isArray() || !r.isLengthKnown() || (r.length() != 12 && r.length() != 13))
        return false;
    const bool traced = r.length() == 13;
    if (!r.enterContainer())
        return false;
    qint64 id = 0, cpuStart = 0, cpuEnd = 0, flags = 0;
    QString error, category;
    if (!readInteger(r, &id) || !readNumber(r, &t->start_s) || !readNumber(r, &t->end_s) ||
        !readInteger(r, &cpuStart) || !readInteger(r, &cpuEnd) || !readInteger(r, &flags) ||
        !readNumber(r, &t->compute_s) || !readNumber(r, &t->cpuTime_s) || !readOptionalString(r, &t->value) ||
        !readOptionalString(r, &error) || !readOptionalString(r, &category))
        return false;
    t->error = error;
    t->errorCategory = category;
    if (id < 0 || id > std::numeric_limits<int>::max() || flags < 0 || flags > 7)
        return false;
    t->id = int(id);
    t->cpu_start = qint16(std::clamp<qint64>(cpuStart, -1, std::numeric_limits<qint16>::max()));
    t->cpu_end = qint16(std::clamp<qint64>(cpuEnd, -1, std::numeric_limits<qint16>::max()));
    t->ok = flags & 1;
    t->verified = flags & 2;
    t->cancelled = flags & 4;
    if (r.isNull()) {
        if (!r.next())
            return false;
    } else {
        qint64 bytes = 0, status = 0;
        QString url, checksum;
        if (!r.isArray() || !r.isLengthKnown() || r.length() != 5 || !r.enterContainer() || !readString(r, &url) ||
            !readInteger(r, &bytes) || !readInteger(r, &status) || !readNumber(r, &t->ttfb_s) ||
            !readString(r, &checksum) || !r.leaveContainer())
            return false;
        t->url = url;
        t->checksum = checksum;
        t->bytes = bytes;
        t->httpStatus = qint16(std::clamp<qint64>(status, 0, 999));
    }
    if (traced) {
        if (!r.isByteArray() || !r.isLengthKnown() || r.length() > qsizetype(TaskTrace::kMaxRecords) * 2 * 64)
            return false;
        QByteArray bytes;
        auto chunk = r.readByteArray();
        while (chunk.status == QCborStreamReader::Ok) {
            bytes += chunk.data;
            chunk = r.readByteArray();
        }
        auto trace = std::make_shared<TaskTrace>();
        QString ignored;
        if (chunk.status != QCborStreamReader::EndOfString || !TaskTrace::fromCbor(bytes, trace.get(), &ignored))
            return false;
        t->trace = std::move(trace);
    }
    return r.leaveContainer();
}

} // namespace

bool decodeResults(QByteArrayView payload, ResultsMessage *out, QString *error, size_t maxResults)
{
    out->results.clear();
    out->workerCpu_s = 0;
    out->workerPeakRssKb = 0;
    bool typed = false, haveResults = false;
    const bool ok = readMap(payload, error, "results", [&](const QString &key, QCborStreamReader &r) {
        if (key == kType)
            return typed = expectType(r, MessageType::Results, error);
        if (key == QLatin1String("worker_cpu_s"))
            return readNumber(r, &out->workerCpu_s);
        if (key == QLatin1String("worker_peak_rss_kb")) {
            qint64 kb = 0;
            if (!readInteger(r, &kb))
                return false;
            out->workerPeakRssKb = long(std::max<qint64>(0, kb));
            return true;
        }
        if (key == QLatin1String("results")) {
            if (!r.isArray() || !r.enterContainer())
                return false;
            while (r.hasNext()) {
                if (out->results.size() >= maxResults) {
                    *error = QStringLiteral("more results than tasks it was given (%1)").arg(maxResults);
                    return false;
                }
                out->results.emplace_back();
                if (!readResult(r, &out->results.back())) {
                    *error = QStringLiteral("result %1 of a \"results\" message is malformed").arg(out->results.size());
                    return false;
                }
            }
            return haveResults = r.leaveContainer();
        }
        return r.next(kMaxNesting);
    });
    if (ok && (!typed || !haveResults)) {
        *error = QStringLiteral("a \"results\" message needs type and results");
        return false;
    }
    return ok;
}

void appendStartedFrame(QByteArray &out, const Started &s)
{
    FrameWriter f(out);
    CborOut &w = f.cbor();
    w.map(4);
    w.key(QLatin1StringView("type"));
    w.key(QLatin1StringView("started"));
    w.key(QLatin1StringView("id"));
    w.integer(s.id);
    w.key(QLatin1StringView("t"));
    w.real(s.t);
    w.key(QLatin1StringView("cpu"));
    w.integer(s.cpu);
}

bool decodeStartedPayload(QByteArrayView payload, Started *out, QString *error)
{
    Started s;
    bool typed = false, haveId = false, haveT = false;
    const bool ok = readMap(payload, error, "started", [&](const QString &key, QCborStreamReader &r) {
        if (key == kType)
            return typed = expectType(r, MessageType::Started, error);
        if (key == QLatin1String("id")) {
            qint64 id = 0;
            if (!readInteger(r, &id) || id < 0 || id > std::numeric_limits<int>::max())
                return false;
            s.id = int(id);
            return haveId = true;
        }
        if (key == QLatin1String("t"))
            return haveT = readNumber(r, &s.t);
        if (key == QLatin1String("cpu")) {
            qint64 cpu = -1;
            if (!readInteger(r, &cpu))
                return false;
            s.cpu = int(int(std::clamp<qint64>(cpu, -1, 1 << 20)));
            return true;
        }
        return r.next(kMaxNesting);
    });
    if (ok && (!typed || !haveId || !haveT)) {
        *error = QStringLiteral("a \"started\" message needs type, id and t");
        return false;
    }
    if (ok)
        *out = s;
    return ok;
}

} // namespace lab::ipc
