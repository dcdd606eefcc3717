#include "cpusampler.h"

#include "util/sysinfo.h"

#include <QThread>
#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lab {

CpuSampler::CpuSampler(QObject *parent) : QObject(parent), m_timer(this)  // a child: moves with the sampler
{
    qRegisterMetaType<lab::CpuSample>();
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &CpuSampler::sampleNow);
    applyRate();
}

void CpuSampler::setRateHz(double hz)
{
    m_rateHz = std::clamp(hz, 1.0, 50.0);
    // The timer belongs to the sampler's thread.
    QMetaObject::invokeMethod(this, &CpuSampler::applyRate, Qt::AutoConnection);
}

void CpuSampler::applyRate()
{
    m_timer.setInterval(int(1000.0 / m_rateHz.load() + 0.5));
}

void CpuSampler::setSourcePath(const QString &path)
{
    m_path = path;
    m_file.setPath(path.toStdString());
    m_previous.reset();
}

void CpuSampler::start()
{
    m_running = true;
    if (QThread::currentThread() != thread()) {
        QMetaObject::invokeMethod(this, &CpuSampler::start, Qt::QueuedConnection);
        return;
    }
    if (!m_previous)
        sampleNow();  // prime: the first read has nothing to compare with
    m_timer.start();
}

void CpuSampler::stop()
{
    m_running = false;
    if (QThread::currentThread() != thread()) {
        // Waits until the sampler's thread has stopped the timer (it must be running).
        if (thread()->isRunning())
            QMetaObject::invokeMethod(this, &CpuSampler::stop, Qt::BlockingQueuedConnection);
        return;
    }
    m_timer.stop();
}

void CpuSampler::sampleNow()
{
    std::string_view text;
    if (!m_file.read(&text)) {
        Q_EMIT readFailed(QStringLiteral("%1: %2").arg(m_path, QString::fromLocal8Bit(std::strerror(errno))));
        return;
    }
    const auto snap = parseProcStat(text);
    if (!snap) {
        Q_EMIT readFailed(QStringLiteral("%1: no aggregate cpu line").arg(m_path));
        return;
    }
    const int cores = int(snap->cores.size());
    if (cores != m_coreCount) {
        m_coreCount = cores;
        Q_EMIT coreCountChanged(cores);
    }
    if (m_previous) {
        const CpuUsage u = usageBetween(*m_previous, *snap);
        Q_EMIT sampleTaken(CpuSample{monotonicSeconds(), u.total, u.perCore});
    }
    m_previous = snap;
}

} // namespace lab
