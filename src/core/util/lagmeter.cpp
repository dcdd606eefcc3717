#include "lagmeter.h"

#include "sysinfo.h"

#include <algorithm>

namespace lab {

LagMeter::LagMeter(QObject *parent) : QObject(parent)
{
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(kIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &LagMeter::onTimeout);
    m_clock.start();
    start();
}

void LagMeter::start()
{
    m_armedNs = m_clock.nsecsElapsed();
    m_lastReportNs = m_armedNs;
    m_timer.start();
}

void LagMeter::stop()
{
    m_timer.stop();
}

double LagMeter::pendingLagMs() const
{
    if (!m_timer.isActive())
        return 0;
    const double elapsedMs = double(m_clock.nsecsElapsed() - m_armedNs) / 1e6;
    return std::max(0.0, elapsedMs - kIntervalMs);
}

void LagMeter::onTimeout()
{
    const qint64 now = m_clock.nsecsElapsed();
    const double lag = std::max(0.0, double(now - m_armedNs) / 1e6 - kIntervalMs);
    m_armedNs = now;
    m_timer.start();
    addSample(lag);
    if (now - m_lastReportNs >= 250'000'000) {
        m_lastReportNs = now;
        m_lastPeriodMax = m_periodMax;
        m_periodMax = 0;
        Q_EMIT lagUpdated(m_lastPeriodMax, p99Ms());
    }
}

void LagMeter::addSample(double lagMs)
{
    const qint64 now = m_clock.nsecsElapsed();
    m_window.push_back({now, lagMs});
    trimWindow(now);
    m_periodMax = std::max(m_periodMax, lagMs);
    if (m_recording)
        m_recorded.push_back(lagMs);
}

void LagMeter::trimWindow(qint64 nowNs)
{
    const qint64 horizon = nowNs - qint64(kWindowSeconds * 1e9);
    while (m_windowStart < m_window.size() && m_window[m_windowStart].atNs < horizon)
        ++m_windowStart;
    // Compact now and then so the vector stays bounded (~1000 live samples).
    if (m_windowStart > 2048) {
        m_window.erase(m_window.begin(), m_window.begin() + qint64(m_windowStart));
        m_windowStart = 0;
    }
}

double LagMeter::currentMs() const
{
    return std::max({m_periodMax, m_lastPeriodMax, pendingLagMs()});
}

double LagMeter::p99Ms() const
{
    std::vector<double> values;
    values.reserve(m_window.size() - m_windowStart + 1);
    for (size_t i = m_windowStart; i < m_window.size(); ++i)
        values.push_back(m_window[i].lagMs);
    const double pending = pendingLagMs();
    if (pending > 0)
        values.push_back(pending);
    return values.empty() ? 0 : percentile(std::move(values), 99);
}

double LagMeter::maxMs() const
{
    double m = pendingLagMs();
    for (size_t i = m_windowStart; i < m_window.size(); ++i)
        m = std::max(m, m_window[i].lagMs);
    return m;
}

void LagMeter::beginRecording()
{
    m_recorded.clear();
    m_recording = true;
}

double LagMeter::endRecording()
{
    if (!m_recording)
        return -1;
    m_recording = false;
    std::vector<double> values = std::move(m_recorded);
    m_recorded.clear();
    const double pending = pendingLagMs();
    if (pending > 0)
        values.push_back(pending);
    return values.empty() ? -1 : percentile(std::move(values), 99);
}

} // namespace lab
