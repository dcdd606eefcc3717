#pragma once
#include "experiment/experimentspec.h"

#include <QHash>
#include <QWidget>
#include <memory>

class QCheckBox;
class QGroupBox;
class QLabel;
class QSpinBox;
namespace Ui {
class ExperimentPanel;
}

namespace lab {

// The left-hand panel: what to run (preset or spec file, workload parameters, models,
// workers, GIL switch interval) and the Run/Stop buttons with the progress of a run.
// It edits a copy of the loaded spec; spec() returns that copy with the fields applied.
class ExperimentPanel : public QWidget {
    Q_OBJECT
public:
    explicit ExperimentPanel(QWidget *parent = nullptr);
    ~ExperimentPanel() override;

    void setPresets(const QStringList &names);
    // Shows a spec; `source` is the preset name or file path it came from (selected in the picker).
    void setSpec(const ExperimentSpec &spec, const QString &source);
    // The spec as edited; allModels: every available model for the workload instead of the checked ones.
    ExperimentSpec spec(bool allModels = false) const;
    QString source() const { return m_source; }
    bool runOnUiThread() const;
    QStringList checkedModels() const;
    void setModelChecked(const QString &id, bool checked);
    // The workload's variants (Workload::variants) and which are ticked; empty: it has none.
    QStringList variantNames() const;
    QStringList checkedVariants() const;
    void setVariantChecked(const QString &name, bool checked);

    void setRunning(bool running);
    void setProgress(int done, int total, double elapsedS, double remainingS);
    void setIdleText(const QString &text);

Q_SIGNALS:
    void presetChosen(const QString &nameOrPath);
    void openSpecRequested();
    void runRequested();
    void runAllRequested();
    void stopRequested();

private:
    void buildModelList();
    void updateWorkloadWidgets();
    // Rebuilds the parameter form for the chosen workload from its ParamInfo list, filled
    // from `params` (the spec's, or the workload's defaults).
    void buildParamForm(const QString &workload, const QJsonObject &params);
    QJsonObject formParams() const;
    // The "Variants" list for the workload's variants; `chosen` ticked (empty: all).
    void buildVariantList(const QString &workload, const QJsonObject &params, const QStringList &chosen);
    QString currentWorkload() const;

    std::unique_ptr<Ui::ExperimentPanel> m_ui;
    ExperimentSpec m_spec;
    QString m_source;
    QHash<QString, QCheckBox *> m_modelChecks;
    QGroupBox *m_variantsGroup = nullptr;
    QList<QCheckBox *> m_variantChecks;  // in the workload's order; objectName "variant_<name>"
    QLabel *m_unsupportedLabel = nullptr;
    QSpinBox *m_chunkSpin = nullptr;
    QString m_formWorkload;          // the workload the parameter form was built for
    QHash<QString, QWidget *> m_paramEditors;   // ParamInfo::key -> its editor
    bool m_updating = false;
    bool m_running = false;
};

} // namespace lab
