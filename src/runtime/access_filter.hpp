// A per-thread filter on host access to linear memory. While a call runs through a context of
// a shared instance (Contexts), host functions may only touch that context's region and the
// memory outside every context's region: Memory::checked consults the filter installed for the
// call, so a guest cannot make the host read or write a neighbour's region on its behalf.
#pragma once

#include <cstdint>

#include "wasm-rt.h"

namespace wisp::rt {

class AccessFilter {
 public:
  // Why [ptr, ptr+len) of `mem` may not be touched now, or null when it may.
  virtual const char* denies(const wasm_rt_memory_t* mem, uint64_t ptr, uint64_t len) const = 0;

 protected:
  ~AccessFilter() = default;
};

inline thread_local const AccessFilter* tls_access_filter = nullptr;

// Installs `filter` for the current thread until destroyed (nesting restores the previous one).
class ScopedAccessFilter {
 public:
  explicit ScopedAccessFilter(const AccessFilter* filter) : prev_(tls_access_filter) {
    tls_access_filter = filter;
  }
  ~ScopedAccessFilter() { tls_access_filter = prev_; }
  ScopedAccessFilter(const ScopedAccessFilter&) = delete;
  ScopedAccessFilter& operator=(const ScopedAccessFilter&) = delete;

 private:
  const AccessFilter* prev_;
};

}  // namespace wisp::rt
