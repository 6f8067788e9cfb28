// Memory protection keys (x86 PKU): allocation of keys, tagging pages with a key, and the
// per-thread PKRU register that grants or denies access to each key without a system call.
// Used by Contexts for enforced isolation at the cost of one register write per call.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wisp::detail::pkeys {

// True when the CPU and the kernel support protection keys (checked once).
bool supported();
// A new key whose access is disabled on the calling thread, or -1 when none is left.
int alloc();
void free(int key);
// mprotect that also tags the pages with `key` (0 = the default key). Returns 0 or -1 (errno).
int protect(void* addr, size_t len, int prot, int key);

// The PKRU bits that deny all access (read and write) through `key`.
constexpr uint32_t deny_bits(int key) {
  return key <= 0 ? 0u : 3u << (2 * key);
}
uint32_t read_pkru();
void write_pkru(uint32_t value);

}  // namespace wisp::detail::pkeys
