#pragma once
// Deterministic HTTP bodies shared by the test server and the client: plain C++, no Qt, so the
// server executable includes it without linking labcore. Byte i of the body for `seed` is a
// fixed function of (seed, i), so the client checks every byte it receives, at any offset,
// without the server sending a checksum it could get wrong the same way.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace lab::httpbody {

// Headers the server sets on deterministic bodies; the client verifies when both are present.
inline constexpr const char *kSizeHeader = "X-Lab-Size";
inline constexpr const char *kSeedHeader = "X-Lab-Seed";

inline std::uint64_t mix64(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// The 8 body bytes starting at offset 8*k, little-endian.
inline std::uint64_t word(std::uint64_t seed, std::uint64_t k)
{
    return mix64(seed * 0xD6E8FEB86659FD93ull + k);
}

inline unsigned char byteAt(std::uint64_t seed, std::uint64_t i)
{
    return static_cast<unsigned char>(word(seed, i >> 3) >> (8 * (i & 7)));
}

// Writes body bytes [offset, offset + n) into out.
inline void fill(std::uint64_t seed, std::uint64_t offset, char *out, std::size_t n)
{
    std::size_t j = 0;
    while (j < n) {
        const std::uint64_t i = offset + j;
        const std::uint64_t w = word(seed, i >> 3);
        for (unsigned b = unsigned(i & 7); b < 8 && j < n; ++b, ++j)
            out[j] = static_cast<char>(static_cast<unsigned char>(w >> (8 * b)));
    }
}

// Offset (relative to data) of the first byte that differs from the body at `offset`, or -1.
inline std::int64_t firstMismatch(std::uint64_t seed, std::uint64_t offset, const char *data, std::size_t n)
{
    std::size_t j = 0;
    while (j < n) {
        const std::uint64_t i = offset + j;
        const std::uint64_t w = word(seed, i >> 3);
        for (unsigned b = unsigned(i & 7); b < 8 && j < n; ++b, ++j)
            if (static_cast<unsigned char>(data[j]) != static_cast<unsigned char>(w >> (8 * b)))
                return std::int64_t(j);
    }
    return -1;
}

// FNV-1a, 64 bit: the checksum recorded for every body (deterministic or not).
class Fnv1a64 {
public:
    void update(const char *data, std::size_t n)
    {
        std::uint64_t h = m_hash;
        for (std::size_t i = 0; i < n; ++i) {
            h ^= static_cast<unsigned char>(data[i]);
            h *= 0x100000001B3ull;
        }
        m_hash = h;
    }
    std::uint64_t value() const { return m_hash; }
    std::string hex() const
    {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(m_hash));
        return buf;
    }

private:
    std::uint64_t m_hash = 0xCBF29CE484222325ull;
};

// Checksum of the whole deterministic body (for tests and expected values).
inline std::string checksumOf(std::uint64_t seed, std::uint64_t size)
{
    Fnv1a64 h;
    char buf[4096];
    for (std::uint64_t off = 0; off < size;) {
        const std::size_t n = std::size_t(std::min<std::uint64_t>(sizeof buf, size - off));
        fill(seed, off, buf, n);
        h.update(buf, n);
        off += n;
    }
    return h.hex();
}

} // namespace lab::httpbody
