#pragma once
#include "appoptions.h"
#include "experiment/runrecord.h"

#include <QObject>
#include <QPointer>

namespace lab {

class MainWindow;

// The scripted command line, driving a MainWindow through its public API: load a preset (and
// models) and run it, or open a saved results file; then export every chart and the data,
// take a screenshot and quit (finished(exit code)). One scripted pass: later clicks are
// ordinary runs.
class ScriptedSession : public QObject {
    Q_OBJECT
public:
    ScriptedSession(MainWindow *window, const AppOptions &options, QObject *parent = nullptr);

    const AppOptions &options() const { return m_options; }
    bool isActive() const { return m_active; }

public Q_SLOTS:
    void start();

Q_SIGNALS:
    // Only with --quit-when-done: 0 all ran and verified (or the file was shown), 1 a run
    // failed, 2 bad input, 3 an export or the screenshot could not be written.
    void finished(int exitCode);

private:
    void fail();
    void onExperimentDone(const lab::ExperimentResult &result);
    void finishWith(int code);

    QPointer<MainWindow> m_window;
    AppOptions m_options;
    bool m_active = false;
};

} // namespace lab
