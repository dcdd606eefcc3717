#include "framedecoder.h"

#include <QCborStreamReader>
#include <QCborValue>
#include <QtEndian>

namespace lab::ipc {

QByteArray encodeFrame(const QCborMap &payload)
{
    const QByteArray body = payload.toCborValue().toCbor();
    QByteArray frame;
    appendFrame(frame, body);
    return frame;
}

void appendFrame(QByteArray &out, QByteArrayView payload)
{
    Q_ASSERT(quint64(payload.size()) <= kMaxFrameBytes);
    char length[4];
    qToLittleEndian<quint32>(quint32(payload.size()), length);
    out.append(length, 4);
    out.append(payload.constData(), payload.size());
}

QString cborBudgetProblem(QByteArrayView payload)
{
    // What a QCborValue tree costs, roughly and on the high side: an Element per item, a
    // container block (and list headroom) per array or map, string bytes plus a header.
    constexpr qint64 kItem = 24, kContainer = 96, kString = 16;
    const qint64 limit = 4 * qint64(payload.size()) + 64 * 1024;
    QCborStreamReader reader(payload.constData(), payload.size());
    qint64 cost = 0;
    qint64 items = 0;
    int depth = 0;
    // Malformed input is left to the decoder, which names the error; this scan only refuses
    // what would decode into too much.
    do {
        if (depth > 0 && !reader.hasNext()) {
            if (!reader.leaveContainer())
                return {};
            --depth;
            continue;
        }
        if (reader.lastError() != QCborError::NoError || reader.type() == QCborStreamReader::Invalid)
            return {};
        cost += kItem;
        ++items;
        if (reader.isArray() || reader.isMap()) {
            cost += kContainer;
            if (++depth > kMaxNesting)
                return QStringLiteral("CBOR nested more than %1 levels deep (not a protocol message)").arg(kMaxNesting);
            if (cost > limit)
                break;
            if (!reader.enterContainer())
                return {};
            continue;
        }
        if ((reader.isString() || reader.isByteArray()) && reader.isLengthKnown())
            cost += kString + qint64(reader.length());
        if (cost > limit)
            break;
        if (!reader.next())
            return {};
    } while (depth > 0);
    if (cost > limit)
        return QStringLiteral("frame of %1 bytes would decode into more than %2 bytes (%3+ items): refused")
            .arg(payload.size())
            .arg(limit)
            .arg(items);
    return {};
}

std::optional<QCborMap> decodeMessage(const QByteArray &payload, QString *error)
{
    const qsizetype length = payload.size();
    if (length == 0) {
        *error = QStringLiteral("empty frame: a message must be a CBOR map");
        return std::nullopt;
    }
    const QString problem = length > kSmallPayload ? cborBudgetProblem(payload) : QString();
    if (!problem.isEmpty()) {
        *error = problem;
        return std::nullopt;
    }
    QCborStreamReader reader(payload);
    const QCborValue value = QCborValue::fromCbor(reader);
    if (reader.lastError() != QCborError::NoError) {
        *error = QStringLiteral("undecodable frame of %1 bytes: %2").arg(length).arg(reader.lastError().toString());
        return std::nullopt;
    }
    if (reader.currentOffset() != payload.size()) {
        *error = QStringLiteral("frame of %1 bytes has %2 bytes after its CBOR value")
                     .arg(length)
                     .arg(payload.size() - reader.currentOffset());
        return std::nullopt;
    }
    if (!value.isMap() || !value.toMap().value(QStringLiteral("type")).isString()) {
        *error = QStringLiteral("frame of %1 bytes is not a message (a CBOR map with a \"type\" string)").arg(length);
        return std::nullopt;
    }
    return value.toMap();
}

void FrameDecoder::feed(const QByteArray &chunk)
{
    feed(chunk.constData(), chunk.size());
}

void FrameDecoder::feed(const char *data, qsizetype size)
{
    if (hasError() || size <= 0)
        return;
    // Drop consumed bytes before growing, so the buffer stays about one frame long.
    if (m_pos > 0 && (m_pos == m_buffer.size() || m_pos > 64 * 1024)) {
        m_buffer.remove(0, m_pos);
        m_pos = 0;
    }
    m_buffer.append(data, size);
}

void FrameDecoder::reserve(qsizetype bytes)
{
    if (bufferedBytes() > 0)
        return;
    m_buffer.fill('\0', bytes);
    m_buffer.resize(0);
    m_pos = 0;
}

void FrameDecoder::take(QByteArray &chunk)
{
    if (hasError() || chunk.isEmpty())
        return;
    if (bufferedBytes() > 0) {
        feed(chunk.constData(), chunk.size());
        return;
    }
    std::swap(m_buffer, chunk);
    m_pos = 0;
}

void FrameDecoder::fail(const QString &message)
{
    m_error = message;
    m_buffer.clear();
    m_pos = 0;
}

std::optional<QByteArray> FrameDecoder::nextPayload()
{
    const std::optional<QByteArrayView> view = nextPayloadView();
    if (!view)
        return std::nullopt;
    return view->toByteArray();
}

std::optional<QByteArrayView> FrameDecoder::nextPayloadView()
{
    if (hasError() || bufferedBytes() < 4)
        return std::nullopt;
    const quint32 length = qFromLittleEndian<quint32>(m_buffer.constData() + m_pos);
    if (length > kMaxFrameBytes) {
        fail(QStringLiteral("frame of %1 bytes exceeds the %2 MiB limit (corrupt stream or not a worker?)")
                 .arg(length)
                 .arg(kMaxFrameBytes / (1024 * 1024)));
        return std::nullopt;
    }
    if (length == 0) {
        fail(QStringLiteral("empty frame: a message must be a CBOR map"));
        return std::nullopt;
    }
    if (bufferedBytes() < 4 + qsizetype(length))
        return std::nullopt;
    const QByteArrayView payload(m_buffer.constData() + m_pos + 4, qsizetype(length));
    m_pos += 4 + qsizetype(length);
    return payload;
}

std::optional<QCborMap> FrameDecoder::next()
{
    const std::optional<QByteArray> payload = nextPayload();
    if (!payload)
        return std::nullopt;
    QString error;
    std::optional<QCborMap> m = decodeMessage(*payload, &error);
    if (!m)
        fail(error);
    return m;
}

} // namespace lab::ipc
