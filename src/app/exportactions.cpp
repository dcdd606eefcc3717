#include "exportactions.h"

#include "charts/chartexport.h"
#include "export/chrometrace.h"
#include "export/resultwriter.h"

#include <QDir>
#include <QFileInfo>

namespace lab {

bool exportCharts(const QList<NamedPlot> &plots, const QString &dir, const QStringList &formats,
                  const ChartExportSettings &settings, QStringList *written, QString *error)
{
    if (!QDir().mkpath(dir)) {
        *error = QStringLiteral("cannot create the folder %1").arg(dir);
        return false;
    }
    for (const NamedPlot &p : plots) {
        for (const QString &fmt : formats) {
            const QString path = QDir(dir).filePath(p.name + QLatin1Char('.') + fmt);
            QString why;
            if (!p.plot || !exportPlot(p.plot, path, settings.size, settings.dpi, settings.whiteBackground, &why, settings.caption)) {
                *error = QStringLiteral("%1: %2").arg(path, why.isEmpty() ? QStringLiteral("export failed") : why);
                return false;
            }
            written->append(path);
        }
    }
    return true;
}

bool writeCsvPair(const ExperimentResult &result, const QString &path, QString *error)
{
    const QFileInfo fi(path);
    const QString tasksPath = fi.path() + QLatin1Char('/') + fi.completeBaseName() + QStringLiteral(".tasks.csv");
    if (!writeFileAtomically(path, runsToCsv(result.runs), error) || !writeFileAtomically(tasksPath, tasksToCsv(result.runs), error))
        return false;
    // Runs that recorded their waits: those too, one row per wait.
    const QByteArray states = statesToCsv(result.runs);
    const QString statesPath = fi.path() + QLatin1Char('/') + fi.completeBaseName() + QStringLiteral(".states.csv");
    return states.isEmpty() || writeFileAtomically(statesPath, states, error);
}

bool exportResultData(const ExperimentResult &result, const std::vector<CpuSample> &samples, const QString &dir,
                      QStringList *written, QString *error)
{
    if (!QDir().mkpath(dir)) {
        *error = QStringLiteral("cannot create the folder %1").arg(dir);
        return false;
    }
    const QDir d(dir);
    if (!writeFileAtomically(d.filePath(QStringLiteral("results.json")), resultToJson(result), error))
        return false;
    written->append(d.filePath(QStringLiteral("results.json")));
    if (!writeCsvPair(result, d.filePath(QStringLiteral("results.csv")), error))
        return false;
    written->append(d.filePath(QStringLiteral("results.csv")));
    written->append(d.filePath(QStringLiteral("results.tasks.csv")));
    if (!statesToCsv(result.runs).isEmpty())
        written->append(d.filePath(QStringLiteral("results.states.csv")));
    if (!writeFileAtomically(d.filePath(QStringLiteral("trace.json")), chromeTraceJson(result, samples), error))
        return false;
    written->append(d.filePath(QStringLiteral("trace.json")));
    return true;
}

} // namespace lab
