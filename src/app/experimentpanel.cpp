#include "experimentpanel.h"

#include "models/executionmodel.h"

#include <QBoxLayout>
#include <QGroupBox>
#include <QVBoxLayout>
#include "util/sysinfo.h"
#include "ui_experimentpanel.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <climits>

namespace lab {

namespace {
bool isGilModel(const QString &id)
{
    return id.contains(QLatin1String("gil"));
}

// An IntList as people type it: "5000000..5000019" for a run of consecutive numbers, else
// "10, 20, 30" (ranges and single numbers may mix).
QString intListText(const QJsonArray &a)
{
    QStringList parts;
    for (qsizetype i = 0; i < a.size();) {
        qsizetype j = i;
        while (j + 1 < a.size() && a.at(j + 1).toDouble() == a.at(j).toDouble() + 1)
            ++j;
        if (j - i >= 2)
            parts << QStringLiteral("%1..%2").arg(qint64(a.at(i).toDouble())).arg(qint64(a.at(j).toDouble()));
        else
            for (qsizetype k = i; k <= j; ++k)
                parts << QString::number(qint64(a.at(k).toDouble()));
        i = j + 1;
    }
    return parts.join(QStringLiteral(", "));
}

// The inverse; a piece that is not a number stays a string, so validation names it.
QJsonArray parseIntListText(const QString &text)
{
    QJsonArray out;
    for (const QString &raw : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString part = raw.trimmed();
        const qsizetype dots = part.indexOf(QLatin1String(".."));
        bool ok1 = false, ok2 = false;
        if (dots > 0) {
            const qint64 a = part.left(dots).trimmed().toLongLong(&ok1);
            const qint64 b = part.mid(dots + 2).trimmed().toLongLong(&ok2);
            if (ok1 && ok2 && b >= a && b - a < qint64(ParamInfo::kMaxListItems)) {
                // Many ranges together stop one past the cap: the parser names the excess,
                // and "1..99999" typed a thousand times never becomes 10^8 numbers here.
                for (qint64 x = a; x <= b && out.size() <= ParamInfo::kMaxListItems; ++x)
                    out.append(double(x));
                continue;
            }
        } else {
            const qint64 v = part.toLongLong(&ok1);
            if (ok1) {
                out.append(double(v));
                continue;
            }
        }
        out.append(part);
    }
    return out;
}

QString seconds(double s)
{
    if (s < 0)
        return QStringLiteral("…");
    if (s < 60)
        return QStringLiteral("%1 s").arg(s, 0, 'f', 1);
    return QStringLiteral("%1 min %2 s").arg(int(s) / 60).arg(int(s) % 60);
}
} // namespace

ExperimentPanel::ExperimentPanel(QWidget *parent) : QWidget(parent), m_ui(std::make_unique<Ui::ExperimentPanel>())
{
    m_ui->setupUi(this);
    for (const auto &w : workloadRegistry()) {
        m_ui->workloadCombo->addItem(w->label(), w->id());
        m_ui->workloadCombo->setItemData(m_ui->workloadCombo->count() - 1, w->description(), Qt::ToolTipRole);
    }
    m_ui->stopButton->setEnabled(false);
    m_ui->progressBar->setFormat(QStringLiteral("%p %"));
    m_ui->progressLabel->setWordWrap(true);
    buildModelList();

    connect(m_ui->presetCombo, &QComboBox::activated, this, [this](int index) {
        const QString key = m_ui->presetCombo->itemData(index).toString();
        if (!key.isEmpty() && key != m_source)
            Q_EMIT presetChosen(key);
    });
    connect(m_ui->openSpecButton, &QPushButton::clicked, this, &ExperimentPanel::openSpecRequested);
    connect(m_ui->runButton, &QPushButton::clicked, this, &ExperimentPanel::runRequested);
    connect(m_ui->runAllButton, &QPushButton::clicked, this, &ExperimentPanel::runAllRequested);
    connect(m_ui->stopButton, &QPushButton::clicked, this, &ExperimentPanel::stopRequested);
    connect(m_ui->workloadCombo, &QComboBox::currentIndexChanged, this, [this] {
        if (m_updating)
            return;
        const QString w = currentWorkload();
        // Back to the loaded spec's workload: its parameters; another one: that one's defaults.
        buildParamForm(w, w == m_spec.workload ? m_spec.params : QJsonObject());
        buildVariantList(w, formParams(), w == m_spec.workload ? m_spec.variants : QStringList());
        updateWorkloadWidgets();
    });
}

ExperimentPanel::~ExperimentPanel() = default;

void ExperimentPanel::buildModelList()
{
    for (const ModelInfo &m : modelRegistry()) {
        auto *box = new QCheckBox(m.label.isEmpty() ? m.id : m.label, m_ui->modelsGroup);
        box->setObjectName(QStringLiteral("model_") + m.id);
        const QString why = m.whyUnavailable();
        if (!why.isEmpty()) {
            box->setEnabled(false);
            box->setToolTip(tr("Unavailable: %1").arg(why));
        } else {
            box->setToolTip(m.description);
        }
        m_ui->modelsLayout->addWidget(box);
        m_modelChecks.insert(m.id, box);
        connect(box, &QCheckBox::toggled, this, [this] {
            if (!m_updating)
                updateWorkloadWidgets();
        });
    }
    // Models that cannot run the chosen workload stay listed, disabled, with the reason here.
    m_unsupportedLabel = new QLabel(m_ui->modelsGroup);
    m_unsupportedLabel->setObjectName(QStringLiteral("unsupportedModelsLabel"));
    m_unsupportedLabel->setWordWrap(true);
    m_unsupportedLabel->setEnabled(false);
    m_ui->modelsLayout->addWidget(m_unsupportedLabel);
    // Process pool: tasks per message, as Pool.map's chunksize (0 = auto).
    m_chunkSpin = new QSpinBox(this);
    m_chunkSpin->setObjectName(QStringLiteral("chunkSpin"));
    m_chunkSpin->setRange(0, ExperimentSpec::kMaxChunkSize);
    m_chunkSpin->setSpecialValueText(tr("auto"));
    m_chunkSpin->setToolTip(tr("Tasks per message for the process pool, like Pool.map's chunksize: 1 sends every task "
                               "on its own; auto sends tasks / (4 × workers) at a time"));
    m_ui->runForm->addRow(tr("Chunk size"), m_chunkSpin);
    // The workload's variants, below the models: each ticked one runs on every fitting model.
    m_variantsGroup = new QGroupBox(tr("Variants"), this);
    m_variantsGroup->setObjectName(QStringLiteral("variantsGroup"));
    m_variantsGroup->setToolTip(tr("Each ticked variant runs on every ticked model that can run it"));
    new QVBoxLayout(m_variantsGroup);
    m_variantsGroup->hide();
    if (auto *parentLayout = qobject_cast<QBoxLayout *>(m_ui->modelsGroup->parentWidget()->layout()))
        parentLayout->insertWidget(parentLayout->indexOf(m_ui->modelsGroup) + 1, m_variantsGroup);
}

void ExperimentPanel::buildVariantList(const QString &workload, const QJsonObject &params, const QStringList &chosen)
{
    qDeleteAll(m_variantChecks);
    m_variantChecks.clear();
    const Workload *w = findWorkload(workload);
    const std::vector<Variant> variants = w ? w->variants(params) : std::vector<Variant>{};
    for (const Variant &v : variants) {
        auto *box = new QCheckBox(v.label.isEmpty() ? v.name : v.label, m_variantsGroup);
        box->setObjectName(QStringLiteral("variant_") + v.name);
        box->setProperty("variantName", v.name);
        box->setChecked(chosen.isEmpty() || chosen.contains(v.name));
        m_variantsGroup->layout()->addWidget(box);
        m_variantChecks.append(box);
        connect(box, &QCheckBox::toggled, this, [this, box](bool on) {
            // At least one variant runs: unticking the last one is undone.
            if (!on && checkedVariants().isEmpty())
                box->setChecked(true);
        });
    }
    m_variantsGroup->setVisible(!m_variantChecks.isEmpty());
}

QStringList ExperimentPanel::variantNames() const
{
    QStringList out;
    for (const QCheckBox *b : m_variantChecks)
        out << b->property("variantName").toString();
    return out;
}

QStringList ExperimentPanel::checkedVariants() const
{
    QStringList out;
    for (const QCheckBox *b : m_variantChecks)
        if (b->isChecked())
            out << b->property("variantName").toString();
    return out;
}

void ExperimentPanel::setVariantChecked(const QString &name, bool checked)
{
    for (QCheckBox *b : std::as_const(m_variantChecks))
        if (b->property("variantName").toString() == name)
            b->setChecked(checked);
}

void ExperimentPanel::buildParamForm(const QString &workload, const QJsonObject &given)
{
    const Workload *w = findWorkload(workload);
    while (m_ui->paramsForm->rowCount() > 0)
        m_ui->paramsForm->removeRow(0);
    m_paramEditors.clear();
    m_formWorkload = workload;
    if (!w)
        return;
    m_ui->paramsGroup->setTitle(w->label());
    m_ui->paramsGroup->setToolTip(w->description());
    // Missing values (another workload's spec, defaults) come from the workload's own parser.
    QJsonObject json = given;
    json.insert(QStringLiteral("kind"), workload);
    QString ignored;
    const QJsonObject params = given.isEmpty() ? parseWorkloadParams(*w, json, &ignored).value_or(QJsonObject()) : given;
    for (const ParamInfo &p : w->params()) {
        const QJsonValue v = params.value(p.key).isUndefined() ? p.defaultValue : params.value(p.key);
        const QString suffix = p.unit.isEmpty() ? QString() : QLatin1Char(' ') + p.unit;
        QWidget *editor = nullptr;
        switch (p.type) {
        case ParamInfo::Type::Int:
            if (p.max <= INT_MAX && p.min >= INT_MIN) {
                auto *spin = new QSpinBox;
                spin->setRange(int(p.min), int(p.max));
                spin->setValue(v.toInt());
                spin->setSuffix(suffix);
                spin->setGroupSeparatorShown(p.max >= 100000);
                editor = spin;
            } else {
                auto *spin = new QDoubleSpinBox;  // beyond int: a whole-number double spin box
                spin->setDecimals(0);
                spin->setRange(p.min, p.max);
                spin->setValue(v.toDouble());
                spin->setSuffix(suffix);
                spin->setGroupSeparatorShown(true);
                editor = spin;
            }
            break;
        case ParamInfo::Type::Number: {
            auto *spin = new QDoubleSpinBox;
            spin->setDecimals(p.max <= 10 ? 3 : 1);
            spin->setRange(p.min, p.max);
            spin->setValue(v.toDouble());
            spin->setSuffix(suffix);
            editor = spin;
            break;
        }
        case ParamInfo::Type::Bool: {
            auto *box = new QCheckBox;
            box->setChecked(v.toBool());
            editor = box;
            break;
        }
        case ParamInfo::Type::String:
            editor = new QLineEdit(v.toString());
            break;
        case ParamInfo::Type::StringList: {
            auto *edit = new QPlainTextEdit;
            QStringList lines;
            for (const QJsonValue &x : v.toArray())
                lines << x.toString();
            edit->setPlainText(lines.join(QLatin1Char('\n')));
            edit->setLineWrapMode(QPlainTextEdit::NoWrap);
            edit->setMaximumHeight(90);
            editor = edit;
            break;
        }
        case ParamInfo::Type::IntList:
            editor = new QLineEdit(intListText(v.toArray()));
            break;
        }
        editor->setObjectName(QStringLiteral("param_") + p.key);
        editor->setToolTip(p.tooltip);
        auto *label = new QLabel(p.label);
        label->setToolTip(p.tooltip);
        label->setBuddy(editor);
        m_ui->paramsForm->addRow(label, editor);
        m_paramEditors.insert(p.key, editor);
    }
}

QJsonObject ExperimentPanel::formParams() const
{
    QJsonObject out;
    const Workload *w = findWorkload(m_formWorkload);
    if (!w)
        return out;
    for (const ParamInfo &p : w->params()) {
        QWidget *editor = m_paramEditors.value(p.key);
        if (auto *spin = qobject_cast<QSpinBox *>(editor))
            out.insert(p.key, spin->value());
        else if (auto *dspin = qobject_cast<QDoubleSpinBox *>(editor))
            out.insert(p.key, dspin->value());
        else if (auto *box = qobject_cast<QCheckBox *>(editor))
            out.insert(p.key, box->isChecked());
        else if (auto *text = qobject_cast<QPlainTextEdit *>(editor)) {
            QJsonArray lines;
            for (const QString &l : text->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts))
                if (!l.trimmed().isEmpty())
                    lines.append(l.trimmed());
            out.insert(p.key, lines);
        } else if (auto *line = qobject_cast<QLineEdit *>(editor)) {
            out.insert(p.key, p.type == ParamInfo::Type::IntList ? QJsonValue(parseIntListText(line->text()))
                                                                 : QJsonValue(line->text()));
        }
    }
    return out;
}

void ExperimentPanel::setPresets(const QStringList &names)
{
    m_updating = true;
    m_ui->presetCombo->clear();
    for (const QString &n : names)
        m_ui->presetCombo->addItem(n, n);
    m_updating = false;
}

QString ExperimentPanel::currentWorkload() const
{
    return m_ui->workloadCombo->currentData().toString();
}

void ExperimentPanel::setSpec(const ExperimentSpec &spec, const QString &source)
{
    m_updating = true;
    m_spec = spec;
    m_source = source;
    int idx = m_ui->presetCombo->findData(source);
    if (idx < 0) {
        m_ui->presetCombo->addItem(tr("File: %1").arg(QFileInfo(source).fileName()), source);
        idx = m_ui->presetCombo->count() - 1;
        m_ui->presetCombo->setItemData(idx, source, Qt::ToolTipRole);
    }
    m_ui->presetCombo->setCurrentIndex(idx);
    m_ui->descriptionLabel->setText(spec.title.isEmpty() ? spec.description : spec.title);
    m_ui->descriptionLabel->setToolTip(spec.description);
    m_ui->workloadCombo->setCurrentIndex(m_ui->workloadCombo->findData(spec.workload));
    buildParamForm(spec.workload, spec.params);
    buildVariantList(spec.workload, formParams(), spec.variants);
    m_ui->workersSpin->setValue(spec.workers);
    m_ui->switchSpin->setValue(spec.gil.switchIntervalMs);
    m_ui->repetitionsSpin->setValue(spec.repetitions);
    m_chunkSpin->setValue(spec.chunkSize);
    QString why;
    const QStringList chosen = resolveModels(spec, &why);
    for (auto it = m_modelChecks.cbegin(); it != m_modelChecks.cend(); ++it)
        it.value()->setChecked(chosen.contains(it.key()));
    m_updating = false;
    updateWorkloadWidgets();
}

void ExperimentPanel::updateWorkloadWidgets()
{
    const QString kind = currentWorkload();
    // "auto" follows ExperimentSpec::effectiveWorkers(): the workload's own default (one per
    // request for I/O, like the seed's one thread per URL), else one per core.
    const Workload *w = findWorkload(kind);
    const QString autoText = w ? w->autoWorkersText() : QString();
    m_ui->workersSpin->setSpecialValueText(autoText.isEmpty() ? tr("auto (%1 cores)").arg(onlineCores()) : autoText);
    bool gilChecked = false;
    QStringList unsupported;
    for (const ModelInfo &m : modelRegistry()) {
        QCheckBox *box = m_modelChecks.value(m.id);
        if (!box)
            continue;
        const QString unavailable = m.whyUnavailable();
        const QString why = unavailable.isEmpty() ? m.whyNot(kind) : unavailable;
        box->setEnabled(why.isEmpty() && !m_running);
        box->setToolTip(why.isEmpty() ? m.description : tr("Not available: %1").arg(why));
        if (!why.isEmpty() && unavailable.isEmpty())
            unsupported << tr("%1: %2").arg(m.label, why);
        gilChecked = gilChecked || (isGilModel(m.id) && box->isChecked() && why.isEmpty());
    }
    m_unsupportedLabel->setText(unsupported.isEmpty() ? QString() : tr("Not for this workload — %1.").arg(unsupported.join(QStringLiteral("; "))));
    m_unsupportedLabel->setVisible(!unsupported.isEmpty());
    m_ui->switchSpin->setEnabled(gilChecked);
    m_ui->switchLabel->setEnabled(gilChecked);
    const bool sequentialChecked = m_modelChecks.value(QStringLiteral("sequential"))
                                   && m_modelChecks.value(QStringLiteral("sequential"))->isChecked();
    m_ui->uiThreadCheck->setEnabled(sequentialChecked && !m_running);
}

QStringList ExperimentPanel::checkedModels() const
{
    QStringList out;
    const QString kind = currentWorkload();
    for (const ModelInfo &m : modelRegistry()) {
        const QCheckBox *box = m_modelChecks.value(m.id);
        if (box && box->isChecked() && m.whyUnavailable().isEmpty() && m.supports(kind))
            out << m.id;
    }
    return out;
}

void ExperimentPanel::setModelChecked(const QString &id, bool checked)
{
    if (QCheckBox *box = m_modelChecks.value(id))
        box->setChecked(checked);
}

ExperimentSpec ExperimentPanel::spec(bool allModels) const
{
    ExperimentSpec s = m_spec;
    s.workload = currentWorkload();
    s.params = formParams();
    s.workers = m_ui->workersSpin->value();
    s.gil.switchIntervalMs = m_ui->switchSpin->value();
    s.repetitions = m_ui->repetitionsSpin->value();
    s.chunkSize = m_chunkSpin->value();
    // All ticked: no list (the spec then runs every variant, also ones a newer build adds).
    const QStringList ticked = checkedVariants();
    s.variants = ticked.size() == m_variantChecks.size() ? QStringList() : ticked;
    if (allModels) {
        s.models.clear();
        for (const ModelInfo &m : modelRegistry())
            if (m.supports(s.workload) && m.whyUnavailable().isEmpty())
                s.models << m.id;
    } else {
        s.models = checkedModels();
    }
    return s;
}

bool ExperimentPanel::runOnUiThread() const
{
    return m_ui->uiThreadCheck->isEnabled() && m_ui->uiThreadCheck->isChecked();
}

void ExperimentPanel::setRunning(bool running)
{
    m_running = running;
    m_ui->runButton->setEnabled(!running);
    m_ui->runAllButton->setEnabled(!running);
    m_ui->stopButton->setEnabled(running);
    m_ui->experimentGroup->setEnabled(!running);
    m_ui->paramsGroup->setEnabled(!running);
    m_ui->modelsGroup->setEnabled(!running);
    m_ui->workersSpin->setEnabled(!running);
    m_ui->repetitionsSpin->setEnabled(!running);
    m_chunkSpin->setEnabled(!running);
    if (running) {
        m_ui->progressBar->setValue(0);
        m_ui->progressLabel->setText(tr("Starting…"));
    }
    updateWorkloadWidgets();
    if (running)
        m_ui->switchSpin->setEnabled(false);
}

void ExperimentPanel::setProgress(int done, int total, double elapsedS, double remainingS)
{
    m_ui->progressBar->setMaximum(std::max(1, total));
    m_ui->progressBar->setValue(std::clamp(done, 0, std::max(1, total)));
    m_ui->progressLabel->setText(tr("%1 of %2 tasks · elapsed %3 · remaining %4")
                                     .arg(done)
                                     .arg(total)
                                     .arg(seconds(elapsedS), m_running ? seconds(remainingS) : QStringLiteral("0 s")));
}

void ExperimentPanel::setIdleText(const QString &text)
{
    m_ui->progressLabel->setText(text);
}

} // namespace lab
