// Memory protection keys: thin wrappers over glibc's pkey_* calls and the RDPKRU/WRPKRU
// instructions (encoded as bytes so no -mpku is needed; only executed when supported()).
#include "share/pkeys.hpp"

#include <sys/mman.h>

namespace wisp::detail::pkeys {

bool supported() {
#if defined(__x86_64__)
  static const bool ok = [] {
    int key = pkey_alloc(0, 0);
    if (key < 0) return false;
    pkey_free(key);
    return true;
  }();
  return ok;
#else
  return false;
#endif
}

int alloc() {
  if (!supported()) return -1;
  return pkey_alloc(0, PKEY_DISABLE_ACCESS);
}

void free(int key) {
  if (key > 0) pkey_free(key);
}

int protect(void* addr, size_t len, int prot, int key) {
  if (!supported()) return mprotect(addr, len, prot);
  return pkey_mprotect(addr, len, prot, key);
}

uint32_t read_pkru() {
#if defined(__x86_64__)
  uint32_t eax, edx;
  asm volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
#else
  return 0;
#endif
}

void write_pkru(uint32_t value) {
#if defined(__x86_64__)
  asm volatile(".byte 0x0f,0x01,0xef" : : "a"(value), "c"(0), "d"(0) : "memory");
#else
  (void)value;
#endif
}

}  // namespace wisp::detail::pkeys
