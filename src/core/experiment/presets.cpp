#include "presets.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace lab {

QStringList presetNames()
{
    QStringList names;
    const QStringList files = QDir(QStringLiteral(":/presets")).entryList({QStringLiteral("*.json")}, QDir::Files,
                                                                          QDir::Name);
    for (const QString &f : files)
        names << QFileInfo(f).completeBaseName();
    return names;
}

QString presetDefault()
{
    return QStringLiteral("cpu-seed");
}

std::optional<ExperimentSpec> loadSpecFile(const QString &path, QString *error)
{
    QFile f(path);
    if (!QFileInfo(path).isFile()) {
        *error = QStringLiteral("%1: no such file").arg(path);
        return std::nullopt;
    }
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read: %2").arg(path, f.errorString());
        return std::nullopt;
    }
    const QByteArray data = f.read(4 * 1024 * 1024 + 1);
    if (data.size() > 4 * 1024 * 1024) {
        *error = QStringLiteral("%1: larger than 4 MiB, not an experiment spec").arg(path);
        return std::nullopt;
    }
    QString why;
    auto spec = ExperimentSpec::fromJson(data, &why);
    if (!spec)
        *error = QStringLiteral("%1: %2").arg(QFileInfo(path).fileName(), why);
    return spec;
}

std::optional<ExperimentSpec> loadPreset(const QString &name, QString *error)
{
    const QString path = QStringLiteral(":/presets/%1.json").arg(name);
    if (!QFile::exists(path)) {
        *error = QStringLiteral("unknown preset \"%1\" (built-in presets: %2)")
                     .arg(name, presetNames().join(QStringLiteral(", ")));
        return std::nullopt;
    }
    return loadSpecFile(path, error);
}

std::optional<ExperimentSpec> loadSpec(const QString &pathOrPreset, QString *error)
{
    const bool looksLikePath = pathOrPreset.contains(QLatin1Char('/')) || pathOrPreset.endsWith(QLatin1String(".json"))
                               || QFileInfo::exists(pathOrPreset);
    return looksLikePath ? loadSpecFile(pathOrPreset, error) : loadPreset(pathOrPreset, error);
}

} // namespace lab
