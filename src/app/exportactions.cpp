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
    if (!writeCsvFiles(result, d.filePath(QStringLiteral("results.csv")), written, error))
        return false;
    if (!writeFileAtomically(d.filePath(QStringLiteral("trace.json")), chromeTraceJson(result, samples), error))
        return false;
    written->append(d.filePath(QStringLiteral("trace.json")));
    return true;
}

} // namespace lab
