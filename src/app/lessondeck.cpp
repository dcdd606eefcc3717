#include "lessondeck.h"

#include "models/executionmodel.h"

#include <QDir>
#include <QMap>
#include <QStandardPaths>

namespace lab {

QString LessonDeck::defaultUserDir()
{
    const QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return base.isEmpty() ? QString() : QDir(base).filePath(QStringLiteral("lessons"));
}

void LessonDeck::load(const QStringList &userDirs)
{
    m_lessons.clear();
    m_problems.clear();
    m_dirs = QStringList{bundledDir()} + userDirs;
    QMap<QString, QString> files;  // file name -> path; later folders replace earlier ones
    for (const QString &dir : std::as_const(m_dirs)) {
        if (dir.isEmpty())
            continue;
        const QDir d(dir);
        for (const QString &name : d.entryList({QStringLiteral("*.lesson")}, QDir::Files, QDir::Name))
            files.insert(name, d.filePath(name));
    }
    for (auto it = files.cbegin(); it != files.cend(); ++it) {
        QString error;
        std::optional<Lesson> lesson = loadLessonFile(it.value(), &error);
        if (!lesson) {
            m_problems << error;
            continue;
        }
        const QStringList models = lesson->models;
        QString unavailable;
        for (const QString &m : models) {
            const ModelInfo *info = findModel(m);
            if (info && !info->whyUnavailable().isEmpty())
                unavailable = QStringLiteral("%1: %2").arg(m, info->whyUnavailable());
        }
        if (!unavailable.isEmpty()) {
            m_problems << QStringLiteral("%1: left out: %2").arg(it.value(), unavailable);
            continue;
        }
        if (indexOf(lesson->id) >= 0) {
            m_problems << QStringLiteral("%1: left out: another lesson is called \"%2\"").arg(it.value(), lesson->id);
            continue;
        }
        m_lessons.push_back(std::move(*lesson));
    }
}

int LessonDeck::indexOf(const QString &id) const
{
    for (int i = 0; i < int(m_lessons.size()); ++i)
        if (m_lessons[size_t(i)].id == id)
            return i;
    return -1;
}

} // namespace lab
