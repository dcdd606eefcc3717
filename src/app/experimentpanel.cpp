#include "experimentpanel.h"

#include "models/executionmodel.h"
#include "util/sysinfo.h"
#include "ui_experimentpanel.h"

#include <QCheckBox>
#include <QFileInfo>

namespace lab {

namespace {
bool isGilModel(const QString &id)
{
    return id.contains(QLatin1String("gil"));
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
    m_ui->workloadCombo->addItem(tr("CPU-bound (number crunching)"), int(WorkloadKind::Cpu));
    m_ui->workloadCombo->addItem(tr("I/O-bound (HTTP downloads)"), int(WorkloadKind::Io));
    m_ui->workloadCombo->addItem(tr("GIL convoy (I/O beside CPU)"), int(WorkloadKind::Convoy));
    m_ui->stopButton->setEnabled(false);
    m_ui->progressBar->setFormat(QStringLiteral("%p %"));
    m_ui->progressLabel->setWordWrap(true);
    m_ui->urlsEdit->setLineWrapMode(QPlainTextEdit::NoWrap);
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
        if (!m_updating)
            updateWorkloadWidgets();
    });
    auto numbersEdited = [this] {
        if (!m_updating)
            m_numbersEdited = true;
    };
    connect(m_ui->taskCountSpin, &QSpinBox::valueChanged, this, numbersEdited);
    connect(m_ui->nStartSpin, &QSpinBox::valueChanged, this, numbersEdited);
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
}

void ExperimentPanel::setPresets(const QStringList &names)
{
    m_updating = true;
    m_ui->presetCombo->clear();
    for (const QString &n : names)
        m_ui->presetCombo->addItem(n, n);
    m_updating = false;
}

WorkloadKind ExperimentPanel::currentWorkload() const
{
    return WorkloadKind(m_ui->workloadCombo->currentData().toInt());
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
    m_ui->workloadCombo->setCurrentIndex(m_ui->workloadCombo->findData(int(spec.workload)));
    m_ui->taskCountSpin->setValue(int(spec.cpu.numbers.size()));
    m_ui->nStartSpin->setValue(spec.cpu.numbers.empty() ? 5000000 : int(std::min<quint64>(spec.cpu.numbers.front(), 2000000000)));
    m_ui->repeatSpin->setValue(spec.cpu.repeat);
    m_ui->urlsEdit->setPlainText(spec.io.urls.join(QLatin1Char('\n')));
    m_ui->repeatUrlsSpin->setValue(spec.io.repeatUrls);
    m_ui->workersSpin->setValue(spec.workers);
    m_ui->switchSpin->setValue(spec.gil.switchIntervalMs);
    m_ui->repetitionsSpin->setValue(spec.repetitions);
    QString why;
    const QStringList chosen = resolveModels(spec, &why);
    for (auto it = m_modelChecks.cbegin(); it != m_modelChecks.cend(); ++it)
        it.value()->setChecked(chosen.contains(it.key()));
    m_numbersEdited = false;
    m_updating = false;
    updateWorkloadWidgets();
}

void ExperimentPanel::updateWorkloadWidgets()
{
    const WorkloadKind kind = currentWorkload();
    m_ui->cpuGroup->setVisible(kind == WorkloadKind::Cpu);
    // "auto" follows ExperimentSpec::effectiveWorkers(): one per core for CPU work, one per
    // request for I/O (like the seed's one thread per URL).
    m_ui->workersSpin->setSpecialValueText(kind == WorkloadKind::Io ? tr("auto (1 per request)")
                                                                    : tr("auto (%1 cores)").arg(onlineCores()));
    m_ui->ioGroup->setVisible(kind == WorkloadKind::Io);
    bool gilChecked = false;
    for (const ModelInfo &m : modelRegistry()) {
        QCheckBox *box = m_modelChecks.value(m.id);
        if (!box)
            continue;
        box->setVisible(m.supports(kind));
        gilChecked = gilChecked || (isGilModel(m.id) && box->isChecked() && m.supports(kind));
    }
    m_ui->switchSpin->setEnabled(gilChecked);
    m_ui->switchLabel->setEnabled(gilChecked);
    const bool sequentialChecked = m_modelChecks.value(QStringLiteral("sequential"))
                                   && m_modelChecks.value(QStringLiteral("sequential"))->isChecked();
    m_ui->uiThreadCheck->setEnabled(sequentialChecked && !m_running);
}

QStringList ExperimentPanel::checkedModels() const
{
    QStringList out;
    const WorkloadKind kind = currentWorkload();
    for (const ModelInfo &m : modelRegistry()) {
        const QCheckBox *box = m_modelChecks.value(m.id);
        if (box && box->isChecked() && box->isEnabled() && m.supports(kind))
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
    if (s.workload == WorkloadKind::Cpu) {
        if (m_numbersEdited || s.cpu.numbers.empty()) {
            s.cpu.numbers.clear();
            const quint64 start = quint64(m_ui->nStartSpin->value());
            for (int i = 0; i < m_ui->taskCountSpin->value(); ++i)
                s.cpu.numbers.push_back(start + quint64(i));
        }
        s.cpu.repeat = m_ui->repeatSpin->value();
    } else if (s.workload == WorkloadKind::Io) {
        s.io.urls.clear();
        const QStringList lines = m_ui->urlsEdit->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        for (const QString &l : lines)
            if (!l.trimmed().isEmpty())
                s.io.urls << l.trimmed();
        s.io.repeatUrls = m_ui->repeatUrlsSpin->value();
    }
    s.workers = m_ui->workersSpin->value();
    s.gil.switchIntervalMs = m_ui->switchSpin->value();
    s.repetitions = m_ui->repetitionsSpin->value();
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
    m_ui->cpuGroup->setEnabled(!running);
    m_ui->ioGroup->setEnabled(!running);
    m_ui->modelsGroup->setEnabled(!running);
    m_ui->workersSpin->setEnabled(!running);
    m_ui->repetitionsSpin->setEnabled(!running);
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
