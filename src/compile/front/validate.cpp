// Whole-module validation with wisp's own front end (declarations, then every body through the
// function validator, on several threads for a large module), value-type decoding shared by the
// validator, and the refusal that names every proposal a module needs.
#include <algorithm>
#include <array>
#include <exception>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "compile/front/feature_scan.hpp"
#include "compile/front/func_validator.hpp"
#include "compile/front/module_decoder.hpp"

namespace wisp::detail::front {

namespace {

constexpr ValType kSingles[] = {ValType::i32,       ValType::i64,    ValType::f32,
                                ValType::f64,       ValType::v128,   ValType::funcref,
                                ValType::externref, ValType::exnref, ValType::unknown};

// The WebAssembly 2.0 addition an operator's code alone shows (0: none). Blocks with params or
// several results (multi-value) also need the block type: Wasm2Tally checks those.
constexpr uint32_t wasm2_feature_of(uint32_t c) {
  auto bit = [](Wasm2Feature f) { return static_cast<uint32_t>(f); };
  if (c >= Op::I32Extend8S && c <= Op::I64Extend32S) return bit(Wasm2Feature::sign_extension);
  if (c >= Op::I32TruncSatF32S && c <= Op::I64TruncSatF64U)
    return bit(Wasm2Feature::sat_conversions);
  if (c == Op::MemoryInit || c == Op::DataDrop || c == Op::MemoryCopy || c == Op::MemoryFill ||
      c == Op::TableInit || c == Op::ElemDrop || c == Op::TableCopy)
    return bit(Wasm2Feature::bulk_memory);
  if (c == Op::TableGet || c == Op::TableSet || c == Op::TableGrow || c == Op::TableSize ||
      c == Op::TableFill || c == Op::RefNull || c == Op::RefIsNull || c == Op::RefFunc ||
      c == Op::SelectT)
    return bit(Wasm2Feature::reference_types);
  return 0;
}

// wasm2_feature_of for the one-byte operators, by table (the validator's hot path).
constexpr std::array<uint32_t, 256> make_wasm2_one_byte() {
  std::array<uint32_t, 256> t{};
  for (uint32_t c = 0; c < 256; ++c) t[c] = wasm2_feature_of(c);
  return t;
}
constexpr std::array<uint32_t, 256> kWasm2OneByte = make_wasm2_one_byte();

// Notes which of WebAssembly 2.0's additions the bodies use (Module::features()).
struct Wasm2Tally {
  uint32_t bits = 0;
  void begin_function(const ValidatorState&) {}
  void end_function() {}
  void op(const Operator& op, const OpState&) {
    const uint32_t c = op.code;
    bits |= c < 0x100 ? kWasm2OneByte[c] : wasm2_feature_of(c);
    if ((c == Op::Block || c == Op::Loop || c == Op::If) &&
        (!op.block.params().empty() || op.block.results().size() > 1))
      add(Wasm2Feature::multi_value);
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

// Code below this many bytes is validated on the calling thread: a thread costs more than the
// time it would save (~100 MB/s of code are validated per core).
constexpr uint64_t kParallelCodeBytes = 1u << 20;
constexpr unsigned kMaxThreads = 8;

// The bodies of functions [first, end) validated in order; the first error is kept, and the
// functions after it are not looked at.
struct BodyRange {
  uint32_t first = 0, end = 0;
  Wasm2Tally tally;
  FeatureSet used;
  std::exception_ptr error;

  void run(const ModuleDecl& m, std::span<const uint8_t> bytes, FeatureSet enabled) {
    try {
      FuncValidator<Wasm2Tally> v(m, bytes, enabled);
      for (uint32_t i = first; i < end; ++i) v.run(i, tally);
      used = v.features_used();
    } catch (...) {
      error = std::current_exception();
    }
  }
};

// Validates every body, splitting a large module's code into ranges of about equal size, one
// per core. The error reported is the one of the lowest function index, as on one thread.
void validate_bodies(ModuleDecl& m, std::span<const uint8_t> bytes, FeatureSet enabled) {
  const uint32_t n = m.num_defined_funcs();
  uint64_t code = 0;
  for (const FuncBody& b : m.bodies) code += b.size;
  const unsigned cores = std::max(1u, std::min(std::thread::hardware_concurrency(), kMaxThreads));
  const unsigned parts =
      code < kParallelCodeBytes ? 1u : static_cast<unsigned>(std::min<uint64_t>(cores, n));
  std::vector<BodyRange> ranges(std::max(1u, parts));
  uint32_t f = 0;
  uint64_t seen = 0;
  for (size_t r = 0; r < ranges.size(); ++r) {
    ranges[r].first = f;
    const uint64_t goal = code * (r + 1) / ranges.size();
    while (f < n && (r + 1 == ranges.size() || seen < goal)) seen += m.bodies[f++].size;
    ranges[r].end = f;
  }
  std::vector<std::thread> threads;
  size_t started = 1;
  try {
    for (; started < ranges.size(); ++started)
      threads.emplace_back([&, r = started] { ranges[r].run(m, bytes, enabled); });
  } catch (const std::system_error&) {  // no thread to be had: the rest runs here
  }
  for (size_t r = started; r < ranges.size(); ++r) ranges[r].run(m, bytes, enabled);
  ranges[0].run(m, bytes, enabled);
  for (std::thread& t : threads) t.join();
  for (BodyRange& r : ranges) {
    if (r.error) std::rethrow_exception(r.error);
    m.features.add(r.used);
    m.wasm2_features |= r.tally.bits;
  }
}

}  // namespace

std::span<const ValType> single_type(ValType t) {
  for (const ValType& s : kSingles)
    if (s == t) return {&s, 1};
  return {&kSingles[8], 1};
}

namespace {

// wisp's restrictions on the exnref proposal. exnref globals and tables of the module's own
// are counted references (runtime/exnref_objects.cpp), but the host's values (wisp::Value, the
// C API) have no exnref: none may cross the module's interface, in an imported or exported
// function, tag, global or table. A tag's exnref values are counted by a 64-bit mask: none may
// be past value 63.
void refuse_escaping_exnrefs(const ModuleDecl& m) {
  auto refuse = [](const std::string& where) {
    throw CompileError("unsupported: " + where +
                       " (wisp keeps exnref values inside the module: the host's values have "
                       "no exnref)");
  };
  auto in_type = [&](const FuncType& ft) {
    for (const std::vector<ValType>* ts : {&ft.params, &ft.results})
      for (ValType v : *ts)
        if (v == ValType::exnref) return true;
    return false;
  };
  auto passes = [&](ExternKind kind, uint32_t index) {
    switch (kind) {
      case ExternKind::func:
        return in_type(m.func_type(index));
      case ExternKind::tag:
        return in_type(m.types[m.tags[index].type_index]);
      case ExternKind::global:
        return m.globals[index].type == ValType::exnref;
      case ExternKind::table:
        return m.tables[index].elem == ValType::exnref;
      default:
        return false;
    }
  };
  for (const Import& i : m.imports)
    if (passes(i.kind, i.index))
      refuse("import \"" + i.module + "\" \"" + i.name + "\" passes exnref");
  for (const Export& e : m.exports)
    if (passes(e.kind, e.index)) refuse("export \"" + e.name + "\" passes exnref");
  for (size_t t = 0; t < m.tags.size(); ++t) {
    const std::vector<ValType>& ps = m.types[m.tags[t].type_index].params;
    for (size_t i = 64; i < ps.size(); ++i)
      if (ps[i] == ValType::exnref)
        refuse("tag " + std::to_string(t) + " carries an exnref past its 64th value");
  }
}

}  // namespace

ModuleDecl validate_module(std::span<const uint8_t> bytes, FeatureSet enabled) {
  try {
    ModuleDecl m = decode_module(bytes, enabled);
    if (m.features.has(Feature::exnref)) refuse_escaping_exnrefs(m);
    m.wasm2_features = declared_wasm2_features(m);
    validate_bodies(m, bytes, enabled);
    return m;
  } catch (const FeatureRefused& e) {
    FeatureSet needed = scan_features(bytes).minus(enabled);
    needed.add(e.feature());
    const FeatureSet missing = needed.minus(kRunnableFeatures);
    const FeatureSet off = needed.minus(missing);
    std::string what;
    if (!missing.empty()) what = missing.names() + " (not supported by wisp yet)";
    if (!off.empty())
      what += (what.empty() ? "" : " and ") + off.names() +
              " (turned off for this engine: EngineConfig::proposals)";
    throw CompileError("unsupported: this module needs " + what + "; first use: " + e.message(),
                       e.offset());
  }
}

}  // namespace wisp::detail::front
