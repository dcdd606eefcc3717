#include "procstat.h"

#include "procfile.h"
#include "util/sysinfo.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace lab {

namespace {

bool parseCpuLine(std::string_view line, CpuTimes *out)
{
    quint64 v[8] = {};
    size_t pos = line.find(' ');
    for (int i = 0; i < 8; ++i) {
        while (pos < line.size() && line[pos] == ' ')
            ++pos;
        if (pos >= line.size())
            return i >= 4;  // very old kernels have only 4 fields
        const auto [ptr, ec] = std::from_chars(line.data() + pos, line.data() + line.size(), v[i]);
        if (ec != std::errc())
            return false;
        pos = size_t(ptr - line.data());
    }
    *out = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    return true;
}

// Ticks a counter moved forward; a counter that went backwards moved zero.
quint64 forward(quint64 before, quint64 after)
{
    return after >= before ? after - before : 0;
}

double busyPercent(const CpuTimes &a, const CpuTimes &b)
{
    const double busy = double(forward(a.busy(), b.busy()));
    const double idle = double(forward(a.idleAll(), b.idleAll()));
    const double all = busy + idle;
    return all > 0 ? 100.0 * busy / all : 0.0;
}

} // namespace

std::optional<ProcStatSnapshot> parseProcStat(std::string_view text)
{
    ProcStatSnapshot snap;
    bool haveTotal = false;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.substr(0, 3) != "cpu")
            continue;
        CpuTimes t;
        if (line.size() > 3 && line[3] == ' ') {
            haveTotal = parseCpuLine(line, &t);
            if (haveTotal)
                snap.total = t;
            continue;
        }
        unsigned core = 0;
        const size_t sp = line.find(' ');
        const auto [ptr, ec] = std::from_chars(line.data() + 3, line.data() + std::min(sp, line.size()), core);
        if (ec != std::errc() || core > 65535 || !parseCpuLine(line, &t))
            continue;
        (void)ptr;
        if (snap.cores.size() <= core)
            snap.cores.resize(core + 1);
        snap.cores[core] = t;
    }
    if (!haveTotal)
        return std::nullopt;
    return snap;
}

CpuUsage usageBetween(const ProcStatSnapshot &previous, const ProcStatSnapshot &current)
{
    CpuUsage u;
    u.perCore.assign(current.cores.size(), std::numeric_limits<double>::quiet_NaN());
    double sum = 0;
    int online = 0;
    for (size_t i = 0; i < current.cores.size(); ++i) {
        if (!current.cores[i] || i >= previous.cores.size() || !previous.cores[i])
            continue;
        u.perCore[i] = busyPercent(*previous.cores[i], *current.cores[i]);
        sum += u.perCore[i];
        ++online;
    }
    // The aggregate line mixes in cores that came or went; the mean of cores online in both
    // reads is the honest total. Fall back to the aggregate line when no per-core lines exist.
    u.total = online > 0 ? sum / online : busyPercent(previous.total, current.total);
    return u;
}

std::optional<ProcStatSnapshot> readProcStat()
{
    std::string text;
    if (!readWholeFile("/proc/stat", &text))
        return std::nullopt;
    return parseProcStat(text);
}

double machineBusyCores(const std::optional<ProcStatSnapshot> &previous, const std::optional<ProcStatSnapshot> &current)
{
    return previous && current ? usageBetween(*previous, *current).total / 100.0 * onlineCores() : 0.0;
}

} // namespace lab
