#include "cpuseriesmodel.h"

#include <QThread>
#include <algorithm>
#include <cmath>
#include <limits>

namespace lab {

void CpuSampleRing::reset(int cores, int capacity)
{
    m_cores = std::max(0, cores);
    m_capacity = std::max(2, capacity);
    m_head = 0;
    m_size = 0;
    m_time.assign(size_t(m_capacity), 0.0);
    m_values.assign(size_t(m_capacity) * size_t(m_cores + 1), 0.0f);
    m_time.shrink_to_fit();
    m_values.shrink_to_fit();
}

void CpuSampleRing::push(const CpuSample &s)
{
    int slot;
    if (m_size < m_capacity) {
        slot = physical(m_size);
        ++m_size;
    } else {
        slot = m_head;  // overwrite the oldest
        m_head = (m_head + 1) % m_capacity;
    }
    m_time[size_t(slot)] = s.t;
    float *row = m_values.data() + size_t(slot) * size_t(m_cores + 1);
    row[0] = float(s.total);
    for (int c = 0; c < m_cores; ++c)
        row[1 + c] = c < int(s.perCore.size()) ? float(s.perCore[size_t(c)]) : std::numeric_limits<float>::quiet_NaN();
}

int CpuSampleRing::lowerBound(double t) const
{
    int lo = 0, hi = m_size;
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (time(mid) < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

// ---------------------------------------------------------------------------------------------
CpuSeriesModel::CpuSeriesModel(QObject *parent) : QObject(parent)
{
    m_ring.reset(0, m_capacity);
}

void CpuSeriesModel::setCapacity(int samples)
{
    m_capacity = std::max(100, samples);
    m_ring.reset(m_ring.cores(), m_capacity);
    Q_EMIT samplesChanged();
}

void CpuSeriesModel::setCoreCount(int cores)
{
    cores = std::max(0, cores);
    if (cores == m_ring.cores())
        return;
    m_ring.reset(cores, m_capacity);
    Q_EMIT coreCountChanged(cores);
    Q_EMIT samplesChanged();
}

void CpuSeriesModel::addSample(const CpuSample &s)
{
    Q_ASSERT(QThread::currentThread() == thread());  // samples arrive as queued values
    if (!std::isfinite(s.t))
        return;
    if (int(s.perCore.size()) != m_ring.cores())
        setCoreCount(int(s.perCore.size()));
    if (!m_ring.isEmpty() && s.t <= m_ring.time(m_ring.size() - 1))
        return;  // out of order or duplicate
    m_ring.push(s);
    Q_EMIT samplesChanged();
}

void CpuSeriesModel::setSamples(const std::vector<CpuSample> &samples)
{
    const int cores = samples.empty() ? m_ring.cores() : int(samples.front().perCore.size());
    const bool coresChanged = cores != m_ring.cores();
    m_ring.reset(cores, std::max(m_capacity, int(samples.size())));
    for (const CpuSample &s : samples) {
        if (!std::isfinite(s.t) || (!m_ring.isEmpty() && s.t <= m_ring.time(m_ring.size() - 1)))
            continue;
        m_ring.push(s);
    }
    if (coresChanged)
        Q_EMIT coreCountChanged(cores);
    Q_EMIT samplesChanged();
}

void CpuSeriesModel::markRunStarted(double t0, const QString &model)
{
    markRunFinished(t0);  // a span still open ends where the next begins
    m_spans.push_back({t0, qQNaN(), model});
    // Bounded: drop the oldest marks beyond a generous limit.
    if (int(m_spans.size()) > kMaxSpans)
        m_spans.erase(m_spans.begin(), m_spans.begin() + (int(m_spans.size()) - kMaxSpans));
    Q_EMIT spansChanged();
}

void CpuSeriesModel::markRunFinished(double t1)
{
    if (!m_spans.empty() && std::isnan(m_spans.back().t1)) {
        m_spans.back().t1 = std::max(t1, m_spans.back().t0);
        Q_EMIT spansChanged();
    }
}

void CpuSeriesModel::setSpans(const std::vector<Span> &spans)
{
    m_spans = spans;
    if (int(m_spans.size()) > kMaxSpans)
        m_spans.erase(m_spans.begin(), m_spans.begin() + (int(m_spans.size()) - kMaxSpans));
    Q_EMIT spansChanged();
}

void CpuSeriesModel::clearRunMarks()
{
    m_spans.clear();
    Q_EMIT spansChanged();
}

void CpuSeriesModel::clear()
{
    m_ring.reset(m_ring.cores(), m_capacity);
    m_spans.clear();
    Q_EMIT spansChanged();
    Q_EMIT samplesChanged();
}

void CpuSeriesModel::setAppCpuPercent(double percentOfCore)
{
    const double v = std::isfinite(percentOfCore) ? std::max(0.0, percentOfCore) : qQNaN();
    if (v == m_appCpu || (std::isnan(v) && std::isnan(m_appCpu)))
        return;
    m_appCpu = v;
    Q_EMIT appCpuChanged(v);
}

} // namespace lab
