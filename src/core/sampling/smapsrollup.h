#pragma once
#include <QByteArray>
#include <QtGlobal>
#include <optional>

namespace lab {

// /proc/PID/smaps_rollup (Linux >= 4.14): the process's memory summed over its mappings.
// PSS (proportional set size) divides every shared page among the processes mapping it, so
// the PSS of 256 workers adds up to what they really occupy, where RSS counts each shared
// library page 256 times. Fields a kernel does not report stay -1.
struct SmapsRollup {
    long rssKb = -1;
    long pssKb = -1;
    long pssAnonKb = -1;     // Linux >= 5.x
    long pssFileKb = -1;
    long sharedCleanKb = -1;
    long privateCleanKb = -1;
    long privateDirtyKb = -1;
    long swapPssKb = -1;
};

// Plain parse of the file's text; nullopt when it has no "Pss:" line with a number.
std::optional<SmapsRollup> parseSmapsRollup(const QByteArray &text);
// Reads and parses /proc/<pid>/smaps_rollup (pid <= 0: this process); nullopt when the process
// is gone or the file unreadable (another user's process, no such kernel support).
std::optional<SmapsRollup> readSmapsRollup(qint64 pid = 0);
// PSS in kB, -1 when unknown.
long pssKbOf(qint64 pid = 0);

} // namespace lab
