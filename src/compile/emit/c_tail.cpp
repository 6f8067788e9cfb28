// The tail of the emitted C (translation unit 0): the runtime forwarders, import shims, passive
// segments for memory.init / table.init, module initialisation (type ids), instantiation
// (imports, globals, memories, tables, element segments; active data segments are applied by
// the runtime and never appear here), export trampolines and the wisp_module_desc_t descriptor.
#include "compile/emit/c_tail.hpp"

#include <map>

#include "compile/emit/c_names.hpp"
#include "compile/emit/glue_text.hpp"
#include "wisp/error.hpp"

namespace wisp::detail::emit {

using front::ConstExpr;
using front::ExternKind;
using front::SegmentMode;

namespace {

std::string funcref_of(const ModuleShape& shape, uint32_t f, const char* inst = "I") {
  return "(wasm_rt_funcref_t){wisp_ft[" + num(shape.decl->funcs[f]) + "], " +
         shape.func_address(f) + ", " + inst + "}";
}

// An extended constant expression (extended-const: i32/i64 add, sub, mul of constants and
// globals) as C.
std::string extended_expr(const ModuleShape& shape, const ConstExpr& e,
                          std::span<const uint8_t> bytes) {
  std::vector<std::string> st;
  for (const front::ConstStep& s : front::const_expr_steps(e, bytes)) {
    if (s.kind == front::ConstStep::i32) {
      st.push_back(num(static_cast<uint32_t>(s.value)) + "u");
    } else if (s.kind == front::ConstStep::i64) {
      st.push_back(num(s.value) + "ull");
    } else if (s.kind == front::ConstStep::global_get) {
      st.push_back(shape.global_lvalue(static_cast<uint32_t>(s.value)));
    } else {
      const char* op = s.kind == front::ConstStep::add   ? " + "
                       : s.kind == front::ConstStep::sub ? " - "
                                                         : " * ";
      std::string b = std::move(st.back());
      st.pop_back();
      st.back() = "(" + st.back() + op + b + ")";
    }
  }
  if (st.size() != 1) throw CompileError("internal: malformed constant expression");
  return st.back();
}

}  // namespace

std::string const_expr(const ModuleShape& shape, const ConstExpr& e,
                       std::span<const uint8_t> bytes) {
  switch (e.kind) {
    case ConstExpr::Kind::i32:
      return num(static_cast<uint32_t>(e.value)) + "u";
    case ConstExpr::Kind::i64:
      return num(e.value) + "ull";
    case ConstExpr::Kind::f32:
      return float_literal(ValType::f32, e.value);
    case ConstExpr::Kind::f64:
      return float_literal(ValType::f64, e.value);
    case ConstExpr::Kind::ref_null:
      return e.type == ValType::funcref ? "wasm_rt_funcref_null_value" : "NULL";
    case ConstExpr::Kind::ref_func:
      return funcref_of(shape, static_cast<uint32_t>(e.value));
    case ConstExpr::Kind::global_get:
      return shape.global_lvalue(static_cast<uint32_t>(e.value));
    case ConstExpr::Kind::extended:
      return extended_expr(shape, e, bytes);
    case ConstExpr::Kind::v128: {
      // 0xfd, the LEB128 sub-opcode 12 (possibly padded), then the 16 bytes.
      size_t at = e.offset + 1;
      while (at < bytes.size() && (bytes[at] & 0x80)) ++at;
      ++at;
      if (at + 16 > bytes.size()) throw CompileError("internal: truncated v128.const");
      return "wisp_v128_const(" + v128_halves(bytes.data() + at) + ")";
    }
    default:
      throw CompileError("the C emitter cannot represent this constant expression yet");
  }
}

namespace {

// Bytes as a C string literal, in lines.
void append_bytes_literal(std::string& s, std::span<const uint8_t> b) {
  static const char kOct[] = "01234567";
  s += '"';
  size_t line = 0;
  for (uint8_t c : b) {
    if (line >= 100) {
      s += "\"\n\"";
      line = 0;
    }
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
      s += static_cast<char>(c);
      ++line;
    } else {
      s += '\\';
      s += kOct[c >> 6];
      s += kOct[(c >> 3) & 7];
      s += kOct[c & 7];
      line += 4;
    }
  }
  s += '"';
}

void import_shim(std::string& o, const ModuleShape& shape, uint32_t f, uint32_t binding) {
  const front::FuncType& ft = shape.decl->func_type(f);
  const std::string ret = c_return_type(ft);
  const size_t np = ft.params.size(), nr = ft.results.size();
  const bool as_array = wide(ft);
  o += "WISP_FN " + ret + " wisp_imp" + num(f) + "(void* env" + c_params(ft, "a") + ") {\n";
  o += "  wisp_binding_t* b = WISP_BINDINGS(env) + " + num(binding) + ";\n";
  o += "  if (b->code) return ((wisp_t" + num(shape.decl->funcs[f]) + ")b->code)(b->instance";
  if (as_array) {
    o += ", A";
  } else {
    for (size_t p = 0; p < np; ++p) o += ", a" + num(p);
  }
  o += ");\n  {\n    wisp_raw_t r[" + num(nr ? nr : 1) + "];\n";
  if (as_array) {
    o += "    const wisp_raw_t* a = A;\n";
  } else {
    o += "    wisp_raw_t a[" + num(np ? np : 1) + "];\n";
    for (size_t p = 0; p < np; ++p)
      o += "    a[" + num(p) + "]." + ctype(ft.params[p]).raw + " = a" + num(p) + ";\n";
  }
  o += "    wisp_rt->host_call(b, a, r);\n";
  if (nr == 1) {
    o += "    return r[0]." + std::string(ctype(ft.results[0]).raw) + ";\n";
  } else if (nr > 1) {
    o += "    " + ret + " x;\n";
    for (size_t k = 0; k < nr; ++k) {
      const CType& t = ctype(ft.results[k]);
      o += std::string("    x.") + t.multi + num(k) + " = r[" + num(k) + "]." + t.raw + ";\n";
    }
    o += "    return x;\n";
  }
  o += "  }\n}\n";
}

// Passive data segments (memory.init; active ones count as dropped: the runtime applied them).
void data_segments(std::string& o, const front::ModuleDecl& d, std::span<const uint8_t> bytes) {
  if (d.datas.empty()) return;
  std::string ptrs = "static const u8* const wisp_dptr[] = {",
              lens = "static const u32 wisp_dlen[] = {";
  for (size_t k = 0; k < d.datas.size(); ++k) {
    const front::DataSegment& seg = d.datas[k];
    bool present = seg.mode == SegmentMode::passive && seg.size > 0;
    if (present) {
      o += "static const u8 wisp_d" + num(k) + "[" + num(seg.size) + "] = ";
      append_bytes_literal(o, bytes.subspan(seg.bytes_offset, seg.size));
      o += ";\n";
    }
    ptrs += (k ? ", " : "") + (present ? "wisp_d" + num(k) : std::string("0"));
    lens += (k ? ", " : "") + num(present ? seg.size : 0);
  }
  o += ptrs + "};\n" + lens + "};\n";
  o += R"C(WISP_FN void wisp_minit(M* I, u32 seg, wasm_rt_memory_t* m, u32 d, u32 s, u32 n) {
  u32 len = I->dd[seg] ? 0 : wisp_dlen[seg];
  if ((u64)s + n > len || (u64)d + n > wisp_msize(m)) TRAP(OOB);
  if (n) memcpy(m->data + d, wisp_dptr[seg] + s, n);
}
/* memory64: the destination is a 64-bit address; past 4 GiB only an empty copy to the very end
   of a 4 GiB memory is in bounds. */
WISP_FN void wisp_minit64(M* I, u32 seg, wasm_rt_memory_t* m, u64 d, u32 s, u32 n) {
  if (d > wisp_msize(m) || (d >> 32 && n)) TRAP(OOB);
  wisp_minit(I, seg, m, (u32)d, s, n);
}
)C";
}

// Element segments: items {kind, index, fn}: 0 null, 1 a function (index: its type), 2 the value
// of a reference global (index: its slot in gr/gx), 3 an imported mutable global (slot in gp).
void elem_segments(std::string& o, const ModuleShape& shape) {
  const front::ModuleDecl& d = *shape.decl;
  if (d.elems.empty()) return;
  o += "typedef struct { u32 kind, index; wasm_rt_function_ptr_t fn; } wisp_elem_t;\n";
  // Lazy: the k-th defined function as WISP_L(type, k * kLazyStubBytes), a third of the C.
  if (shape.lazy) o += "#define WISP_L(t, o) {1, t, (wasm_rt_function_ptr_t)(wisp_stubs + o)}\n";
  std::string ptrs = "static const wisp_elem_t* const wisp_eptr[] = {";
  std::string lens = "static const u32 wisp_elen[] = {";
  std::string funcs = "static const u8 wisp_efunc[] = {";
  for (size_t k = 0; k < d.elems.size(); ++k) {
    const front::ElemSegment& seg = d.elems[k];
    bool present = seg.mode != SegmentMode::declarative && !seg.items.empty();
    if (present) {
      o += "static const wisp_elem_t wisp_e" + num(k) + "[] = {";
      for (size_t i = 0; i < seg.items.size(); ++i) {
        const ConstExpr& e = seg.items[i];
        o += i == 0 ? "\n" : i % 8 ? ", " : ",\n";
        if (seg.type == ValType::exnref) {
          // Every exnref item is null: ref.null, or the value of an immutable exnref global,
          // whose own initialiser can only be null (exnref globals are never imported).
          o += "{0, 0, 0}";
        } else if (e.kind == ConstExpr::Kind::ref_func) {
          uint32_t f = static_cast<uint32_t>(e.value);
          if (shape.lazy && !shape.func_imported(f))
            o += "WISP_L(" + num(d.funcs[f]) + "," + num(shape.stub_offset(f)) + ")";
          else
            o += "{1, " + num(d.funcs[f]) + ", " + shape.func_address(f) + "}";
        } else if (e.kind == ConstExpr::Kind::global_get) {
          uint32_t g = static_cast<uint32_t>(e.value);
          o += "{" + std::string(shape.global_is_ptr[g] ? "3, " : "2, ") +
               num(shape.global_slot[g]) + ", 0}";
        } else if (e.kind == ConstExpr::Kind::ref_null) {
          o += "{0, 0, 0}";
        } else {
          throw CompileError("the C emitter cannot represent this element expression yet");
        }
      }
      o += "};\n";
    }
    ptrs += (k ? ", " : "") + (present ? "wisp_e" + num(k) : std::string("0"));
    lens += (k ? ", " : "") + num(present ? seg.items.size() : 0);
    funcs += (k ? ", " : "") + std::string(seg.type == ValType::funcref  ? "1"
                                           : seg.type == ValType::exnref ? "2"
                                                                         : "0");
  }
  o += ptrs + "};\n" + lens + "};\n" + funcs + "};\n";
  bool gr = shape.num_global_values[ctype(ValType::funcref).index] > 0;
  bool gx = shape.num_global_values[ctype(ValType::externref).index] > 0;
  o += "static wasm_rt_funcref_t wisp_eval_f(M* I, const wisp_elem_t* e) {\n"
       "  wasm_rt_funcref_t r = {0};\n"
       "  if (e->kind == 1) { r.func_type = wisp_ft[e->index]; r.func = e->fn; r.module_instance = "
       "I; }\n";
  if (gr) o += "  else if (e->kind == 2) r = I->gr[e->index];\n";
  if (shape.num_global_ptrs)
    o += "  else if (e->kind == 3) r = *(const wasm_rt_funcref_t*)I->gp[e->index];\n";
  o += "  return r;\n}\n";
  o += "static wasm_rt_externref_t wisp_eval_x(M* I, const wisp_elem_t* e) {\n  (void)I;\n";
  if (gx) o += "  if (e->kind == 2) return I->gx[e->index];\n";
  if (shape.num_global_ptrs)
    o += "  if (e->kind == 3) return *(const wasm_rt_externref_t*)I->gp[e->index];\n";
  o += "  (void)e;\n  return NULL;\n}\n";
  // exnref segments (only nulls): the runtime releases what the elements held.
  o += d.features.has(front::Feature::exnref)
           ? "#define WISP_EXN_NULLS(p, n) wisp_exn_fill(p, NULL, n)\n"
           : "#define WISP_EXN_NULLS(p, n) (void)(p)\n";
  o += R"C(WISP_FN void wisp_tinit(M* I, u32 seg, void* table, u32 d, u32 s, u32 n) {
  u32 len = I->ed[seg] ? 0 : wisp_elen[seg], i;
  const wisp_elem_t* e = wisp_eptr[seg];
  if (wisp_efunc[seg] == 2) {
    wasm_rt_externref_table_t* t = (wasm_rt_externref_table_t*)table;
    if ((u64)s + n > len || (u64)d + n > t->size) TRAP(OOB);
    WISP_EXN_NULLS((void**)t->data + d, n);
  } else if (wisp_efunc[seg]) {
    wasm_rt_funcref_table_t* t = (wasm_rt_funcref_table_t*)table;
    if ((u64)s + n > len || (u64)d + n > t->size) TRAP(OOB);
    for (i = 0; i < n; ++i) t->data[d + i] = wisp_eval_f(I, &e[s + i]);
  } else {
    wasm_rt_externref_table_t* t = (wasm_rt_externref_table_t*)table;
    if ((u64)s + n > len || (u64)d + n > t->size) TRAP(OOB);
    for (i = 0; i < n; ++i) t->data[d + i] = wisp_eval_x(I, &e[s + i]);
  }
}
)C";
}

std::string limit_max(const front::Limits& l, uint64_t none) {
  return num(l.has_max ? l.max : none) + "u";
}

bool is_number(const ConstExpr& e) {
  return e.kind == ConstExpr::Kind::i32 || e.kind == ConstExpr::Kind::i64 ||
         e.kind == ConstExpr::Kind::f32 || e.kind == ConstExpr::Kind::f64;
}

// Defined globals' initial values. The block is zeroed: zero constants need no code. Many
// numeric constants of one type (they occupy consecutive slots of its array) are one static
// array copied in, not one statement each (200,000 globals stay cheap for cc).
void global_inits(std::string& o, const ModuleShape& shape, std::span<const uint8_t> bytes) {
  const front::ModuleDecl& d = *shape.decl;
  constexpr size_t kArrayFrom = 64;
  static const ValType kNumbers[] = {ValType::i32, ValType::i64, ValType::f32, ValType::f64};
  std::vector<uint8_t> done(d.global_inits.size(), 0);
  for (ValType t : kNumbers) {
    std::vector<uint32_t> defined;  // indices into global_inits, in slot order
    size_t constants = 0;
    for (size_t i = 0; i < d.global_inits.size(); ++i) {
      if (d.globals[d.num_imported_globals + i].type != t) continue;
      defined.push_back(static_cast<uint32_t>(i));
      constants += is_number(d.global_inits[i]);
    }
    if (constants < kArrayFrom) continue;
    const bool wide64 = t == ValType::i64 || t == ValType::f64;
    const CType& c = ctype(t);
    std::string name = std::string("init_") + c.garr;
    o += std::string("  static const ") + (wide64 ? "u64 " : "u32 ") + name + "[] = {";
    for (size_t k = 0; k < defined.size(); ++k) {
      const ConstExpr& e = d.global_inits[defined[k]];
      o += (k % 16 ? "," : k ? ",\n" : "\n") + num(is_number(e) ? e.value : 0);
      done[defined[k]] = is_number(e);
    }
    const uint32_t first = shape.global_slot[d.num_imported_globals + defined[0]];
    o += "};\n  memcpy(&I->" + std::string(c.garr) + "[" + num(first) + "], " + name + ", sizeof " +
         name + ");\n";
  }
  for (size_t i = 0; i < d.global_inits.size(); ++i) {
    if (done[i]) continue;
    const uint32_t g = d.num_imported_globals + static_cast<uint32_t>(i);
    const ConstExpr& e = d.global_inits[i];
    bool zero = (is_number(e) || e.kind == ConstExpr::Kind::ref_null) && e.value == 0;
    if (!zero) o += "  " + shape.global_lvalue(g) + " = " + const_expr(shape, e, bytes) + ";\n";
  }
}

void instantiate(std::string& o, const ModuleShape& shape, std::span<const uint8_t> bytes) {
  const front::ModuleDecl& d = *shape.decl;
  o += "static void wisp_instantiate(void* vm, wisp_binding_t* b) {\n  M* I = (M*)vm;\n  "
       "(void)I;\n  (void)b;\n";
  if (shape.has_import_env) o += "  I->env = I;\n";
  for (size_t k = 0; k < d.imports.size(); ++k) {
    const front::Import& imp = d.imports[k];
    std::string bp = "b[" + num(k) + "].ptr";
    switch (imp.kind) {
      case ExternKind::func:
        break;
      case ExternKind::memory:
        o += "  I->m" + num(imp.index) + " = (wasm_rt_memory_t*)" + bp + ";\n";
        break;
      case ExternKind::table:
        o += "  I->t" + num(imp.index) + " = (" +
             (d.tables[imp.index].elem == ValType::funcref ? "wasm_rt_funcref_table_t*"
                                                           : "wasm_rt_externref_table_t*") +
             ")" + bp + ";\n";
        break;
      case ExternKind::global: {
        uint32_t g = imp.index;
        std::string slot = num(shape.global_slot[g]);
        const CType& t = ctype(d.globals[g].type);
        if (shape.global_is_ptr[g]) {
          o += "  I->gp[" + slot + "] = " + bp + ";\n";
        } else {
          o +=
              std::string("  I->") + t.garr + "[" + slot + "] = *(const " + t.c + "*)" + bp + ";\n";
        }
        break;
      }
      case ExternKind::tag:  // the exporter's tag id
        o += "  I->tg[" + num(imp.index) + "] = *(const u32*)" + bp + ";\n";
        break;
      default:
        throw CompileError("the C emitter cannot import this kind of item yet");
    }
  }
  // Tags defined here: a new id per instance (a throw carries its values as wisp_raw_t).
  for (uint32_t t = d.num_imported_tags; t < d.tags.size(); ++t)
    o += "  I->tg[" + num(t) + "] = wasm_rt_register_tag(" +
         num(d.types[d.tags[t].type_index].params.size()) + " * sizeof(wisp_raw_t));\n";
  global_inits(o, shape, bytes);
  for (uint32_t m = d.num_imported_memories; m < d.memories.size(); ++m) {
    const front::Limits& l = d.memories[m].limits;
    // A 64-bit memory's limits may pass 65536 pages, wisp's limit for every memory: a larger
    // minimum fails to allocate (as 65537 pages), a larger maximum is 65536.
    const uint64_t min = std::min<uint64_t>(l.min, 65537);
    front::Limits clamped = l;
    clamped.max = std::min<uint64_t>(l.max, 65536);
    const std::string alloc = "wasm_rt_allocate_memory(&I->m" +
                              std::string(shape.memory_indirect(m) ? "s" : "") + num(m) + ", " +
                              num(min) + "u, " + limit_max(clamped, 65536) + ");";
    // A shared memory: its own storage, unless the runtime bound the pointer to another's.
    if (shape.memory_indirect(m)) {
      o += "  if (!I->m" + num(m) + ") {\n    I->m" + num(m) + " = &I->ms" + num(m) + ";\n    " +
           alloc + "\n  }\n";
    } else {
      o += "  " + alloc + "\n";
    }
  }
  for (uint32_t t = d.num_imported_tables; t < d.tables.size(); ++t) {
    const front::Limits& l = d.tables[t].limits;
    o += std::string("  wasm_rt_allocate_") +
         (d.tables[t].elem == ValType::funcref ? "funcref" : "externref") + "_table(&I->t" +
         num(t) + ", " + num(l.min) + "u, " + limit_max(l, 0xffffffffu) + ");\n";
  }
  for (size_t k = 0; k < d.datas.size(); ++k)
    if (d.datas[k].mode != SegmentMode::passive) o += "  I->dd[" + num(k) + "] = 1;\n";
  for (size_t k = 0; k < d.elems.size(); ++k) {
    const front::ElemSegment& seg = d.elems[k];
    if (seg.mode == SegmentMode::active) {
      o += "  wisp_tinit(I, " + num(k) + ", " + shape.table_ptr(seg.table) + ", " +
           const_expr(shape, seg.offset, bytes) + ", 0, " + num(seg.items.size()) + "u);\n";
    }
    if (seg.mode != SegmentMode::passive) o += "  I->ed[" + num(k) + "] = 1;\n";
  }
  o += "}\n";
  o += "static void wisp_free(void* vm) {\n  M* I = (M*)vm;\n  (void)I;\n";
  // exnref globals and tables release what they hold (runtime/exnref_objects.cpp).
  if (const uint32_t ng = shape.num_global_values[ctype(ValType::exnref).index])
    o += "  wisp_exn_release(I->" + std::string(ctype(ValType::exnref).garr) + ", " + num(ng) +
         ");\n";
  for (uint32_t t = d.num_imported_tables; t < d.tables.size(); ++t)
    if (d.tables[t].elem == ValType::exnref)
      o += "  wisp_exn_release((void**)I->t" + num(t) + ".data, I->t" + num(t) + ".size);\n";
  for (uint32_t m = d.num_imported_memories; m < d.memories.size(); ++m)
    o += "  wasm_rt_free_memory(&I->m" + std::string(shape.memory_indirect(m) ? "s" : "") + num(m) +
         ");\n";
  for (uint32_t t = d.num_imported_tables; t < d.tables.size(); ++t)
    o += std::string("  wasm_rt_free_") +
         (d.tables[t].elem == ValType::funcref ? "funcref" : "externref") + "_table(&I->t" +
         num(t) + ");\n";
  o += "}\n";
}

// Tail calls (ModuleShape::tail_calls): a hash table from each defined function's address to its
// tail variant, filled when the module is initialised (the addresses are known then), for
// return_call_indirect to find a callee's tail variant in one or two probes.
void tail_variant_map(std::string& o, const ModuleShape& shape) {
  const front::ModuleDecl& d = *shape.decl;
  const size_t n = d.funcs.size() - d.num_imported_funcs;
  uint32_t bits = 1;
  while ((size_t{1} << bits) < 2 * n) ++bits;
  const std::string size = num(size_t{1} << bits), shift = num(64 - bits);
  o += "typedef struct { wasm_rt_function_ptr_t f; wisp_tc_t t; } wisp_tcmap_t;\n";
  o += "static wisp_tcmap_t wisp_tch[" + size + "];\n";
  o += "static u32 wisp_tc_slot(wasm_rt_function_ptr_t f) {\n"
       "  return (u32)(((u64)(uintptr_t)f * 0x9E3779B97F4A7C15ull) >> " +
       shift + ");\n}\n";
  o += "static void wisp_tc_add(wasm_rt_function_ptr_t f, wisp_tc_t t) {\n"
       "  u32 i = wisp_tc_slot(f);\n"
       "  while (wisp_tch[i].f) i = (i + 1) & (" +
       size +
       "u - 1);\n"
       "  wisp_tch[i].f = f;\n  wisp_tch[i].t = t;\n}\n";
  o += "static void wisp_tc_fill(void) {\n  static int filled;\n  if (filled) return;\n"
       "  filled = 1;\n";
  for (uint32_t f = d.num_imported_funcs; f < d.funcs.size(); ++f)
    o += "  wisp_tc_add(" + shape.func_address(f) + ", t" + num(f) + ");\n";
  o += "}\n";
  o += "WISP_FN wisp_tc_t wisp_tc_find(wasm_rt_function_ptr_t f) {\n"
       "  u32 i = wisp_tc_slot(f);\n"
       "  for (;;) {\n"
       "    if (wisp_tch[i].f == f) return wisp_tch[i].t;\n"
       "    if (!wisp_tch[i].f) return 0;\n"
       "    i = (i + 1) & (" +
       size +
       "u - 1);\n"
       "  }\n}\n";
}

// Registers the module's function types; wisp_ft[k] is type k's runtime id.
void init_module(std::string& o, const ModuleShape& shape) {
  const front::ModuleDecl& d = *shape.decl;
  size_t arity = 1;
  o += "static void wisp_init_module(void) {\n";
  if (shape.tail_calls) o += "  wisp_tc_fill();\n";
  if (!d.types.empty()) {
    std::string sigs = "  static const u16 sigs[] = {";
    for (size_t k = 0; k < d.types.size(); ++k) {
      const front::FuncType& ft = d.types[k];
      arity = std::max(arity, ft.params.size() + ft.results.size());
      sigs += (k ? ",\n" : "") + num(ft.params.size()) + ", " + num(ft.results.size());
      for (ValType t : ft.params) sigs += ", " + num(ctype(t).index);
      for (ValType t : ft.results) sigs += ", " + num(ctype(t).index);
    }
    o += sigs + "};\n";
    o += "  wasm_rt_type_t types[" + num(arity) + "];\n  const u16* p = sigs;\n  u32 k, i;\n";
    o += "  for (k = 0; k < " + num(d.types.size()) +
         "u; ++k) {\n"
         "    u32 np = *p++, nr = *p++;\n"
         "    for (i = 0; i < np + nr; ++i) types[i] = (wasm_rt_type_t)*p++;\n"
         "    wisp_ft[k] = wisp_rt->register_func_type(np, nr, types);\n  }\n";
  }
  o += "}\n";
}

void exports(std::string& o, const ModuleShape& shape) {
  const front::ModuleDecl& d = *shape.decl;
  std::map<std::string, std::string> tramps;  // signature (C type) -> trampoline
  std::string table = "static const wisp_export_desc_t wisp_exports[] = {\n";
  auto func_export = [&](uint32_t f) {
    uint32_t type = d.funcs[f];
    const front::FuncType& ft = d.types[type];
    std::string key;
    for (ValType t : ft.params) key += ctype(t).multi;
    key += '_';
    for (ValType t : ft.results) key += ctype(t).multi;
    auto it = tramps.find(key);
    if (it == tramps.end()) {
      std::string name = "wisp_tramp_" + num(tramps.size());
      it = tramps.emplace(key, name).first;
      std::string call = "((wisp_t" + num(type) + ")fn)(inst";
      if (wide(ft)) {
        call += ", a";
      } else {
        for (size_t p = 0; p < ft.params.size(); ++p)
          call += ", a[" + num(p) + "]." + ctype(ft.params[p]).raw;
      }
      call += ")";
      o += "static void " + name +
           "(wasm_rt_function_ptr_t fn, void* inst, const wisp_raw_t* a, wisp_raw_t* r) {\n"
           "  (void)a; (void)r;\n";
      if (ft.results.empty()) {
        o += "  " + call + ";\n";
      } else if (ft.results.size() == 1) {
        o += "  r[0]." + std::string(ctype(ft.results[0]).raw) + " = " + call + ";\n";
      } else {
        o += "  { " + c_multi_name(ft) + " x = " + call + ";";
        for (size_t k = 0; k < ft.results.size(); ++k) {
          const CType& t = ctype(ft.results[k]);
          o += " r[" + num(k) + "]." + t.raw + " = x." + t.multi + num(k) + ";";
        }
        o += " }\n";
      }
      o += "}\n";
    }
    table += "  {WISP_EXPORT_FUNC, " + shape.func_address(f) + ", " + it->second + ", 0},\n";
  };
  for (size_t i = 0; i < d.exports.size(); ++i) {
    const front::Export& e = d.exports[i];
    if (e.kind == ExternKind::func) {
      func_export(e.index);
      continue;
    }
    std::string ptr;
    int kind = 0;
    if (e.kind == ExternKind::table) {
      ptr = shape.table_ptr(e.index), kind = 1;
    } else if (e.kind == ExternKind::memory) {
      ptr = shape.memory_ptr(e.index), kind = 2;
    } else if (e.kind == ExternKind::global) {
      ptr = shape.global_address(e.index), kind = 3;
    } else if (e.kind == ExternKind::tag) {
      ptr = "&I->tg[" + num(e.index) + "]", kind = 4;
    } else {
      throw CompileError("the C emitter cannot export this kind of item yet");
    }
    o += "static void* wisp_get_" + num(i) + "(void* vm) { M* I = (M*)vm; return (void*)(" + ptr +
         "); }\n";
    table += "  {" + num(kind) + ", 0, 0, wisp_get_" + num(i) + "},\n";
  }
  // The start function: the synthetic export number exports.size() (the runtime runs it after
  // applying the data segments).
  if (d.start) func_export(*d.start);
  if (d.exports.empty() && !d.start) table += "  {0, 0, 0, 0},\n";
  o += table + "};\n";
}

std::string offsets(const char* name, const std::vector<std::string>& fields) {
  std::string s = "static const size_t " + std::string(name) + "[] = {";
  for (size_t i = 0; i < fields.size(); ++i)
    s += (i ? ", " : "") + ("offsetof(M, " + fields[i] + ")");
  if (fields.empty()) s += "0";
  return s + "};\n";
}

void descriptor(std::string& o, const ModuleShape& shape) {
  const front::ModuleDecl& d = *shape.decl;
  std::vector<std::string> mems, tables, imems, itables;
  std::string is_funcref = "static const uint8_t wisp_table_is_funcref[] = {";
  std::string mem_ptrs = "static const size_t wisp_memory_ptr_offsets[] = {";
  for (uint32_t m = 0; m < d.memories.size(); ++m) {
    if (shape.memory_imported(m)) {
      imems.push_back("m" + num(m));
      continue;
    }
    mem_ptrs += (mems.empty() ? "" : ", ") +
                (shape.memory_indirect(m) ? "offsetof(M, m" + num(m) + ")" : "(size_t)-1");
    mems.push_back((shape.memory_indirect(m) ? "ms" : "m") + num(m));
  }
  if (mems.empty()) mem_ptrs += "0";
  o += mem_ptrs + "};\n";
  for (uint32_t t = 0; t < d.tables.size(); ++t) {
    if (shape.table_imported(t)) {
      itables.push_back("t" + num(t));
      continue;
    }
    is_funcref += (tables.empty() ? "" : ", ") +
                  std::string(d.tables[t].elem == ValType::funcref ? "1" : "0");
    tables.push_back("t" + num(t));
  }
  if (tables.empty()) is_funcref += "0";
  o += offsets("wisp_memory_offsets", mems) + offsets("wisp_table_offsets", tables) + is_funcref +
       "};\n" + offsets("wisp_imported_memory_offsets", imems) +
       offsets("wisp_imported_table_offsets", itables);
  // Reference globals: every slot of gr and gx (filled in by wisp_module_describe).
  const uint32_t nr = shape.num_global_values[ctype(ValType::funcref).index];
  const uint32_t nx = shape.num_global_values[ctype(ValType::externref).index];
  o += "static size_t wisp_funcref_global_offsets[" + num(nr ? nr : 1) + "];\n";
  o += "static size_t wisp_externref_global_offsets[" + num(nx ? nx : 1) + "];\n";
  const size_t nexports = d.exports.size() + (d.start ? 1 : 0);
  o += "static const wisp_module_desc_t wisp_desc = {\n"
       "  WISP_ABI_VERSION, sizeof(M), wisp_bind, wisp_init_module, wisp_instantiate, wisp_free,\n"
       "  " +
       num(nexports) +
       ", wisp_exports,\n"
       "  " +
       num(mems.size()) +
       ", wisp_memory_offsets,\n"
       "  " +
       num(tables.size()) +
       ", wisp_table_offsets, wisp_table_is_funcref,\n"
       "  " +
       num(imems.size()) +
       ", wisp_imported_memory_offsets,\n"
       "  " +
       num(itables.size()) +
       ", wisp_imported_table_offsets,\n"
       "  " +
       num(nr) +
       ", wisp_funcref_global_offsets,\n"
       "  " +
       num(nx) +
       ", wisp_externref_global_offsets,\n"
       "  " +
       (shape.has_import_env ? "offsetof(M, env)" : "(size_t)-1") +
       ",\n"
       "  " +
       (shape.consume_fuel ? "offsetof(M, fuel)" : "(size_t)-1") +
       ",\n"
       "  wisp_memory_ptr_offsets,\n};\n";
  o += "WISP_API const wisp_module_desc_t* wisp_module_describe(void) {\n  u32 i;\n";
  if (nr)
    o += "  for (i = 0; i < " + num(nr) +
         "u; ++i) wisp_funcref_global_offsets[i] = offsetof(M, gr) + i * "
         "sizeof(wasm_rt_funcref_t);\n";
  if (nx)
    o += "  for (i = 0; i < " + num(nx) +
         "u; ++i) wisp_externref_global_offsets[i] = offsetof(M, gx) + i * "
         "sizeof(wasm_rt_externref_t);\n";
  o += "  (void)i;\n  return &wisp_desc;\n}\n";
}

}  // namespace

std::string tail(const ModuleShape& shape, std::span<const uint8_t> bytes) {
  const front::ModuleDecl& d = *shape.decl;
  std::string o = "\n/* ---- wisp glue ---- */\n#include <stdarg.h>\n";
  o += kRuntimeForwarders;
  o += "#ifdef WISP_SPLIT\nu32 wisp_ft[" + num(d.types.empty() ? 1 : d.types.size()) +
       "];\n#endif\n";
  o += "#define WISP_BINDINGS(env) (*(wisp_binding_t**)((char*)(env) - WISP_VM_HEADER))\n";
  for (size_t k = 0; k < d.imports.size(); ++k)
    if (d.imports[k].kind == ExternKind::func)
      import_shim(o, shape, d.imports[k].index, static_cast<uint32_t>(k));
  data_segments(o, d, bytes);
  elem_segments(o, shape);
  if (shape.tail_calls) tail_variant_map(o, shape);
  init_module(o, shape);
  instantiate(o, shape, bytes);
  exports(o, shape);
  descriptor(o, shape);
  return o;
}

}  // namespace wisp::detail::emit
