#include "resultfile.h"

#include <QFile>
#include <QFileInfo>

namespace lab {

std::optional<LoadedResult> loadResultFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    const QByteArray json = file.readAll();
    Q_UNUSED(json);
    // ADAPTER (to be connected at merge): parse with
    //     ExperimentResult::fromJson(json, &why) -> std::optional<ExperimentResult>
    // and move the result's CPU samples (its "cpu" key: hz, samples) into LoadedResult::cpuSamples
    // and cpuHz. Until then loading is refused with one clear message.
    *error = QStringLiteral("%1: loading results needs ExperimentResult::fromJson").arg(QFileInfo(path).fileName());
    return std::nullopt;
}

} // namespace lab
