#pragma once
#include "framedecoder.h"
#include "workloads/task.h"

#include <QCborMap>
#include <QString>

// Messages between ProcessPoolModel (parent) and concurrency-lab-worker (child). Each is one
// frame (framedecoder.h). The worker speaks first (hello); the parent sends one task at a
// time and may cancel it; closing the worker's stdin or "bye" ends it. Times are absolute
// CLOCK_MONOTONIC seconds, which parent and child share on Linux.
namespace lab::ipc {

// Bump on any incompatible change; the parent refuses a worker speaking another version.
inline constexpr int kProtocolVersion = 2;  // 2: tasks carry a workload id and a parameter map

enum class MessageType { Hello, Task, Started, Result, Cancel, Bye, Unknown };

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

// Decoders check the type and the presence and kind of every required field; on failure they
// return false with a one-line reason.
bool decodeHello(const QCborMap &m, Hello *out, QString *error);
bool decodeTask(const QCborMap &m, TaskSpec *out, QString *error);
bool decodeStarted(const QCborMap &m, Started *out, QString *error);
bool decodeResult(const QCborMap &m, ResultMessage *out, QString *error);
int decodeCancel(const QCborMap &m);  // task id, -1 if absent

} // namespace lab::ipc
