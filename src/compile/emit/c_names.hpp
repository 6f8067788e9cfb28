// The naming scheme of wisp's C emitter, shared by the function emitter and the module-level C:
// C types of wasm values, the instance struct's fields, and the per-module facts (where each
// global lives, which memories and tables are imported) that both need to name things.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compile/front/module_decl.hpp"

namespace wisp::detail::emit {

// A number as C source text (decimal).
inline std::string num(uint64_t v) {
  return std::to_string(v);
}

// The size of a lazy stub (compile/lazy_stubs.hpp), which the base unit's addresses assume.
inline constexpr uint32_t kLazyStubBytes = 8;

using front::ValType;

// How one value type appears in the generated C.
struct CType {
  const char* c;  // C type: "u32", "wasm_rt_funcref_t", "v128"
  char slot;   // operand stack slot prefix: i3, l3, g3, d3, r3, x3, v3, n3 (exnref; f64 is a type)
  char multi;  // wasm2c's multi-value struct letter: struct wasm_multi_ij { u32 i0; u64 j1; }
  const char* raw;   // wisp_raw_t member
  const char* rt;    // wasm_rt_type_t
  const char* garr;  // the instance struct's array of globals of this type
  uint8_t index;     // 0..7
};
const CType& ctype(ValType t);  // throws CompileError for types the emitter cannot represent
inline constexpr int kNumCTypes = 8;
// Every value type the emitter represents, in CType::index order.
inline constexpr ValType kAllCTypes[kNumCTypes] = {
    ValType::i32,     ValType::i64,       ValType::f32,  ValType::f64,
    ValType::funcref, ValType::externref, ValType::v128, ValType::exnref};

// Function types with more parameters than this pass them as an array of wisp_raw_t (libtcc's
// value stack overflows on a call with a few hundred arguments): `R f(void*, const wisp_raw_t*)`.
// Definitions, calls, import shims and trampolines all follow the type.
inline constexpr size_t kMaxDirectParams = 100;
inline bool wide(const front::FuncType& ft) {
  return ft.params.size() > kMaxDirectParams;
}
// ", u32, u64" / ", u32 L0, u64 L1" (prefix "L"), or ", const wisp_raw_t*" (+ " A") when wide.
std::string c_params(const front::FuncType& ft, const char* names);

// Return type of a function type in C: "void", "u32", "struct wasm_multi_ij".
std::string c_return_type(const front::FuncType& ft);
// A float constant as C text: a hexadecimal literal, or BITS_F32(0x...u) / BITS_F64(...) for
// NaNs, infinities and -0 (bit-exact).
std::string float_literal(ValType t, uint64_t bits);
// 16 bytes (a v128 constant, a shuffle's lanes) as the two u64 arguments the SIMD helpers take,
// little-endian: "506097522914230528ull, 1084818905618843912ull".
std::string v128_halves(const uint8_t bytes[16]);
// The multi-value struct's name for results of more than one value.
std::string c_multi_name(const front::FuncType& ft);

// Facts about a module the C of every function depends on (computed once per module).
struct ModuleShape {
  const front::ModuleDecl* decl = nullptr;
  bool consume_fuel = false;
  // Per global: its place. Values live in typed arrays of the instance struct (gi, gl, gf, gd,
  // gr, gx; imported immutable globals are copied there at instantiation); imported mutable
  // globals are reached through the pointer array gp.
  std::vector<uint32_t> global_slot;  // index within its typed array, or within gp
  std::vector<uint8_t> global_is_ptr;
  uint32_t num_global_values[kNumCTypes] = {};
  uint32_t num_global_ptrs = 0;
  bool has_import_env = false;  // functions are imported: the env field at offset 0
  // Lazy tier 0 (EmitOptions::lazy): function bodies are compiled in batches apart from the base
  // unit. Every defined function has a stub of kLazyStubBytes in one array, `wisp_stubs` (the
  // k-th defined function's at wisp_stubs + k * kLazyStubBytes); a function's address is its
  // stub's, the same whichever batch compiles it, and needs no prototype.
  bool lazy = false;
  // Tail calls (the module uses return_call or return_call_indirect): every defined function f
  // also has a *tail variant* `t<f>(M* I)` that takes its arguments from I->tcbuf and leaves its
  // results there. A return_call stores the callee's arguments in I->tcbuf and its tail variant
  // in I->tcnext; a tail variant then returns, and the loop that runs tail variants
  // (wisp_tc_run, in the ordinary function that made the first tail call) calls the next one, so
  // a chain of tail calls of any length runs in constant stack. Not with lazy tier 0.
  bool tail_calls = false;
  uint32_t tc_slots = 0;  // I->tcbuf's size: the most params or results of any type

  explicit ModuleShape(const front::ModuleDecl& d, bool fuel);

  bool memory_imported(uint32_t m) const { return m < decl->num_imported_memories; }
  // A memory the code reaches through a pointer in the instance struct, I->m<k>: an imported
  // one, or a defined shared one (whose own storage is I->ms<k>, and whose pointer the runtime
  // may set before instantiation to another instance's shared memory: see wisp_abi.h's
  // memory_ptr_offsets).
  bool memory_indirect(uint32_t m) const {
    return memory_imported(m) || decl->memories[m].limits.shared;
  }
  bool table_imported(uint32_t t) const { return t < decl->num_imported_tables; }
  bool func_imported(uint32_t f) const { return f < decl->num_imported_funcs; }
  // "I->gi[3]" or "(*(u32*)I->gp[0])": an lvalue of the global's storage in a function.
  std::string global_lvalue(uint32_t g, const char* inst = "I") const;
  // Pointers to the storage, for exports: "&I->gi[3]" / "I->gp[0]".
  std::string global_address(uint32_t g, const char* inst = "I") const;
  // "&I->m0" / "I->m0" (wasm_rt_memory_t*; memory_indirect), and the same for tables.
  std::string memory_ptr(uint32_t m, const char* inst = "I") const;
  std::string table_ptr(uint32_t t, const char* inst = "I") const;
  // The C name of function `f` (its definition, or its import shim).
  std::string func_name(uint32_t f) const;
  // Function f's address as a C constant of type wasm_rt_function_ptr_t: &func_name(f), or its
  // stub's place in wisp_stubs if lazy.
  std::string func_address(uint32_t f) const;
  // Lazy: where defined function f's stub lies in wisp_stubs, in bytes.
  uint64_t stub_offset(uint32_t f) const {
    return uint64_t{kLazyStubBytes} * (f - decl->num_imported_funcs);
  }
};

}  // namespace wisp::detail::emit
