#pragma once
#include "experiment/runrecord.h"

#include <QString>
#include <QStringList>

namespace lab {

// The CLI's schema: JSON (ExperimentResult::toJson) and two CSV tables. The JSON is indented,
// or on one line when that is over kIndentedJsonLimit bytes (traces make results large).
constexpr qsizetype kIndentedJsonLimit = 1 << 20;
QByteArray resultToJson(const ExperimentResult &result);
QByteArray runsToCsv(const std::vector<RunRecord> &runs);    // one row per run
QByteArray tasksToCsv(const std::vector<RunRecord> &runs);   // one row per task
// One row per recorded wait of the tasks' thread-state traces (run, task, worker, state,
// primitive, start_s, end_s, culprit, wake_s; times from the run's start); empty when no task
// recorded one. Running time is what the spans leave of a task and has no rows.
QByteArray statesToCsv(const std::vector<RunRecord> &runs);
// The files `--csv PATH` writes (the CLI and the app's CSV export): PATH (runs), PATH's base +
// ".tasks.csv" and, when a task recorded waits, + ".states.csv". csvFilePaths lists them in that
// order (the states file always: whether a run records waits is known only afterwards).
QStringList csvFilePaths(const QString &path);
// Writes them atomically; the paths written are appended to *written (may be null).
bool writeCsvFiles(const ExperimentResult &result, const QString &path, QStringList *written, QString *error);
// Reads a result file (ExperimentResult::fromJson); nullopt and one line "PATH: problem".
std::optional<ExperimentResult> loadResultFile(const QString &path, QString *error);
// Writes atomically (temp file + rename); false and *error on failure.
bool writeFileAtomically(const QString &path, const QByteArray &data, QString *error);

} // namespace lab
