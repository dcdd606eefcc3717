#pragma once
#include <QString>

#include <memory>

namespace lab {

// A string that is usually empty, in 8 bytes instead of a QString's 24: null when empty, the
// text on the heap otherwise. For the fields of records kept by the hundred thousand (a task's
// error, URL, checksum) that most records leave empty. Reads as a QString.
class CompactString {
public:
    CompactString() = default;
    CompactString(const QString &s) { *this = s; }  // NOLINT: a QString field it stands in for
    CompactString(const CompactString &o) : m_text(o.m_text ? std::make_unique<QString>(*o.m_text) : nullptr) {}
    CompactString(CompactString &&) noexcept = default;
    CompactString &operator=(const CompactString &o)
    {
        if (this != &o)
            m_text = o.m_text ? std::make_unique<QString>(*o.m_text) : nullptr;
        return *this;
    }
    CompactString &operator=(CompactString &&) noexcept = default;
    CompactString &operator=(const QString &s)
    {
        if (s.isEmpty())
            m_text.reset();
        else if (m_text)
            *m_text = s;
        else
            m_text = std::make_unique<QString>(s);
        return *this;
    }

    operator QString() const { return toString(); }  // NOLINT: reads as the QString it replaces
    QString toString() const { return m_text ? *m_text : QString(); }
    bool isEmpty() const { return !m_text; }
    qsizetype size() const { return m_text ? m_text->size() : 0; }

    friend bool operator==(const CompactString &a, const CompactString &b) { return a.toString() == b.toString(); }
    friend bool operator==(const CompactString &a, const QString &b) { return a.toString() == b; }
    friend bool operator==(const CompactString &a, QLatin1String b) { return a.toString() == b; }

private:
    std::unique_ptr<QString> m_text;  // null: empty
};

} // namespace lab
