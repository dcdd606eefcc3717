#pragma once
#include "framedecoder.h"
#include "workloads/task.h"

#include <QCborMap>
#include <QHash>
#include <QString>

#include <array>
#include <optional>
#include <utility>
#include <vector>

// Messages between ProcessPoolModel (parent) and concurrency-lab-worker (child). Each is one
// frame (framedecoder.h). The worker speaks first (hello); the parent sends chunks of tasks
// ("tasks", several in flight) and may cancel the running one; the worker runs them in the
// order received and answers with "results" (each task with its own times; a chunk's results
// may come in several messages, always in order) and, now and then, "started"; closing the
// worker's stdin or "bye" ends it. Times are absolute CLOCK_MONOTONIC seconds, which parent
// and child share on Linux. The hot messages (tasks, results, started) have lean encoders
// and streaming decoders that build no QCborValue tree.
namespace lab::ipc {

// Bump on any incompatible change; the parent refuses a worker speaking another version.
// 2: tasks carry a workload id and a parameter map; 3: chunks ("tasks"/"results"), pipelining;
// 4: "host", the job of a worker in --host mode (threads-hosted); 5: "forked", the answer of a
// worker in --fork-server mode; 6: "results" may come "packed".
inline constexpr int kProtocolVersion = 6;

enum class MessageType { Hello, Task, Tasks, Started, Result, Results, Cancel, Bye, Host, Forked, Unknown };

MessageType messageType(const QCborMap &message);
QString messageTypeName(MessageType type);

struct Hello {
    int version = 0;
    qint64 pid = 0;
};

struct Started {
    int id = 0;
    double t = 0;   // monotonic seconds
    int cpu = -1;
};

struct ResultMessage {
    TaskResult result;        // start_s/end_s absolute monotonic seconds
    double workerCpu_s = 0;   // the worker process's cumulative user+sys
    long workerPeakRssKb = 0;
};

QCborMap encodeHello(const Hello &hello);
QCborMap encodeTask(const TaskSpec &task);
QCborMap encodeStarted(const Started &started);
QCborMap encodeResult(const ResultMessage &result);
QCborMap encodeCancel(int taskId);  // -1: whatever task is running
QCborMap encodeBye();

// A worker started with --host runs a whole run on its own threads: the parent sends one
// "host" message (the experiment spec as JSON text, the threads to run, how many tasks follow),
// then the tasks as "tasks" frames; the host answers with "started" and "results" frames as
// tasks finish, and ends on stdin EOF or "bye".
struct HostJob {
    QByteArray specJson;
    int workers = 1;
    int tasks = 0;
};
QCborMap encodeHost(const HostJob &job);
bool decodeHost(const QCborMap &m, HostJob *out, QString *error);

// A worker started with --fork-server says hello, then forks one worker per request: a single
// byte on its stdin (a Unix socket) carrying two descriptors (SCM_RIGHTS), the socket that is
// the new worker's stdin and stdout and the pipe that is its stderr. It answers each request,
// in order, with "forked": the new worker's pid, or why it could not fork. Its stdin EOF ends it.
struct Forked {
    qint64 pid = 0;   // 0 with an error
    QString error;
};
QCborMap encodeForked(const Forked &forked);
bool decodeForked(const QCborMap &m, Forked *out, QString *error);

// The check of a worker's first message: a hello in this build's protocol. Else false, and
// *why says what came instead ("expected a hello handshake, got ..." with `decodeError` when
// the message did not decode, or "speaks protocol version N, ..."); *otherVersion (optional)
// tells a worker from another build apart from a broken stream.
bool acceptHello(const std::optional<QCborMap> &m, Hello *out, QString *why, bool *otherVersion = nullptr,
                 const QString &decodeError = {});

// Decoders check the type and the presence and kind of every required field; on failure they
// return false with a one-line reason.
bool decodeHello(const QCborMap &m, Hello *out, QString *error);
bool decodeTask(const QCborMap &m, TaskSpec *out, QString *error);
bool decodeStarted(const QCborMap &m, Started *out, QString *error);
bool decodeResult(const QCborMap &m, ResultMessage *out, QString *error);
int decodeCancel(const QCborMap &m);  // task id, -1 if absent

// The "type" of a message payload, read without decoding the rest (Unknown when absent).
MessageType peekMessageType(QByteArrayView payload);

// A chunk of tasks of one workload: {"type":"tasks","workload":W,"ids":[...],"params":[b...]},
// each task's parameter map as a CBOR byte string, decoded only when the task runs.
void appendTasksFrame(QByteArray &out, const QString &workload, const std::vector<int> &ids,
                      const std::vector<QByteArray> &encodedParams);
QByteArray encodeParams(const QCborMap &params);
// A task list encoded once for appendTasksFrame's lean path: each task's id and parameter
// byte string as CBOR items, one after another, so that a chunk of consecutive tasks is framed
// by two copies (framing 2000 tasks one by one took 0.1-0.3 ms of the pool's dispatch window).
struct EncodedTasks {
    QByteArray ids;
    QByteArray params;
    std::vector<qsizetype> idAt{0};      // task i's id item is ids[idAt[i], idAt[i + 1])
    std::vector<qsizetype> paramsAt{0};  // and its parameters params[paramsAt[i], paramsAt[i + 1])
    void append(int id, const QByteArray &encodedParams);
    size_t size() const { return idAt.size() - 1; }
};
// The same frame as the other appendTasksFrame for tasks first .. first + count - 1.
void appendTasksFrame(QByteArray &out, const QString &workload, const EncodedTasks &tasks, size_t first, size_t count);
struct TaskChunk {
    QByteArray payload;   // owns the parameter bytes `params` points into
    QString workload;
    std::vector<int> ids;
    std::vector<std::pair<qsizetype, qsizetype>> params;  // offset and length in payload
    size_t size() const { return ids.size(); }
};
bool decodeTasks(const QByteArray &payload, TaskChunk *out, QString *error);
namespace detail {
// decodeTasks' two paths, held to each other by the tests (as decodeResults' below).
bool decodeTasksFast(const QByteArray &payload, TaskChunk *out);
bool decodeTasksByStream(const QByteArray &payload, TaskChunk *out, QString *error);
} // namespace detail
// Parameter maps a worker has decoded, by their bytes: a run's tasks mostly repeat a few maps
// (cpu-tiny's 4000 tasks have 10), and decoding one took ~0.7 us, twice the task it describes.
// One per worker; used by one thread at a time. Starts again when it holds kMaxMaps.
class ParamsCache {
public:
    static constexpr qsizetype kMaxMaps = 4096;
    const QCborMap *find(const QByteArray &bytes) const;
    void insert(const QByteArray &bytes, const QCborMap &map);
    qsizetype size() const { return m_maps.size(); }

private:
    QHash<QByteArray, QCborMap> m_maps;
};
// Task i of a chunk, with its parameters decoded (bounded) and checked by its workload; with a
// cache, parameter maps seen before are not decoded again (a task's check still runs).
bool taskAt(const TaskChunk &chunk, size_t i, TaskSpec *out, QString *error, ParamsCache *cache = nullptr);

// {"type":"results","worker_cpu_s":c,"worker_peak_rss_kb":k,"results":[[...], ...]}, one
// positional array per task (see protocol.cpp); or, when every result has only times, CPUs,
// flags and a short ASCII value (a CPU task's), "packed": one byte string of fixed-size records
// in place of "results", read and written with a copy (protocol.cpp, writePacked).
void appendResultsFrame(QByteArray &out, const std::vector<TaskResult> &results, double workerCpu_s,
                        long workerPeakRssKb);
// Always the CBOR arrays (the form for errors, I/O fields and traces; and for the tests).
void appendCborResultsFrame(QByteArray &out, const std::vector<TaskResult> &results, double workerCpu_s,
                            long workerPeakRssKb);
// A worker's results framed as they come: a result the packed form can carry is packed when
// it is added (its record, its value's index) and not kept, so that sending a burst is its
// head and two copies. Framing 500 results at once (and freeing their strings) took 20-40 us
// after a chunk's last task, while the parent waited for them (the pool's dispatch window).
// Results the packed form cannot carry are kept for the CBOR arrays; a burst that mixes the
// two goes as one message per run of one form, in order. A burst of one form is exactly
// appendResultsFrame's frame.
class ResultsBuilder {
public:
    void add(TaskResult &&result);
    bool empty() const { return m_count == 0; }
    size_t size() const { return m_count; }
    // Frames what was added and starts again (keeping its buffers' capacity).
    void appendFrame(QByteArray &out, double workerCpu_s, long workerPeakRssKb);
    // Room for this many packed results, its pages touched now (before the work starts).
    void reserve(size_t results);

private:
    struct Run {
        bool packed = true;
        size_t count = 0;
        QByteArray records;               // packed: the records so far
        QByteArray texts;                 // and the distinct values, each as length and bytes
        std::vector<qsizetype> textAt;    // where each distinct value starts in texts
        std::vector<TaskResult> results;  // not packed: the results themselves
    };
    Run &open(bool packed, bool fresh = false);  // the last run if it is of this form, else a new one
    static constexpr size_t kSlots = 512;
    std::vector<Run> m_runs;            // m_runs[0 .. m_used) hold this burst
    size_t m_used = 0;
    size_t m_count = 0;
    std::array<int, kSlots> m_slot{};   // the open packed run: hash slot -> value + 1 (0: none)
};
// Texts that recur from message to message (a CPU task's value: cpu-tiny's 4000 tasks have 10
// sums), read once and then shared: each result holds a reference, not its own copy. Decoding
// a value took an allocation per result, and the parent's heap grew a page at a time while a
// run's results streamed in. A text not seen lately costs one comparison more than before.
class TextInterner {
public:
    QString intern(const char *latin1, qsizetype size);

private:
    static constexpr size_t kSlots = 256;
    QString m_slots[kSlots];
};

struct ResultsMessage {
    std::vector<TaskResult> results;
    double workerCpu_s = 0;
    long workerPeakRssKb = 0;
    TextInterner values;  // kept across messages by a reader that reuses this object
};
// At most maxResults results are accepted (the tasks the worker holds).
bool decodeResults(QByteArrayView payload, ResultsMessage *out, QString *error, size_t maxResults);
namespace detail {
// decodeResults' two paths, for tests that hold them to each other: the direct reading of the
// shape appendResultsFrame writes (false when it declines: any other shape, or malformed), and
// the stream reader that decodes every valid message and words the errors.
bool decodeResultsFast(QByteArrayView payload, ResultsMessage *out, size_t maxResults);
bool decodeResultsByStream(QByteArrayView payload, ResultsMessage *out, QString *error, size_t maxResults);
// Whether the packed form carries this result (times, CPUs, flags and a short ASCII value only).
bool fitsPacked(const TaskResult &result);
} // namespace detail

void appendStartedFrame(QByteArray &out, const Started &started);
bool decodeStartedPayload(QByteArrayView payload, Started *out, QString *error);

} // namespace lab::ipc
