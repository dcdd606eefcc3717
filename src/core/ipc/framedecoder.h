#pragma once
#include <QByteArray>
#include <QByteArrayView>
#include <QCborMap>
#include <QString>
#include <optional>

namespace lab::ipc {

// Wire format: u32 little-endian payload length, then the payload, a CBOR map with a "type" key.
inline constexpr quint32 kMaxFrameBytes = 16u * 1024u * 1024u;
// Protocol messages nest at most 4 deep; anything deeper is not one of ours.
inline constexpr int kMaxNesting = 16;
// Payloads up to this size decode into a bounded tree whatever they hold (Qt caps the nesting
// itself), so the budget scan is skipped for them.
inline constexpr qsizetype kSmallPayload = 4096;

QByteArray encodeFrame(const QCborMap &payload);
// Appends the 4-byte length prefix and `payload` to `out` (the lean path: no QCborMap).
void appendFrame(QByteArray &out, QByteArrayView payload);

// Empty when `payload` may be turned into a QCborValue tree without its memory outgrowing a
// small multiple of its size: at most kMaxNesting levels, and at most about 4 bytes of tree
// (items, containers, string copies) per byte of payload, plus 64 KiB. One byte on the wire
// (an empty array) costs ~100 bytes as a QCborValue, so an unchecked 16 MiB frame can take
// more than a gigabyte. The scan itself allocates nothing.
QString cborBudgetProblem(QByteArrayView payload);
// Bounded decode of one message payload: a CBOR map with a "type" string, nothing after it.
std::optional<QCborMap> decodeMessage(const QByteArray &payload, QString *error);

// Reassembles frames from arbitrary byte chunks (a frame split anywhere, many frames in one
// chunk). Once a frame is oversize or undecodable the stream cannot be resynchronised, so the
// decoder stays in the error state and yields nothing more.
class FrameDecoder {
public:
    void feed(const QByteArray &chunk);
    void feed(const char *data, qsizetype size);
    // Takes `chunk`'s bytes by swapping buffers when nothing is left of earlier feeds (whole
    // frames per read, the usual case), else by a copy; `chunk` is left with a buffer to reuse.
    void take(QByteArray &chunk);
    // Room for `bytes` in the buffer, its pages touched now.
    void reserve(qsizetype bytes);
    // The next complete message, or nullopt when more bytes are needed or on error.
    std::optional<QCborMap> next();
    // The next complete frame's payload, undecoded (size-checked, never empty), for readers
    // that decode their hot messages without building a QCborValue tree.
    std::optional<QByteArray> nextPayload();
    // The same without a copy: a view into the decoder's buffer, valid until the next feed().
    std::optional<QByteArrayView> nextPayloadView();
    // Puts the decoder in the error state (a payload that nextPayload() gave was bad).
    void fail(const QString &message);

    bool hasError() const { return !m_error.isEmpty(); }
    QString errorString() const { return m_error; }
    qsizetype bufferedBytes() const { return m_buffer.size() - m_pos; }

private:
    QByteArray m_buffer;
    qsizetype m_pos = 0;   // start of the first unconsumed byte in m_buffer
    QString m_error;
};

} // namespace lab::ipc
