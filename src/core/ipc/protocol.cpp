#include "protocol.h"

#include "workloads/workload.h"

#include <QCborStreamReader>
#include <QCborValue>
#include <QtEndian>

#include <algorithm>
#include <array>
#include <cmath>
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
// per message. It writes through a raw pointer into room it grows ahead (a result is ~20
// items: one append each cost more than the rest of the encoding), and trims the buffer in
// finish(). The output is ordinary CBOR, read back with QCborStreamReader.
class CborOut {
public:
    explicit CborOut(QByteArray &out) : m_out(out), m_pos(out.size()), m_end(out.size()) {}
    // Trims the buffer to what was written; call once, last.
    void finish() { m_out.resize(m_pos); }
    void head(quint8 major, quint64 v)
    {
        char *b = room(9);
        const char m = char(major << 5);
        if (v < 24) {
            b[0] = char(m | char(v));
            m_pos += 1;
        } else if (v <= 0xff) {
            b[0] = char(m | 24);
            b[1] = char(v);
            m_pos += 2;
        } else if (v <= 0xffff) {
            b[0] = char(m | 25);
            qToBigEndian<quint16>(quint16(v), b + 1);
            m_pos += 3;
        } else if (v <= 0xffffffffu) {
            b[0] = char(m | 26);
            qToBigEndian<quint32>(quint32(v), b + 1);
            m_pos += 5;
        } else {
            b[0] = char(m | 27);
            qToBigEndian<quint64>(v, b + 1);
            m_pos += 9;
        }
    }
    void integer(qint64 v) { v >= 0 ? head(0, quint64(v)) : head(1, quint64(-1 - v)); }
    void real(double d)
    {
        char *b = room(9);
        b[0] = char(0xfb);
        quint64 u;
        std::memcpy(&u, &d, 8);
        qToBigEndian<quint64>(u, b + 1);
        m_pos += 9;
    }
    void key(QLatin1StringView k) { raw(3, k.data(), k.size()); }
    void text(const QString &s)
    {
        // ASCII (digits, categories, most URLs) without a UTF-8 copy.
        const QChar *c = s.constData();
        bool ascii = true;
        for (qsizetype i = 0; i < s.size() && ascii; ++i)
            ascii = c[i].unicode() < 0x80;
        if (!ascii) {
            const QByteArray u = s.toUtf8();
            raw(3, u.constData(), u.size());
            return;
        }
        head(3, quint64(s.size()));
        char *d = room(s.size());
        for (qsizetype i = 0; i < s.size(); ++i)
            d[i] = char(c[i].unicode());
        m_pos += s.size();
    }
    void optionalText(const QString &s) { s.isEmpty() ? null() : text(s); }
    void bytes(const QByteArray &b) { raw(2, b.constData(), b.size()); }
    // A byte string of `size` bytes, which the caller writes at the address returned (before
    // anything else is written).
    char *byteString(qsizetype size)
    {
        head(2, quint64(size));
        char *d = room(size);
        m_pos += size;
        return d;
    }
    // Items encoded before, copied as they are.
    void append(const char *data, qsizetype size)
    {
        if (size > 0)
            std::memcpy(room(size), data, size_t(size));
        m_pos += size;
    }
    void null() { room(1)[0] = char(0xf6); ++m_pos; }
    void array(quint64 n) { head(4, n); }
    void map(quint64 n) { head(5, n); }

private:
    void raw(quint8 major, const char *data, qsizetype size)
    {
        head(major, quint64(size));
        if (size > 0)
            std::memcpy(room(size), data, size_t(size));
        m_pos += size;
    }
    char *room(qsizetype n)
    {
        if (m_end - m_pos < n) {
            m_end = std::max(m_pos + n, 2 * m_pos + 256);
            m_out.resize(m_end);
            m_data = m_out.data();
        }
        return m_data + m_pos;
    }

    QByteArray &m_out;
    char *m_data = nullptr;
    qsizetype m_pos;   // where the next byte goes
    qsizetype m_end;   // the buffer's size (room up to it)
};

// Reserves a frame's length prefix and patches it in when the payload is written.
class FrameWriter {
public:
    explicit FrameWriter(QByteArray &out) : m_out(out), m_start(out.size()), m_cbor((m_out.append(4, '\0'), out)) {}
    CborOut &cbor() { return m_cbor; }
    ~FrameWriter()
    {
        m_cbor.finish();
        const qsizetype length = m_out.size() - m_start - 4;
        Q_ASSERT(quint64(length) <= kMaxFrameBytes);
        qToLittleEndian<quint32>(quint32(length), m_out.data() + m_start);
    }

private:
    QByteArray &m_out;
    qsizetype m_start;
    CborOut m_cbor;
};

// A definite-length byte string of at most maxLength bytes, whole.
bool readBytes(QCborStreamReader &r, qsizetype maxLength, QByteArray *out)
{
    out->clear();
    if (!r.isByteArray() || !r.isLengthKnown() || r.length() > quint64(maxLength))
        return false;
    auto chunk = r.readByteArray();
    while (chunk.status == QCborStreamReader::Ok) {
        *out += chunk.data;
        chunk = r.readByteArray();
    }
    return chunk.status == QCborStreamReader::EndOfString;
}

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

namespace {

// The "tasks" frame around its two lists of `count` items, which `ids` and `params` write.
template<typename Ids, typename Params>
void writeTasksFrame(QByteArray &out, const QString &workload, size_t count, Ids &&ids, Params &&params)
{
    FrameWriter f(out);
    CborOut &w = f.cbor();
    w.map(4);
    w.key(QLatin1StringView("type"));
    w.key(QLatin1StringView("tasks"));
    w.key(QLatin1StringView("workload"));
    w.text(workload);
    w.key(QLatin1StringView("ids"));
    w.array(quint64(count));
    ids(w);
    w.key(QLatin1StringView("params"));
    w.array(quint64(count));
    params(w);
}

} // namespace

void appendTasksFrame(QByteArray &out, const QString &workload, const std::vector<int> &ids,
                      const std::vector<QByteArray> &encodedParams)
{
    Q_ASSERT(ids.size() == encodedParams.size());
    writeTasksFrame(
        out, workload, ids.size(),
        [&](CborOut &w) {
            for (int id : ids)
                w.integer(id);
        },
        [&](CborOut &w) {
            for (const QByteArray &p : encodedParams)
                w.bytes(p);
        });
}

void EncodedTasks::append(int id, const QByteArray &encodedParams)
{
    {
        CborOut w(ids);
        w.integer(id);
        w.finish();
    }
    idAt.push_back(ids.size());
    {
        CborOut w(params);
        w.bytes(encodedParams);
        w.finish();
    }
    paramsAt.push_back(params.size());
}

void appendTasksFrame(QByteArray &out, const QString &workload, const EncodedTasks &tasks, size_t first, size_t count)
{
    Q_ASSERT(count > 0 && first + count <= tasks.size());
    const qsizetype idBytes = tasks.idAt[first + count] - tasks.idAt[first];
    const qsizetype paramBytes = tasks.paramsAt[first + count] - tasks.paramsAt[first];
    out.reserve(out.size() + 64 + workload.size() + idBytes + paramBytes);
    writeTasksFrame(
        out, workload, count, [&](CborOut &w) { w.append(tasks.ids.constData() + tasks.idAt[first], idBytes); },
        [&](CborOut &w) { w.append(tasks.params.constData() + tasks.paramsAt[first], paramBytes); });
}

namespace detail {

bool decodeTasksByStream(const QByteArray &payload, TaskChunk *out, QString *error)
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

} // namespace detail

bool decodeTasks(const QByteArray &payload, TaskChunk *out, QString *error)
{
    return detail::decodeTasksFast(payload, out) || detail::decodeTasksByStream(payload, out, error);
}

const QCborMap *ParamsCache::find(const QByteArray &bytes) const
{
    const auto it = m_maps.constFind(bytes);
    return it == m_maps.cend() ? nullptr : &it.value();
}

void ParamsCache::insert(const QByteArray &bytes, const QCborMap &map)
{
    if (m_maps.size() >= kMaxMaps)
        m_maps.clear();
    m_maps.insert(QByteArray(bytes.constData(), bytes.size()), map);  // the key outlives the chunk
}

bool taskAt(const TaskChunk &chunk, size_t i, TaskSpec *out, QString *error, ParamsCache *cache)
{
    const auto [offset, length] = chunk.params.at(i);
    const QByteArray bytes = QByteArray::fromRawData(chunk.payload.constData() + offset, length);
    TaskSpec t;
    t.id = chunk.ids[i];
    t.workload = chunk.workload;
    if (const QCborMap *known = cache ? cache->find(bytes) : nullptr) {
        t.params = *known;
    } else {
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
        // A deep copy: the map must not point into the chunk's payload, which is dropped first.
        t.params = v.toMap();
        if (cache)
            cache->insert(bytes, t.params);
    }
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

namespace {

// The packed form of "results" (see protocol.h): for results with nothing but times, CPUs,
// flags and a short ASCII value, which is every CPU task's. Little-endian, in the "packed" byte
// string: u32 count, u16 texts, u16 0; each text as u8 length and its bytes; then per result
// i32 id, u16 text index (0xffff: no value), u8 flags, u8 0, i16 cpu_start, i16 cpu_end, f64
// start, end, compute_s, task_cpu_s. The CBOR arrays cost the worker ~50 ns a result to write
// and the parent ~75 to read, on 2 cores beside the tasks; this is a copy each way.
constexpr qsizetype kPackedHead = 8;
constexpr qsizetype kPackedRecord = 44;
constexpr quint16 kNoText = 0xffff;

// FNV-1a over the code units of a text (Latin-1 bytes or QChars: a text hashes the same either
// way), for the tables that find repeated values.
template<typename It, typename Unit>
quint32 fnv1a(It begin, It end, Unit unit)
{
    quint32 h = 2166136261u;
    for (It i = begin; i != end; ++i)
        h = (h ^ quint32(unit(*i))) * 16777619u;
    return h;
}

bool packable(const TaskResult &t)
{
    if (!t.error.isEmpty() || !t.errorCategory.isEmpty() || !t.url.isEmpty() || !t.checksum.isEmpty() || t.trace ||
        t.value.size() > 255)
        return false;
    for (QChar c : t.value)
        if (c.unicode() >= 0x80)
            return false;
    return true;
}

struct PackedPlan {
    std::vector<const QString *> texts;
    std::vector<quint16> index;  // per result, into texts
    qsizetype textBytes = 0;
};

// False when the results do not fit the packed form (more than 65535 distinct values, or a
// frame over the limit): they then go as CBOR arrays.
bool planPacked(const std::vector<TaskResult> &results, PackedPlan *plan)
{
    if (results.empty() || results.size() > kMaxFrameBytes / (2 * kPackedRecord) ||
        !std::all_of(results.begin(), results.end(), packable))
        return false;
    // The distinct values, in order of first use (a hash of slots finds repeats; a collision
    // only stores a text twice).
    constexpr size_t kSlots = 512;
    std::array<int, kSlots> slot;
    slot.fill(-1);
    std::vector<const QString *> &texts = plan->texts;
    std::vector<quint16> &index = plan->index;
    index.assign(results.size(), kNoText);
    qsizetype &textBytes = plan->textBytes;
    for (size_t i = 0; i < results.size(); ++i) {
        const QString &v = results[i].value;
        if (v.isNull())
            continue;
        int &k = slot[fnv1a(v.cbegin(), v.cend(), [](QChar c) { return c.unicode(); }) % kSlots];
        if (k < 0 || *texts[size_t(k)] != v) {
            if (texts.size() >= kNoText)
                return false;
            k = int(texts.size());
            texts.push_back(&v);
            textBytes += 1 + v.size();
        }
        index[i] = quint16(k);
    }
    return true;
}

// One result's 44-byte record (the layout above), `text` its value's index in the table.
void writePackedRecord(uchar *d, const TaskResult &t, quint16 text)
{
    auto real = [](uchar *at, double v) {
        quint64 u;
        std::memcpy(&u, &v, 8);
        qToLittleEndian<quint64>(u, at);
    };
    qToLittleEndian<qint32>(qint32(t.id), d);
    qToLittleEndian<quint16>(text, d + 4);
    d[6] = uchar((t.ok ? 1 : 0) | (t.verified ? 2 : 0) | (t.cancelled ? 4 : 0));
    d[7] = 0;
    qToLittleEndian<qint16>(t.cpu_start, d + 8);
    qToLittleEndian<qint16>(t.cpu_end, d + 10);
    real(d + 12, t.start_s);
    real(d + 20, t.end_s);
    real(d + 28, t.compute_s);
    real(d + 36, t.cpuTime_s);
}

void writePacked(CborOut &w, const std::vector<TaskResult> &results, const PackedPlan &plan)
{
    const std::vector<const QString *> &texts = plan.texts;
    const std::vector<quint16> &index = plan.index;
    const qsizetype textBytes = plan.textBytes;
    uchar *d = reinterpret_cast<uchar *>(
        w.byteString(kPackedHead + textBytes + qsizetype(results.size()) * kPackedRecord));
    qToLittleEndian<quint32>(quint32(results.size()), d);
    qToLittleEndian<quint16>(quint16(texts.size()), d + 4);
    qToLittleEndian<quint16>(0, d + 6);
    d += kPackedHead;
    for (const QString *t : texts) {
        *d++ = uchar(t->size());
        for (QChar c : *t)
            *d++ = uchar(c.unicode());
    }
    for (size_t i = 0; i < results.size(); ++i, d += kPackedRecord)
        writePackedRecord(d, results[i], index[i]);
}

// The map of a "results" message up to its last key ("results" or "packed"), the caller's.
void writeResultsHead(CborOut &w, double workerCpu_s, long workerPeakRssKb)
{
    w.map(4);
    w.key(QLatin1StringView("type"));
    w.key(QLatin1StringView("results"));
    w.key(QLatin1StringView("worker_cpu_s"));
    w.real(workerCpu_s);
    w.key(QLatin1StringView("worker_peak_rss_kb"));
    w.integer(workerPeakRssKb);
}

} // namespace

void appendResultsFrame(QByteArray &out, const std::vector<TaskResult> &results, double workerCpu_s,
                        long workerPeakRssKb)
{
    PackedPlan plan;
    if (planPacked(results, &plan)) {
        out.reserve(out.size() + 64 + qsizetype(results.size()) * (kPackedRecord + 4));
        FrameWriter f(out);
        CborOut &w = f.cbor();
        writeResultsHead(w, workerCpu_s, workerPeakRssKb);
        w.key(QLatin1StringView("packed"));
        writePacked(w, results, plan);
        return;
    }
    appendCborResultsFrame(out, results, workerCpu_s, workerPeakRssKb);
}

ResultsBuilder::Run &ResultsBuilder::open(bool packed, bool fresh)
{
    if (!fresh && m_used > 0 && m_runs[m_used - 1].packed == packed)
        return m_runs[m_used - 1];
    if (m_used == m_runs.size())
        m_runs.emplace_back();
    Run &run = m_runs[m_used++];
    run.packed = packed;
    if (packed)
        m_slot.fill(0);
    return run;
}

void ResultsBuilder::add(TaskResult &&result)
{
    ++m_count;
    if (!packable(result)) {
        open(false).results.push_back(std::move(result));
        return;
    }
    Run *run = &open(true);
    // A run holds what one frame can (as planPacked() allows): past that, a new run.
    if (run->count >= kMaxFrameBytes / (2 * kPackedRecord) || run->textAt.size() >= kNoText)
        run = &open(true, true);
    const TaskResult &t = result;
    quint16 text = kNoText;
    if (!t.value.isNull()) {
        const QString &v = t.value;
        int &k = m_slot[fnv1a(v.cbegin(), v.cend(), [](QChar c) { return c.unicode(); }) % kSlots];
        // A slot names the latest value that hashed to it; a collision stores a value twice,
        // as planPacked() does (the same frame, byte for byte).
        const auto same = [&](qsizetype at) {
            if (quint8(run->texts.at(at)) != v.size())
                return false;
            for (qsizetype i = 0; i < v.size(); ++i)
                if (uchar(run->texts.at(at + 1 + i)) != v.at(i).unicode())
                    return false;
            return true;
        };
        if (k == 0 || !same(run->textAt[size_t(k - 1)])) {
            run->textAt.push_back(run->texts.size());
            run->texts.append(char(v.size()));
            for (QChar c : v)
                run->texts.append(char(c.unicode()));
            k = int(run->textAt.size());
        }
        text = quint16(k - 1);
    }
    const qsizetype at = run->records.size();
    run->records.resize(at + kPackedRecord);
    writePackedRecord(reinterpret_cast<uchar *>(run->records.data()) + at, t, text);
    ++run->count;
}

void ResultsBuilder::reserve(size_t results)
{
    if (m_runs.empty())
        m_runs.emplace_back();
    QByteArray &records = m_runs.front().records;
    const qsizetype bytes = qsizetype(results) * kPackedRecord;
    if (records.capacity() < bytes && records.isEmpty()) {
        records.fill('\0', bytes);  // written, not only allocated: its pages are there when results come
        records.resize(0);           // the capacity stays
    }
}

void ResultsBuilder::appendFrame(QByteArray &out, double workerCpu_s, long workerPeakRssKb)
{
    for (size_t i = 0; i < m_used; ++i) {
        Run &run = m_runs[i];
        if (run.packed) {
            const qsizetype size = kPackedHead + run.texts.size() + run.records.size();
            out.reserve(out.size() + 64 + size);
            FrameWriter f(out);
            CborOut &w = f.cbor();
            writeResultsHead(w, workerCpu_s, workerPeakRssKb);
            w.key(QLatin1StringView("packed"));
            uchar *d = reinterpret_cast<uchar *>(w.byteString(size));
            qToLittleEndian<quint32>(quint32(run.count), d);
            qToLittleEndian<quint16>(quint16(run.textAt.size()), d + 4);
            qToLittleEndian<quint16>(0, d + 6);
            std::memcpy(d + kPackedHead, run.texts.constData(), size_t(run.texts.size()));
            std::memcpy(d + kPackedHead + run.texts.size(), run.records.constData(), size_t(run.records.size()));
        } else {
            appendCborResultsFrame(out, run.results, workerCpu_s, workerPeakRssKb);
        }
        run.count = 0;
        run.records.resize(0);  // the capacities stay
        run.texts.resize(0);
        run.textAt.clear();
        run.results.clear();
    }
    m_used = 0;
    m_count = 0;
}

// Each result: [id, start, end, cpu_start, cpu_end, flags (1 ok, 2 verified, 4 cancelled),
// compute_s, task_cpu_s, value|null, error|null, error_category|null,
// io: [url, bytes, http_status, ttfb_s, checksum] | null].
void appendCborResultsFrame(QByteArray &out, const std::vector<TaskResult> &results, double workerCpu_s,
                            long workerPeakRssKb)
{
    // Room for the frame up front (a CPU result is ~60 bytes): one allocation, not a dozen.
    out.reserve(out.size() + 64 + qsizetype(results.size()) * 72);
    FrameWriter f(out);
    CborOut &w = f.cbor();
    writeResultsHead(w, workerCpu_s, workerPeakRssKb);
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

// A result's id, CPUs and flags (1 ok, 2 verified, 4 cancelled), checked; both readers of
// "results" end a result's fixed fields with it.
bool setResultHead(TaskResult *t, qint64 id, qint64 cpuStart, qint64 cpuEnd, qint64 flags)
{
    if (id < 0 || id > std::numeric_limits<int>::max() || flags < 0 || flags > 7)
        return false;
    t->id = int(id);
    t->cpu_start = qint16(std::clamp<qint64>(cpuStart, -1, std::numeric_limits<qint16>::max()));
    t->cpu_end = qint16(std::clamp<qint64>(cpuEnd, -1, std::numeric_limits<qint16>::max()));
    t->ok = flags & 1;
    t->verified = flags & 2;
    t->cancelled = flags & 4;
    return true;
}

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
    if (!setResultHead(t, id, cpuStart, cpuEnd, flags))
        return false;
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
        QByteArray bytes;
        if (!readBytes(r, qsizetype(TaskTrace::kMaxRecords) * 2 * 64, &bytes))
            return false;
        auto trace = std::make_shared<TaskTrace>();
        QString ignored;
        if (!TaskTrace::fromCbor(bytes, trace.get(), &ignored))
            return false;
        t->trace = std::move(trace);
    }
    return r.leaveContainer();
}

// The fast path of decodeResults: a direct reading of the shape appendResultsFrame writes
// (definite lengths, ASCII texts, no I/O fields, no traces), ~10x cheaper than the stream
// reader. It only ever accepts what the stream reader accepts with the same values; anything
// else (another shape, a malformed or odd payload) makes it decline, and the stream reader
// decodes it and words the error.
class CborIn {
public:
    explicit CborIn(QByteArrayView b) : m_p(reinterpret_cast<const uchar *>(b.data())), m_end(m_p + b.size()) {}
    bool atEnd() const { return m_p == m_end; }
    // The next head: major type and argument; false when it is not a definite one.
    bool head(int *major, quint64 *arg)
    {
        if (m_p >= m_end)
            return false;
        const uchar b = *m_p++;
        *major = b >> 5;
        const int info = b & 0x1f;
        if (info < 24) {
            *arg = quint64(info);
            return true;
        }
        const int n = info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : info == 27 ? 8 : 0;
        if (n == 0 || m_end - m_p < n)
            return false;
        quint64 v = 0;
        for (int i = 0; i < n; ++i)
            v = (v << 8) | m_p[i];
        m_p += n;
        *arg = v;
        return true;
    }
    bool peekNull() const { return m_p < m_end && *m_p == 0xf6; }
    void skip(qsizetype n) { m_p += n; }
    const uchar *position() const { return m_p; }
    qsizetype left() const { return m_end - m_p; }
    // A definite array's head, its length bounded by the bytes left (an item takes one at least).
    bool arrayOf(quint64 *n)
    {
        int major = 0;
        return head(&major, n) && major == 4 && *n <= quint64(left());
    }
    bool integer(qint64 *out)
    {
        int major = 0;
        quint64 v = 0;
        if (!head(&major, &v) || (major != 0 && major != 1) || v > quint64(std::numeric_limits<qint64>::max()))
            return false;
        *out = major == 0 ? qint64(v) : -1 - qint64(v);
        return true;
    }
    bool number(double *out)
    {
        if (m_p >= m_end)
            return false;
        const uchar b = *m_p;
        if ((b >> 5) == 0 || (b >> 5) == 1) {
            qint64 i = 0;
            if (!integer(&i))
                return false;
            *out = double(i);
            return true;
        }
        int major = 0;
        quint64 v = 0;
        if (!head(&major, &v) || major != 7)
            return false;
        switch (b & 0x1f) {
        case 25: {
            // Half precision (RFC 8949, appendix D).
            const int exp = int(v >> 10) & 0x1f;
            const int mant = int(v) & 0x3ff;
            const double x = exp == 0    ? std::ldexp(mant, -24)
                             : exp != 31 ? std::ldexp(mant + 1024, exp - 25)
                             : mant == 0 ? std::numeric_limits<double>::infinity()
                                         : std::numeric_limits<double>::quiet_NaN();
            *out = (v & 0x8000) ? -x : x;
            return true;
        }
        case 26: {
            const quint32 u = quint32(v);
            float f;
            std::memcpy(&f, &u, 4);
            *out = double(f);
            return true;
        }
        case 27:
            std::memcpy(out, &v, 8);
            return true;
        default:
            return false;
        }
    }
    // A definite ASCII text string, as a view into the payload.
    bool ascii(const char **data, qsizetype *size)
    {
        int major = 0;
        quint64 n = 0;
        if (!head(&major, &n) || major != 3 || n > quint64(m_end - m_p))
            return false;
        for (quint64 i = 0; i < n; ++i)
            if (m_p[i] >= 0x80)
                return false;
        *data = reinterpret_cast<const char *>(m_p);
        *size = qsizetype(n);
        m_p += n;
        return true;
    }
    bool byteString(const uchar **data, qsizetype *size)
    {
        int major = 0;
        quint64 n = 0;
        if (!head(&major, &n) || major != 2 || n > quint64(m_end - m_p))
            return false;
        *data = m_p;
        *size = qsizetype(n);
        m_p += n;
        return true;
    }
    bool key(QLatin1StringView *out)
    {
        const char *d = nullptr;
        qsizetype n = 0;
        if (!ascii(&d, &n))
            return false;
        *out = QLatin1StringView(d, n);
        return true;
    }
    // A text or null: an empty string for null, as readOptionalString reads it.
    bool optionalText(QString *out, TextInterner *interner = nullptr)
    {
        if (peekNull()) {
            ++m_p;
            out->clear();
            return true;
        }
        const char *d = nullptr;
        qsizetype n = 0;
        if (!ascii(&d, &n))
            return false;
        *out = interner ? interner->intern(d, n) : QString::fromLatin1(d, n);
        return true;
    }

private:
    const uchar *m_p;
    const uchar *m_end;
};

bool fastResult(CborIn &in, TaskResult *t, TextInterner *values)
{
    int major = 0;
    quint64 n = 0;
    if (!in.head(&major, &n) || major != 4 || n != 12)
        return false;
    qint64 id = 0, cpuStart = 0, cpuEnd = 0, flags = 0;
    QString error, category;
    if (!in.integer(&id) || !in.number(&t->start_s) || !in.number(&t->end_s) || !in.integer(&cpuStart) ||
        !in.integer(&cpuEnd) || !in.integer(&flags) || !in.number(&t->compute_s) || !in.number(&t->cpuTime_s) ||
        !in.optionalText(&t->value, values) || !in.optionalText(&error) || !in.optionalText(&category) || !in.peekNull())
        return false;
    in.skip(1);  // no I/O fields
    t->error = error;
    t->errorCategory = category;
    return setResultHead(t, id, cpuStart, cpuEnd, flags);
}

// The "packed" byte string (writePacked), checked whole: sizes that add up exactly, text
// indices in range, ASCII texts, flags as in the arrays, zero where the layout has zeros.
bool readPacked(const uchar *d, qsizetype size, ResultsMessage *out, size_t maxResults)
{
    if (size < kPackedHead)
        return false;
    const quint32 count = qFromLittleEndian<quint32>(d);
    const quint16 textCount = qFromLittleEndian<quint16>(d + 4);
    if (count == 0 || count > maxResults || qFromLittleEndian<quint16>(d + 6) != 0 ||
        qint64(count) * kPackedRecord > size - kPackedHead)
        return false;
    const uchar *p = d + kPackedHead;
    const uchar *end = d + size;
    std::vector<QString> texts(textCount);
    for (quint16 i = 0; i < textCount; ++i) {
        if (p >= end)
            return false;
        const qsizetype n = *p++;
        if (n > end - p)
            return false;
        for (qsizetype j = 0; j < n; ++j)
            if (p[j] >= 0x80)
                return false;
        texts[i] = out->values.intern(reinterpret_cast<const char *>(p), n);
        p += n;
    }
    if (end - p != qint64(count) * kPackedRecord)
        return false;
    auto real = [](const uchar *at) {
        const quint64 u = qFromLittleEndian<quint64>(at);
        double v;
        std::memcpy(&v, &u, 8);
        return v;
    };
    out->results.resize(count);
    for (TaskResult &t : out->results) {
        const qint32 id = qFromLittleEndian<qint32>(p);
        const quint16 text = qFromLittleEndian<quint16>(p + 4);
        if (id < 0 || (text != kNoText && text >= textCount) || p[6] > 7 || p[7] != 0)
            return false;
        t.id = id;
        if (text != kNoText)
            t.value = texts[text];
        t.ok = p[6] & 1;
        t.verified = p[6] & 2;
        t.cancelled = p[6] & 4;
        t.cpu_start = std::max<qint16>(-1, qFromLittleEndian<qint16>(p + 8));
        t.cpu_end = std::max<qint16>(-1, qFromLittleEndian<qint16>(p + 10));
        t.start_s = real(p + 12);
        t.end_s = real(p + 20);
        t.compute_s = real(p + 28);
        t.cpuTime_s = real(p + 36);
        p += kPackedRecord;
    }
    return true;
}

bool fastDecodeResults(QByteArrayView payload, ResultsMessage *out, size_t maxResults)
{
    CborIn in(payload);
    int major = 0;
    quint64 fields = 0;
    if (!in.head(&major, &fields) || major != 5 || fields > 8)
        return false;
    bool typed = false, cpu = false, rss = false, haveResults = false;
    for (quint64 f = 0; f < fields; ++f) {
        QLatin1StringView k;
        if (!in.key(&k))
            return false;
        if (k == QLatin1StringView("type")) {
            QLatin1StringView t;
            if (typed || !in.key(&t) || t != QLatin1StringView("results"))
                return false;
            typed = true;
        } else if (k == QLatin1StringView("worker_cpu_s")) {
            if (cpu || !in.number(&out->workerCpu_s))
                return false;
            cpu = true;
        } else if (k == QLatin1StringView("worker_peak_rss_kb")) {
            qint64 kb = 0;
            if (rss || !in.integer(&kb))
                return false;
            out->workerPeakRssKb = long(std::max<qint64>(0, kb));
            rss = true;
        } else if (k == QLatin1StringView("results")) {
            quint64 count = 0;
            if (haveResults || !in.head(&major, &count) || major != 4 || count > maxResults)
                return false;
            out->results.resize(size_t(count));
            for (TaskResult &t : out->results)
                if (!fastResult(in, &t, &out->values))
                    return false;
            haveResults = true;
        } else if (k == QLatin1StringView("packed")) {
            const uchar *d = nullptr;
            qsizetype n = 0;
            if (haveResults || !in.byteString(&d, &n) || !readPacked(d, n, out, maxResults))
                return false;
            haveResults = true;
        } else {
            return false;
        }
    }
    return typed && haveResults && in.atEnd();
}

// The fast path of decodeTasks, as fastDecodeResults is of decodeResults: the shape
// appendTasksFrame writes, read directly (the stream reader took ~0.4 us an item, so a worker
// spent 0.2-0.4 ms on a 500-task chunk before its first task could start). Declines anything
// else, and the stream reader decodes or words it.
bool fastDecodeTasks(const QByteArray &payload, TaskChunk *out)
{
    CborIn in(payload);
    const uchar *base = reinterpret_cast<const uchar *>(payload.constData());
    int major = 0;
    quint64 fields = 0;
    if (!in.head(&major, &fields) || major != 5 || fields != 4)
        return false;
    TaskChunk c;
    bool typed = false, haveIds = false, haveParams = false;
    for (quint64 f = 0; f < fields; ++f) {
        QLatin1StringView k;
        if (!in.key(&k))
            return false;
        if (k == QLatin1StringView("type") && !typed) {
            QLatin1StringView v;
            if (!in.key(&v) || v != QLatin1StringView("tasks"))
                return false;
            typed = true;
        } else if (k == QLatin1StringView("workload") && c.workload.isEmpty()) {
            const char *d = nullptr;
            qsizetype n = 0;
            if (!in.ascii(&d, &n) || n == 0)
                return false;
            c.workload = QString::fromLatin1(d, n);
        } else if (k == QLatin1StringView("ids") && !haveIds) {
            quint64 n = 0, id = 0;
            if (!in.arrayOf(&n))
                return false;
            c.ids.reserve(size_t(n));
            for (quint64 i = 0; i < n; ++i) {
                if (!in.head(&major, &id) || major != 0 || id > quint64(std::numeric_limits<int>::max()))
                    return false;
                c.ids.push_back(int(id));
            }
            haveIds = true;
        } else if (k == QLatin1StringView("params") && !haveParams) {
            quint64 n = 0;
            if (!in.arrayOf(&n))
                return false;
            c.params.reserve(size_t(n));
            for (quint64 i = 0; i < n; ++i) {
                const uchar *p = nullptr;
                qsizetype length = 0;
                if (!in.byteString(&p, &length))
                    return false;
                c.params.emplace_back(qsizetype(p - base), length);
            }
            haveParams = true;
        } else {
            return false;
        }
    }
    if (!typed || !haveIds || !haveParams || !in.atEnd() || c.ids.empty() || c.ids.size() != c.params.size())
        return false;
    c.payload = payload;
    *out = std::move(c);
    return true;
}

} // namespace

QString TextInterner::intern(const char *latin1, qsizetype size)
{
    const QLatin1StringView text(latin1, size);
    QString &slot = m_slots[fnv1a(latin1, latin1 + size, [](char c) { return uchar(c); }) % kSlots];
    if (slot.size() != size || slot != text)
        slot = QString(text);
    return slot;
}

bool decodeResults(QByteArrayView payload, ResultsMessage *out, QString *error, size_t maxResults)
{
    return detail::decodeResultsFast(payload, out, maxResults)
           || detail::decodeResultsByStream(payload, out, error, maxResults);
}

namespace detail {

bool fitsPacked(const TaskResult &result)
{
    return packable(result);
}

bool decodeTasksFast(const QByteArray &payload, TaskChunk *out)
{
    return fastDecodeTasks(payload, out);
}

bool decodeResultsFast(QByteArrayView payload, ResultsMessage *out, size_t maxResults)
{
    out->results.clear();
    out->workerCpu_s = 0;
    out->workerPeakRssKb = 0;
    return fastDecodeResults(payload, out, maxResults);
}

bool decodeResultsByStream(QByteArrayView payload, ResultsMessage *out, QString *error, size_t maxResults)
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
        if (key == QLatin1String("packed")) {
            QByteArray bytes;
            if (haveResults || !readBytes(r, kMaxFrameBytes, &bytes))
                return false;
            const auto *d = reinterpret_cast<const uchar *>(bytes.constData());
            if (bytes.size() >= kPackedHead && qFromLittleEndian<quint32>(d) > maxResults) {
                *error = QStringLiteral("more results than tasks it was given (%1)").arg(maxResults);
                return false;
            }
            if (!readPacked(d, bytes.size(), out, maxResults)) {
                *error = QStringLiteral("the packed results of a \"results\" message are malformed");
                return false;
            }
            return haveResults = true;
        }
        if (key == QLatin1String("results")) {
            if (haveResults || !r.isArray() || !r.enterContainer())
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

} // namespace detail

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
