#include "procfile.h"

#include <cerrno>
#include <fcntl.h>
#include <algorithm>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace lab {

namespace {

int openReadOnly(const char *path)
{
    int fd;
    do {
        fd = ::open(path, O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

// Reads fd from offset 0 to EOF into *out (pread: the file offset is not used).
bool readFrom(int fd, std::string *out, size_t limit)
{
    size_t length = 0;
    if (limit == 0) {
        out->clear();
        return true;
    }
    if (out->size() < std::min<size_t>(4096, limit) || out->size() > limit)
        out->resize(std::min<size_t>(4096, limit));
    for (;;) {
        if (length == out->size()) {
            if (length >= limit)
                break;
            out->resize(std::min(limit, out->size() * 2));
        }
        const ssize_t n = ::pread(fd, out->data() + length, out->size() - length, off_t(length));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            out->clear();
            return false;
        }
        if (n == 0)
            break;
        length += size_t(n);
    }
    out->resize(length);
    return true;
}

} // namespace

bool readSmallFile(const char *path, char *buffer, size_t size, size_t *length)
{
    const int fd = openReadOnly(path);
    if (fd < 0)
        return false;
    ssize_t n;
    do {
        n = ::read(fd, buffer, size - 1);
    } while (n < 0 && errno == EINTR);
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (n <= 0)
        return false;
    buffer[n] = '\0';
    *length = size_t(n);
    return true;
}

bool readWholeFile(const char *path, std::string *out, size_t limit)
{
    const int fd = openReadOnly(path);
    if (fd < 0) {
        out->clear();
        return false;
    }
    const bool ok = readFrom(fd, out, limit);
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return ok;
}

ProcFile::ProcFile(std::string path) : m_path(std::move(path)) {}

ProcFile::~ProcFile()
{
    close();
}

void ProcFile::setPath(std::string path)
{
    close();
    m_path = std::move(path);
}

void ProcFile::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

bool ProcFile::read(std::string_view *text)
{
    bool ok;
    if (m_fd >= 0) {
        ok = readFrom(m_fd, &m_buffer, size_t(1) << 20);
        if (!ok)
            close();
    } else {
        const int fd = openReadOnly(m_path.c_str());
        if (fd < 0) {
            m_buffer.clear();
            ok = false;
        } else {
            ok = readFrom(fd, &m_buffer, size_t(1) << 20);
            struct statfs fs {};
            if (ok && ::fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC)
                m_fd = fd;  // procfs: kept for the next reads
            else {
                const int saved = errno;
                ::close(fd);
                errno = saved;
            }
        }
    }
    *text = ok ? std::string_view(m_buffer) : std::string_view();
    return ok;
}

} // namespace lab
