#include "appcpumeter.h"

#include "sampling/procfile.h"
#include "util/sysinfo.h"

#include <QtNumeric>
#include <algorithm>
#include <cstdio>
#include <charconv>
#include <dirent.h>
#include <unistd.h>

namespace lab {

std::optional<AppCpuMeter::ThreadTimes> AppCpuMeter::parseTaskStat(std::string_view text, long ticksPerSecond)
{
    // "tid (comm) state ppid ..." — comm may hold spaces and parentheses: it ends at the last ')'.
    const size_t open = text.find('(');
    const size_t close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open || ticksPerSecond <= 0)
        return std::nullopt;
    ThreadTimes t;
    t.comm = QByteArray(text.data() + open + 1, qsizetype(close - open - 1));
    // Fields after the comm, counted from 3 (state): utime is field 14, stime field 15.
    std::string_view rest = text.substr(close + 1);
    int field = 2;
    unsigned long long utime = 0, stime = 0;
    size_t i = 0;
    while (i < rest.size() && field < 15) {
        while (i < rest.size() && rest[i] == ' ')
            ++i;
        size_t j = i;
        while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n')
            ++j;
        if (j == i)
            break;
        ++field;
        if (field == 14 || field == 15) {
            unsigned long long v = 0;
            const auto r = std::from_chars(rest.data() + i, rest.data() + j, v);
            if (r.ec != std::errc())
                return std::nullopt;
            (field == 14 ? utime : stime) = v;
        }
        i = j;
    }
    if (field < 15)
        return std::nullopt;
    t.cpuSeconds = double(utime + stime) / double(ticksPerSecond);
    return t;
}

bool AppCpuMeter::isExperimentThread(const QByteArray &comm)
{
    return comm.startsWith("lab-runner") || comm.startsWith("lab-worker");
}

AppCpuMeter::AppCpuMeter(QObject *parent) : QObject(parent), m_percent(qQNaN())
{
    m_ticks = std::max(1L, ::sysconf(_SC_CLK_TCK));
    m_timer.setInterval(kUpdateMs);
    m_timer.setTimerType(Qt::CoarseTimer);
    connect(&m_timer, &QTimer::timeout, this, &AppCpuMeter::update);
    cpuSeconds();  // the baseline: what the threads used before the meter existed does not count
}

void AppCpuMeter::setTaskDirectory(const QString &path)
{
    m_taskDir = path.toLocal8Bit();
    m_last.clear();
    m_primed = false;
    m_total = 0;
    m_history.clear();
    m_percent = qQNaN();
    cpuSeconds();
}

double AppCpuMeter::cpuSeconds()
{
    DIR *dir = ::opendir(m_taskDir.constData());
    if (!dir)
        return m_total;
    QHash<qint64, double> seen;
    char path[512];
    char text[1024];
    while (dirent *e = ::readdir(dir)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        const qint64 tid = QByteArray(e->d_name).toLongLong();
        size_t n = 0;
        if (std::snprintf(path, sizeof path, "%s/%s/stat", m_taskDir.constData(), e->d_name) >= int(sizeof path) ||
            !readSmallFile(path, text, sizeof text, &n))
            continue;  // ended meanwhile
        const std::optional<ThreadTimes> t = parseTaskStat(std::string_view(text, n), m_ticks);
        if (!t || isExperimentThread(t->comm))
            continue;
        double cpu = t->cpuSeconds;
        // schedstat: nanoseconds on the CPU, first field; finer than the 10 ms tick.
        if (std::snprintf(path, sizeof path, "%s/%s/schedstat", m_taskDir.constData(), e->d_name) < int(sizeof path) &&
            readSmallFile(path, text, sizeof text, &n)) {
            unsigned long long ns = 0;
            const auto r = std::from_chars(text, text + n, ns);
            if (r.ec == std::errc())
                cpu = double(ns) * 1e-9;
        }
        seen.insert(tid, cpu);
        if (!m_primed)
            continue;
        const auto last = m_last.constFind(tid);
        // A thread born since the last read used all of its time since then.
        const double delta = last == m_last.constEnd() ? cpu : cpu - *last;
        if (delta > 0)
            m_total += delta;
    }
    ::closedir(dir);
    m_last = std::move(seen);
    m_primed = true;
    return m_total;
}

void AppCpuMeter::start()
{
    m_timer.start();
}

void AppCpuMeter::stop()
{
    m_timer.stop();
}

void AppCpuMeter::update()
{
    const double now = monotonicSeconds();
    const double cpu = cpuSeconds();
    m_history.emplace_back(now, cpu);
    while (m_history.size() > 2 && now - m_history[1].first >= kWindowSeconds)
        m_history.pop_front();
    if (m_history.size() >= 2) {
        const double dt = now - m_history.front().first;
        m_percent = dt > 0 ? 100.0 * (cpu - m_history.front().second) / dt : qQNaN();
    }
    Q_EMIT updated(m_percent);
}

} // namespace lab
