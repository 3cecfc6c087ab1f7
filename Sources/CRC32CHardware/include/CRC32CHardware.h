// CRC-32C with the processor's own instruction, where there is one.
//
// Swift cannot reach x86's SSE 4.2 `crc32` or ARMv8's `crc32c*` instructions, so this C file
// does it; PaxosStorage's CRC32C calls it when the processor has them and uses its portable
// table-driven loop otherwise. Both compute the same function (a test checks them against
// each other).
#ifndef CRC32C_HARDWARE_H
#define CRC32C_HARDWARE_H

#include <stddef.h>
#include <stdint.h>

/// Nonzero if this processor has a CRC-32C instruction that `crc32c_hardware_update` uses.
int crc32c_hardware_available(void);

/// Continues `state` over `count` bytes at `bytes`. `state` is the raw register: the caller
/// applies the initial and final inversions. Call only if `crc32c_hardware_available()`.
uint32_t crc32c_hardware_update(uint32_t state, const uint8_t *bytes, size_t count);

#endif
