#include "story.h"

#include <QJsonObject>

namespace lab {

Story Story::of(const ExperimentSpec &spec)
{
    const QJsonObject o = spec.extra.value(QStringLiteral("story")).toObject();
    return {o.value(QStringLiteral("shows")).toString().trimmed(), o.value(QStringLiteral("notice")).toString().trimmed()};
}

} // namespace lab
