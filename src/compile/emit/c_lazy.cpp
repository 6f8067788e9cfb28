// Lazy tier 0's C (EmitOptions::lazy). The base unit is the prelude and the tail; its `w<f>` are
// left undefined and linked to the machine-code stubs of lazy_stubs.hpp, as are exports, element
// segments and ref.func (as `wisp_s<f>`), so a function's reference never changes. Each batch is
// a small unit of its own: the prelude's helpers and types, the prototypes it uses, and the
// functions; calls to functions of other batches go through their stubs (lazy_tier0.cpp).
#include <algorithm>
#include <string>

#include "compile/emit/c_emitter.hpp"
#include "compile/emit/c_lazy.hpp"
#include "compile/emit/c_prelude.hpp"

namespace wisp::detail::emit {

namespace {

std::string num(uint64_t v) {
  return std::to_string(v);
}

// "WISP_FN R name(M*, u32, ...)": function f's prototype under another name.
std::string prototype_named(const ModuleShape& shape, uint32_t f, const std::string& name) {
  const front::FuncType& ft = shape.decl->func_type(f);
  return "WISP_FN " + c_return_type(ft) + " " + name + "(M*" + c_params(ft, nullptr) + ");\n";
}

}  // namespace

std::string lazy_base(const ModuleShape& shape, const std::string& tail_text) {
  std::string o = "#define WISP_SPLIT 1\n";
  o += prelude(shape);
  o += tail_text;
  return o;
}

std::string lazy_batch_head(const ModuleShape& shape, std::span<const uint32_t> batch,
                            std::vector<uint32_t>& called, std::vector<uint32_t>& referenced,
                            std::vector<std::string>& externals) {
  const front::ModuleDecl& d = *shape.decl;
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
  for (uint32_t f : referenced) {
    if (shape.func_imported(f)) {
      if (!std::binary_search(called.begin(), called.end(), f)) o += import_prototype(shape, f);
    } else {
      o += prototype_named(shape, f, "wisp_s" + num(f));
      externals.push_back("wisp_s" + num(f));
    }
  }
  (void)d;
  return o;
}

}  // namespace wisp::detail::emit
