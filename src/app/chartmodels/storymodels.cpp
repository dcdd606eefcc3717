#include "storymodels.h"

#include "chartmodels/variantmodel.h"
#include "store/runstore.h"
#include "util/sysinfo.h"

namespace lab {

StoryModels::StoryModels(QObject *parent)
    : QObject(parent), m_gil(new BarPanelsModel(this)), m_headline(new BarPanelsModel(this))
{
}

void StoryModels::setStore(RunStore *store)
{
    if (m_store)
        disconnect(m_store, nullptr, this, nullptr);
    m_store = store;
    if (m_store) {
        connect(m_store, &RunStore::currentExperimentChanged, this, &StoryModels::refresh);
        connect(m_store, &RunStore::runAdded, this, &StoryModels::refresh);
        connect(m_store, &RunStore::runChanged, this, &StoryModels::refresh);
        connect(m_store, &RunStore::experimentFinished, this, &StoryModels::refresh);
    }
    refresh();
}

void StoryModels::setSpec(const ExperimentSpec &spec)
{
    m_spec = spec;
    Q_EMIT storyChanged();
}

void StoryModels::refresh()
{
    const StoredExperiment *cur = m_store ? m_store->current() : nullptr;
    if (!cur) {
        m_measuredTitle.clear();
        m_live = false;
        m_callouts.clear();
        m_gil->setPanels({});
        m_headline->setPanels({});
        Q_EMIT measuredChanged();
        return;
    }
    const ExperimentSpec &spec = cur->result.spec;
    m_measuredTitle = spec.title.isEmpty() ? spec.name : spec.title;
    m_live = cur->live;
    const std::vector<RunRecord> runs = m_store->comparisonRuns();
    const MachineInfo &machine = cur->result.machine;
    // A loaded file speaks about the machine it was measured on.
    const int cores = machine.usableCores > 0 ? machine.usableCores
                      : machine.cores > 0     ? machine.cores
                                              : std::max(1, usableCores());
    m_callouts = headlineCallouts(runs, spec, cores);
    // Variants by their labels ("Mutex, 4"), as the variant chart names them.
    const QHash<QString, QString> labels = VariantModel::variantLabelsOf(spec);
    auto named = [&](std::vector<BarPanel> panels) {
        for (BarPanel &p : panels)
            for (BarPanel::Row &row : p.rows)
                row.variant = labels.value(row.variant, row.variant);
        return panels;
    };
    m_gil->setPanels(named(gilPanels(runs)));
    m_headline->setPanels(named(headlinePanels(runs, spec.workload)));
    Q_EMIT measuredChanged();
}

} // namespace lab
