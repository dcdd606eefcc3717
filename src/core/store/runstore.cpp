#include "runstore.h"

#include "models/executionmodel.h"
#include "util/sysinfo.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QThread>
#include <algorithm>

namespace lab {

namespace {
constexpr double kSampleMarginS = 1.0;  // samples kept either side of an experiment
}

RunStore::RunStore(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<lab::CpuSample>();
}

RunStore::~RunStore() = default;

QString RunStore::workloadFingerprint(const ExperimentSpec &spec)
{
    return QString::fromUtf8(
        QJsonDocument(spec.toJson().value(QStringLiteral("workload")).toObject()).toJson(QJsonDocument::Compact));
}

StoredExperiment *RunStore::find(int id)
{
    for (StoredExperiment &e : m_experiments)
        if (e.id == id)
            return &e;
    return nullptr;
}

const StoredExperiment *RunStore::experiment(int id) const
{
    const auto it = std::find_if(m_experiments.begin(), m_experiments.end(),
                                 [id](const StoredExperiment &e) { return e.id == id; });
    return it == m_experiments.end() ? nullptr : &*it;
}

const StoredExperiment *RunStore::liveExperiment() const
{
    return m_live ? experiment(m_live) : nullptr;
}

std::vector<int> RunStore::experimentIds() const
{
    std::vector<int> ids;
    for (const StoredExperiment &e : m_experiments)
        ids.push_back(e.id);
    return ids;
}

int RunStore::beginExperiment(const ExperimentSpec &spec)
{
    Q_ASSERT(QThread::currentThread() == thread());
    if (StoredExperiment *old = find(m_live))
        old->live = false;  // never finished (should not happen): it keeps what it has
    StoredExperiment e;
    e.id = m_nextId++;
    e.result.spec = spec;
    e.result.machine = MachineInfo::current();
    e.result.startedAt = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    e.cpuHz = m_cpuHz;
    e.live = true;
    const double from = monotonicSeconds() - kSampleMarginS;
    for (const CpuSample &s : m_sessionSamples)
        if (s.t >= from)
            e.cpuSamples.push_back(s);
    m_experiments.push_back(std::move(e));
    m_live = m_experiments.back().id;
    m_started.clear();
    Q_EMIT experimentAdded(m_live);
    m_current = m_live;
    Q_EMIT currentExperimentChanged(m_current);
    return m_live;
}

void RunStore::runStarted(int index, const QString &model, int workers, double t0)
{
    if (!find(m_live))
        return;
    m_started.push_back({index, model, workers, t0});
    Q_EMIT runStartedInStore(m_live, index);
}

void RunStore::runFinished(const RunRecord &record)
{
    StoredExperiment *e = find(m_live);
    if (!e)
        return;
    e->result.runs.push_back(record);
    // Every run against the same rule, whether it ran on the Runner or on the UI thread.
    applySpeedups(e->result.runs);
    const int index = int(e->result.runs.size()) - 1;
    std::erase_if(m_started, [index](const StartedRun &r) { return r.index == index; });
    Q_EMIT runAdded(e->id, index);
}

void RunStore::finishExperiment(const ExperimentResult &result)
{
    StoredExperiment *e = find(m_live);
    if (!e)
        return;
    e->result.machine = result.machine;
    e->result.cancelled = result.cancelled;
    e->result.error = result.error;
    e->result.warnings = result.warnings;
    if (!result.experimentId.isEmpty())
        e->result.experimentId = result.experimentId;
    if (!result.startedAt.isEmpty())
        e->result.startedAt = result.startedAt;
    if (result.runs.size() == e->result.runs.size())
        e->result.runs = result.runs;  // the final records (same runs; speedups recomputed below)
    applySpeedups(e->result.runs);
    e->live = false;
    m_started.clear();
    const int id = e->id;
    m_live = 0;
    Q_EMIT experimentFinished(id);
}

int RunStore::addLoaded(const ExperimentResult &result, std::vector<CpuSample> cpuSamples, double cpuHz,
                        const QString &source)
{
    StoredExperiment e;
    e.id = m_nextId++;
    e.result = result;
    applySpeedups(e.result.runs);
    std::sort(cpuSamples.begin(), cpuSamples.end(), [](const CpuSample &a, const CpuSample &b) { return a.t < b.t; });
    e.cpuSamples = std::move(cpuSamples);
    e.cpuHz = cpuHz;
    e.source = source.isEmpty() ? QStringLiteral("(loaded)") : source;
    m_experiments.push_back(std::move(e));
    const int id = m_experiments.back().id;
    Q_EMIT experimentAdded(id);
    m_current = id;
    Q_EMIT currentExperimentChanged(id);
    return id;
}

void RunStore::addCpuSample(const CpuSample &sample)
{
    if (!m_sessionSamples.empty() && sample.t <= m_sessionSamples.back().t)
        return;  // out of order or duplicate
    m_sessionSamples.push_back(sample);
    while (!m_sessionSamples.empty() && m_sessionSamples.front().t < sample.t - kSessionSampleKeepS)
        m_sessionSamples.pop_front();
    // The live experiment keeps its samples; the one that just ended gets its last second.
    for (auto it = m_experiments.rbegin(); it != m_experiments.rend(); ++it) {
        if (it->isLoaded())
            continue;
        if (it->live) {
            it->cpuSamples.push_back(sample);
        } else if (!it->result.runs.empty()) {
            double end = 0;
            for (const RunRecord &r : it->result.runs)
                end = std::max(end, r.t0 + r.wall_s);
            if (sample.t <= end + kSampleMarginS)
                it->cpuSamples.push_back(sample);
        }
        break;  // only the newest session experiment
    }
    Q_EMIT cpuSampleAdded(sample);
}

bool RunStore::setCurrentExperiment(int id)
{
    if (!find(id))
        return false;
    if (id != m_current) {
        m_current = id;
        Q_EMIT currentExperimentChanged(id);
    }
    return true;
}

QString RunStore::comparisonKey(const RunRecord &run)
{
    return run.variant.isEmpty() ? run.model : run.variant + QLatin1Char('/') + run.model;
}

std::vector<RunRecord> RunStore::medianRuns(const std::vector<RunRecord> &runs)
{
    QStringList keys;
    for (const RunRecord &r : runs)
        if (!r.cancelled && !keys.contains(comparisonKey(r)))
            keys << comparisonKey(r);
    std::vector<RunRecord> out;
    for (const QString &k : std::as_const(keys)) {
        std::vector<const RunRecord *> reps;
        for (const RunRecord &r : runs)
            if (!r.cancelled && comparisonKey(r) == k)
                reps.push_back(&r);
        // The lower median: with two repetitions the faster one, never an average of two runs.
        std::stable_sort(reps.begin(), reps.end(), [](const RunRecord *a, const RunRecord *b) { return a->wall_s < b->wall_s; });
        out.push_back(*reps[(reps.size() - 1) / 2]);
    }
    return out;
}

std::vector<RunRecord> RunStore::comparisonRuns() const
{
    std::vector<RunRecord> out;
    collectComparison(&out, nullptr, nullptr);
    return out;
}

QHash<QString, RunStore::Spread> RunStore::comparisonSpread() const
{
    std::vector<RunRecord> runs;
    QHash<QString, Spread> spread;
    collectComparison(&runs, &spread, nullptr);
    return spread;
}

QStringList RunStore::comparisonSources() const
{
    std::vector<RunRecord> runs;
    QStringList sources;
    collectComparison(&runs, nullptr, &sources);
    return sources;
}

void RunStore::collectComparison(std::vector<RunRecord> *out, QHash<QString, Spread> *spread, QStringList *sources) const
{
    const StoredExperiment *cur = current();
    if (!cur)
        return;
    const QString fp = workloadFingerprint(cur->result.spec);
    QStringList have;
    // Newest first: a model's latest experiment wins.
    for (auto it = m_experiments.rbegin(); it != m_experiments.rend(); ++it) {
        if (it->id > cur->id)
            continue;
        if (it->id != cur->id && (cur->isLoaded() || it->isLoaded()))
            break;  // a loaded file shows as it was saved, and session runs never mix with it
        if (workloadFingerprint(it->result.spec) != fp)
            break;
        bool used = false;
        for (RunRecord &r : medianRuns(it->result.runs)) {
            const QString key = comparisonKey(r);
            if (have.contains(key))
                continue;
            have << key;
            used = true;
            if (spread) {
                Spread s;
                for (const RunRecord &rep : it->result.runs) {
                    if (rep.cancelled || comparisonKey(rep) != key)
                        continue;
                    s.minWall = s.runs == 0 ? rep.wall_s : std::min(s.minWall, rep.wall_s);
                    s.maxWall = s.runs == 0 ? rep.wall_s : std::max(s.maxWall, rep.wall_s);
                    ++s.runs;
                }
                spread->insert(key, s);
            }
            out->push_back(std::move(r));
        }
        if (sources && (used || it->id == cur->id))
            sources->append(QString::number(it->id));
    }
    // Variants in the order the experiment ran them, models in registry order within each.
    const QStringList order = modelIds();
    QStringList variants;
    for (const RunRecord &r : *out)
        if (!variants.contains(r.variant))
            variants << r.variant;
    std::stable_sort(out->begin(), out->end(), [&](const RunRecord &a, const RunRecord &b) {
        const qsizetype va = variants.indexOf(a.variant), vb = variants.indexOf(b.variant);
        return va != vb ? va < vb : order.indexOf(a.model) < order.indexOf(b.model);
    });
    applySpeedups(*out);
}

} // namespace lab
