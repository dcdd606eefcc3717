#pragma once
#include "lessons/lesson.h"

#include <QString>
#include <QStringList>
#include <vector>

namespace lab {

// The lessons a presentation can step through: the bundled ones (:/lessons/*.lesson) and a
// teacher's own from folders (same file name as a bundled lesson: the teacher's wins). A
// lesson that does not parse, or whose models cannot run here (no python3, ...), is left out
// and its reason listed in problems(). Ordered by file name ("01-...", "02-...").
class LessonDeck {
public:
    static QString bundledDir() { return QStringLiteral(":/lessons"); }
    // Where teachers drop lessons by default: <XDG data>/concurrency-lab/lessons.
    static QString defaultUserDir();

    void load(const QStringList &userDirs);
    const std::vector<Lesson> &lessons() const { return m_lessons; }
    int size() const { return int(m_lessons.size()); }
    const Lesson &at(int i) const { return m_lessons.at(size_t(i)); }
    int indexOf(const QString &id) const;
    QStringList problems() const { return m_problems; }
    QStringList dirs() const { return m_dirs; }

private:
    std::vector<Lesson> m_lessons;
    QStringList m_problems;
    QStringList m_dirs;
};

} // namespace lab
