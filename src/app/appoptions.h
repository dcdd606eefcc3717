#pragma once
#include <QSize>
#include <QString>
#include <QStringList>

namespace lab {

// The scripted command line: concurrency-lab [--preset NAME|FILE] [--run] [--open RESULTS]
// [--export-dir DIR] [--quit-when-done] [--screenshot FILE] [--size WxH] [--theme light|dark]
// [--models a,b] [--presentation] [--lesson NAME] [--lessons-dir DIR] [RESULTS].
// A RESULTS file argument is --open RESULTS (the menu entry passes one).
struct AppOptions {
    QString preset;          // built-in preset name or spec file path
    bool run = false;
    QString open;            // a saved result to show (instead of running): --open FILE or FILE
    QString exportDir;
    bool quitWhenDone = false;
    QString screenshot;      // PNG of the main window once the run is done
    QSize size;              // initial window size; invalid: saved geometry
    QString theme;           // empty: saved setting
    QStringList models;      // overrides the spec's models (checked boxes) when not empty
    bool noSettings = false; // neither read nor write QSettings (tests, scripted figures)
    bool presentation = false; // start in presentation mode (F11)
    QString lesson;          // a lesson of the deck to show (its id, e.g. "gil")
    QString lessonsDir;      // a folder of teachers' lessons (default: setting, then XDG data dir)

    // Parses arguments (argv[0] first, Qt options already removed). On error returns false with
    // a one-line message in *error; on --help/--version *error holds the text and *exitCode 0.
    static bool parse(const QStringList &arguments, AppOptions *out, QString *error, int *exitCode);
    bool scripted() const
    {
        return run || !open.isEmpty() || !exportDir.isEmpty() || quitWhenDone || !screenshot.isEmpty();
    }
};

} // namespace lab
