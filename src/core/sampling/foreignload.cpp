#include "foreignload.h"

#include "procfile.h"
#include "procstat.h"
#include "util/sysinfo.h"

#include <QThread>
#include <algorithm>
#include <charconv>
#include <dirent.h>
#include <string>
#include <unistd.h>

namespace lab {

namespace {

bool readNumber(std::string_view &rest, quint64 *out)
{
    while (!rest.empty() && rest.front() == ' ')
        rest.remove_prefix(1);
    const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), *out);
    if (ec != std::errc())
        return false;
    rest.remove_prefix(size_t(ptr - rest.data()));
    return true;
}

bool skipField(std::string_view &rest)
{
    while (!rest.empty() && rest.front() == ' ')
        rest.remove_prefix(1);
    if (rest.empty())
        return false;
    const size_t sp = rest.find(' ');
    rest.remove_prefix(sp == std::string_view::npos ? rest.size() : sp);
    return true;
}

// Empty when it cannot be read (a process gone meanwhile).
std::string_view readText(const std::string &path, std::string *buffer)
{
    return readWholeFile(path.c_str(), buffer, 64 * 1024) ? std::string_view(*buffer) : std::string_view();
}

// The numeric entries of a /proc directory (pids, or tids under task/).
template <typename F>
void forEachNumericEntry(const std::string &dir, F &&f)
{
    DIR *d = ::opendir(dir.c_str());
    if (!d)
        return;
    while (const dirent *e = ::readdir(d))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
            f(e->d_name);
    ::closedir(d);
}

} // namespace

std::optional<PidStat> parsePidStat(std::string_view text)
{
    // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
    //  stime cutime cstime ..."
    const size_t open = text.find('(');
    const size_t close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        return std::nullopt;
    PidStat s;
    quint64 pid = 0;
    std::string_view head = text.substr(0, open);
    if (!readNumber(head, &pid))
        return std::nullopt;
    s.pid = qint64(pid);
    std::string_view rest = text.substr(close + 1);
    while (!rest.empty() && rest.front() == ' ')
        rest.remove_prefix(1);
    if (rest.empty())
        return std::nullopt;
    s.state = rest.front();
    rest.remove_prefix(1);
    quint64 ppid = 0;
    if (!readNumber(rest, &ppid))
        return std::nullopt;
    s.ppid = qint64(ppid);
    quint64 pgrp = 0;
    if (!readNumber(rest, &pgrp))
        return std::nullopt;
    s.pgrp = qint64(pgrp);
    for (int i = 0; i < 8; ++i)  // session .. cmajflt
        if (!skipField(rest))
            return std::nullopt;
    if (!readNumber(rest, &s.utime) || !readNumber(rest, &s.stime) || !readNumber(rest, &s.cutime)
        || !readNumber(rest, &s.cstime))
        return std::nullopt;
    return s;
}

std::vector<qint64> parseChildrenList(std::string_view text)
{
    std::vector<qint64> pids;
    while (true) {
        while (!text.empty() && (text.front() == ' ' || text.front() == '\n'))
            text.remove_prefix(1);
        if (text.empty())
            break;
        quint64 pid = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
        if (ec != std::errc())
            break;
        pids.push_back(qint64(pid));
        text.remove_prefix(size_t(ptr - text.data()));
    }
    return pids;
}

std::optional<double> foreignBusyCores(const std::optional<LoadSnapshot> &before, const std::optional<LoadSnapshot> &after)
{
    if (!before || !after || after->cores <= 0 || after->machineAll <= before->machineAll)
        return std::nullopt;
    // Elapsed time in ticks of one core: all cores' ticks / cores.
    const double elapsed = double(after->machineAll - before->machineAll) / after->cores;
    if (elapsed < kMinForeignWindowTicks)
        return std::nullopt;
    const double busy = after->machineBusy > before->machineBusy ? double(after->machineBusy - before->machineBusy) : 0;
    const double own = after->own > before->own ? double(after->own - before->own) : 0;
    return std::max(0.0, (busy - own) / elapsed);
}

std::optional<LoadSnapshot> readLoadSnapshot(const QString &procRoot, qint64 pid)
{
    const std::string root = procRoot.toStdString();
    std::string text;
    const auto stat = parseProcStat(readText(root + "/stat", &text));
    if (!stat)
        return std::nullopt;
    LoadSnapshot s;
    s.machineBusy = stat->total.busy();
    s.machineAll = stat->total.busy() + stat->total.idleAll();
    for (const auto &c : stat->cores)
        if (c)
            ++s.cores;
    if (s.cores == 0)
        s.cores = std::max(1, onlineCores());

    // This process and every live descendant, each with its reaped children (cutime/cstime).
    std::vector<qint64> todo{pid > 0 ? pid : qint64(::getpid())};
    std::vector<qint64> seen;
    while (!todo.empty() && seen.size() < 4096) {
        const qint64 p = todo.back();
        todo.pop_back();
        if (std::find(seen.begin(), seen.end(), p) != seen.end())
            continue;
        seen.push_back(p);
        const std::string dir = root + '/' + std::to_string(p);
        const auto ps = parsePidStat(readText(dir + "/stat", &text));
        if (!ps)
            continue;  // gone meanwhile: its time is in its parent's cutime once reaped
        s.own += ps->treeTicks();
        forEachNumericEntry(dir + "/task", [&](const char *tid) {
            for (qint64 child : parseChildrenList(readText(dir + "/task/" + tid + "/children", &text)))
                todo.push_back(child);
        });
    }
    return s;
}

std::vector<PidStat> listProcesses(const QString &procRoot)
{
    const std::string root = procRoot.toStdString();
    std::string text;
    std::vector<PidStat> out;
    forEachNumericEntry(root, [&](const char *name) {
        // Gone meanwhile (unreadable) or not a stat line: not listed.
        if (const auto ps = parsePidStat(readText(root + '/' + name + "/stat", &text)))
            out.push_back(*ps);
    });
    return out;
}

QString foreignLoadWarning(double cores)
{
    if (!(cores > kForeignLoadLimit))
        return {};
    return QStringLiteral("another program uses %1 core%2: figures will be disturbed")
        .arg(cores, 0, 'f', 1)
        .arg(cores >= 1.05 || cores < 0.95 ? QStringLiteral("s") : QString());
}

ForeignLoadMonitor::ForeignLoadMonitor(QObject *parent) : QObject(parent), m_timer(new QTimer(this))
{
    m_timer->setInterval(500);
    connect(m_timer, &QTimer::timeout, this, &ForeignLoadMonitor::measureNow);
}

double ForeignLoadMonitor::latestCores() const
{
    const double o = m_override.load();
    return o >= 0 ? o : m_latest.load();
}

void ForeignLoadMonitor::setOverride(double cores)
{
    m_override.store(cores);
}

double ForeignLoadMonitor::overrideCores() const
{
    return m_override.load();
}

void ForeignLoadMonitor::start()
{
    if (QThread::currentThread() != thread()) {
        QMetaObject::invokeMethod(this, &ForeignLoadMonitor::start, Qt::QueuedConnection);
        return;
    }
    m_history.clear();
    measureNow();
    m_timer->start();
}

void ForeignLoadMonitor::stop()
{
    if (QThread::currentThread() != thread()) {
        if (thread()->isRunning())
            QMetaObject::invokeMethod(this, &ForeignLoadMonitor::stop, Qt::BlockingQueuedConnection);
        return;
    }
    m_timer->stop();
}

void ForeignLoadMonitor::measureNow()
{
    const double now = monotonicSeconds();
    if (auto snap = readLoadSnapshot())
        m_history.emplace_back(now, *snap);
    // Compare with the reading about a second ago (the oldest one kept).
    while (m_history.size() > 2 && m_history[1].first <= now - 1.0)
        m_history.erase(m_history.begin());
    double cores = -1;
    if (m_history.size() >= 2) {
        if (const auto f = foreignBusyCores(m_history.front().second, m_history.back().second))
            cores = *f;
    }
    if (cores >= 0)
        m_latest.store(cores);
    const double shown = latestCores();
    if (shown >= 0)
        Q_EMIT measured(shown);
}

} // namespace lab
