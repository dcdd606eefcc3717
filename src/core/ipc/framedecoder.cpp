#include "framedecoder.h"

#include <QCborStreamReader>
#include <QCborValue>
#include <QtEndian>

namespace lab::ipc {

QByteArray encodeFrame(const QCborMap &payload)
{
    const QByteArray body = payload.toCborValue().toCbor();
    Q_ASSERT(quint64(body.size()) <= kMaxFrameBytes);
    QByteArray frame(4, Qt::Uninitialized);
    qToLittleEndian<quint32>(quint32(body.size()), frame.data());
    frame.append(body);
    return frame;
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

void FrameDecoder::fail(const QString &message)
{
    m_error = message;
    m_buffer.clear();
    m_pos = 0;
}

std::optional<QCborMap> FrameDecoder::next()
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
    if (bufferedBytes() < 4 + qsizetype(length))
        return std::nullopt;
    const QByteArray payload = m_buffer.mid(m_pos + 4, length);
    m_pos += 4 + qsizetype(length);

    if (length == 0) {
        fail(QStringLiteral("empty frame: a message must be a CBOR map"));
        return std::nullopt;
    }
    QCborStreamReader reader(payload);
    const QCborValue value = QCborValue::fromCbor(reader);
    if (reader.lastError() != QCborError::NoError) {
        fail(QStringLiteral("undecodable frame of %1 bytes: %2").arg(length).arg(reader.lastError().toString()));
        return std::nullopt;
    }
    if (reader.currentOffset() != payload.size()) {
        fail(QStringLiteral("frame of %1 bytes has %2 bytes after its CBOR value")
                 .arg(length)
                 .arg(payload.size() - reader.currentOffset()));
        return std::nullopt;
    }
    if (!value.isMap() || !value.toMap().value(QStringLiteral("type")).isString()) {
        fail(QStringLiteral("frame of %1 bytes is not a message (a CBOR map with a \"type\" string)").arg(length));
        return std::nullopt;
    }
    return value.toMap();
}

} // namespace lab::ipc
