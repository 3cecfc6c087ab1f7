#include "CRC32CHardware.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

int crc32c_hardware_available(void) {
    return __builtin_cpu_supports("sse4.2");
}

// Compiled for SSE 4.2 on its own, so the rest of the program still runs on any x86-64.
__attribute__((target("sse4.2")))
uint32_t crc32c_hardware_update(uint32_t state, const uint8_t *bytes, size_t count) {
    uint64_t wide = state;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);  // unaligned load; the instruction reads little-endian
        wide = __builtin_ia32_crc32di(wide, word);
        bytes += 8;
        count -= 8;
    }
    uint32_t narrow = (uint32_t)wide;
    while (count > 0) {
        narrow = __builtin_ia32_crc32qi(narrow, *bytes);
        bytes += 1;
        count -= 1;
    }
    return narrow;
}

#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)

#include <arm_acle.h>

int crc32c_hardware_available(void) { return 1; }

uint32_t crc32c_hardware_update(uint32_t state, const uint8_t *bytes, size_t count) {
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        state = __crc32cd(state, word);
        bytes += 8;
        count -= 8;
    }
    while (count > 0) {
        state = __crc32cb(state, *bytes);
        bytes += 1;
        count -= 1;
    }
    return state;
}

#else

int crc32c_hardware_available(void) { return 0; }

uint32_t crc32c_hardware_update(uint32_t state, const uint8_t *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return state;
}

#endif
