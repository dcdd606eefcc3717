#pragma once
#include "experiment/runrecord.h"
#include "lessons/measures.h"

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace lab {

// One lesson of the deck: predict, run, explain (format: docs/lessons.md). A text file of
// "key: value" lines; a line that starts with white space continues the previous value.
struct Lesson {
    struct Figure {           // figure: NAME = MEASURE(MODEL) or MEASURE(MODEL @ VARIANT)
        QString name;
        Measure measure = Measure::Speedup;
        QString key;          // set: one of the workload's own figures (its summary's figures()) instead
        QString unit;         //   of a measure, shown with the figure's unit and decimals
        int decimals = 0;
        QString model;
        QString variant;      // empty: the model's run (experiments without variants)
    };
    struct Condition {        // NAME OP NUMBER, OP one of < <= > >=
        enum Op { Less, LessEqual, Greater, GreaterEqual };
        QString figure;
        Op op = Less;
        double value = 0;
        bool holds(double measured) const;
    };
    struct Choice {           // choice: TEXT | CONDITION [and CONDITION]... | otherwise [| WHY]
        QString text;
        QString why;          // shown with the answer when this choice is the measured one
        std::vector<Condition> when;
        bool otherwise = false;
    };

    QString id;               // file name without extension and "NN-" prefix (set by the loader)
    QString title;
    QString claim;            // the seed's words it tests, quoted
    QString preset;           // a built-in preset
    QStringList models;       // empty: the preset's
    int cores = 1;            // cores the lesson needs to show its point
    QString fewCores;         // what a machine with fewer cores limits (optional)
    QString question;
    std::vector<Choice> choices;
    std::vector<Figure> figures;
    QString notice;           // with {NAME} placeholders; {cores} is the usable cores

    static constexpr int kMaxBytes = 64 * 1024;
};

// Parses and checks a lesson (keys, figures, conditions, placeholders, that the preset and the
// models exist). On failure nullopt, a one-line message in *error and its 1-based line in
// *errorLine (the line of the problem; 1 for a missing key).
std::optional<Lesson> parseLesson(const QByteArray &text, QString *error, int *errorLine);
// A lesson file: parses it and sets its id. *error is "FILE:LINE: message" on failure.
std::optional<Lesson> loadLessonFile(const QString &path, QString *error);
// "01-gil-cpu.lesson" -> "gil-cpu".
QString lessonIdFromFileName(const QString &fileName);

// The answer after a run: each figure's measured value, the first choice whose conditions hold
// (-1: a figure it needs was not measured), and the notice with the figures filled in.
struct LessonOutcome {
    QHash<QString, std::optional<double>> values;
    int correct = -1;
    QString why;              // the correct choice's explanation, figures filled in
    QString notice;
    QStringList missing;      // figures that were not measured
};
LessonOutcome evaluateLesson(const Lesson &lesson, const ExperimentResult &result, int usableCores);
// Text with {NAME} replaced by the formatted figure ("–" when not measured).
QString fillLessonText(const Lesson &lesson, const QString &text, const QHash<QString, std::optional<double>> &values,
                       int usableCores);
// Empty when the machine has the cores the lesson needs; else what that limits.
QString lessonCoresNote(const Lesson &lesson, int usableCores);

} // namespace lab
