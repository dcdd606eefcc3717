#pragma once
#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QtGlobal>
#include <ctime>
#include <memory>
#include <vector>

namespace lab {

// What a lane (the thread or process running a task) is doing. A task's lane is Running from its
// start to its end except inside the spans it records; Gil waits come from the emulated GIL's
// own statistics (GilStats), the rest from the workload, which owns its primitives.
enum class LaneState : quint8 {
    Running = 0,
    Lock,        // waiting to take a lock (mutex, spinlock, process-shared lock)
    Semaphore,   // waiting for a permit
    Event,       // waiting for an event to be set
    Condition,   // waiting on a condition variable
    QueueEmpty,  // blocked on a queue or pipe with nothing to read
    QueueFull,   // blocked on a full queue or pipe
    Gil,         // waiting for the (emulated or real) GIL
    Io,          // in blocking I/O
    Sleep,
    Join,        // waiting for a thread or process to end
};
inline constexpr int kLaneStateCount = int(LaneState::Join) + 1;
QString laneStateId(LaneState s);     // "lock", "queue-empty", ... (JSON, CSV)
QString laneStateLabel(LaneState s);  // "waiting for a lock", ... (legend, hover)
bool laneStateFromId(const QString &id, LaneState *out);

// One interval a lane spent in `state`. Times are CLOCK_MONOTONIC seconds while a run is going
// (a worker process and the app share that clock) and seconds from the run's t0 once the Runner
// has rebased the run (RunRecord, JSON).
struct StateSpan {
    LaneState state = LaneState::Running;
    qint16 primitive = -1;      // index into the run's primitives (RunRecord::primitives); -1: none
    double start_s = 0;
    double end_s = 0;
    // The culprit: the task that released the lock, posted the permit, set the event, notified
    // the condition or put/took the item that ended this wait (across processes too); -1 unknown.
    int culpritTask = -1;
    // From the culprit's release to this lane running again (s); negative: unknown.
    double wakeLatency_s = -1;
};

// A primitive's value changing: the lock's holder (task id, -1 free), permits in use, queue
// depth, an event's state (1 set, 0 clear). Drawn as the primitive's own lane.
struct PrimitiveEvent {
    qint16 primitive = 0;
    double t_s = 0;
    int value = 0;
    int task = -1;              // the task that changed it
};

// Everything one task recorded. Bounded: past kMaxRecords spans (events) the rest are counted in
// dropped, so a run of millions of lock operations keeps a readable sample, not gigabytes.
struct TaskTrace {
    static constexpr size_t kMaxRecords = 20000;
    std::vector<StateSpan> spans;
    std::vector<PrimitiveEvent> events;
    qint64 droppedSpans = 0;
    qint64 droppedEvents = 0;

    bool empty() const { return spans.empty() && events.empty() && droppedSpans == 0 && droppedEvents == 0; }
    void shift(double by);      // adds `by` to every time (the Runner rebases with -t0)

    QJsonObject toJson() const; // {"spans": [[state, primitive, start, end, culprit, wake], ...], "events": [[p, t, value, task], ...], ...}
    // Reads toJson's form (also what the CPython twins print in a "finish" event's "trace"), with
    // the same bounds; false and a one-line reason when malformed.
    static bool fromJson(const QJsonObject &o, TaskTrace *out, QString *error);
    QByteArray toCbor() const;  // worker -> parent (protocol 3 results, optional 13th field)
    static bool fromCbor(const QByteArray &bytes, TaskTrace *out, QString *error);
};
using TaskTracePtr = std::shared_ptr<const TaskTrace>;

// A primitive a workload declares for a run (Workload::primitives): its lane on the timeline.
struct PrimitiveInfo {
    QString name;               // "counter lock", "download permits", "queue"
    QString kind;               // "mutex", "spinlock", "semaphore", "event", "condition", "queue", "pipe", ...
    int capacity = 0;           // permits or queue slots; 0: not bounded / not applicable
    QJsonObject toJson() const;
    static PrimitiveInfo fromJson(const QJsonObject &o);
};

// Monotonic nanoseconds, the cheap clock for per-operation records (the same CLOCK_MONOTONIC
// as monotonicSeconds(), via the vDSO: ~20 ns).
inline qint64 monotonicNs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// The recorder a task body owns while it runs (one per task, one thread: no locking). Workload
// code calls wait()/set() around its primitives and moves the result into TaskResult::trace.
class TraceRecorder {
public:
    explicit TraceRecorder(int task) : m_task(task) {}
    int task() const { return m_task; }
    // A wait that has ended: from startNs to endNs in `state` on `primitive`, ended by
    // culpritTask whose release happened at releasedNs (0: unknown).
    void wait(LaneState state, int primitive, qint64 startNs, qint64 endNs, int culpritTask = -1, qint64 releasedNs = 0);
    void set(int primitive, qint64 tNs, int value);
    bool empty() const { return m_trace.empty(); }
    TaskTracePtr finish();      // the trace so far (null when nothing was recorded); resets
private:
    int m_task;
    TaskTrace m_trace;
};

} // namespace lab
