// Lazy tier 0: the module's base unit (prelude, tail, a stub per function) is compiled at once;
// each function's body is emitted and compiled with libtcc on its first call, in a batch with the
// functions after it that are not compiled yet (about EngineConfig's lazy batch bytes of code).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "compile/front/module_decl.hpp"
#include "compile/module_impl.hpp"

namespace wisp::detail {

struct LazyTier0Options {
  bool consume_fuel = false;
  size_t batch_bytes = 16 << 10;  // wasm code bytes per batch (at least one function)
};

// Compiles the base unit of a validated module (`decl` from validate_module over `bytes`). The
// code object shares the bytes (no copy: 16 MB for CRuby) and keeps the declarations for the
// batches to come.
std::shared_ptr<CodeObject> compile_tier0_lazy(std::shared_ptr<const ModuleBytes> bytes,
                                               front::ModuleDecl decl,
                                               const LazyTier0Options& options);

// Statistics of a lazy tier-0 code object (nullopt for any other code).
struct LazyTier0Stats {
  size_t base_c_bytes = 0;
  size_t batches = 0;
  size_t functions_compiled = 0;
  size_t batch_c_bytes = 0;
};
bool lazy_tier0_stats(const CodeObject& code, LazyTier0Stats& out);

}  // namespace wisp::detail
