#pragma once
#include "workloads/task.h"

#include <QString>
#include <cstddef>

namespace lab {

// A POSIX shared-memory segment (/dev/shm) that processes map by name: the owner (the app, in a
// workload's setUp) creates it and unlinks it when destroyed, so nothing stays in /dev/shm after
// a run, a cancel or a crashed worker; a worker process attaches by name and only unmaps.
// Zero-filled at creation. Not copyable; movable.
class ShmSegment {
public:
    ShmSegment() = default;
    ~ShmSegment();
    ShmSegment(ShmSegment &&other) noexcept;
    ShmSegment &operator=(ShmSegment &&other) noexcept;
    ShmSegment(const ShmSegment &) = delete;
    ShmSegment &operator=(const ShmSegment &) = delete;

    // A new segment of `bytes` named "/concurrency-lab-<pid>-<n>" (unique in this process).
    static ShmSegment create(size_t bytes, QString *error);
    // Maps an existing segment (a worker process); `bytes` must match what the owner created.
    static ShmSegment attach(const QString &name, size_t bytes, QString *error);

    bool isValid() const { return m_data != nullptr; }
    void *data() const { return m_data; }
    size_t size() const { return m_size; }
    QString name() const { return m_name; }  // what attach() takes (travels in task parameters)
    bool owns() const { return m_owner; }

    // Names that an owner of this program created and has not removed yet (tests: /dev/shm is
    // left clean).
    static QString namePrefix();

private:
    void release();
    void *m_data = nullptr;
    size_t m_size = 0;
    QString m_name;
    bool m_owner = false;
};

// The shared block a task works on: `local` when the run's state lives in this process; in a
// worker process the segment named by the task's "shm" parameter, mapped into `attached` (keep
// it alive while the task runs). Null when neither is there, the reason in result.error:
// "bad-task" without a name (a task made outside a run), "shared-memory" when it cannot be mapped.
void *taskSharedBlock(void *local, size_t bytes, const TaskSpec &task, ShmSegment &attached, TaskResult &result,
                      const QString &what);
template <typename T>
T *taskSharedBlock(T *local, const TaskSpec &task, ShmSegment &attached, TaskResult &result, const QString &what)
{
    return static_cast<T *>(taskSharedBlock(static_cast<void *>(local), sizeof(T), task, attached, result, what));
}

} // namespace lab
