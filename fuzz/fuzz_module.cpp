// libFuzzer target: wisp's front end (src/compile/front: scan_features, decode_module,
// validate_module) and Engine::inspect on arbitrary bytes.
// Properties, besides no crash, leak or undefined behaviour:
//  - every refusal is a CompileError (anything else escaping is a finding: libFuzzer reports
//    the uncaught exception);
//  - a module that validates also decodes, with the same features;
//  - a module valid as WebAssembly 2.0 stays valid with every proposal enabled;
//  - what a successful decode returns is self-consistent (every index in range, every byte range
//    inside the module), since the C emitter and the instance code index with it unchecked;
//  - Engine::inspect accepts exactly what validate_module accepts with the proposals an engine
//    runs by default (EngineConfig::proposals).
#include <cstdint>
#include <span>
#include <string>

#include "compile/engine_impl.hpp"
#include "compile/front/feature_scan.hpp"
#include "compile/front/func_validator.hpp"
#include "compile/front/module_decoder.hpp"
#include "fuzz_support.hpp"
#include "wisp/engine.hpp"
#include "wisp/error.hpp"

namespace wisp::fuzz {
namespace {

namespace front = wisp::detail::front;

struct Outcome {
  bool ok = false;
  std::string error;
};

template <typename F>
Outcome attempt(F&& f) {
  try {
    f();
    return {true, {}};
  } catch (const CompileError& e) {
    return {false, e.what()};
  }
}

void check_range(uint64_t offset, uint64_t size, size_t total, const char* what) {
  check(offset <= total && size <= total - offset,
        std::string(what) + " [" + std::to_string(offset) + ", +" + std::to_string(size) +
            ") lies outside the module's " + std::to_string(total) + " bytes");
}

void check_const_expr(const front::ConstExpr& e, size_t total, const char* what) {
  // An expression is at least its `end` byte, so its first byte lies inside the module.
  check_range(e.offset, 1, total, what);
}

// The decoded declarations index each other; everything downstream trusts these indices.
void check_decl(const front::ModuleDecl& d, size_t total) {
  const size_t nfuncs = d.funcs.size();
  for (uint32_t t : d.funcs) check(t < d.types.size(), "a function's type index is out of range");
  check(d.num_imported_funcs <= nfuncs, "more imported functions than functions");
  check(d.bodies.size() == nfuncs - d.num_imported_funcs,
        "the number of bodies differs from the number of defined functions");
  check(d.num_imported_tables <= d.tables.size(), "more imported tables than tables");
  check(d.num_imported_memories <= d.memories.size(), "more imported memories than memories");
  check(d.num_imported_globals <= d.globals.size(), "more imported globals than globals");
  check(d.num_imported_tags <= d.tags.size(), "more imported tags than tags");
  check(d.global_inits.size() == d.globals.size() - d.num_imported_globals,
        "the number of global initialisers differs from the number of defined globals");
  for (const auto& b : d.bodies) check_range(b.offset, b.size, total, "a function body");
  for (const auto& s : d.sections) check_range(s.offset, s.size, total, "a section");
  for (const auto& g : d.global_inits) check_const_expr(g, total, "a global initialiser");
  for (const auto& t : d.tags) check(t.type_index < d.types.size(), "a tag's type is out of range");
  auto count = [&](front::ExternKind k) -> size_t {
    switch (k) {
      case front::ExternKind::func:
        return nfuncs;
      case front::ExternKind::table:
        return d.tables.size();
      case front::ExternKind::memory:
        return d.memories.size();
      case front::ExternKind::global:
        return d.globals.size();
      case front::ExternKind::tag:
        return d.tags.size();
    }
    return 0;
  };
  for (const auto& i : d.imports)
    check(i.index < count(i.kind), "an import's index is out of range");
  for (const auto& e : d.exports)
    check(e.index < count(e.kind), "export '" + e.name + "' has an index out of range");
  if (d.start) check(*d.start < nfuncs, "the start function is out of range");
  check(d.declared_refs.size() == nfuncs, "declared_refs has one flag per function");
  for (const auto& s : d.elems) {
    if (s.mode == front::SegmentMode::active) {
      check(s.table < d.tables.size(), "an element segment's table is out of range");
      check_const_expr(s.offset, total, "an element segment's offset");
    }
    for (const auto& item : s.items) check_const_expr(item, total, "an element item");
  }
  for (const auto& s : d.datas) {
    check_range(s.bytes_offset, s.size, total, "a data segment's bytes");
    if (s.mode == front::SegmentMode::active) {
      check(s.memory < d.memories.size(), "a data segment's memory is out of range");
      check_const_expr(s.offset, total, "a data segment's offset");
    }
  }
  if (d.data_count) check(*d.data_count == d.datas.size(), "data count differs from segments");
}

Engine& engine() {
  static Engine* e = [] {
    EngineConfig c;
    c.enable_tier1 = false;
    return new Engine(c);  // lives as long as the process
  }();
  return *e;
}

}  // namespace
}  // namespace wisp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wisp;
  using namespace wisp::fuzz;
  std::span<const uint8_t> bytes(data, size);
  const front::FeatureSet none{}, all = front::FeatureSet::all();
  static const front::FeatureSet by_default = detail::enabled_features(Proposals{});

  front::scan_features(bytes);  // never throws

  front::ModuleDecl decl;
  Outcome valid2 = attempt([&] { decl = front::validate_module(bytes, none); });
  if (valid2.ok) check_decl(decl, size);
  Outcome valid_all = attempt([&] { decl = front::validate_module(bytes, all); });
  if (valid_all.ok) check_decl(decl, size);
  Outcome decoded = attempt([&] { decl = front::decode_module(bytes, all); });
  if (decoded.ok) check_decl(decl, size);

  check(!valid2.ok || valid_all.ok,
        "valid as WebAssembly 2.0 but refused with every proposal enabled: " + valid_all.error);
  check(!valid_all.ok || decoded.ok, "validates but does not decode: " + decoded.error);

  Outcome valid_default = attempt([&] { decl = front::validate_module(bytes, by_default); });
  if (valid_default.ok) check_decl(decl, size);
  Outcome inspected = attempt([&] { engine().inspect(bytes); });
  check(inspected.ok == valid_default.ok,
        std::string("Engine::inspect ") +
            (inspected.ok ? "accepts" : "refuses (" + inspected.error + ")") +
            " what validate_module " +
            (valid_default.ok ? "accepts" : "refuses (" + valid_default.error + ")"));
  return 0;
}
