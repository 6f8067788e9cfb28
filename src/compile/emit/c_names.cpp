// The C emitter's naming scheme: C types of wasm values and where a module's items live in the
// generated instance struct.
#include "compile/emit/c_names.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "wisp/error.hpp"

namespace wisp::detail::emit {

namespace {

const CType kTypes[kNumCTypes] = {
    {"u32", 'i', 'i', "i32", "WASM_RT_I32", "gi", 0},
    {"u64", 'l', 'j', "i64", "WASM_RT_I64", "gl", 1},
    {"f32", 'g', 'f', "f32", "WASM_RT_F32", "gf", 2},
    {"f64", 'd', 'd', "f64", "WASM_RT_F64", "gd", 3},
    {"wasm_rt_funcref_t", 'r', 'r', "funcref", "WASM_RT_FUNCREF", "gr", 4},
    {"wasm_rt_externref_t", 'x', 'e', "externref", "WASM_RT_EXTERNREF", "gx", 5},
    {"v128", 'v', 'o', "v128", "(wasm_rt_type_t)WISP_RT_V128", "gv", 6},
    {"void*", 'n', 'n', "externref", "(wasm_rt_type_t)WISP_RT_EXNREF", "gn", 7},
};

}  // namespace

const CType& ctype(ValType t) {
  switch (t) {
    case ValType::i32:
      return kTypes[0];
    case ValType::i64:
      return kTypes[1];
    case ValType::f32:
      return kTypes[2];
    case ValType::f64:
      return kTypes[3];
    case ValType::funcref:
      return kTypes[4];
    case ValType::externref:
      return kTypes[5];
    case ValType::v128:
      return kTypes[6];
    case ValType::exnref:
      return kTypes[7];
    default:
      throw CompileError(std::string("the C emitter cannot represent values of type ") +
                         front::val_type_name(t) + " yet");
  }
}

std::string v128_halves(const uint8_t bytes[16]) {
  uint64_t half[2] = {0, 0};
  for (int i = 0; i < 16; ++i) half[i / 8] |= uint64_t{bytes[i]} << (8 * (i % 8));
  return std::to_string(half[0]) + "ull, " + std::to_string(half[1]) + "ull";
}

std::string c_multi_name(const front::FuncType& ft) {
  std::string s = "struct wasm_multi_";
  for (ValType t : ft.results) s += ctype(t).multi;
  return s;
}

std::string c_params(const front::FuncType& ft, const char* names) {
  if (wide(ft)) return names ? ", const wisp_raw_t* A" : ", const wisp_raw_t*";
  std::string s;
  for (size_t p = 0; p < ft.params.size(); ++p) {
    s += ", ";
    s += ctype(ft.params[p]).c;
    if (names) s += std::string(" ") + names + std::to_string(p);
  }
  return s;
}

std::string c_return_type(const front::FuncType& ft) {
  if (ft.results.empty()) return "void";
  if (ft.results.size() == 1) return ctype(ft.results[0]).c;
  return c_multi_name(ft);
}

std::string float_literal(ValType t, uint64_t bits) {
  char buf[64];
  if (t == ValType::f32) {
    uint32_t b = static_cast<uint32_t>(bits);
    uint32_t exp = (b >> 23) & 0xff;
    if (b == 0) return "0.0f";
    if (exp == 0xff || b == 0x80000000u) {
      std::snprintf(buf, sizeof buf, "BITS_F32(0x%" PRIx32 "u)", b);
      return buf;
    }
    float f;
    std::memcpy(&f, &b, 4);
    std::snprintf(buf, sizeof buf, f < 0 ? "(%af)" : "%af", static_cast<double>(f));
    return buf;
  }
  uint64_t exp = (bits >> 52) & 0x7ff;
  if (bits == 0) return "0.0";
  if (exp == 0x7ff || bits == 0x8000000000000000ull) {
    std::snprintf(buf, sizeof buf, "BITS_F64(0x%" PRIx64 "ull)", bits);
    return buf;
  }
  double d;
  std::memcpy(&d, &bits, 8);
  std::snprintf(buf, sizeof buf, d < 0 ? "(%a)" : "%a", d);
  return buf;
}

ModuleShape::ModuleShape(const front::ModuleDecl& d, bool fuel) : decl(&d), consume_fuel(fuel) {
  global_slot.resize(d.globals.size());
  global_is_ptr.resize(d.globals.size());
  for (size_t g = 0; g < d.globals.size(); ++g) {
    const front::GlobalType& gt = d.globals[g];
    if (g < d.num_imported_globals && gt.mut) {
      global_is_ptr[g] = 1;
      global_slot[g] = num_global_ptrs++;
    } else {
      global_slot[g] = num_global_values[ctype(gt.type).index]++;
    }
  }
  has_import_env = d.num_imported_funcs > 0;
  tail_calls = d.features.has(front::Feature::tail_call);
  for (const front::FuncType& ft : d.types)
    tc_slots =
        std::max(tc_slots, static_cast<uint32_t>(std::max(ft.params.size(), ft.results.size())));
  tc_slots = std::max<uint32_t>(tc_slots, 1);
}

std::string ModuleShape::global_lvalue(uint32_t g, const char* inst) const {
  const CType& t = ctype(decl->globals[g].type);
  std::string n = std::to_string(global_slot[g]);
  if (global_is_ptr[g]) return std::string("(*(") + t.c + "*)" + inst + "->gp[" + n + "])";
  return std::string(inst) + "->" + t.garr + "[" + n + "]";
}

std::string ModuleShape::global_address(uint32_t g, const char* inst) const {
  std::string n = std::to_string(global_slot[g]);
  if (global_is_ptr[g]) return std::string(inst) + "->gp[" + n + "]";
  return std::string("&") + inst + "->" + ctype(decl->globals[g].type).garr + "[" + n + "]";
}

std::string ModuleShape::memory_ptr(uint32_t m, const char* inst) const {
  return std::string(memory_indirect(m) ? "" : "&") + inst + "->m" + std::to_string(m);
}

std::string ModuleShape::table_ptr(uint32_t t, const char* inst) const {
  return std::string(table_imported(t) ? "" : "&") + inst + "->t" + std::to_string(t);
}

std::string ModuleShape::func_name(uint32_t f) const {
  return (func_imported(f) ? "wisp_imp" : "w") + std::to_string(f);
}

std::string ModuleShape::func_address(uint32_t f) const {
  if (lazy && !func_imported(f))
    return "((wasm_rt_function_ptr_t)(wisp_stubs + " + std::to_string(stub_offset(f)) + "))";
  return "(wasm_rt_function_ptr_t)&" + func_name(f);
}

}  // namespace wisp::detail::emit
