#include "lagmeter.h"

#include "sysinfo.h"

#include <QAbstractEventDispatcher>
#include <QThread>
#include <algorithm>

namespace lab {

LagMeter::LagMeter(QObject *parent) : QObject(parent)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(m_intervalMs.load());
    connect(&m_timer, &QTimer::timeout, this, [this] {
        ++m_timerBeats;
        beat();
    });
    if (QAbstractEventDispatcher *loop = QAbstractEventDispatcher::instance(thread()))
        connect(loop, &QAbstractEventDispatcher::awake, this, [this] {
            if (m_active.load())
                beat();
        });
    m_clock.start();
    start();
    m_watchdog = std::thread([this] { watch(); });
}

LagMeter::~LagMeter()
{
    {
        std::lock_guard lock(m_stopMutex);
        m_stopWatchdog = true;
    }
    m_stopCv.notify_all();
    m_watchdog.join();
}

void LagMeter::start()
{
    const qint64 now = nowNs();
    m_maxGapNs.store(0);
    m_lastBeatNs.store(now);
    m_lastReportNs = now;
    m_active.store(true);
    m_timer.start();
}

void LagMeter::stop()
{
    m_active.store(false);
    m_timer.stop();
}

void LagMeter::setInterval(int ms)
{
    Q_ASSERT(QThread::currentThread() == thread());
    if (ms == m_intervalMs.load())
        return;
    const qint64 now = nowNs();
    m_maxGapNs.store(0);
    m_lastBeatNs.store(now);
    m_intervalMs.store(ms);
    m_timer.setInterval(ms);
}

void LagMeter::beat()
{
    m_timer.start();  // the next beat is due one interval from now, whatever woke the loop
    const qint64 now = nowNs();
    const qint64 gap = now - m_lastBeatNs.exchange(now);
    qint64 seen = m_maxGapNs.load();
    while (gap > seen && !m_maxGapNs.compare_exchange_weak(seen, gap)) {
    }
    if (now - m_lastReportNs >= 250'000'000) {
        m_lastReportNs = now;
        {
            std::lock_guard lock(m_mutex);
            m_lastPeriodMax = m_periodMax;
            m_periodMax = 0;
        }
        Q_EMIT lagUpdated(currentMs(), p99Ms());
    }
}

void LagMeter::watch()
{
    std::unique_lock stopLock(m_stopMutex);
    while (!m_stopCv.wait_for(stopLock, std::chrono::milliseconds(2 * m_intervalMs.load()),
                              [this] { return m_stopWatchdog; })) {
        const qint64 gap = m_maxGapNs.exchange(0);
        if (gap <= 0)
            continue;  // no heartbeat since the last look: a stall in progress (pendingLagMs)
        std::lock_guard lock(m_mutex);
        addSampleLocked(nowNs(), std::max(0.0, double(gap) / 1e6 - m_intervalMs.load()));
    }
}

void LagMeter::addSampleLocked(qint64 now, double lagMs)
{
    m_window.push_back({now, lagMs});
    const qint64 horizon = now - qint64(kWindowSeconds * 1e9);
    while (m_windowStart < m_window.size() && m_window[m_windowStart].atNs < horizon)
        ++m_windowStart;
    // Compact now and then so the vector stays bounded (~500 live samples).
    if (m_windowStart > 2048) {
        m_window.erase(m_window.begin(), m_window.begin() + qint64(m_windowStart));
        m_windowStart = 0;
    }
    m_periodMax = std::max(m_periodMax, lagMs);
    if (m_recording)
        m_recorded.push_back(lagMs);
}

double LagMeter::pendingLagMs() const
{
    if (!m_active.load())
        return 0;
    // The gap since the last heartbeat, whoever asks (the watched thread itself, when it asks,
    // has just been running: then this is the delay it is about to report).
    const double elapsedMs = double(nowNs() - m_lastBeatNs.load()) / 1e6;
    const double pendingGap = double(m_maxGapNs.load()) / 1e6;  // a gap the watchdog has not taken yet
    const int interval = m_intervalMs.load();
    return std::max({0.0, elapsedMs - interval, pendingGap - interval});
}

double LagMeter::stallMs() const
{
    if (!m_active.load())
        return 0;
    return std::max(0.0, double(nowNs() - m_lastBeatNs.load()) / 1e6 - m_intervalMs.load());
}

double LagMeter::currentMs() const
{
    std::lock_guard lock(m_mutex);
    return std::max({m_periodMax, m_lastPeriodMax, pendingLagMs()});
}

double LagMeter::p99Ms() const
{
    std::vector<double> values;
    {
        std::lock_guard lock(m_mutex);
        values.reserve(m_window.size() - m_windowStart + 1);
        for (size_t i = m_windowStart; i < m_window.size(); ++i)
            values.push_back(m_window[i].lagMs);
    }
    const double pending = pendingLagMs();
    if (pending > 0)
        values.push_back(pending);
    return values.empty() ? 0 : percentile(std::move(values), 99);
}

double LagMeter::maxMs() const
{
    double m = pendingLagMs();
    std::lock_guard lock(m_mutex);
    for (size_t i = m_windowStart; i < m_window.size(); ++i)
        m = std::max(m, m_window[i].lagMs);
    return m;
}

int LagMeter::sampleCount() const
{
    std::lock_guard lock(m_mutex);
    return int(m_window.size() - m_windowStart);
}

void LagMeter::beginRecording()
{
    setInterval(kIntervalMs);
    std::lock_guard lock(m_mutex);
    m_recorded.clear();
    m_recording = true;
}

bool LagMeter::isRecording() const
{
    std::lock_guard lock(m_mutex);
    return m_recording;
}

double LagMeter::endRecording()
{
    std::vector<double> values;
    {
        std::lock_guard lock(m_mutex);
        if (!m_recording)
            return -1;
        m_recording = false;
        values = std::move(m_recorded);
        m_recorded.clear();
    }
    // Heartbeats since the watchdog last looked (it looks every two intervals, so a run of a
    // few milliseconds ended before it had: its lag read "not measured"), and a stall in progress.
    const qint64 unseen = m_maxGapNs.load();
    if (unseen > 0)
        values.push_back(std::max(0.0, double(unseen) / 1e6 - m_intervalMs.load()));
    const double pending = pendingLagMs();
    // No heartbeat late, and this runs on the GUI thread: it was responsive throughout.
    if (pending > 0 || values.empty())
        values.push_back(std::max(0.0, pending));
    setInterval(kIdleIntervalMs);
    return percentile(std::move(values), 99);
}

} // namespace lab
