#pragma once
#include <QtGlobal>
#include <optional>
#include <string_view>
#include <vector>

namespace lab {

// One "cpu"/"cpuN" line of /proc/stat, in clock ticks.
struct CpuTimes {
    quint64 user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    quint64 busy() const { return user + nice + system + irq + softirq + steal; }
    quint64 idleAll() const { return idle + iowait; }
};

struct ProcStatSnapshot {
    CpuTimes total;
    // Indexed by core number; nullopt where the core is absent (offline) in this read.
    std::vector<std::optional<CpuTimes>> cores;
};

// Parses the text of /proc/stat; nullopt if it has no aggregate "cpu" line.
std::optional<ProcStatSnapshot> parseProcStat(std::string_view text);

struct CpuUsage {
    double total = 0;              // percent 0..100 over all online cores
    std::vector<double> perCore;   // percent 0..100; NaN for a core offline in either read
};

// Busy share between two reads. Counters that went backwards (hotplug, wrap) count as zero
// progress for that core instead of producing a negative or huge value.
CpuUsage usageBetween(const ProcStatSnapshot &previous, const ProcStatSnapshot &current);

// Reads and parses this machine's /proc/stat; nullopt when it cannot be read or parsed.
std::optional<ProcStatSnapshot> readProcStat();

// Cores the whole machine kept busy between two reads (usage share x online cores); 0 when
// either read is missing.
double machineBusyCores(const std::optional<ProcStatSnapshot> &previous, const std::optional<ProcStatSnapshot> &current);

} // namespace lab
