#pragma once
#include <QByteArray>
#include <QCborMap>
#include <QString>
#include <optional>

namespace lab::ipc {

// Wire format: u32 little-endian payload length, then the payload, a CBOR map with a "type" key.
inline constexpr quint32 kMaxFrameBytes = 16u * 1024u * 1024u;

QByteArray encodeFrame(const QCborMap &payload);

// Reassembles frames from arbitrary byte chunks (a frame split anywhere, many frames in one
// chunk). Once a frame is oversize or undecodable the stream cannot be resynchronised, so the
// decoder stays in the error state and yields nothing more.
class FrameDecoder {
public:
    void feed(const QByteArray &chunk);
    void feed(const char *data, qsizetype size);
    // The next complete message, or nullopt when more bytes are needed or on error.
    std::optional<QCborMap> next();

    bool hasError() const { return !m_error.isEmpty(); }
    QString errorString() const { return m_error; }
    qsizetype bufferedBytes() const { return m_buffer.size() - m_pos; }

private:
    void fail(const QString &message);

    QByteArray m_buffer;
    qsizetype m_pos = 0;   // start of the first unconsumed byte in m_buffer
    QString m_error;
};

} // namespace lab::ipc
