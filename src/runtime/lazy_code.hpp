// The runtime's view of lazy tier 0: generated code calls a function that is not compiled yet
// through a stub (compile/lazy_stubs.cpp), which calls lazy_compile_entry; that asks the
// module's LazyCompiler (compile/lazy_tier0.cpp) for the function's code, as host code.
#pragma once

#include <cstdint>

namespace wisp::rt {

class LazyCompiler {
 public:
  virtual ~LazyCompiler() = default;
  // The code of function `func` (an index in the module's function space), compiled if it is not
  // yet. Thread-safe. Throws on failure (the caller turns that into a trap).
  virtual void* compile_function(uint32_t func) = 0;
};

// Called from a stub inside a guest call: compiles function `func` through `compiler` (a
// LazyCompiler*) as host code (faults are not guest traps, interrupts wait) and returns its code;
// traps the guest call (host_error, with the reason) if that fails. Never returns then.
void* lazy_compile_entry(void* compiler, uint32_t func);

}  // namespace wisp::rt
