#pragma once
#include "workloads/task.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace lab {

struct CpuParams {
    std::vector<quint64> numbers;  // one task per number
    int repeat = 1;                // each task computes its sum `repeat` times
};

struct IoParams {
    // URLs; "{server}" is replaced by host:port of the built-in local HTTP server.
    QStringList urls;
    int repeatUrls = 1;            // the seed's `sites * 3`
    int connectTimeoutMs = 5000;
    int timeoutMs = 30000;
    qint64 maxBodyBytes = 64ll * 1024 * 1024;
    bool usesLocalServer() const;
};

// The GIL convoy experiment: one I/O thread doing roundTrips socketpair round trips (beside
// cpuThreads CPU threads, then alone); the CPU threads sum squares in chunks of chunkN.
struct ConvoyParams {
    int roundTrips = 1000;
    int cpuThreads = 1;
    quint64 chunkN = 100000;
    int echoUs = 25;               // the peer's service time per message (a Python peer: ~20-30 us)
};

struct GilParams {
    double switchIntervalMs = 5.0;  // like sys.setswitchinterval, 0.1 .. 100 ms
};

// An experiment: one workload, the models to compare, and how to run them.
// JSON format: docs/experiment-spec.md.
struct ExperimentSpec {
    QString name;
    QString title;
    QString description;
    WorkloadKind workload = WorkloadKind::Cpu;
    CpuParams cpu;
    IoParams io;
    ConvoyParams convoy;
    GilParams gil;
    QStringList models;            // empty: every model that supports the workload
    int workers = 0;               // 0: default (online cores for CPU, one per request for I/O)
    int repetitions = 1;
    QJsonObject extra;             // unknown top-level keys kept for round trips

    static constexpr int kMaxWorkers = 256;
    static constexpr int kMaxRepetitions = 100;

    // Parses and validates. On failure returns nullopt and a one-line message in *error
    // (with line/column for malformed JSON).
    static std::optional<ExperimentSpec> fromJson(const QByteArray &json, QString *error);
    static std::optional<ExperimentSpec> fromJsonObject(const QJsonObject &obj, QString *error);
    QJsonObject toJson() const;

    // Empty when the spec can run; otherwise the first problem, in one line.
    QString validate() const;
    int effectiveWorkers() const;
    std::vector<TaskSpec> makeTasks(const QString &serverHostPort = {}) const;
    double estimatedSequentialSeconds() const;  // CPU workloads; 0 for I/O
};

// Line and column (1-based) of a byte offset in a text.
QString lineColumnOf(const QByteArray &text, int offset);

} // namespace lab
