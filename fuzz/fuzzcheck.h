#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>

// An invariant the fuzzer must not break: abort (libFuzzer saves the input as crash-*), in
// release builds too.
#define LAB_FUZZ_CHECK(cond)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)
