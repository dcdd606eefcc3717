#pragma once
#include "workloads/task.h"
#include "workloads/workload.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace lab {

struct GilParams {
    double switchIntervalMs = 5.0;  // like sys.setswitchinterval, 0.1 .. 100 ms
};

// An experiment: one workload, the models to compare, and how to run them.
// JSON format: docs/experiment-spec.md.
struct ExperimentSpec {
    QString name;
    QString title;
    QString description;
    QString workload = QStringLiteral("cpu");  // a workload id (workloads/registry.cpp)
    QJsonObject params;            // the workload's parameters, checked, defaults filled in
    GilParams gil;
    QStringList models;            // empty: every model that supports the workload
    QStringList variants;          // the workload's variants to run, by name; empty: all of them
    int workers = 0;               // 0: default (online cores for CPU, one per request for I/O)
    int repetitions = 1;
    int chunkSize = 0;             // process pool tasks per message; 0: auto, ceil(tasks / (4 x workers))
    double taskTimeout_s = 0;      // process pool per-task deadline; 0: derived from the estimate
    QJsonObject extra;             // unknown top-level keys kept for round trips

    static constexpr int kMaxWorkers = 256;
    static constexpr int kMaxRepetitions = 100;
    // Result memory: every task of every run (repetitions x models) keeps one record until the
    // experiment ends. kResultBytesPerTask is what one record costs today (TaskResult plus its
    // events and strings: about 2.6 KB measured; compact records are still to come); a spec
    // above kMaxResultBytes is refused before it starts rather than ending in an OOM kill.
    static constexpr qint64 kResultBytesPerTask = 2600;
    static constexpr qint64 kMaxResultBytes = qint64(2) << 30;  // 2 GiB
    static constexpr int kMaxChunkSize = 100000;
    static constexpr double kMaxTaskTimeoutS = 7 * 24 * 3600.0;

    // Parses and validates. On failure returns nullopt and a one-line message in *error
    // (with line/column for malformed JSON).
    static std::optional<ExperimentSpec> fromJson(const QByteArray &json, QString *error);
    static std::optional<ExperimentSpec> fromJsonObject(const QJsonObject &obj, QString *error);
    QJsonObject toJson() const;

    // Empty when the spec can run; otherwise the first problem, in one line.
    QString validate() const;
    int effectiveWorkers() const;
    // The workload of a validated spec (never null then); null for an unknown id.
    const Workload *workloadImpl() const;
    // The run's tasks; `state` is the run's workload state (null: "{server}" and the like stay
    // unresolved, good for counting).
    std::vector<TaskSpec> makeTasks(WorkloadState *state = nullptr) const;
    double estimatedSequentialSeconds() const;  // 0 when unknown (I/O)
    qint64 taskCount() const;                   // tasks per run, without building them
    // The variants this spec runs, in the workload's order: those named in `variants`, or all;
    // a workload without variants gives one unnamed variant with no overrides.
    std::vector<Variant> selectedVariants() const;
    // One repetition's runs in order: for each variant, its baselines first (sequential,
    // python-sequential), then the other `models` that fit it (Workload::whyNotOnVariant).
    struct PlannedRun {
        Variant variant;
        QString model;
    };
    std::vector<PlannedRun> plan(const QStringList &models) const;
    // Runs the experiment makes: repetitions x models (all models that can run the workload
    // when the spec names none).
    qint64 runCount() const;
    qint64 estimatedResultBytes() const;  // taskCount() x runCount() x kResultBytesPerTask
};

// `text` from a spec or a result file as it may be printed or quoted in a one-line message:
// control characters (C0, DEL, C1; ESC starts terminal escapes) and bidirectional controls
// become \xHH / \uHHHH, everything else stays as it is. The CLI prints spec text through it.
QString literalText(const QString &text);

// Line and column (1-based) of a byte offset in a text.
QString lineColumnOf(const QByteArray &text, int offset);
// The one JSON-object reader of spec and result files: malformed JSON gives "malformed JSON at
// line L, column C: …", any other document `notAnObject`.
std::optional<QJsonObject> parseJsonObject(const QByteArray &json, const QString &notAnObject, QString *error);

} // namespace lab
