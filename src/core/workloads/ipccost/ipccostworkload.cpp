#include "ipccostworkload.h"

#include "ipctransfer.h"
#include "experiment/runrecord.h"
#include "experiment/experimentspec.h"
#include "models/executionmodel.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace lab {

namespace {

const QString kTransports = QStringLiteral("transports");
const QString kPayloads = QStringLiteral("payloads");
const QString kRoundTrips = QStringLiteral("round_trips");
const QString kTotalBytes = QStringLiteral("total_bytes");
// Set by the variants, not by the spec: the transport and payload of one run.
const QString kTransport = QStringLiteral("transport");
const QString kPayloadBytes = QStringLiteral("payload_bytes");
const QString kMessages = QStringLiteral("messages");

constexpr qint64 kMiB = 1024 * 1024;
constexpr qint64 kGiB = 1024 * kMiB;
// Bytes one run holds per payload byte at most: the sender's buffer, the partner's, the
// transport's (shared slot, kernel buffer, CPython's bytes objects and pickles).
constexpr int kCopies = 4;
// From 64 KiB on a payload is bulk (its cost is GB/s), below a round trip (µs per message).
constexpr qint64 kBulkFrom = 64 * 1024;

const QStringList &allTransports()
{
    static const QStringList t{QStringLiteral("thread"), QStringLiteral("pipe"), QStringLiteral("socket"),
                               QStringLiteral("shm"), QStringLiteral("queue")};
    return t;
}

QString transportLabel(const QString &t)
{
    if (t == QLatin1String("thread"))
        return QStringLiteral("Two threads");
    if (t == QLatin1String("pipe"))
        return QStringLiteral("Pipe");
    if (t == QLatin1String("socket"))
        return QStringLiteral("Unix socket");
    if (t == QLatin1String("shm"))
        return QStringLiteral("Shared memory");
    if (t == QLatin1String("queue"))
        return QStringLiteral("multiprocessing.Queue");
    return t;
}

QString bytesText(double b)
{
    // "64 MiB", "1.5 MiB": a whole number without its ".0" (the variant chart's slots are narrow).
    auto scaled = [](double v, const char *unit) {
        const bool whole = std::abs(v - std::round(v)) < 0.05;
        return QStringLiteral("%1 %2").arg(v, 0, 'f', whole ? 0 : 1).arg(QLatin1String(unit));
    };
    if (b >= kGiB)
        return scaled(b / kGiB, "GiB");
    if (b >= kMiB)
        return scaled(b / kMiB, "MiB");
    if (b >= 1024)
        return scaled(b / 1024, "KiB");
    return QStringLiteral("%1 B").arg(b, 0, 'f', 0);
}

QJsonValue opt(const std::optional<double> &v, int decimals)
{
    return v ? roundedJson(*v, decimals) : QJsonValue();
}

QString hex(quint64 v)
{
    return QStringLiteral("%1").arg(v, 16, 16, QLatin1Char('0'));
}

bool isCPython(const ModelInfo &model)
{
    return model.family == ModelFamily::CPython;
}

} // namespace

QString IpcCostWorkload::sizeName(qint64 bytes)
{
    if (bytes >= kGiB && bytes % kGiB == 0)
        return QStringLiteral("%1GiB").arg(bytes / kGiB);
    if (bytes >= kMiB && bytes % kMiB == 0)
        return QStringLiteral("%1MiB").arg(bytes / kMiB);
    if (bytes >= 1024 && bytes % 1024 == 0)
        return QStringLiteral("%1KiB").arg(bytes / 1024);
    return QStringLiteral("%1B").arg(bytes);
}

qint64 IpcCostWorkload::messagesFor(const QJsonObject &params, qint64 payloadBytes)
{
    const qint64 roundTrips = qint64(params.value(kRoundTrips).toDouble(10000));
    const qint64 total = qint64(params.value(kTotalBytes).toDouble(256.0 * kMiB));
    return std::clamp<qint64>(total / std::max<qint64>(1, payloadBytes), 1, std::max<qint64>(1, roundTrips));
}

qint64 IpcCostWorkload::availableMemoryBytes()
{
    QFile f(QStringLiteral("/proc/meminfo"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("MemAvailable:")) {
            bool ok = false;
            const qint64 kb = line.mid(13).trimmed().split(' ').value(0).toLongLong(&ok);
            return ok ? kb * 1024 : -1;
        }
    return -1;
}

QString IpcCostWorkload::label() const
{
    return QStringLiteral("IPC cost (pipe, socket, shared memory)");
}

QString IpcCostWorkload::description() const
{
    return QStringLiteral("Moves payloads of one size between two threads or two processes (pipe, Unix socket, "
                          "shared memory) and times the round trips: what sharing data costs once it must cross "
                          "a process boundary.");
}

std::vector<ParamInfo> IpcCostWorkload::params() const
{
    using T = ParamInfo::Type;
    QJsonArray payloads;
    for (qint64 b : {qint64(64), qint64(4096), 64 * qint64(1024), kMiB, 16 * kMiB, 64 * kMiB})
        payloads.append(double(b));
    return {
        {kTransports, QStringLiteral("Transports"), T::StringList, 0, 5, QJsonArray::fromStringList(allTransports()),
         {}, QStringLiteral("thread, pipe, socket, shm (shared memory), queue (multiprocessing.Queue, CPython only)")},
        {kPayloads, QStringLiteral("Payloads"), T::IntList, 8, double(16 * kGiB), payloads, QStringLiteral("B"),
         QStringLiteral("the bytes of one message; every transport runs every size (a variant each)")},
        {kRoundTrips, QStringLiteral("Messages"), T::Int, 1, 1000000, 10000, {},
         QStringLiteral("messages per variant, each acknowledged by the partner (fewer for large payloads: "
                        "see bytes per variant)")},
        {kTotalBytes, QStringLiteral("Bytes per variant"), T::Int, 1, double(1LL << 40), double(256 * kMiB),
         QStringLiteral("B"), QStringLiteral("large payloads send this many bytes in all (at least one message)")},
    };
}

QString IpcCostWorkload::validate(const QJsonObject &params) const
{
    QStringList seen;
    for (const QJsonValue &v : params.value(kTransports).toArray()) {
        const QString t = v.toString();
        if (!allTransports().contains(t))
            return QStringLiteral("workload.transports: unknown transport \"%1\" (transports: %2)")
                .arg(literalText(t), allTransports().join(QStringLiteral(", ")));
        if (seen.contains(t))
            return QStringLiteral("workload.transports lists \"%1\" twice").arg(t);
        seen << t;
    }
    QList<qint64> sizes;
    for (const QJsonValue &v : params.value(kPayloads).toArray()) {
        const qint64 b = qint64(v.toDouble());
        if (sizes.contains(b))
            return QStringLiteral("workload.payloads lists %1 twice").arg(b);
        sizes << b;
    }
    if (params.contains(kPayloadBytes)) {
        const double b = params.value(kPayloadBytes).toDouble();
        const qint64 available = availableMemoryBytes();
        if (available > 0 && b * kCopies > double(available))
            return QStringLiteral("workload.payloads: a payload of %1 needs about %2 of memory (sender, partner and "
                                  "transport copies); this machine has %3 available")
                .arg(bytesText(b), bytesText(b * kCopies), bytesText(double(available)));
    }
    return {};
}

double IpcCostWorkload::estimatedSequentialSeconds(const QJsonObject &params) const
{
    if (!params.contains(kPayloadBytes))
        return 0;
    const qint64 payload = qint64(params.value(kPayloadBytes).toDouble());
    // A lower bound: a few µs per round trip and a few GB/s.
    return double(messagesFor(params, payload)) * (5e-6 + double(payload) / 5e9);
}

QString IpcCostWorkload::whyNotOn(const ModelInfo &model) const
{
    if (model.id != QLatin1String("sequential") && model.id != QLatin1String("python-sequential"))
        return QStringLiteral("each variant measures one mechanism with one task and its own partner thread or "
                              "process: it runs on sequential (C++) and python-sequential (CPython)");
    return Workload::whyNotOn(model);
}

QString IpcCostWorkload::whyNotOnVariant(const ModelInfo &model, const QJsonObject &variantParams) const
{
    if (variantParams.value(kTransport).toString() == QLatin1String("queue") && !isCPython(model))
        return QStringLiteral("multiprocessing.Queue is CPython's (a pipe, a feeder thread and pickling); the C++ side "
                              "measures the pipe itself");
    return whyNotOn(model);
}

std::vector<Variant> IpcCostWorkload::variants(const QJsonObject &params) const
{
    std::vector<Variant> out;
    for (const QJsonValue &t : params.value(kTransports).toArray())
        for (const QJsonValue &p : params.value(kPayloads).toArray()) {
            const qint64 bytes = qint64(p.toDouble());
            const QString transport = t.toString();
            out.push_back({transport + QLatin1Char('-') + sizeName(bytes),
                           QStringLiteral("%1, %2").arg(transportLabel(transport), bytesText(double(bytes))),
                           QJsonObject{{kTransport, transport}, {kPayloadBytes, double(bytes)}}});
        }
    return out;
}

std::vector<TaskSpec> IpcCostWorkload::makeTasks(const QJsonObject &params, WorkloadState *) const
{
    const qint64 payload = qint64(params.value(kPayloadBytes).toDouble(64));
    TaskSpec t;
    t.id = 0;
    t.workload = id();
    t.params.insert(kTransport, params.value(kTransport).toString(QStringLiteral("pipe")));
    t.params.insert(kPayloadBytes, payload);
    t.params.insert(kMessages, messagesFor(params, payload));
    return {t};
}

QString IpcCostWorkload::checkTask(const TaskSpec &task) const
{
    const QString t = task.string(QLatin1String("transport"));
    if (!allTransports().contains(t))
        return QStringLiteral("transport \"%1\" is unknown").arg(literalText(t));
    if (task.integer(QLatin1String("payload_bytes")) < 8)
        return QStringLiteral("payload_bytes must be at least 8");
    if (task.integer(QLatin1String("messages")) < 1)
        return QStringLiteral("messages must be at least 1");
    return {};
}

void IpcCostWorkload::execute(const TaskSpec &task, TaskEnv &env, TaskResult &result) const
{
    const QString transport = task.string(QLatin1String("transport"));
    const std::optional<IpcTransport> t = ipcTransportFromName(transport);
    if (!t) {
        result.ok = false;
        result.error = QStringLiteral("the %1 transport runs only in CPython").arg(transport);
        return;
    }
    IpcRequest req;
    req.transport = *t;
    req.payloadBytes = task.integer(QLatin1String("payload_bytes"), 64);
    req.messages = task.integer(QLatin1String("messages"), 1);
    IpcMeasurement m;
    {
        BlockingSection blocking(env.hooks);  // it waits on its partner most of the time
        m = measureIpc(req, env.cancel);
    }
    result.cancelled = m.cancelled;
    result.bytes = m.bytes;
    result.verified = m.ok && m.messages == req.messages && m.expectedSum == m.actualSum;
    result.ok = result.verified;
    result.checksum = hex(m.actualSum);
    result.value = QString::fromUtf8(QJsonDocument(QJsonObject{{kTransport, transport},
                                                               {kPayloadBytes, double(req.payloadBytes)},
                                                               {kMessages, double(m.messages)},
                                                               {QStringLiteral("requested"), double(req.messages)},
                                                               {QStringLiteral("seconds"), m.seconds},
                                                               {QStringLiteral("expected"), hex(m.expectedSum)},
                                                               {QStringLiteral("actual"), hex(m.actualSum)}})
                                         .toJson(QJsonDocument::Compact));
    if (!result.ok)
        result.error = m.error.isEmpty() ? QStringLiteral("%1 of %2 messages came back intact")
                                               .arg(m.messages)
                                               .arg(req.messages)
                                         : m.error;
}

std::shared_ptr<IpcCostSummary> IpcCostSummary::fromTask(const TaskResult &task, const QJsonObject &params)
{
    auto s = std::make_shared<IpcCostSummary>();
    const QJsonObject v = QJsonDocument::fromJson(task.value.toUtf8()).object();
    s->transport = v.value(kTransport).toString(params.value(kTransport).toString());
    s->payloadBytes = qint64(v.value(kPayloadBytes).toDouble(params.value(kPayloadBytes).toDouble()));
    s->messages = qint64(v.value(kMessages).toDouble());
    s->requested = qint64(v.value(QStringLiteral("requested")).toDouble());
    s->expectedSum = v.value(QStringLiteral("expected")).toString();
    s->actualSum = v.value(QStringLiteral("actual")).toString();
    s->verified = task.ok && task.verified;
    s->error = task.error;
    const double seconds = v.value(QStringLiteral("seconds")).toDouble(-1);
    if (s->verified && seconds > 0 && s->messages > 0) {
        s->seconds = seconds;
        s->usPerMessage = seconds / double(s->messages) * 1e6;
        s->gbPerS = double(s->messages) * double(s->payloadBytes) / seconds / 1e9;
    }
    return s;
}

std::shared_ptr<IpcCostSummary> IpcCostSummary::fromJson(const QJsonObject &run)
{
    const QJsonValue v = run.value(QStringLiteral("ipc_cost"));
    if (!v.isObject())
        return {};
    const QJsonObject o = v.toObject();
    auto s = std::make_shared<IpcCostSummary>();
    s->transport = o.value(kTransport).toString();
    s->payloadBytes = qint64(o.value(kPayloadBytes).toDouble());
    s->messages = qint64(o.value(kMessages).toDouble());
    s->requested = qint64(o.value(QStringLiteral("requested")).toDouble());
    s->seconds = optionalDouble(o.value(QStringLiteral("seconds")));
    s->usPerMessage = optionalDouble(o.value(QStringLiteral("us_per_message")));
    s->gbPerS = optionalDouble(o.value(QStringLiteral("gb_per_s")));
    s->expectedSum = o.value(QStringLiteral("expected")).toString();
    s->actualSum = o.value(QStringLiteral("actual")).toString();
    s->verified = o.value(QStringLiteral("verified")).toBool();
    s->error = o.value(QStringLiteral("error")).toString();
    return s;
}

void IpcCostSummary::writeJson(QJsonObject &run) const
{
    QJsonObject o{{kTransport, transport},
                  {kPayloadBytes, double(payloadBytes)},
                  {kMessages, double(messages)},
                  {QStringLiteral("requested"), double(requested)},
                  {QStringLiteral("seconds"), opt(seconds, 6)},
                  {QStringLiteral("us_per_message"), opt(usPerMessage, 3)},
                  {QStringLiteral("gb_per_s"), opt(gbPerS, 4)},
                  {QStringLiteral("expected"), expectedSum},
                  {QStringLiteral("actual"), actualSum},
                  {QStringLiteral("verified"), verified}};
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    run.insert(QStringLiteral("ipc_cost"), o);
}

std::vector<Figure> IpcCostSummary::figures() const
{
    return {
        {QStringLiteral("payload_bytes"), QStringLiteral("payload"), double(payloadBytes), QStringLiteral("B"), 0,
         QStringLiteral("bytes per message")},
        {QStringLiteral("messages"), QStringLiteral("messages"), messages > 0 ? std::optional<double>(double(messages)) : std::nullopt,
         {}, 0, QStringLiteral("timed messages, each acknowledged with its number and checksum")},
        {QStringLiteral("us_per_message"), QStringLiteral("per message"), usPerMessage, QStringLiteral("µs"), 2,
         QStringLiteral("one payload there and its acknowledgement back")},
        {QStringLiteral("gb_per_s"), QStringLiteral("throughput"), gbPerS, QStringLiteral("GB/s"), 3,
         QStringLiteral("payload bytes moved per second (10^9 bytes)")},
    };
}

std::optional<VariantOutcome> IpcCostSummary::outcome() const
{
    VariantOutcome o;
    o.expected = QStringLiteral("%1 messages, checksum %2").arg(requested).arg(expectedSum);
    o.actual = QStringLiteral("%1 messages, checksum %2").arg(messages).arg(actualSum);
    o.ok = verified;
    if (!verified) {
        o.words = error.isEmpty() ? QStringLiteral("the transfer could not be verified") : error;
        return o;
    }
    const bool bulk = payloadBytes >= kBulkFrom;
    if (bulk)
        o.gbPerS = gbPerS;
    else
        o.usPerOp = usPerMessage;
    o.words = QStringLiteral("%1: %2 messages of %3 in %4 ms: %5 µs each, %6 GB/s")
                  .arg(transportLabel(transport))
                  .arg(messages)
                  .arg(bytesText(double(payloadBytes)))
                  .arg(seconds.value_or(0) * 1e3, 0, 'f', 1)
                  .arg(usPerMessage.value_or(0), 0, 'f', usPerMessage.value_or(0) < 10 ? 2 : 1)
                  .arg(gbPerS.value_or(0), 0, 'f', 3);
    return o;
}

RunSummaryPtr IpcCostWorkload::summarize(const RunRecord &run, WorkloadState *) const
{
    if (run.tasks.empty())
        return {};
    // A task that failed early has no value: its variant's name still says what it was.
    const QJsonObject params{{kTransport, run.variant.section(QLatin1Char('-'), 0, 0)}};
    return IpcCostSummary::fromTask(run.tasks.front(), params);
}

RunSummaryPtr IpcCostWorkload::summaryFromJson(const QJsonObject &run) const
{
    return IpcCostSummary::fromJson(run);
}

QJsonObject IpcCostWorkload::pythonJob(const std::vector<TaskSpec> &tasks, const QJsonObject &) const
{
    QJsonArray list;
    for (const TaskSpec &t : tasks) {
        const double payload = double(t.integer(QLatin1String("payload_bytes")));
        const double messages = double(t.integer(QLatin1String("messages")));
        list.append(QJsonObject{{QStringLiteral("id"), t.id},
                                {kTransport, t.string(QLatin1String("transport"))},
                                {kPayloadBytes, payload},
                                {kMessages, messages},
                                // CPython: tens of µs per message, well under 1 GB/s for pickled queues
                                {QStringLiteral("estimate_s"), 0.2 + messages * (50e-6 + payload / 3e8)}});
    }
    return {{QStringLiteral("tasks"), list}};
}

void IpcCostWorkload::judgePython(const TaskSpec &task, const QJsonObject &event, TaskResult &r) const
{
    const QJsonObject v = QJsonDocument::fromJson(r.value.toUtf8()).object();
    const qint64 requested = task.integer(QLatin1String("messages"));
    const qint64 messages = qint64(v.value(kMessages).toDouble(-1));
    const QString expected = v.value(QStringLiteral("expected")).toString();
    const QString actual = v.value(QStringLiteral("actual")).toString();
    r.bytes = qint64(v.value(kMessages).toDouble()) * task.integer(QLatin1String("payload_bytes"));
    r.checksum = actual;
    r.verified = event.value(QStringLiteral("verified")).toBool() && messages == requested && !expected.isEmpty()
                 && expected == actual && v.value(QStringLiteral("seconds")).toDouble(-1) > 0;
    r.ok = r.verified;
    if (!r.ok)
        r.error = event.value(QStringLiteral("error")).toString(
            QStringLiteral("the CPython transfer came back with %1 of %2 messages (checksum %3, expected %4)")
                .arg(messages)
                .arg(requested)
                .arg(actual, expected));
}

} // namespace lab
