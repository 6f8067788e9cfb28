// Lazy tier 0's C (EmitOptions::lazy). The base unit is the prelude and the tail, with no
// function defined or declared: exports, element segments and ref.func take the addresses of the
// machine-code stubs of lazy_stubs.hpp (ModuleShape::func_address: `wisp_stubs` plus an offset),
// so a function's reference never changes. Each batch is a small unit of its own: the prelude's
// helpers and types, the prototypes it uses, and the functions; calls to functions of other
// batches go through their stubs, linked by name as `w<f>` (lazy_tier0.cpp).
#include <algorithm>
#include <string>

#include "compile/emit/c_emitter.hpp"
#include "compile/emit/c_lazy.hpp"
#include "compile/emit/c_prelude.hpp"

namespace wisp::detail::emit {

std::string lazy_base(const ModuleShape& shape, const std::string& tail_text) {
  std::string o = "#define WISP_SPLIT 1\n";
  o += prelude(shape);
  o += tail_text;
  return o;
}

std::string lazy_batch_head(const ModuleShape& shape, std::span<const uint32_t> batch,
                            std::vector<uint32_t>& called, std::vector<uint32_t>& referenced,
                            std::vector<std::string>& externals) {
  std::string o = "#define WISP_SPLIT 1\n";
  o += prelude_common(shape);
  o += segment_prototypes(shape);
  auto unique = [](std::vector<uint32_t>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  unique(called);
  unique(referenced);
  std::vector<uint32_t> members(batch.begin(), batch.end());
  std::sort(members.begin(), members.end());
  auto in_batch = [&](uint32_t f) { return std::binary_search(members.begin(), members.end(), f); };
  for (uint32_t f : members) o += CEmitter::prototype(shape, f, false) + ";\n";
  for (uint32_t f : called) {
    if (shape.func_imported(f)) {
      o += import_prototype(shape, f);
    } else if (!in_batch(f)) {
      o += CEmitter::prototype(shape, f, false) + ";\n";
      externals.push_back("w" + num(f));
    }
  }
  for (uint32_t f : referenced) {  // a defined function's address is its stub's (func_address)
    if (shape.func_imported(f) && !std::binary_search(called.begin(), called.end(), f))
      o += import_prototype(shape, f);
  }
  return o;
}

}  // namespace wisp::detail::emit
