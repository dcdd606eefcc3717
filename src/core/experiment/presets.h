#pragma once
#include "experimentspec.h"

namespace lab {

QStringList presetNames();                 // built-in presets (resources/presets/*.json)
QString presetDefault();                   // what the app opens with
std::optional<ExperimentSpec> loadPreset(const QString &name, QString *error);
// A path to a spec file, or the name of a built-in preset.
std::optional<ExperimentSpec> loadSpec(const QString &pathOrPreset, QString *error);
std::optional<ExperimentSpec> loadSpecFile(const QString &path, QString *error);

} // namespace lab
