#pragma once
#include "sync/shmsegment.h"
#include "trace/statetrace.h"
#include "workloads/exechooks.h"

#include <QString>
#include <QTemporaryDir>
#include <atomic>
#include <deque>
#include <memory>
#include <pthread.h>

namespace lab {

// How a blocking queue operation ended.
enum class QueueStatus {
    Ok,
    Closed,     // get(): the queue is closed and empty; put(): closed
    Cancelled,  // the run was cancelled while blocked
    Stalled,    // blocked with no put or get anywhere for the stall limit: nobody is on the other side
    Broken,     // the pipe failed or delivered a torn record
};

// A bounded FIFO of 64-bit items for the threads of one process, on one mutex and two
// condition variables (not empty, not full), like queue.Queue. A get() that blocks on an empty
// queue records a QueueEmpty wait whose culprit is the task that put the item it got (latency:
// from that put to running); a put() that blocks on a full queue records QueueFull with the
// taker of the slot it got; both record the depth after them. Uncontended puts and gets record
// the depth for a sample only (syncutil::kSampleEvery) and read no clock otherwise.
class TracedQueue {
public:
    TracedQueue(int capacity, int primitive, int stallMs = 5000);
    ~TracedQueue();
    TracedQueue(const TracedQueue &) = delete;
    TracedQueue &operator=(const TracedQueue &) = delete;

    QueueStatus put(qint64 item, TraceRecorder *rec, const std::atomic<bool> &cancel, ExecHooks *hooks = nullptr);
    QueueStatus get(qint64 *item, TraceRecorder *rec, const std::atomic<bool> &cancel, ExecHooks *hooks = nullptr);
    // No more puts: blocked getters return Closed once the queue is empty.
    void close();

    int capacity() const { return m_capacity; }
    int depth() const;
    int maxDepth() const;

private:
    struct Item {
        qint64 value;
        int putter;
        qint64 putNs;
    };
    template <class Blocked>
    QueueStatus waitWhile(pthread_cond_t *cond, int *waiters, const std::atomic<bool> &cancel, Blocked blocked);
    pthread_mutex_t m_mutex;
    pthread_cond_t m_notEmpty;
    pthread_cond_t m_notFull;
    std::deque<Item> m_items;     // guarded by m_mutex, as is everything below
    int m_capacity;
    int m_primitive;
    qint64 m_stallNs;
    int m_maxDepth = 0;
    bool m_closed = false;
    int m_lastTaker = -1;
    qint64 m_lastTakeNs = 0;
    int m_getWaiters = 0;
    int m_putWaiters = 0;
    quint64 m_ops = 0;            // puts and gets so far: a waiter that sees it still gives up (Stalled)
};

// A queue between processes over a named pipe (FIFO). The owner (a workload's setUp, in the
// app) creates the FIFO in a private temporary folder plus a small ShmSegment for what the
// pipe cannot tell (who took an item last, which producers are done) and removes both when
// destroyed; tasks in worker processes open the FIFO by path and attach the segment by name.
// Items are fixed 24-byte records (item, put time, putter), so every write is atomic (less
// than PIPE_BUF) and every read gets one whole record even with several readers. The traces
// are those of TracedQueue, with the depth read from the pipe (FIONREAD).
class PipeQueue {
public:
    struct Shared {
        std::atomic<int> lastTaker;
        std::atomic<qint64> lastTakeNs;
        std::atomic<quint64> ops;          // records written and read: a waiter that sees it still gives up
        std::atomic<int> getWaiters;       // readers blocked now (a writer then stamps its record's time)
        std::atomic<int> putWaiters;
        std::atomic<int> producersLeft;
        std::atomic<int> maxDepth;         // of the sampled and the blocked operations
    };
    static constexpr int kRecordBytes = 24;

    // The owner: FIFO + segment; the pipe holds at least `capacity` records (the kernel rounds
    // its buffer up to pages). Null and *error on failure.
    static std::unique_ptr<PipeQueue> create(int capacity, int producers, QString *error);
    // A task: opens the owner's FIFO and segment.
    static std::unique_ptr<PipeQueue> open(const QString &fifoPath, const QString &shmName, int primitive,
                                           QString *error, int stallMs = 5000);
    ~PipeQueue();
    PipeQueue(const PipeQueue &) = delete;
    PipeQueue &operator=(const PipeQueue &) = delete;

    QueueStatus put(qint64 item, TraceRecorder *rec, const std::atomic<bool> &cancel);
    // Closed: the item was a stop record (a producer's producerDone() put one per consumer).
    QueueStatus get(qint64 *item, TraceRecorder *rec, const std::atomic<bool> &cancel);
    // A producer is done; the last one writes `consumers` stop records. Returns its status.
    QueueStatus producerDone(int consumers, TraceRecorder *rec, const std::atomic<bool> &cancel);

    QString fifoPath() const { return m_fifoPath; }
    QString shmName() const { return m_shm.name(); }
    int capacityRecords() const { return m_capacityRecords; }  // what the pipe holds
    int depth() const;
    int maxDepth() const;
    // Nothing of ours left in the file system (tests).
    QString folder() const { return m_dir ? m_dir->path() : QString(); }

private:
    PipeQueue() = default;
    QueueStatus writeRecord(qint64 item, TraceRecorder *rec, const std::atomic<bool> &cancel);
    // Blocked: polls the pipe for `events`; Ok to try again, or Cancelled / Stalled.
    QueueStatus waitFor(short events, const std::atomic<bool> &cancel, quint64 *seenOps, qint64 *seenAt);
    void noteDepth(int depth);
    std::unique_ptr<QTemporaryDir> m_dir;  // owner only
    QString m_fifoPath;
    ShmSegment m_shm;
    Shared *m_s = nullptr;
    int m_fd = -1;
    int m_primitive = -1;
    int m_capacityRecords = 0;
    qint64 m_stallNs = 0;
};

} // namespace lab
