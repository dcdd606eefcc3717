#include "appoptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QRegularExpression>

namespace lab {

bool AppOptions::parse(const QStringList &arguments, AppOptions *out, QString *error, int *exitCode)
{
    *exitCode = 2;
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Concurrency Lab: see and measure threads vs processes."));
    const QCommandLineOption help = p.addHelpOption();
    const QCommandLineOption version = p.addVersionOption();
    const QCommandLineOption preset(QStringLiteral("preset"),
                                    QStringLiteral("Built-in preset name or experiment spec file."),
                                    QStringLiteral("NAME|FILE"));
    const QCommandLineOption run(QStringLiteral("run"), QStringLiteral("Start the experiment at once."));
    const QCommandLineOption open(QStringLiteral("open"),
                                  QStringLiteral("Show a saved results.json in every chart (as it looked live)."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption exportDir(QStringLiteral("export-dir"),
                                       QStringLiteral("After the run, write every chart (PNG, SVG), "
                                                      "results.json, results.csv and trace.json to DIR."),
                                       QStringLiteral("DIR"));
    const QCommandLineOption quit(QStringLiteral("quit-when-done"),
                                  QStringLiteral("Exit once the run (or --open) and exports are done (status 0 "
                                                 "when all ran and verified)."));
    const QCommandLineOption shot(QStringLiteral("screenshot"),
                                  QStringLiteral("Save a PNG of the main window after the run (or --open)."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size, e.g. 1600x1000."),
                                  QStringLiteral("WxH"));
    const QCommandLineOption theme(QStringLiteral("theme"), QStringLiteral("light or dark."), QStringLiteral("THEME"));
    const QCommandLineOption noSettings(QStringLiteral("no-settings"),
                                        QStringLiteral("Do not read or write saved settings."));
    const QCommandLineOption models(QStringLiteral("models"),
                                    QStringLiteral("Models to run instead of the spec's (comma-separated ids)."),
                                    QStringLiteral("a,b,c"));
    p.addOptions({preset, run, open, exportDir, quit, shot, size, theme, noSettings, models});
    const QCommandLineOption presentation(QStringLiteral("presentation"),
                                          QStringLiteral("Start in presentation mode (F11 toggles it, Esc leaves)."));
    const QCommandLineOption lesson(QStringLiteral("lesson"),
                                    QStringLiteral("Show this lesson of the deck (with --run: run it and show the answer)."),
                                    QStringLiteral("NAME"));
    const QCommandLineOption lessonsDir(QStringLiteral("lessons-dir"),
                                        QStringLiteral("Also read lessons (*.lesson) from DIR."), QStringLiteral("DIR"));
    p.addOptions({presentation, lesson, lessonsDir});
    // The menu entry's "Exec=concurrency-lab %F": a double-clicked result arrives as a file argument.
    p.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("A saved result to show: the same as --open FILE."),
                            QStringLiteral("[FILE]"));

    if (!p.parse(arguments)) {
        *error = p.errorText();
        return false;
    }
    if (p.isSet(help) || p.isSet(QStringLiteral("help-all"))) {
        *error = p.helpText();
        *exitCode = 0;
        return false;
    }
    if (p.isSet(version)) {
        *error = QStringLiteral("concurrency-lab %1\n").arg(QCoreApplication::applicationVersion());
        *exitCode = 0;
        return false;
    }
    const QStringList files = p.positionalArguments();
    // One result at a time: a second file, or a file beside --open, is a mistake, not a choice.
    if (files.size() > 1 || (!files.isEmpty() && p.isSet(open))) {
        *error = QStringLiteral("unexpected argument \"%1\" (see --help)").arg(files.size() > 1 ? files.at(1) : files.at(0));
        return false;
    }
    AppOptions o;
    o.preset = p.value(preset);
    o.run = p.isSet(run);
    o.open = files.isEmpty() ? p.value(open) : files.constFirst();
    if (o.run && !o.open.isEmpty()) {
        *error = files.isEmpty()
                     ? QStringLiteral("--open shows a saved experiment; it cannot be combined with --run")
                     : QStringLiteral("\"%1\" is a saved experiment to show; it cannot be combined with --run").arg(o.open);
        return false;
    }
    o.exportDir = p.value(exportDir);
    o.quitWhenDone = p.isSet(quit);
    o.screenshot = p.value(shot);
    o.noSettings = p.isSet(noSettings);
    o.lesson = p.value(lesson);
    o.presentation = p.isSet(presentation) || !o.lesson.isEmpty();  // a lesson is a slide
    o.lessonsDir = p.value(lessonsDir);
    if (!o.lesson.isEmpty() && !o.open.isEmpty()) {
        *error = QStringLiteral("--lesson runs its own experiment; it cannot be combined with --open");
        return false;
    }
    for (const QString &m : p.value(models).split(QLatin1Char(','), Qt::SkipEmptyParts))
        o.models << m.trimmed();
    if (p.isSet(size)) {
        static const QRegularExpression re(QStringLiteral("^(\\d{3,5})x(\\d{3,5})$"));
        const auto m = re.match(p.value(size));
        if (!m.hasMatch()) {
            *error = QStringLiteral("--size expects WIDTHxHEIGHT such as 1600x1000, not \"%1\"").arg(p.value(size));
            return false;
        }
        o.size = QSize(m.captured(1).toInt(), m.captured(2).toInt());
    }
    if (p.isSet(theme)) {
        o.theme = p.value(theme).toLower();
        if (o.theme != QLatin1String("light") && o.theme != QLatin1String("dark")) {
            *error = QStringLiteral("--theme expects light or dark, not \"%1\"").arg(p.value(theme));
            return false;
        }
    }
    *out = o;
    *exitCode = 0;
    return true;
}

} // namespace lab
