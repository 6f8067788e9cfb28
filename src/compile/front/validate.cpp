// Whole-module validation with wisp's own front end (declarations, then every body through the
// function validator), value-type decoding shared by the validator, and the refusal that names
// every proposal a module needs.
#include <string>

#include "compile/front/feature_scan.hpp"
#include "compile/front/func_validator.hpp"
#include "compile/front/module_decoder.hpp"

namespace wisp::detail::front {

namespace {

constexpr ValType kSingles[] = {ValType::i32,       ValType::i64,    ValType::f32,
                                ValType::f64,       ValType::v128,   ValType::funcref,
                                ValType::externref, ValType::exnref, ValType::unknown};

// Notes which of WebAssembly 2.0's additions the bodies use (Module::features()).
struct Wasm2Tally {
  uint32_t bits = 0;
  void begin_function(const ValidatorState&) {}
  void end_function() {}
  void op(const Operator& op, const OpState&) {
    uint32_t c = op.code;
    if (c >= Op::I32Extend8S && c <= Op::I64Extend32S) {
      add(Wasm2Feature::sign_extension);
    } else if (c >= Op::I32TruncSatF32S && c <= Op::I64TruncSatF64U) {
      add(Wasm2Feature::sat_conversions);
    } else if (c == Op::MemoryInit || c == Op::DataDrop || c == Op::MemoryCopy ||
               c == Op::MemoryFill || c == Op::TableInit || c == Op::ElemDrop ||
               c == Op::TableCopy) {
      add(Wasm2Feature::bulk_memory);
    } else if (c == Op::TableGet || c == Op::TableSet || c == Op::TableGrow || c == Op::TableSize ||
               c == Op::TableFill || c == Op::RefNull || c == Op::RefIsNull || c == Op::RefFunc ||
               c == Op::SelectT) {
      add(Wasm2Feature::reference_types);
    } else if ((c == Op::Block || c == Op::Loop || c == Op::If) &&
               (!op.block.params.empty() || op.block.results.size() > 1)) {
      add(Wasm2Feature::multi_value);
    }
  }
  void add(Wasm2Feature f) { bits |= static_cast<uint32_t>(f); }
};

// The 2.0 additions visible in the declarations.
uint32_t declared_wasm2_features(const ModuleDecl& m) {
  uint32_t bits = 0;
  auto add = [&](Wasm2Feature f) { bits |= static_cast<uint32_t>(f); };
  for (uint32_t f = 0; f < m.funcs.size(); ++f) {
    const FuncType& t = m.func_type(f);
    if (t.results.size() > 1) add(Wasm2Feature::multi_value);
    for (ValType v : t.params)
      if (is_ref(v)) add(Wasm2Feature::reference_types);
    for (ValType v : t.results)
      if (is_ref(v)) add(Wasm2Feature::reference_types);
  }
  for (const GlobalType& g : m.globals)
    if (is_ref(g.type)) add(Wasm2Feature::reference_types);
  if (m.tables.size() > 1) add(Wasm2Feature::reference_types);
  for (const TableType& t : m.tables)
    if (t.elem != ValType::funcref) add(Wasm2Feature::reference_types);
  for (const DataSegment& d : m.datas)
    if (d.mode != SegmentMode::active) add(Wasm2Feature::bulk_memory);
  for (const ElemSegment& e : m.elems)
    if (e.mode != SegmentMode::active) add(Wasm2Feature::bulk_memory);
  return bits;
}

}  // namespace

std::span<const ValType> single_type(ValType t) {
  for (const ValType& s : kSingles)
    if (s == t) return {&s, 1};
  return {&kSingles[8], 1};
}

ModuleDecl validate_module(std::span<const uint8_t> bytes, FeatureSet enabled) {
  try {
    ModuleDecl m = decode_module(bytes, enabled);
    Wasm2Tally tally;
    FuncValidator<Wasm2Tally> v(m, bytes, enabled);
    for (uint32_t i = 0; i < m.num_defined_funcs(); ++i) v.run(i, tally);
    m.features.add(v.features_used());
    m.wasm2_features = tally.bits | declared_wasm2_features(m);
    return m;
  } catch (const FeatureRefused& e) {
    FeatureSet needed = scan_features(bytes).minus(enabled);
    needed.add(e.feature());
    throw CompileError("unsupported: this module needs " + needed.names() +
                           " (not supported by wisp yet); first use: " + e.message(),
                       e.offset());
  }
}

}  // namespace wisp::detail::front
