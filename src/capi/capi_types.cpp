// The C API's vectors, names and type descriptions (valtype, functype, globaltype, tabletype,
// memorytype, externtype, importtype, exporttype) and their conversions to wisp's C++ types.
#include <cstdlib>
#include <cstring>

#include "capi/capi_impl.hpp"

namespace {

// Vectors of plain elements (bytes, values) and of owned pointers (types, externs, frames).
template <typename Vec, typename Elem>
void vec_new_uninitialized(Vec* out, size_t n) {
  out->size = n;
  out->data = n ? new Elem[n]() : nullptr;
}
template <typename Vec, typename Elem>
void vec_new(Vec* out, size_t n, const Elem* src) {
  vec_new_uninitialized<Vec, Elem>(out, n);
  for (size_t i = 0; i < n; ++i) out->data[i] = src[i];
}
template <typename Vec>
void vec_new_empty(Vec* out) {
  out->size = 0;
  out->data = nullptr;
}
template <typename Vec>
void vec_free(Vec* v) {
  delete[] v->data;
  v->size = 0;
  v->data = nullptr;
}

}  // namespace

// Declares the five vector functions of T for elements that copy and delete with COPY / DEL.
#define WISP_C_VECTOR_IMPL(T, ELEM, COPY, DEL)                                   \
  void wasm_##T##_vec_new_empty(wasm_##T##_vec_t* out) {                         \
    vec_new_empty(out);                                                          \
  }                                                                              \
  void wasm_##T##_vec_new_uninitialized(wasm_##T##_vec_t* out, size_t n) {       \
    vec_new_uninitialized<wasm_##T##_vec_t, ELEM>(out, n);                       \
  }                                                                              \
  void wasm_##T##_vec_new(wasm_##T##_vec_t* out, size_t n, ELEM const src[]) {   \
    vec_new<wasm_##T##_vec_t, ELEM>(out, n, src);                                \
  }                                                                              \
  void wasm_##T##_vec_copy(wasm_##T##_vec_t* out, const wasm_##T##_vec_t* src) { \
    vec_new_uninitialized<wasm_##T##_vec_t, ELEM>(out, src->size);               \
    for (size_t i = 0; i < src->size; ++i) COPY(&out->data[i], &src->data[i]);   \
  }                                                                              \
  void wasm_##T##_vec_delete(wasm_##T##_vec_t* v) {                              \
    if (!v) return;                                                              \
    for (size_t i = 0; i < v->size; ++i) DEL(&v->data[i]);                       \
    vec_free(v);                                                                 \
  }

namespace {
inline void copy_byte(wasm_byte_t* out, const wasm_byte_t* in) {
  *out = *in;
}
inline void delete_byte(wasm_byte_t*) {}
// Owned pointers: copy with wasm_T_copy, delete with wasm_T_delete (null elements allowed).
#define WISP_C_PTR_OPS(T)                                             \
  inline void copy_##T(wasm_##T##_t** out, wasm_##T##_t* const* in) { \
    *out = *in ? wasm_##T##_copy(*in) : nullptr;                      \
  }                                                                   \
  inline void delete_##T(wasm_##T##_t** p) {                          \
    if (*p) wasm_##T##_delete(*p);                                    \
    *p = nullptr;                                                     \
  }
WISP_C_PTR_OPS(valtype)
WISP_C_PTR_OPS(functype)
WISP_C_PTR_OPS(globaltype)
WISP_C_PTR_OPS(tabletype)
WISP_C_PTR_OPS(memorytype)
WISP_C_PTR_OPS(externtype)
WISP_C_PTR_OPS(importtype)
WISP_C_PTR_OPS(exporttype)
WISP_C_PTR_OPS(frame)
WISP_C_PTR_OPS(extern)
inline void copy_val(wasm_val_t* out, const wasm_val_t* in) {
  wasm_val_copy(out, in);
}
inline void delete_val(wasm_val_t* v) {
  wasm_val_delete(v);
}
}  // namespace

extern "C" {

WISP_C_VECTOR_IMPL(byte, wasm_byte_t, copy_byte, delete_byte)
WISP_C_VECTOR_IMPL(valtype, wasm_valtype_t*, copy_valtype, delete_valtype)
WISP_C_VECTOR_IMPL(functype, wasm_functype_t*, copy_functype, delete_functype)
WISP_C_VECTOR_IMPL(globaltype, wasm_globaltype_t*, copy_globaltype, delete_globaltype)
WISP_C_VECTOR_IMPL(tabletype, wasm_tabletype_t*, copy_tabletype, delete_tabletype)
WISP_C_VECTOR_IMPL(memorytype, wasm_memorytype_t*, copy_memorytype, delete_memorytype)
WISP_C_VECTOR_IMPL(externtype, wasm_externtype_t*, copy_externtype, delete_externtype)
WISP_C_VECTOR_IMPL(importtype, wasm_importtype_t*, copy_importtype, delete_importtype)
WISP_C_VECTOR_IMPL(exporttype, wasm_exporttype_t*, copy_exporttype, delete_exporttype)
WISP_C_VECTOR_IMPL(frame, wasm_frame_t*, copy_frame, delete_frame)
WISP_C_VECTOR_IMPL(extern, wasm_extern_t*, copy_extern, delete_extern)
WISP_C_VECTOR_IMPL(val, wasm_val_t, copy_val, delete_val)

// ---- valtype ----

wasm_valtype_t* wasm_valtype_new(wasm_valkind_t k) {
  return new wasm_valtype_t{k};
}
void wasm_valtype_delete(wasm_valtype_t* t) {
  delete t;
}
wasm_valtype_t* wasm_valtype_copy(const wasm_valtype_t* t) {
  return new wasm_valtype_t{t->kind};
}
wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t* t) {
  return t->kind;
}

// ---- functype ----

wasm_functype_t* wasm_functype_new(wasm_valtype_vec_t* params, wasm_valtype_vec_t* results) {
  auto* t = new wasm_functype_t;
  t->params = *params;
  t->results = *results;
  params->size = results->size = 0;
  params->data = results->data = nullptr;
  return t;
}
void wasm_functype_delete(wasm_functype_t* t) {
  delete t;
}
wasm_functype_t* wasm_functype_copy(const wasm_functype_t* t) {
  auto* c = new wasm_functype_t;
  wasm_valtype_vec_copy(&c->params, &t->params);
  wasm_valtype_vec_copy(&c->results, &t->results);
  return c;
}
const wasm_valtype_vec_t* wasm_functype_params(const wasm_functype_t* t) {
  return &t->params;
}
const wasm_valtype_vec_t* wasm_functype_results(const wasm_functype_t* t) {
  return &t->results;
}

// ---- globaltype, tabletype, memorytype ----

wasm_globaltype_t* wasm_globaltype_new(wasm_valtype_t* content, wasm_mutability_t m) {
  auto* t = new wasm_globaltype_t;
  t->content = *content;
  t->mutability = m;
  delete content;
  return t;
}
void wasm_globaltype_delete(wasm_globaltype_t* t) {
  delete t;
}
wasm_globaltype_t* wasm_globaltype_copy(const wasm_globaltype_t* t) {
  return new wasm_globaltype_t(*t);
}
const wasm_valtype_t* wasm_globaltype_content(const wasm_globaltype_t* t) {
  return &t->content;
}
wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t* t) {
  return t->mutability;
}

wasm_tabletype_t* wasm_tabletype_new(wasm_valtype_t* element, const wasm_limits_t* limits) {
  auto* t = new wasm_tabletype_t;
  t->element = *element;
  t->limits = *limits;
  delete element;
  return t;
}
void wasm_tabletype_delete(wasm_tabletype_t* t) {
  delete t;
}
wasm_tabletype_t* wasm_tabletype_copy(const wasm_tabletype_t* t) {
  return new wasm_tabletype_t(*t);
}
const wasm_valtype_t* wasm_tabletype_element(const wasm_tabletype_t* t) {
  return &t->element;
}
const wasm_limits_t* wasm_tabletype_limits(const wasm_tabletype_t* t) {
  return &t->limits;
}

wasm_memorytype_t* wasm_memorytype_new(const wasm_limits_t* limits) {
  auto* t = new wasm_memorytype_t;
  t->limits = *limits;
  return t;
}
void wasm_memorytype_delete(wasm_memorytype_t* t) {
  delete t;
}
wasm_memorytype_t* wasm_memorytype_copy(const wasm_memorytype_t* t) {
  return new wasm_memorytype_t(*t);
}
const wasm_limits_t* wasm_memorytype_limits(const wasm_memorytype_t* t) {
  return &t->limits;
}

// ---- externtype ----

void wasm_externtype_delete(wasm_externtype_t* t) {
  delete t;
}
wasm_externtype_t* wasm_externtype_copy(const wasm_externtype_t* t) {
  switch (t->kind) {
    case WASM_EXTERN_FUNC:
      return wasm_functype_copy(static_cast<const wasm_functype_t*>(t));
    case WASM_EXTERN_GLOBAL:
      return wasm_globaltype_copy(static_cast<const wasm_globaltype_t*>(t));
    case WASM_EXTERN_TABLE:
      return wasm_tabletype_copy(static_cast<const wasm_tabletype_t*>(t));
    default:
      return wasm_memorytype_copy(static_cast<const wasm_memorytype_t*>(t));
  }
}
wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t* t) {
  return t->kind;
}

#define WISP_C_EXTERNTYPE_VIEWS(T, KIND)                                           \
  wasm_externtype_t* wasm_##T##_as_externtype(wasm_##T##_t* t) {                   \
    return t;                                                                      \
  }                                                                                \
  const wasm_externtype_t* wasm_##T##_as_externtype_const(const wasm_##T##_t* t) { \
    return t;                                                                      \
  }                                                                                \
  wasm_##T##_t* wasm_externtype_as_##T(wasm_externtype_t* t) {                     \
    return t && t->kind == KIND ? static_cast<wasm_##T##_t*>(t) : nullptr;         \
  }                                                                                \
  const wasm_##T##_t* wasm_externtype_as_##T##_const(const wasm_externtype_t* t) { \
    return t && t->kind == KIND ? static_cast<const wasm_##T##_t*>(t) : nullptr;   \
  }
WISP_C_EXTERNTYPE_VIEWS(functype, WASM_EXTERN_FUNC)
WISP_C_EXTERNTYPE_VIEWS(globaltype, WASM_EXTERN_GLOBAL)
WISP_C_EXTERNTYPE_VIEWS(tabletype, WASM_EXTERN_TABLE)
WISP_C_EXTERNTYPE_VIEWS(memorytype, WASM_EXTERN_MEMORY)

// ---- importtype, exporttype ----

wasm_importtype_t* wasm_importtype_new(wasm_name_t* module, wasm_name_t* name,
                                       wasm_externtype_t* type) {
  auto* t = new wasm_importtype_t;
  t->module = *module;
  t->name = *name;
  t->type = type;
  module->size = name->size = 0;
  module->data = name->data = nullptr;
  return t;
}
void wasm_importtype_delete(wasm_importtype_t* t) {
  if (!t) return;
  wasm_byte_vec_delete(&t->module);
  wasm_byte_vec_delete(&t->name);
  delete t->type;
  delete t;
}
wasm_importtype_t* wasm_importtype_copy(const wasm_importtype_t* t) {
  auto* c = new wasm_importtype_t;
  wasm_byte_vec_copy(&c->module, &t->module);
  wasm_byte_vec_copy(&c->name, &t->name);
  c->type = wasm_externtype_copy(t->type);
  return c;
}
const wasm_name_t* wasm_importtype_module(const wasm_importtype_t* t) {
  return &t->module;
}
const wasm_name_t* wasm_importtype_name(const wasm_importtype_t* t) {
  return &t->name;
}
const wasm_externtype_t* wasm_importtype_type(const wasm_importtype_t* t) {
  return t->type;
}

wasm_exporttype_t* wasm_exporttype_new(wasm_name_t* name, wasm_externtype_t* type) {
  auto* t = new wasm_exporttype_t;
  t->name = *name;
  t->type = type;
  name->size = 0;
  name->data = nullptr;
  return t;
}
void wasm_exporttype_delete(wasm_exporttype_t* t) {
  if (!t) return;
  wasm_byte_vec_delete(&t->name);
  delete t->type;
  delete t;
}
wasm_exporttype_t* wasm_exporttype_copy(const wasm_exporttype_t* t) {
  auto* c = new wasm_exporttype_t;
  wasm_byte_vec_copy(&c->name, &t->name);
  c->type = wasm_externtype_copy(t->type);
  return c;
}
const wasm_name_t* wasm_exporttype_name(const wasm_exporttype_t* t) {
  return &t->name;
}
const wasm_externtype_t* wasm_exporttype_type(const wasm_exporttype_t* t) {
  return t->type;
}

}  // extern "C"

wasm_functype_t::~wasm_functype_t() {
  wasm_valtype_vec_delete(&params);
  wasm_valtype_vec_delete(&results);
}

namespace wisp::capi {

ValType to_val_type(wasm_valkind_t k) {
  switch (k) {
    case WASM_I32:
      return ValType::i32;
    case WASM_I64:
      return ValType::i64;
    case WASM_F32:
      return ValType::f32;
    case WASM_F64:
      return ValType::f64;
    case WASM_EXTERNREF:
      return ValType::externref;
    case WISP_V128:
      return ValType::v128;
    default:
      return ValType::funcref;
  }
}

wasm_valkind_t to_valkind(ValType t) {
  switch (t) {
    case ValType::i32:
      return WASM_I32;
    case ValType::i64:
      return WASM_I64;
    case ValType::f32:
      return WASM_F32;
    case ValType::f64:
      return WASM_F64;
    case ValType::externref:
      return WASM_EXTERNREF;
    case ValType::funcref:
      return WASM_FUNCREF;
    case ValType::v128:
      return WISP_V128;
  }
  return WASM_I32;
}

FuncType to_func_type(const wasm_functype_t* t) {
  FuncType f;
  for (size_t i = 0; i < t->params.size; ++i)
    f.params.push_back(to_val_type(t->params.data[i]->kind));
  for (size_t i = 0; i < t->results.size; ++i)
    f.results.push_back(to_val_type(t->results.data[i]->kind));
  return f;
}

namespace {
void new_valtype_vec(wasm_valtype_vec_t* out, const std::vector<ValType>& types) {
  wasm_valtype_vec_new_uninitialized(out, types.size());
  for (size_t i = 0; i < types.size(); ++i) out->data[i] = wasm_valtype_new(to_valkind(types[i]));
}
wasm_limits_t to_limits(const Limits32& l) {
  return wasm_limits_t{l.min, l.max ? *l.max : wasm_limits_max_default};
}
}  // namespace

wasm_functype_t* new_functype(const FuncType& t) {
  auto* f = new wasm_functype_t;
  new_valtype_vec(&f->params, t.params);
  new_valtype_vec(&f->results, t.results);
  return f;
}

wasm_externtype_t* new_externtype(const ExternType& t) {
  switch (t.kind) {
    case ExternKind::func:
      return new_functype(t.func);
    case ExternKind::global: {
      auto* g = new wasm_globaltype_t;
      g->content.kind = to_valkind(t.global.type);
      g->mutability = t.global.mut ? WASM_VAR : WASM_CONST;
      return g;
    }
    case ExternKind::table: {
      auto* tt = new wasm_tabletype_t;
      tt->element.kind = to_valkind(t.table.elem);
      tt->limits = to_limits(t.table.limits);
      return tt;
    }
    case ExternKind::memory: {
      auto* m = new wasm_memorytype_t;
      m->limits = to_limits(t.memory.limits);
      return m;
    }
    case ExternKind::tag:  // never: wasm_module_new refuses modules with tag imports or exports
      return nullptr;
  }
  return nullptr;
}

std::string to_string(const wasm_name_t& name) {
  return std::string(name.data ? name.data : "", name.size);
}

void new_name(wasm_name_t* out, const std::string& s, bool nul_terminated) {
  wasm_byte_vec_new_uninitialized(out, s.size() + (nul_terminated ? 1 : 0));
  if (!s.empty()) std::memcpy(out->data, s.data(), s.size());
  if (nul_terminated) out->data[s.size()] = '\0';
}

}  // namespace wisp::capi
