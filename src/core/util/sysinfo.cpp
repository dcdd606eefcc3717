#include "sysinfo.h"

#include "sampling/foreignload.h"

#include "labconfig.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

namespace lab {

int currentCpu()
{
    return sched_getcpu();
}

double threadCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

double processCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

static long statusFieldKb(const QString &path, const QByteArray &field)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith(field)) {
            const QByteArray v = line.mid(field.size()).trimmed();
            return v.left(v.indexOf(' ')).toLong();
        }
    }
    return 0;
}

long peakRssKb()
{
    return statusFieldKb(QStringLiteral("/proc/self/status"), "VmHWM:");
}

long peakRssKbOf(qint64 pid)
{
    return statusFieldKb(QStringLiteral("/proc/%1/status").arg(pid), "VmHWM:");
}

long currentRssKb()
{
    return statusFieldKb(QStringLiteral("/proc/self/status"), "VmRSS:");
}

bool resetPeakRss()
{
    // "5" resets VmHWM to the current RSS (Linux >= 4.0, CONFIG_PROC_PAGE_MONITOR).
    const int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, "5", 1) == 1;
    ::close(fd);
    return ok;
}

int usableCores()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return onlineCores();
    const int n = CPU_COUNT(&set);
    return n > 0 ? std::min(n, onlineCores()) : onlineCores();
}

int onlineCores()
{
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? int(n) : 1;
}

QString cpuModel()
{
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (f.open(QIODevice::ReadOnly)) {
        const QList<QByteArray> lines = f.readAll().split('\n');
        for (const QByteArray &line : lines) {
            if (line.startsWith("model name")) {
                const int colon = line.indexOf(':');
                return QString::fromUtf8(line.mid(colon + 1).trimmed());
            }
        }
    }
    return QStringLiteral("unknown");
}

QString siblingExecutable(const QString &name)
{
    // Two layouts, one rule. The build tree puts every program in bin/. An install puts the user
    // programs in bindir and the helpers (the worker) in a private libexec folder; LAB_BIN_TO_LIBEXEC
    // is the path from one to the other, so a relocated prefix works too. Only the running program's
    // own folder counts: an installed program must never pick up a build tree's worker.
    const QString self = QCoreApplication::instance() ? QCoreApplication::applicationDirPath()
                                                      : QFileInfo(QStringLiteral("/proc/self/exe")).canonicalPath();
    if (self.isEmpty())
        return {};
    const QDir here(self);
    for (const QString &rel : {QString(), QStringLiteral(LAB_BIN_TO_LIBEXEC), QStringLiteral(LAB_LIBEXEC_TO_BIN)}) {
        const QFileInfo fi(QDir::cleanPath(here.filePath(rel.isEmpty() ? name : rel + QLatin1Char('/') + name)));
        if (fi.isFile() && fi.isExecutable())
            return fi.absoluteFilePath();
    }
    return {};
}

double processCpuSecondsOf(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray b = f.readAll();
    const auto ps = parsePidStat(std::string_view(b.constData(), size_t(b.size())));
    static const double tick = double(::sysconf(_SC_CLK_TCK));
    return ps ? double(ps->ownTicks()) / tick : -1;
}

std::vector<ChildProcess> childProcesses(qint64 parentPid)
{
    std::vector<ChildProcess> out;
    for (const PidStat &p : listProcesses()) {
        if (p.ppid != parentPid)
            continue;
        QFile cmd(QStringLiteral("/proc/%1/cmdline").arg(p.pid));
        QList<QByteArray> argv;
        if (cmd.open(QIODevice::ReadOnly))
            argv = cmd.readAll().split('\0');
        while (!argv.isEmpty() && argv.constLast().isEmpty())
            argv.removeLast();
        const QByteArray argv0 = argv.value(0);
        if (!argv.isEmpty())
            argv.removeFirst();
        out.push_back({p.pid, p.state, argv0, argv});
    }
    return out;
}

double median(std::vector<double> values)
{
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const double rank = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * double(values.size()));
    const size_t idx = size_t(std::max(1.0, rank)) - 1;
    return values[std::min(idx, values.size() - 1)];
}

} // namespace lab
