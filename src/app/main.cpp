#include "appoptions.h"
#include "labconfig.h"
#include "mainwindow.h"
#include "scriptedsession.h"
#include "util/shutdownsignals.h"

#include <QApplication>
#include <QIcon>
#include <QTimer>
#include <csignal>
#include <cstdio>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("ConcurrencyLab"));
    QApplication::setApplicationName(QStringLiteral("concurrency-lab"));
    QApplication::setApplicationDisplayName(QStringLiteral("Concurrency Lab"));
    QApplication::setApplicationVersion(QStringLiteral(LAB_VERSION));
    QApplication::setStyle(QStringLiteral("Fusion"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/concurrency-lab.svg")));

    lab::AppOptions options;
    QString message;
    int exitCode = 0;
    if (!lab::AppOptions::parse(QApplication::arguments(), &options, &message, &exitCode)) {
        std::fputs(qPrintable(exitCode == 0 ? message : QStringLiteral("concurrency-lab: %1\n").arg(message)),
                   exitCode == 0 ? stdout : stderr);
        return exitCode;
    }

    // Scripted runs that quit leave the user's saved window and spec alone.
    lab::MainWindow window(!options.noSettings && !options.quitWhenDone);
    lab::ScriptedSession script(&window, options);
    QObject::connect(&script, &lab::ScriptedSession::finished, &app, [](int code) { QApplication::exit(code); });
    // SIGTERM, SIGHUP and SIGINT end the app the way closing its window does: the run in
    // progress is cancelled, its child processes are killed and reaped, its temporary folders
    // removed (MainWindow::closeEvent, then the destructors below). Exit status 128 + signal.
    lab::ShutdownSignals stopSignals({SIGTERM, SIGHUP, SIGINT});
    QObject::connect(&stopSignals, &lab::ShutdownSignals::signalReceived, &app, [&window](int sig) {
        window.close();
        QApplication::exit(128 + sig);
    });
    window.show();
    QTimer::singleShot(0, &script, &lab::ScriptedSession::start);
    return QApplication::exec();
}
