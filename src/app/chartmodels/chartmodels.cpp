#include "chartmodels.h"

#include "store/runstore.h"

#include <QDateTime>

#include <algorithm>
#include <cmath>

namespace lab {

namespace {
double goodRate(const RunRecord &r)
{
    return !r.cancelled && r.error.isEmpty() && r.wall_s > 0 && r.tasks_ok > 0 ? r.tasks_ok / r.wall_s : 0;
}
} // namespace

ChartModels::ChartModels(QObject *parent)
    : QObject(parent), m_cpu(new CpuSeriesModel(this)), m_throughput(new ThroughputModel(this)),
      m_timeline(new TimelineModel(this)), m_comparison(new ComparisonModel(this)),
      m_states(new StateTimelineModel(this)), m_variants(new VariantModel(this)), m_range(new TimeRange(this))
{
}

void ChartModels::setSessionOrigin(double monotonicSeconds)
{
    m_sessionOrigin = monotonicSeconds;
    if (m_live)
        m_range->setOrigin(monotonicSeconds);
}

void ChartModels::setStore(RunStore *store)
{
    if (m_store)
        disconnect(m_store, nullptr, this, nullptr);
    m_store = store;
    if (!store)
        return;
    connect(store, &RunStore::currentExperimentChanged, this, &ChartModels::onCurrentChanged);
    connect(store, &RunStore::runStartedInStore, this, &ChartModels::onRunStarted);
    connect(store, &RunStore::runAdded, this, &ChartModels::onRunAdded);
    connect(store, &RunStore::runChanged, this, &ChartModels::onRunAdded);
    connect(store, &RunStore::experimentFinished, this, [this](int id) {
        if (id != m_shown)
            return;
        updateComparison();
        // The results stay: the time charts show the experiment until the next one starts
        // (follow live is switched off; switching it on again scrolls with the live data).
        zoomToExperiment();
    });
    connect(store, &RunStore::cpuSampleAdded, this, &ChartModels::onSample);
    if (store->current())
        onCurrentChanged(store->currentId());
}

bool ChartModels::isNewestSession(int id) const
{
    const std::vector<int> ids = m_store->experimentIds();
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
        const StoredExperiment *e = m_store->experiment(*it);
        if (!e->isLoaded())
            return e->id == id;
    }
    return false;
}

std::vector<CpuSeriesModel::Span> ChartModels::sessionSpans() const
{
    std::vector<CpuSeriesModel::Span> spans;
    for (int id : m_store->experimentIds()) {
        const StoredExperiment *e = m_store->experiment(id);
        if (e->isLoaded())
            continue;
        for (const RunRecord &r : e->result.runs)
            spans.push_back({r.t0, r.t0 + r.wall_s, r.model});
        if (e->live)
            for (const RunStore::StartedRun &s : m_store->startedRuns())
                spans.push_back({s.t0, qQNaN(), s.model});
    }
    return spans;
}

void ChartModels::onCurrentChanged(int id)
{
    const StoredExperiment *e = m_store ? m_store->experiment(id) : nullptr;
    if (!e)
        return;
    if (e->live)
        beginLive(*e);
    else
        showStored(*e);
}

void ChartModels::beginLive(const StoredExperiment &e)
{
    if (!m_live) {
        // Back from a stored experiment: the CPU chart shows the session again.
        m_live = true;
        m_range->setOrigin(m_sessionOrigin);
        m_cpu->setSamples({m_store->sessionSamples().begin(), m_store->sessionSamples().end()});
        m_cpu->setSpans(sessionSpans());
    }
    // A new experiment is shown live, whatever zoom the last one was left at.
    m_range->setFollowLive(true);
    m_shown = e.id;
    const ExperimentSpec &spec = e.result.spec;
    m_timeline->clear();
    m_timeline->setTaskSpecs(spec.makeTasks());
    m_throughput->clear();
    m_throughput->setIoMode(spec.workload == QLatin1String("io"));
    updateComparison();
    updateStatesAndVariants(e);
}

void ChartModels::showStored(const StoredExperiment &e)
{
    const bool wasLive = m_live;
    m_live = isNewestSession(e.id);
    m_shown = e.id;
    const ExperimentResult &result = e.result;
    if (m_live && !wasLive) {
        m_range->setOrigin(m_sessionOrigin);
        m_cpu->setSamples({m_store->sessionSamples().begin(), m_store->sessionSamples().end()});
        m_cpu->setSpans(sessionSpans());
        m_range->setFollowLive(true);
    } else if (!m_live) {
        m_cpu->setSamples(e.cpuSamples);
        std::vector<CpuSeriesModel::Span> spans;
        for (const RunRecord &r : result.runs)
            spans.push_back({r.t0, r.t0 + r.wall_s, r.model});
        m_cpu->setSpans(spans);
    }
    m_timeline->clear();
    m_timeline->setTaskSpecs(result.spec.makeTasks());
    m_throughput->clear();
    m_throughput->setIoMode(result.spec.workload == QLatin1String("io"));
    for (int i = 0; i < int(result.runs.size()); ++i) {
        const RunRecord &r = result.runs[size_t(i)];
        m_timeline->setRun(i, r);
        m_throughput->setRunRecord(r);  // the last repetition of each model, as it looked live
    }
    updateComparison();
    updateStatesAndVariants(e);
    if (!m_live) {
        // A saved experiment: 0 s is its first run's start.
        double first = qQNaN();
        for (const RunRecord &r : result.runs)
            first = std::isnan(first) ? r.t0 : std::min(first, r.t0);
        if (std::isnan(first) && !e.cpuSamples.empty())
            first = e.cpuSamples.front().t;
        if (!std::isnan(first))
            m_range->setOrigin(first);
        zoomToExperiment();
    }
}

void ChartModels::updateComparison()
{
    if (!m_store) {
        m_comparison->setRuns({});
        m_throughput->setReferenceRate(0);
        return;
    }
    const std::vector<RunRecord> runs = m_store->comparisonRuns();
    QHash<QString, ComparisonModel::Spread> spread;
    const QHash<QString, RunStore::Spread> stored = m_store->comparisonSpread();
    for (auto it = stored.constBegin(); it != stored.constEnd(); ++it)
        spread.insert(it.key(), {it->runs, it->minWall, it->maxWall});
    m_comparison->setTitle(comparisonTitle());
    m_comparison->setRunsWithSpread(runs, spread);
    // The reference line belongs to the experiment shown: its own sequential run, never one
    // left from an earlier experiment.
    double reference = 0;
    if (const StoredExperiment *e = m_store->experiment(m_shown))
        for (const RunRecord &r : RunStore::medianRuns(e->result.runs))
            if (r.model == QLatin1String("sequential"))
                reference = goodRate(r);
    m_throughput->setReferenceRate(reference);
}

QString ChartModels::experimentName(const StoredExperiment &e)
{
    const ExperimentSpec &spec = e.result.spec;
    const QString name = spec.title.isEmpty() ? spec.name : spec.title;
    QString when;
    const QDateTime started = QDateTime::fromString(e.result.startedAt, Qt::ISODateWithMs);
    if (started.isValid())
        when = started.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    return when.isEmpty() ? name : QStringLiteral("%1, %2").arg(name, when);
}

QString ChartModels::comparisonTitle() const
{
    const StoredExperiment *e = m_store ? m_store->experiment(m_shown) : nullptr;
    if (!e)
        return {};
    QString title = experimentName(*e);
    const int earlier = int(m_store->comparisonSources().size()) - 1;
    if (earlier > 0)
        title += tr(" (+ models from %n earlier run(s) of this workload)", nullptr, earlier);
    return title;
}

void ChartModels::onRunStarted(int experimentId, int index)
{
    if (experimentId != m_shown || !m_store)
        return;
    for (const RunStore::StartedRun &s : m_store->startedRuns()) {
        if (s.index != index)
            continue;
        m_cpu->markRunStarted(s.t0, s.model);
        m_throughput->beginRun(s.model);
    }
}

void ChartModels::onRunAdded(int experimentId, int index)
{
    const StoredExperiment *e = m_store ? m_store->experiment(experimentId) : nullptr;
    if (!e || experimentId != m_shown || index < 0 || index >= int(e->result.runs.size()))
        return;
    const RunRecord &r = e->result.runs[size_t(index)];
    m_cpu->markRunFinished(r.t0 + r.wall_s);
    m_throughput->setRunRecord(r);
    m_timeline->setRun(index, r);
    updateComparison();
    updateStatesAndVariants(*e);
}

void ChartModels::updateStatesAndVariants(const StoredExperiment &e)
{
    m_states->setRuns(e.result.runs, VariantModel::variantLabelsOf(e.result.spec));
    m_variants->setExperiment(e.result.spec, e.result.runs);
}

void ChartModels::onSample(const CpuSample &sample)
{
    if (m_live)
        m_cpu->addSample(sample);
}

void ChartModels::addLiveEvents(const QString &model, double runT0, const std::vector<LiveEvent> &events)
{
    const StoredExperiment *e = m_store ? m_store->experiment(m_shown) : nullptr;
    if (!e || !e->live)
        return;
    for (const LiveEvent &ev : events)
        m_timeline->addLiveEvent(ev, runT0, model);
}

void ChartModels::addLiveThroughput(const QString &model, double tRel, double tasksPerS, double mbPerS)
{
    const StoredExperiment *e = m_store ? m_store->experiment(m_shown) : nullptr;
    if (e && e->live)
        m_throughput->addPoint(model, tRel, tasksPerS, mbPerS);
}

bool ChartModels::experimentSpan(double *lower, double *upper) const
{
    const StoredExperiment *e = m_store ? m_store->experiment(m_shown) : nullptr;
    if (!e || e->result.runs.empty())
        return false;
    double first = e->result.runs.front().t0, last = first;
    for (const RunRecord &r : e->result.runs) {
        first = std::min(first, r.t0);
        last = std::max(last, r.t0 + r.wall_s);
    }
    const double margin = std::max(0.5, 0.05 * (last - first));
    *lower = first - margin - m_range->origin();
    *upper = last + margin - m_range->origin();
    return true;
}

void ChartModels::zoomToExperiment()
{
    double lower = 0, upper = 0;
    if (experimentSpan(&lower, &upper))
        m_range->setRange(lower, upper);
}

} // namespace lab
