#pragma once
#include <QColor>
#include <QString>

namespace lab {
// Placeholder; the charts helper replaces this file.
QColor modelColor(const QString &model);
} // namespace lab
