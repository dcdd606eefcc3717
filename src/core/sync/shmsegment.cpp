#include "shmsegment.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace lab {

namespace {

QString errnoText(const char *what, const QString &name)
{
    return QStringLiteral("%1 %2: %3").arg(QLatin1String(what), name, QString::fromLocal8Bit(std::strerror(errno)));
}

} // namespace

QString ShmSegment::namePrefix()
{
    return QStringLiteral("/concurrency-lab-");
}

ShmSegment ShmSegment::create(size_t bytes, QString *error)
{
    static std::atomic<int> counter{0};
    ShmSegment s;
    if (bytes == 0) {
        *error = QStringLiteral("a shared-memory segment needs a size");
        return s;
    }
    const QString name = namePrefix() + QString::number(::getpid()) + QLatin1Char('-') + QString::number(++counter);
    const QByteArray n = name.toLocal8Bit();
    const int fd = ::shm_open(n.constData(), O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        *error = errnoText("cannot create shared memory", name);
        return s;
    }
    if (::ftruncate(fd, off_t(bytes)) != 0) {
        *error = errnoText("cannot size shared memory", name);
        ::close(fd);
        ::shm_unlink(n.constData());
        return s;
    }
    void *p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) {
        *error = errnoText("cannot map shared memory", name);
        ::shm_unlink(n.constData());
        return s;
    }
    s.m_data = p;
    s.m_size = bytes;
    s.m_name = name;
    s.m_owner = true;
    return s;
}

ShmSegment ShmSegment::attach(const QString &name, size_t bytes, QString *error)
{
    ShmSegment s;
    if (!name.startsWith(namePrefix()) || name.size() > 100 || name.indexOf(QLatin1Char('/'), 1) >= 0) {
        *error = QStringLiteral("\"%1\" is not a Concurrency Lab shared-memory name").arg(name);
        return s;
    }
    const QByteArray n = name.toLocal8Bit();
    const int fd = ::shm_open(n.constData(), O_RDWR, 0);
    if (fd < 0) {
        *error = errnoText("cannot open shared memory", name);
        return s;
    }
    off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < 0 || size_t(size) != bytes) {
        *error = QStringLiteral("shared memory %1 has %2 bytes, expected %3").arg(name).arg(qint64(size)).arg(bytes);
        ::close(fd);
        return s;
    }
    void *p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) {
        *error = errnoText("cannot map shared memory", name);
        return s;
    }
    s.m_data = p;
    s.m_size = bytes;
    s.m_name = name;
    return s;
}

ShmSegment::~ShmSegment()
{
    release();
}

ShmSegment::ShmSegment(ShmSegment &&o) noexcept
    : m_data(o.m_data), m_size(o.m_size), m_name(std::move(o.m_name)), m_owner(o.m_owner)
{
    o.m_data = nullptr;
    o.m_owner = false;
}

ShmSegment &ShmSegment::operator=(ShmSegment &&o) noexcept
{
    if (this != &o) {
        release();
        m_data = o.m_data;
        m_size = o.m_size;
        m_name = std::move(o.m_name);
        m_owner = o.m_owner;
        o.m_data = nullptr;
        o.m_owner = false;
    }
    return *this;
}

void ShmSegment::release()
{
    if (m_data)
        ::munmap(m_data, m_size);
    if (m_owner)
        ::shm_unlink(m_name.toLocal8Bit().constData());
    m_data = nullptr;
    m_owner = false;
}

void *taskSharedBlock(void *local, size_t bytes, const TaskSpec &task, ShmSegment &attached, TaskResult &result,
                      const QString &what)
{
    if (local)
        return local;
    const QString name = task.string(QLatin1String("shm"));
    if (name.isEmpty()) {
        // Tasks made without a run's state (counted, or sent over the wire in a test) have no
        // segment: only a run's tasks can execute.
        result.error = QStringLiteral("shm is missing (the run's %1)").arg(what);
        result.errorCategory = QStringLiteral("bad-task");
        return nullptr;
    }
    QString error;
    attached = ShmSegment::attach(name, bytes, &error);
    if (!attached.isValid()) {
        result.error = QStringLiteral("cannot attach %1: %2").arg(what, error);
        result.errorCategory = QStringLiteral("shared-memory");
        return nullptr;
    }
    return attached.data();
}

} // namespace lab
