#include "throughputmodel.h"

#include <QThread>
#include <algorithm>
#include <cmath>

namespace lab {

ThroughputModel::ThroughputModel(QObject *parent) : QObject(parent) {}

double ThroughputModel::smoothingWindow(double wall_s, int tasks)
{
    // Wide enough to hold about 20 task completions (or an eighth of the run), at most half
    // the run and 2 s, in whole 100 ms bins.
    if (wall_s <= 0)
        return 0.1;
    const double perTask = tasks > 0 ? wall_s / tasks : wall_s;
    const double w = std::min({std::max(20 * perTask, wall_s / 8), wall_s / 2, 2.0});
    return std::max(0.1, std::round(w / 0.1) * 0.1);
}

const std::vector<ThroughputModel::Point> &ThroughputModel::series(const QString &model) const
{
    static const std::vector<Point> none;
    const auto i = m_order.indexOf(model);
    return i < 0 ? none : m_series[size_t(i)];
}

std::vector<ThroughputModel::Point> &ThroughputModel::seriesFor(const QString &model)
{
    auto i = m_order.indexOf(model);
    if (i < 0) {
        m_order.append(model);
        m_series.emplace_back();
        i = m_order.size() - 1;
    }
    return m_series[size_t(i)];
}

void ThroughputModel::clear()
{
    m_order.clear();
    m_series.clear();
    m_smoothing = 0;
    Q_EMIT changed();
}

void ThroughputModel::beginRun(const QString &model)
{
    seriesFor(model).clear();
    Q_EMIT changed();
}

void ThroughputModel::addPoint(const QString &model, double tRel, double tasksPerS, double mbPerS)
{
    Q_ASSERT(QThread::currentThread() == thread());
    if (!std::isfinite(tRel))
        return;
    seriesFor(model).push_back({tRel, std::isfinite(tasksPerS) ? tasksPerS : qQNaN(),
                                std::isfinite(mbPerS) ? mbPerS : qQNaN()});
    Q_EMIT changed();
}

void ThroughputModel::setRunRecord(const RunRecord &r)
{
    std::vector<Point> &s = seriesFor(r.model);
    // 100 ms bins of finished tasks are spiky; a centred moving average shows the rate.
    const double window = smoothingWindow(r.wall_s, r.tasks_ok);
    m_smoothing = std::max(m_smoothing, window);
    const int n = int(r.throughput.size());
    const int half = std::max(0, int(std::lround(window / 0.1)) / 2);
    s.clear();
    s.reserve(size_t(n) + 1);
    s.push_back({0, 0, 0});
    for (int i = 0; i < n; ++i) {
        double sumRate = 0, sumMb = 0;
        int count = 0;
        for (int j = std::max(0, i - half); j <= std::min(n - 1, i + half); ++j) {
            sumRate += r.throughput[size_t(j)].tasksPerS;
            sumMb += r.throughput[size_t(j)].mbPerS;
            ++count;
        }
        // Bins end at t_s; plot at the bin's middle (the last one may be partial).
        const double t = std::min(r.throughput[size_t(i)].t_s - 0.05, r.wall_s);
        s.push_back({t, sumRate / count, sumMb / count});
    }
    Q_EMIT changed();
}

void ThroughputModel::setReferenceRate(double tasksPerS)
{
    const double ref = std::isfinite(tasksPerS) && tasksPerS > 0 ? tasksPerS : 0;
    if (ref == m_reference)
        return;
    m_reference = ref;
    Q_EMIT changed();
}

void ThroughputModel::setIoMode(bool io)
{
    if (io == m_io)
        return;
    m_io = io;
    Q_EMIT changed();
}

} // namespace lab
