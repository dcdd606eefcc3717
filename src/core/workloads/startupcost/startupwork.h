#pragma once
#include <QString>

#include <atomic>
#include <optional>
#include <vector>

namespace lab {

// Ways to start something that runs beside us and wait until it is gone: a thread (created and
// joined), a process made by fork() (the child only calls _exit), posix_spawn() of /bin/true, and
// QProcess running /bin/true (fork + exec with Qt's bookkeeping).
enum class StartupMechanism { Thread, Fork, PosixSpawn, QProcess };

std::optional<StartupMechanism> startupMechanismFromName(const QString &name);

struct StartupMeasurement {
    bool ok = false;
    bool cancelled = false;
    QString error;
    int asked = 0;
    int completed = 0;          // threads joined that ran their body / children reaped with exit code 0
    std::vector<double> us;     // one per start: from the call that creates it to its join or reap
};

// `count` starts one after another in the calling thread; every child is reaped before the next
// starts, so none is left on any path. A cancel is seen between two starts.
StartupMeasurement measureStartup(StartupMechanism mechanism, int count, const std::atomic<bool> &cancel);

// The program posix-spawn and qprocess start.
const char *startupProgram();

} // namespace lab
