// wisp's own front end: the decoded declarations of a module (no function bodies: those stay
// bytes, read by the function validator on demand). Indices are those of the binary format.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wisp::detail::front {

// Value types by their binary encoding. `unknown` is the validator's bottom type (a value popped
// from the polymorphic stack of unreachable code); it never appears in a declaration.
enum class ValType : uint8_t {
  unknown = 0,
  i32 = 0x7f,
  i64 = 0x7e,
  f32 = 0x7d,
  f64 = 0x7c,
  v128 = 0x7b,
  funcref = 0x70,
  externref = 0x6f,
  exnref = 0x69,
};
const char* val_type_name(ValType t);  // "i32", "funcref", ...
inline bool is_ref(ValType t) {
  return t == ValType::funcref || t == ValType::externref || t == ValType::exnref;
}

// The finished proposals beyond WebAssembly 2.0 (which includes sign extension, non-trapping
// conversions, multi-value, bulk memory and reference types), plus what is not a core module.
enum class Feature : uint32_t {
  simd = 1u << 0,
  relaxed_simd = 1u << 1,
  threads = 1u << 2,
  tail_call = 1u << 3,
  exceptions = 1u << 4,  // legacy try/catch/catch_all/delegate/rethrow, tags, throw
  exnref = 1u << 5,      // final exception handling: try_table, throw_ref, exnref
  multi_memory = 1u << 6,
  memory64 = 1u << 7,
  extended_const = 1u << 8,
  gc = 1u << 9,                    // also typed function references (ref types, call_ref, ...)
  function_references = 1u << 10,  // call_ref, return_call_ref, ref.as_non_null, br_on_null, ...
  component_model = 1u << 11,      // a component binary, not a core module
  custom_page_sizes = 1u << 12,
  wide_arithmetic = 1u << 13,
  stack_switching = 1u << 14,
};

class FeatureSet {
 public:
  constexpr FeatureSet() = default;
  constexpr explicit FeatureSet(uint32_t bits) : bits_(bits) {}
  constexpr bool has(Feature f) const { return bits_ & static_cast<uint32_t>(f); }
  constexpr void add(Feature f) { bits_ |= static_cast<uint32_t>(f); }
  constexpr void add(FeatureSet s) { bits_ |= s.bits_; }
  constexpr FeatureSet minus(FeatureSet s) const { return FeatureSet(bits_ & ~s.bits_); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr uint32_t bits() const { return bits_; }
  static constexpr FeatureSet all() { return FeatureSet(0x7fff); }
  // "SIMD, threads": every feature in the set, by its proposal's name.
  std::string names() const;

 private:
  uint32_t bits_ = 0;
};
// The proposals wisp runs (each may be turned off per engine: EngineConfig::proposals).
inline constexpr FeatureSet kRunnableFeatures(
    static_cast<uint32_t>(Feature::simd) | static_cast<uint32_t>(Feature::relaxed_simd) |
    static_cast<uint32_t>(Feature::exceptions) | static_cast<uint32_t>(Feature::exnref) |
    static_cast<uint32_t>(Feature::tail_call) | static_cast<uint32_t>(Feature::multi_memory) |
    static_cast<uint32_t>(Feature::memory64) | static_cast<uint32_t>(Feature::extended_const) |
    static_cast<uint32_t>(Feature::threads));
const char* feature_name(Feature f);  // the proposal's name: "SIMD", "tail calls", ...
const char* feature_flag(Feature f);  // as Module::features() names it: "simd", "tail-call"
// Parses wabt-style flag names ("simd", "threads", "tail-call", "exceptions", "multi-memory",
// "memory64", "extended-const", "relaxed-simd", "gc", "function-references"); false if unknown.
bool parse_feature(std::string_view name, Feature& out);

// WebAssembly 2.0's additions to the MVP, as Module::features() names them.
enum class Wasm2Feature : uint32_t {
  bulk_memory = 1u << 0,
  multi_value = 1u << 1,
  reference_types = 1u << 2,
  sat_conversions = 1u << 3,  // "saturating-float-to-int"
  sign_extension = 1u << 4,
};

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};

struct Limits {
  uint64_t min = 0;
  uint64_t max = 0;
  bool has_max = false;
  bool shared = false;  // threads
  bool is64 = false;    // memory64: i64 addresses
};

struct TableType {
  ValType elem = ValType::funcref;
  Limits limits;
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
};

struct GlobalType {
  ValType type = ValType::i32;
  bool mut = false;
};

struct TagType {
  uint32_t type_index = 0;  // a function type with no results
};

// A constant expression (validated). `kind` says how to evaluate it: a single instruction is
// decoded into `value`; `extended` (extended-const arithmetic) and `v128` are read again from the
// module's bytes at `offset` (up to its `end`). 16 bytes: a module of 200,000 globals or a table of
// 100,000 elements holds one per entry.
struct ConstExpr {
  enum class Kind : uint8_t { i32, i64, f32, f64, v128, ref_null, ref_func, global_get, extended };
  uint64_t value = 0;   // i32/i64/f32/f64 bits (zero-extended), function or global index
  uint32_t offset = 0;  // where its bytes start in the module
  Kind kind = Kind::i32;
  ValType type = ValType::i32;  // the type of its value
};
static_assert(sizeof(ConstExpr) <= 16);

// One step of a validated numeric constant expression (a constant, global.get, or extended-const's
// add, sub, mul), in postfix order: what the C emitter and the runtime evaluate.
struct ConstStep {
  enum Kind : uint8_t { i32, i64, global_get, add, sub, mul };
  Kind kind = i32;
  uint64_t value = 0;  // the constant's bits (zero-extended), or the global's index
};
// The steps of `e` (numeric, validated), read from the module's `bytes`.
std::vector<ConstStep> const_expr_steps(const ConstExpr& e, std::span<const uint8_t> bytes);

enum class ExternKind : uint8_t { func = 0, table = 1, memory = 2, global = 3, tag = 4 };

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::func;
  uint32_t index = 0;  // the item's index in its own index space (funcs, tables, ...)
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::func;
  uint32_t index = 0;
};

enum class SegmentMode : uint8_t { active, passive, declarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::active;
  uint32_t table = 0;
  ConstExpr offset;  // active segments
  ValType type = ValType::funcref;
  // One expression per element: function indices of the index encodings are ref_func items.
  std::vector<ConstExpr> items;
};

struct DataSegment {
  SegmentMode mode = SegmentMode::active;  // never declarative
  uint32_t memory = 0;
  ConstExpr offset;           // active segments
  uint32_t bytes_offset = 0;  // the segment's bytes in the module
  uint32_t size = 0;
};

// A defined function's body in the module: locals and code, `size` bytes from `offset`.
struct FuncBody {
  uint32_t offset = 0;
  uint32_t size = 0;
};

struct Section {
  uint8_t id = 0;
  std::string name;     // custom sections' name; the standard ones' ("type", "code", ...)
  uint32_t offset = 0;  // the section's contents
  uint32_t size = 0;
};

struct ModuleDecl {
  std::vector<FuncType> types;
  std::vector<Import> imports;
  std::vector<uint32_t> funcs;  // the type index of every function, imported ones first
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;
  std::vector<GlobalType> globals;
  std::vector<ConstExpr> global_inits;  // defined globals (index - num_imported_globals)
  std::vector<TagType> tags;
  uint32_t num_imported_funcs = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;
  uint32_t num_imported_tags = 0;
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::vector<DataSegment> datas;
  std::optional<uint32_t> data_count;
  std::vector<FuncBody> bodies;  // defined functions, in order
  // Functions that ref.func may name in function bodies: those named in exports, element
  // segments and global initialisers (the spec's C.refs). One flag per function.
  std::vector<uint8_t> declared_refs;
  // Proposals the declarations use (function bodies add theirs when they are validated).
  FeatureSet features;
  // WebAssembly 2.0's additions to the MVP that the module uses (Wasm2Feature bits; set by
  // validate_module, which sees the bodies too).
  uint32_t wasm2_features = 0;
  std::vector<Section> sections;  // in the order they appear

  const FuncType& func_type(uint32_t func_index) const { return types[funcs[func_index]]; }
  uint32_t num_defined_funcs() const { return static_cast<uint32_t>(bodies.size()); }
};

}  // namespace wisp::detail::front
