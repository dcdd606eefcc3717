#include "smapsrollup.h"

#include "procfile.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace lab {

namespace {

// "Name:   1234 kB" -> 1234; -1 when the value is not a plain number.
long parseKb(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        ++p;
    if (p == end || *p < '0' || *p > '9')
        return -1;
    long v = 0;
    for (; p < end && *p >= '0' && *p <= '9'; ++p) {
        if (v > (long(1) << 50))
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

} // namespace

std::optional<SmapsRollup> parseSmapsRollup(const QByteArray &text)
{
    struct Field {
        const char *name;
        long SmapsRollup::*member;
    };
    static constexpr Field fields[] = {
        {"Rss:", &SmapsRollup::rssKb},
        {"Pss:", &SmapsRollup::pssKb},
        {"Pss_Anon:", &SmapsRollup::pssAnonKb},
        {"Pss_File:", &SmapsRollup::pssFileKb},
        {"Shared_Clean:", &SmapsRollup::sharedCleanKb},
        {"Private_Clean:", &SmapsRollup::privateCleanKb},
        {"Private_Dirty:", &SmapsRollup::privateDirtyKb},
        {"SwapPss:", &SmapsRollup::swapPssKb},
    };
    SmapsRollup r;
    const char *p = text.constData();
    const char *end = p + text.size();
    while (p < end) {
        const char *eol = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p)));
        if (!eol)
            eol = end;
        for (const Field &f : fields) {
            const size_t n = std::strlen(f.name);
            if (size_t(eol - p) >= n && std::memcmp(p, f.name, n) == 0) {
                r.*f.member = parseKb(p + n, eol);
                break;
            }
        }
        p = eol + 1;
    }
    if (r.pssKb < 0)
        return std::nullopt;
    return r;
}

std::optional<SmapsRollup> readSmapsRollup(qint64 pid)
{
    char path[64];
    if (pid > 0)
        std::snprintf(path, sizeof path, "/proc/%lld/smaps_rollup", static_cast<long long>(pid));
    else
        std::snprintf(path, sizeof path, "/proc/self/smaps_rollup");
    // Plain read(2): sampled for hundreds of workers, so no QFile per read.
    thread_local std::string text;
    if (!readWholeFile(path, &text, 64 * 1024))
        return std::nullopt;
    return parseSmapsRollup(QByteArray::fromRawData(text.data(), qsizetype(text.size())));
}

long pssKbOf(qint64 pid)
{
    const auto r = readSmapsRollup(pid);
    return r ? r->pssKb : -1;
}

} // namespace lab
