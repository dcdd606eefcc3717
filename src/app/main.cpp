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
#include <string_view>

// --help and --version need no display: answered before a QApplication (which aborts
// without one) is created.
static bool wantsTextOnly(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (a == "--help" || a == "-h" || a == "-?" || a == "--help-all" || a == "--version" || a == "-v")
            return true;
    }
    return false;
}

int main(int argc, char *argv[])
{
    if (wantsTextOnly(argc, argv)) {
        QCoreApplication core(argc, argv);
        QCoreApplication::setApplicationName(QStringLiteral("concurrency-lab"));
        QCoreApplication::setApplicationVersion(QStringLiteral(LAB_VERSION));
        lab::AppOptions options;
        QString message;
        int exitCode = 0;
        // QApplication would take its own options (-platform offscreen, ...) out first.
        static const QStringList withValue{QStringLiteral("-platform"), QStringLiteral("-platformpluginpath"),
                                           QStringLiteral("-platformtheme"), QStringLiteral("-plugin"),
                                           QStringLiteral("-display"), QStringLiteral("-style"),
                                           QStringLiteral("-stylesheet"), QStringLiteral("-qwindowgeometry"),
                                           QStringLiteral("-qwindowtitle"), QStringLiteral("-qwindowicon")};
        QStringList args;
        const QStringList all = QCoreApplication::arguments();
        for (qsizetype i = 0; i < all.size(); ++i) {
            QString a = all[i];
            if (a.startsWith(QStringLiteral("--")) && withValue.contains(a.mid(1)))
                a = a.mid(1);
            if (i > 0 && withValue.contains(a)) {
                ++i;
                continue;
            }
            args << all[i];
        }
        lab::AppOptions::parse(args, &options, &message, &exitCode);
        std::fputs(qPrintable(exitCode == 0 ? message : QStringLiteral("concurrency-lab: %1\n").arg(message)),
                   exitCode == 0 ? stdout : stderr);
        return exitCode;
    }
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("ConcurrencyLab"));
    QApplication::setApplicationName(QStringLiteral("concurrency-lab"));
    QApplication::setApplicationDisplayName(QStringLiteral("Concurrency Lab"));
    QApplication::setApplicationVersion(QStringLiteral(LAB_VERSION));
    QApplication::setDesktopFileName(QStringLiteral(LAB_APP_ID));  // the installed menu entry
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
