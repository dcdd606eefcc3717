#pragma once
// Helpers every command-line benchmark shares: unbuffered output and the machine's load, so
// each printed figure can be judged against what else ran on the box.
#include <QFile>
#include <QString>

#include <cstdio>

namespace lab::bench {

// Prints at once: a benchmark is watched while it runs.
inline void print(const QString &s)
{
    std::fputs(qPrintable(s), stdout);
    std::fflush(stdout);
}

// The whole line of /proc/loadavg, "?" when it cannot be read.
inline QString loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    return f.open(QIODevice::ReadOnly) ? QString::fromLatin1(f.readAll().simplified()) : QStringLiteral("?");
}

} // namespace lab::bench
