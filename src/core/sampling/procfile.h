#pragma once
#include <string>
#include <string_view>

namespace lab {

// Reading /proc text without QFile, QString or a heap allocation per read: the samplers read
// a dozen /proc files a second while the app sits idle, and each QFile open cost more than the
// parse of what it read.

// A small file in one read(2) into `buffer` (NUL-terminated); false when it cannot be opened
// or is empty. For one-line files (/proc/PID/stat, schedstat, children) of known bound.
bool readSmallFile(const char *path, char *buffer, size_t size, size_t *length);

// A whole file, read to EOF into `out` (replaced; its capacity is kept between calls) but no
// more than `limit` bytes; false when it cannot be opened or read.
bool readWholeFile(const char *path, std::string *out, size_t limit = size_t(1) << 20);

// A file read again and again (the CPU sampler's /proc/stat, 10 times a second). On procfs it
// is opened once and re-read from offset 0 with pread(2): procfs builds the text afresh for a
// read from the start, as top(1) relies on. Any other file (a test's fixture, which may be
// replaced between reads) is opened for each read. Used from one thread at a time.
class ProcFile {
public:
    explicit ProcFile(std::string path = {});
    ~ProcFile();
    ProcFile(const ProcFile &) = delete;
    ProcFile &operator=(const ProcFile &) = delete;

    void setPath(std::string path);
    const std::string &path() const { return m_path; }
    // The file's text now, valid until the next read; false with errno set when it cannot be
    // opened or read (the next read tries to open it again).
    bool read(std::string_view *text);
    bool isKeptOpen() const { return m_fd >= 0; }

private:
    void close();

    std::string m_path;
    std::string m_buffer;
    int m_fd = -1;
};

} // namespace lab
