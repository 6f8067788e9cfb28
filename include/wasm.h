/* wasm.h — the standard WebAssembly C API (the API of github.com/WebAssembly/wasm-c-api, which
 * Wasmtime, Wasmer, WAMR and V8 implement), as wisp implements it. Same names, types and
 * semantics; written for wisp. What wisp does not support is listed in the README ("C API").
 *
 * Ownership: `own` marks data the caller receives and must release with the matching
 * wasm_xxx_delete (an `own` parameter passes ownership to the callee). Handles of runtime
 * objects (refs: func, global, table, memory, extern, instance, module, trap, foreign) are
 * owned by their store: deleting a handle releases that handle, and deleting the store releases
 * every object created in it. wisp's own additions (strategies, snapshots, WASI, limits) are in
 * wisp.h. Link with `pkg-config --libs wisp` (the library is C++: link with a C++ driver or add
 * -lstdc++). */
#ifndef WASM_H
#define WASM_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef WASM_API_EXTERN
#define WASM_API_EXTERN __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef char byte_t;
typedef float float32_t;
typedef double float64_t;

#define own

/* ---- declaration helpers ---------------------------------------------------------------- */

/* An opaque owned type T with wasm_T_delete. */
#define WISP_C_OPAQUE(T)                    \
  typedef struct wasm_##T##_t wasm_##T##_t; \
  WASM_API_EXTERN void wasm_##T##_delete(own wasm_##T##_t*);

/* wasm_T_vec_t: {size, data}; ELEM is `wasm_T_t` or `wasm_T_t*`. An owned vector owns its
 * elements too. */
#define WISP_C_VECTOR(T, ELEM)                                                                  \
  typedef struct wasm_##T##_vec_t {                                                             \
    size_t size;                                                                                \
    ELEM* data;                                                                                 \
  } wasm_##T##_vec_t;                                                                           \
  WASM_API_EXTERN void wasm_##T##_vec_new_empty(own wasm_##T##_vec_t* out);                     \
  WASM_API_EXTERN void wasm_##T##_vec_new_uninitialized(own wasm_##T##_vec_t* out, size_t);     \
  WASM_API_EXTERN void wasm_##T##_vec_new(own wasm_##T##_vec_t* out, size_t, own ELEM const[]); \
  WASM_API_EXTERN void wasm_##T##_vec_copy(own wasm_##T##_vec_t* out, const wasm_##T##_vec_t*); \
  WASM_API_EXTERN void wasm_##T##_vec_delete(own wasm_##T##_vec_t*);

/* A type description: owned, copyable, with a vector of pointers to it. */
#define WISP_C_TYPE(T)            \
  WISP_C_OPAQUE(T)                \
  WISP_C_VECTOR(T, wasm_##T##_t*) \
  WASM_API_EXTERN own wasm_##T##_t* wasm_##T##_copy(const wasm_##T##_t*);

/* A reference to a runtime object: copy (another handle), same (the same object), host info. */
#define WISP_C_REF_COMMON(T)                                                         \
  WISP_C_OPAQUE(T)                                                                   \
  WASM_API_EXTERN own wasm_##T##_t* wasm_##T##_copy(const wasm_##T##_t*);            \
  WASM_API_EXTERN bool wasm_##T##_same(const wasm_##T##_t*, const wasm_##T##_t*);    \
  WASM_API_EXTERN void* wasm_##T##_get_host_info(const wasm_##T##_t*);               \
  WASM_API_EXTERN void wasm_##T##_set_host_info(wasm_##T##_t*, void*);               \
  WASM_API_EXTERN void wasm_##T##_set_host_info_with_finalizer(wasm_##T##_t*, void*, \
                                                               void (*)(void*));

/* ... that also converts to and from wasm_ref_t (the results borrow the argument). */
#define WISP_C_REF(T)                                                             \
  WISP_C_REF_COMMON(T)                                                            \
  WASM_API_EXTERN wasm_ref_t* wasm_##T##_as_ref(wasm_##T##_t*);                   \
  WASM_API_EXTERN wasm_##T##_t* wasm_ref_as_##T(wasm_ref_t*);                     \
  WASM_API_EXTERN const wasm_ref_t* wasm_##T##_as_ref_const(const wasm_##T##_t*); \
  WASM_API_EXTERN const wasm_##T##_t* wasm_ref_as_##T##_const(const wasm_ref_t*);

/* ---- bytes and names ---------------------------------------------------------------------- */

typedef byte_t wasm_byte_t;
WISP_C_VECTOR(byte, wasm_byte_t)

typedef wasm_byte_vec_t wasm_name_t;
#define wasm_name wasm_byte_vec
#define wasm_name_new wasm_byte_vec_new
#define wasm_name_new_empty wasm_byte_vec_new_empty
#define wasm_name_new_new_uninitialized wasm_byte_vec_new_uninitialized
#define wasm_name_copy wasm_byte_vec_copy
#define wasm_name_delete wasm_byte_vec_delete

static inline void wasm_name_new_from_string(own wasm_name_t* out, const char* s) {
  wasm_name_new(out, strlen(s), s);
}
/* The same, counting the terminating NUL in the size. */
static inline void wasm_name_new_from_string_nt(own wasm_name_t* out, const char* s) {
  wasm_name_new(out, strlen(s) + 1, s);
}

/* ---- engine and store ------------------------------------------------------------------- */

WISP_C_OPAQUE(config)
WASM_API_EXTERN own wasm_config_t* wasm_config_new(void);

/* One engine compiles; modules compiled in it can be used by every store of it. Thread-safe. */
WISP_C_OPAQUE(engine)
WASM_API_EXTERN own wasm_engine_t* wasm_engine_new(void);
WASM_API_EXTERN own wasm_engine_t* wasm_engine_new_with_config(own wasm_config_t*);

/* A store owns runtime objects; use each store (and what is in it) from one thread at a time. */
WISP_C_OPAQUE(store)
WASM_API_EXTERN own wasm_store_t* wasm_store_new(wasm_engine_t*);

/* ---- types ------------------------------------------------------------------------------ */

typedef uint8_t wasm_mutability_t;
enum wasm_mutability_enum { WASM_CONST, WASM_VAR };

typedef struct wasm_limits_t {
  uint32_t min;
  uint32_t max;
} wasm_limits_t;
/* `max` when there is no maximum. */
static const uint32_t wasm_limits_max_default = 0xffffffff;

WISP_C_TYPE(valtype)
typedef uint8_t wasm_valkind_t;
enum wasm_valkind_enum {
  WASM_I32,
  WASM_I64,
  WASM_F32,
  WASM_F64,
  WASM_EXTERNREF = 128,
  WASM_FUNCREF,
};
WASM_API_EXTERN own wasm_valtype_t* wasm_valtype_new(wasm_valkind_t);
WASM_API_EXTERN wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t*);

static inline bool wasm_valkind_is_num(wasm_valkind_t k) {
  return k < WASM_EXTERNREF;
}
static inline bool wasm_valkind_is_ref(wasm_valkind_t k) {
  return k >= WASM_EXTERNREF;
}
static inline bool wasm_valtype_is_num(const wasm_valtype_t* t) {
  return wasm_valkind_is_num(wasm_valtype_kind(t));
}
static inline bool wasm_valtype_is_ref(const wasm_valtype_t* t) {
  return wasm_valkind_is_ref(wasm_valtype_kind(t));
}

WISP_C_TYPE(functype)
WASM_API_EXTERN own wasm_functype_t* wasm_functype_new(own wasm_valtype_vec_t* params,
                                                       own wasm_valtype_vec_t* results);
WASM_API_EXTERN const wasm_valtype_vec_t* wasm_functype_params(const wasm_functype_t*);
WASM_API_EXTERN const wasm_valtype_vec_t* wasm_functype_results(const wasm_functype_t*);

WISP_C_TYPE(globaltype)
WASM_API_EXTERN own wasm_globaltype_t* wasm_globaltype_new(own wasm_valtype_t*, wasm_mutability_t);
WASM_API_EXTERN const wasm_valtype_t* wasm_globaltype_content(const wasm_globaltype_t*);
WASM_API_EXTERN wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t*);

WISP_C_TYPE(tabletype)
WASM_API_EXTERN own wasm_tabletype_t* wasm_tabletype_new(own wasm_valtype_t*, const wasm_limits_t*);
WASM_API_EXTERN const wasm_valtype_t* wasm_tabletype_element(const wasm_tabletype_t*);
WASM_API_EXTERN const wasm_limits_t* wasm_tabletype_limits(const wasm_tabletype_t*);

WISP_C_TYPE(memorytype)
WASM_API_EXTERN own wasm_memorytype_t* wasm_memorytype_new(const wasm_limits_t*);
WASM_API_EXTERN const wasm_limits_t* wasm_memorytype_limits(const wasm_memorytype_t*);

WISP_C_TYPE(externtype)
typedef uint8_t wasm_externkind_t;
enum wasm_externkind_enum {
  WASM_EXTERN_FUNC,
  WASM_EXTERN_GLOBAL,
  WASM_EXTERN_TABLE,
  WASM_EXTERN_MEMORY,
};
WASM_API_EXTERN wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t*);

/* Views of one type as another: the result borrows the argument (NULL for the wrong kind). */
WASM_API_EXTERN wasm_externtype_t* wasm_functype_as_externtype(wasm_functype_t*);
WASM_API_EXTERN wasm_externtype_t* wasm_globaltype_as_externtype(wasm_globaltype_t*);
WASM_API_EXTERN wasm_externtype_t* wasm_tabletype_as_externtype(wasm_tabletype_t*);
WASM_API_EXTERN wasm_externtype_t* wasm_memorytype_as_externtype(wasm_memorytype_t*);
WASM_API_EXTERN wasm_functype_t* wasm_externtype_as_functype(wasm_externtype_t*);
WASM_API_EXTERN wasm_globaltype_t* wasm_externtype_as_globaltype(wasm_externtype_t*);
WASM_API_EXTERN wasm_tabletype_t* wasm_externtype_as_tabletype(wasm_externtype_t*);
WASM_API_EXTERN wasm_memorytype_t* wasm_externtype_as_memorytype(wasm_externtype_t*);
WASM_API_EXTERN const wasm_externtype_t* wasm_functype_as_externtype_const(const wasm_functype_t*);
WASM_API_EXTERN const wasm_externtype_t* wasm_globaltype_as_externtype_const(
    const wasm_globaltype_t*);
WASM_API_EXTERN const wasm_externtype_t* wasm_tabletype_as_externtype_const(
    const wasm_tabletype_t*);
WASM_API_EXTERN const wasm_externtype_t* wasm_memorytype_as_externtype_const(
    const wasm_memorytype_t*);
WASM_API_EXTERN const wasm_functype_t* wasm_externtype_as_functype_const(const wasm_externtype_t*);
WASM_API_EXTERN const wasm_globaltype_t* wasm_externtype_as_globaltype_const(
    const wasm_externtype_t*);
WASM_API_EXTERN const wasm_tabletype_t* wasm_externtype_as_tabletype_const(
    const wasm_externtype_t*);
WASM_API_EXTERN const wasm_memorytype_t* wasm_externtype_as_memorytype_const(
    const wasm_externtype_t*);

WISP_C_TYPE(importtype)
WASM_API_EXTERN own wasm_importtype_t* wasm_importtype_new(own wasm_name_t* module,
                                                           own wasm_name_t* name,
                                                           own wasm_externtype_t*);
WASM_API_EXTERN const wasm_name_t* wasm_importtype_module(const wasm_importtype_t*);
WASM_API_EXTERN const wasm_name_t* wasm_importtype_name(const wasm_importtype_t*);
WASM_API_EXTERN const wasm_externtype_t* wasm_importtype_type(const wasm_importtype_t*);

WISP_C_TYPE(exporttype)
WASM_API_EXTERN own wasm_exporttype_t* wasm_exporttype_new(own wasm_name_t*,
                                                           own wasm_externtype_t*);
WASM_API_EXTERN const wasm_name_t* wasm_exporttype_name(const wasm_exporttype_t*);
WASM_API_EXTERN const wasm_externtype_t* wasm_exporttype_type(const wasm_exporttype_t*);

/* ---- values ------------------------------------------------------------------------------ */

struct wasm_ref_t;

typedef struct wasm_val_t {
  wasm_valkind_t kind;
  union {
    int32_t i32;
    int64_t i64;
    float32_t f32;
    float64_t f64;
    struct wasm_ref_t* ref; /* NULL: the null reference */
  } of;
} wasm_val_t;

WASM_API_EXTERN void wasm_val_delete(own wasm_val_t* v);
WASM_API_EXTERN void wasm_val_copy(own wasm_val_t* out, const wasm_val_t*);
WISP_C_VECTOR(val, wasm_val_t)

/* ---- references --------------------------------------------------------------------------- */

WISP_C_REF_COMMON(ref)

/* Frames of a trap's stack. */
WISP_C_OPAQUE(frame)
WISP_C_VECTOR(frame, wasm_frame_t*)
WASM_API_EXTERN own wasm_frame_t* wasm_frame_copy(const wasm_frame_t*);
WASM_API_EXTERN struct wasm_instance_t* wasm_frame_instance(const wasm_frame_t*);
WASM_API_EXTERN uint32_t wasm_frame_func_index(const wasm_frame_t*);
WASM_API_EXTERN size_t wasm_frame_func_offset(const wasm_frame_t*);
WASM_API_EXTERN size_t wasm_frame_module_offset(const wasm_frame_t*);

/* A trap: a message (NUL-terminated, the NUL counted in its size) and, where known, frames. */
typedef wasm_name_t wasm_message_t;
WISP_C_REF(trap)
WASM_API_EXTERN own wasm_trap_t* wasm_trap_new(wasm_store_t* store, const wasm_message_t*);
WASM_API_EXTERN void wasm_trap_message(const wasm_trap_t*, own wasm_message_t* out);
WASM_API_EXTERN own wasm_frame_t* wasm_trap_origin(const wasm_trap_t*);
WASM_API_EXTERN void wasm_trap_trace(const wasm_trap_t*, own wasm_frame_vec_t* out);

/* A host object that WebAssembly can hold as an externref. */
WISP_C_REF(foreign)
WASM_API_EXTERN own wasm_foreign_t* wasm_foreign_new(wasm_store_t*);

/* ---- modules ---------------------------------------------------------------------------- */

WISP_C_REF(module)
/* A module shared between stores (and threads): wasm_module_share, then wasm_module_obtain. */
WISP_C_OPAQUE(shared_module)
WASM_API_EXTERN own wasm_shared_module_t* wasm_module_share(const wasm_module_t*);
WASM_API_EXTERN own wasm_module_t* wasm_module_obtain(wasm_store_t*, const wasm_shared_module_t*);

/* NULL if the bytes are not a valid module (the reason goes to stderr when WISP_C_API_TRACE=1). */
WASM_API_EXTERN own wasm_module_t* wasm_module_new(wasm_store_t*, const wasm_byte_vec_t* binary);
WASM_API_EXTERN bool wasm_module_validate(wasm_store_t*, const wasm_byte_vec_t* binary);
WASM_API_EXTERN void wasm_module_imports(const wasm_module_t*, own wasm_importtype_vec_t* out);
WASM_API_EXTERN void wasm_module_exports(const wasm_module_t*, own wasm_exporttype_vec_t* out);
WASM_API_EXTERN void wasm_module_serialize(const wasm_module_t*, own wasm_byte_vec_t* out);
WASM_API_EXTERN own wasm_module_t* wasm_module_deserialize(wasm_store_t*, const wasm_byte_vec_t*);

/* ---- functions -------------------------------------------------------------------------- */

WISP_C_REF(func)
/* A host function: fills `results` (as many as its type has; references in them are passed
 * to the caller) or returns a trap, which ends the WebAssembly call that called it. */
typedef own wasm_trap_t* (*wasm_func_callback_t)(const wasm_val_vec_t* args,
                                                 own wasm_val_vec_t* results);
typedef own wasm_trap_t* (*wasm_func_callback_with_env_t)(void* env, const wasm_val_vec_t* args,
                                                          wasm_val_vec_t* results);
WASM_API_EXTERN own wasm_func_t* wasm_func_new(wasm_store_t*, const wasm_functype_t*,
                                               wasm_func_callback_t);
/* `finalizer(env)` runs once nothing can call the function any more. */
WASM_API_EXTERN own wasm_func_t* wasm_func_new_with_env(wasm_store_t*, const wasm_functype_t* type,
                                                        wasm_func_callback_with_env_t, void* env,
                                                        void (*finalizer)(void*));
WASM_API_EXTERN own wasm_functype_t* wasm_func_type(const wasm_func_t*);
WASM_API_EXTERN size_t wasm_func_param_arity(const wasm_func_t*);
WASM_API_EXTERN size_t wasm_func_result_arity(const wasm_func_t*);
/* NULL on success; a trap if the call trapped or the arguments do not match the type. */
WASM_API_EXTERN own wasm_trap_t* wasm_func_call(const wasm_func_t*, const wasm_val_vec_t* args,
                                                wasm_val_vec_t* results);

/* ---- globals, tables, memories ------------------------------------------------------------ */

WISP_C_REF(global)
WASM_API_EXTERN own wasm_global_t* wasm_global_new(wasm_store_t*, const wasm_globaltype_t*,
                                                   const wasm_val_t*);
WASM_API_EXTERN own wasm_globaltype_t* wasm_global_type(const wasm_global_t*);
WASM_API_EXTERN void wasm_global_get(const wasm_global_t*, own wasm_val_t* out);
WASM_API_EXTERN void wasm_global_set(wasm_global_t*, const wasm_val_t*);

WISP_C_REF(table)
typedef uint32_t wasm_table_size_t;
WASM_API_EXTERN own wasm_table_t* wasm_table_new(wasm_store_t*, const wasm_tabletype_t*,
                                                 wasm_ref_t* init);
WASM_API_EXTERN own wasm_tabletype_t* wasm_table_type(const wasm_table_t*);
/* NULL for a null element or an index out of range. */
WASM_API_EXTERN own wasm_ref_t* wasm_table_get(const wasm_table_t*, wasm_table_size_t index);
WASM_API_EXTERN bool wasm_table_set(wasm_table_t*, wasm_table_size_t index, wasm_ref_t*);
WASM_API_EXTERN wasm_table_size_t wasm_table_size(const wasm_table_t*);
WASM_API_EXTERN bool wasm_table_grow(wasm_table_t*, wasm_table_size_t delta, wasm_ref_t* init);

WISP_C_REF(memory)
typedef uint32_t wasm_memory_pages_t;
static const size_t MEMORY_PAGE_SIZE = 0x10000;
WASM_API_EXTERN own wasm_memory_t* wasm_memory_new(wasm_store_t*, const wasm_memorytype_t*);
WASM_API_EXTERN own wasm_memorytype_t* wasm_memory_type(const wasm_memory_t*);
/* Valid until the memory grows. */
WASM_API_EXTERN byte_t* wasm_memory_data(wasm_memory_t*);
WASM_API_EXTERN size_t wasm_memory_data_size(const wasm_memory_t*);
WASM_API_EXTERN wasm_memory_pages_t wasm_memory_size(const wasm_memory_t*);
WASM_API_EXTERN bool wasm_memory_grow(wasm_memory_t*, wasm_memory_pages_t delta);

/* ---- externals and instances -------------------------------------------------------------- */

WISP_C_REF(extern)
WISP_C_VECTOR(extern, wasm_extern_t*)
WASM_API_EXTERN wasm_externkind_t wasm_extern_kind(const wasm_extern_t*);
WASM_API_EXTERN own wasm_externtype_t* wasm_extern_type(const wasm_extern_t*);

WASM_API_EXTERN wasm_extern_t* wasm_func_as_extern(wasm_func_t*);
WASM_API_EXTERN wasm_extern_t* wasm_global_as_extern(wasm_global_t*);
WASM_API_EXTERN wasm_extern_t* wasm_table_as_extern(wasm_table_t*);
WASM_API_EXTERN wasm_extern_t* wasm_memory_as_extern(wasm_memory_t*);
WASM_API_EXTERN wasm_func_t* wasm_extern_as_func(wasm_extern_t*);
WASM_API_EXTERN wasm_global_t* wasm_extern_as_global(wasm_extern_t*);
WASM_API_EXTERN wasm_table_t* wasm_extern_as_table(wasm_extern_t*);
WASM_API_EXTERN wasm_memory_t* wasm_extern_as_memory(wasm_extern_t*);
WASM_API_EXTERN const wasm_extern_t* wasm_func_as_extern_const(const wasm_func_t*);
WASM_API_EXTERN const wasm_extern_t* wasm_global_as_extern_const(const wasm_global_t*);
WASM_API_EXTERN const wasm_extern_t* wasm_table_as_extern_const(const wasm_table_t*);
WASM_API_EXTERN const wasm_extern_t* wasm_memory_as_extern_const(const wasm_memory_t*);
WASM_API_EXTERN const wasm_func_t* wasm_extern_as_func_const(const wasm_extern_t*);
WASM_API_EXTERN const wasm_global_t* wasm_extern_as_global_const(const wasm_extern_t*);
WASM_API_EXTERN const wasm_table_t* wasm_extern_as_table_const(const wasm_extern_t*);
WASM_API_EXTERN const wasm_memory_t* wasm_extern_as_memory_const(const wasm_extern_t*);

WISP_C_REF(instance)
/* `imports` in the module's import order. On failure returns NULL and, if `trap` is not NULL,
 * stores a trap saying why there (a link error, a trap of the start function). */
WASM_API_EXTERN own wasm_instance_t* wasm_instance_new(wasm_store_t*, const wasm_module_t*,
                                                       const wasm_extern_vec_t* imports,
                                                       own wasm_trap_t** trap);
WASM_API_EXTERN void wasm_instance_exports(const wasm_instance_t*, own wasm_extern_vec_t* out);

/* ---- conveniences ------------------------------------------------------------------------- */

#define WASM_EMPTY_VEC \
  { 0, NULL }
#define WASM_ARRAY_VEC(array) \
  { sizeof(array) / sizeof(*(array)), array }

static inline own wasm_valtype_t* wasm_valtype_new_i32(void) {
  return wasm_valtype_new(WASM_I32);
}
static inline own wasm_valtype_t* wasm_valtype_new_i64(void) {
  return wasm_valtype_new(WASM_I64);
}
static inline own wasm_valtype_t* wasm_valtype_new_f32(void) {
  return wasm_valtype_new(WASM_F32);
}
static inline own wasm_valtype_t* wasm_valtype_new_f64(void) {
  return wasm_valtype_new(WASM_F64);
}
static inline own wasm_valtype_t* wasm_valtype_new_externref(void) {
  return wasm_valtype_new(WASM_EXTERNREF);
}
static inline own wasm_valtype_t* wasm_valtype_new_funcref(void) {
  return wasm_valtype_new(WASM_FUNCREF);
}

/* wasm_functype_new_P_R: a function type from P parameter and R result types (owned). */
static inline own wasm_functype_t* wisp_functype_from_arrays(size_t np, wasm_valtype_t** ps,
                                                             size_t nr, wasm_valtype_t** rs) {
  wasm_valtype_vec_t params, results;
  if (np)
    wasm_valtype_vec_new(&params, np, ps);
  else
    wasm_valtype_vec_new_empty(&params);
  if (nr)
    wasm_valtype_vec_new(&results, nr, rs);
  else
    wasm_valtype_vec_new_empty(&results);
  return wasm_functype_new(&params, &results);
}
static inline own wasm_functype_t* wasm_functype_new_0_0(void) {
  return wisp_functype_from_arrays(0, NULL, 0, NULL);
}
static inline own wasm_functype_t* wasm_functype_new_1_0(own wasm_valtype_t* p) {
  wasm_valtype_t* ps[1] = {p};
  return wisp_functype_from_arrays(1, ps, 0, NULL);
}
static inline own wasm_functype_t* wasm_functype_new_2_0(own wasm_valtype_t* p1,
                                                         own wasm_valtype_t* p2) {
  wasm_valtype_t* ps[2] = {p1, p2};
  return wisp_functype_from_arrays(2, ps, 0, NULL);
}
static inline own wasm_functype_t* wasm_functype_new_3_0(own wasm_valtype_t* p1,
                                                         own wasm_valtype_t* p2,
                                                         own wasm_valtype_t* p3) {
  wasm_valtype_t* ps[3] = {p1, p2, p3};
  return wisp_functype_from_arrays(3, ps, 0, NULL);
}
static inline own wasm_functype_t* wasm_functype_new_0_1(own wasm_valtype_t* r) {
  wasm_valtype_t* rs[1] = {r};
  return wisp_functype_from_arrays(0, NULL, 1, rs);
}
static inline own wasm_functype_t* wasm_functype_new_1_1(own wasm_valtype_t* p,
                                                         own wasm_valtype_t* r) {
  wasm_valtype_t* ps[1] = {p};
  wasm_valtype_t* rs[1] = {r};
  return wisp_functype_from_arrays(1, ps, 1, rs);
}
static inline own wasm_functype_t* wasm_functype_new_2_1(own wasm_valtype_t* p1,
                                                         own wasm_valtype_t* p2,
                                                         own wasm_valtype_t* r) {
  wasm_valtype_t* ps[2] = {p1, p2};
  wasm_valtype_t* rs[1] = {r};
  return wisp_functype_from_arrays(2, ps, 1, rs);
}
static inline own wasm_functype_t* wasm_functype_new_3_1(own wasm_valtype_t* p1,
                                                         own wasm_valtype_t* p2,
                                                         own wasm_valtype_t* p3,
                                                         own wasm_valtype_t* r) {
  wasm_valtype_t* ps[3] = {p1, p2, p3};
  wasm_valtype_t* rs[1] = {r};
  return wisp_functype_from_arrays(3, ps, 1, rs);
}
static inline own wasm_functype_t* wasm_functype_new_0_2(own wasm_valtype_t* r1,
                                                         own wasm_valtype_t* r2) {
  wasm_valtype_t* rs[2] = {r1, r2};
  return wisp_functype_from_arrays(0, NULL, 2, rs);
}
static inline own wasm_functype_t* wasm_functype_new_1_2(own wasm_valtype_t* p,
                                                         own wasm_valtype_t* r1,
                                                         own wasm_valtype_t* r2) {
  wasm_valtype_t* ps[1] = {p};
  wasm_valtype_t* rs[2] = {r1, r2};
  return wisp_functype_from_arrays(1, ps, 2, rs);
}
static inline own wasm_functype_t* wasm_functype_new_2_2(own wasm_valtype_t* p1,
                                                         own wasm_valtype_t* p2,
                                                         own wasm_valtype_t* r1,
                                                         own wasm_valtype_t* r2) {
  wasm_valtype_t* ps[2] = {p1, p2};
  wasm_valtype_t* rs[2] = {r1, r2};
  return wisp_functype_from_arrays(2, ps, 2, rs);
}
static inline own wasm_functype_t* wasm_functype_new_3_2(own wasm_valtype_t* p1,
                                                         own wasm_valtype_t* p2,
                                                         own wasm_valtype_t* p3,
                                                         own wasm_valtype_t* r1,
                                                         own wasm_valtype_t* r2) {
  wasm_valtype_t* ps[3] = {p1, p2, p3};
  wasm_valtype_t* rs[2] = {r1, r2};
  return wisp_functype_from_arrays(3, ps, 2, rs);
}

/* A host pointer carried in an integer value of the pointer's width. */
static inline void wasm_val_init_ptr(own wasm_val_t* out, void* p) {
#if UINTPTR_MAX == UINT32_MAX
  out->kind = WASM_I32;
  out->of.i32 = (int32_t)(intptr_t)p;
#else
  out->kind = WASM_I64;
  out->of.i64 = (int64_t)(intptr_t)p;
#endif
}
static inline void* wasm_val_ptr(const wasm_val_t* val) {
#if UINTPTR_MAX == UINT32_MAX
  return (void*)(intptr_t)val->of.i32;
#else
  return (void*)(intptr_t)val->of.i64;
#endif
}

#define WASM_I32_VAL(i)                 \
  {                                     \
    .kind = WASM_I32, .of = {.i32 = i } \
  }
#define WASM_I64_VAL(i)                 \
  {                                     \
    .kind = WASM_I64, .of = {.i64 = i } \
  }
#define WASM_F32_VAL(z)                 \
  {                                     \
    .kind = WASM_F32, .of = {.f32 = z } \
  }
#define WASM_F64_VAL(z)                 \
  {                                     \
    .kind = WASM_F64, .of = {.f64 = z } \
  }
#define WASM_REF_VAL(r)                       \
  {                                           \
    .kind = WASM_EXTERNREF, .of = {.ref = r } \
  }
#define WASM_INIT_VAL                            \
  {                                              \
    .kind = WASM_EXTERNREF, .of = {.ref = NULL } \
  }

#undef own

#ifdef __cplusplus
}
#endif

#endif /* WASM_H */
