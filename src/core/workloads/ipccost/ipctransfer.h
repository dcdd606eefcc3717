#pragma once
#include <QString>
#include <QtGlobal>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace lab {

// How two parties hand each other bytes: this thread and a forked partner process over a pipe,
// a Unix socket pair or an anonymous shared mapping, or two threads of this process sharing a
// buffer. Shared memory and threads use the same slot and hand-over (spin briefly, then sleep on a
// futex), so what they differ in is only process vs thread.
enum class IpcTransport { Thread, Pipe, Socket, SharedMemory };

std::optional<IpcTransport> ipcTransportFromName(const QString &name);
QString ipcTransportName(IpcTransport t);

// A position-sensitive checksum (Fletcher-style over 64-bit words, the last one zero-padded):
// a = sum of words, b = sum of the running a's. Plain arithmetic, no allocation, so a forked
// child of a multithreaded process may run it.
struct IpcSum {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::uint64_t value() const noexcept { return a ^ (b * 0x9E3779B97F4A7C15ULL); }
};
IpcSum ipcChecksum(const unsigned char *p, std::size_t n) noexcept;
// Continues `sum` over the next bytes; `sum` must have covered a multiple of 8 bytes so far.
IpcSum ipcChecksum(IpcSum sum, const unsigned char *p, std::size_t n) noexcept;

struct IpcRequest {
    IpcTransport transport = IpcTransport::Pipe;
    qint64 payloadBytes = 64;   // at least 8: the first 8 bytes carry the message's sequence number
    qint64 messages = 1000;     // timed messages, after one untimed warm-up message
    int corruptMessage = -1;    // tests only: the partner flips one byte of this message (0 = warm-up)
};

// One measurement: `messages` payloads sent one after another, each acknowledged by the
// partner with its sequence number and the checksum of what arrived.
struct IpcMeasurement {
    bool ok = false;
    bool cancelled = false;
    QString error;
    qint64 messages = 0;              // timed messages acknowledged in order
    qint64 bytes = 0;                 // payload bytes of those
    double seconds = 0;               // from the first timed send to the last acknowledgement
    std::uint64_t expectedSum = 0;    // sum of the checksums of what was sent (warm-up included)
    std::uint64_t actualSum = 0;      // sum of the checksums the partner computed
};

// Runs in the calling thread; the partner (thread or process) is joined or killed and reaped
// before it returns, on every path. A cancel is seen within ~50 ms.
IpcMeasurement measureIpc(const IpcRequest &request, const std::atomic<bool> &cancel);

} // namespace lab
