/* Tests of the standard C API (wasm.h) and wisp's C additions (wisp.h), written in C (C11) so
 * that the headers are checked as a C embedder sees them. Each test covers what one of the
 * wasm-c-api repository's examples exercises (hello/callback, global, memory, table, trap, start,
 * reflect, multi, finalize, hostref, serialize, threads), with assertions instead of printing,
 * plus bad input and wisp.h. The modules are the .wat files of tests/capi/wat, built as
 * MODULE_DIR/capi_NAME.wasm.
 *   wisp_capi_test MODULE_DIR */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm.h"
#include "wisp.h"

static int failures;
static const char* module_dir;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                              \
    }                                                                          \
  } while (0)

/* ---- helpers ---- */

static wasm_module_t* load(wasm_store_t* store, const char* name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/capi_%s.wasm", module_dir, name);
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  wasm_byte_vec_t bytes;
  wasm_byte_vec_new_uninitialized(&bytes, (size_t)size);
  if (fread(bytes.data, 1, (size_t)size, f) != (size_t)size) exit(2);
  fclose(f);
  wasm_module_t* m = wasm_module_new(store, &bytes);
  wasm_byte_vec_delete(&bytes);
  if (!m) {
    fprintf(stderr, "%s did not compile\n", path);
    exit(2);
  }
  return m;
}

/* The export named `name` (borrowed from `exports`). */
static wasm_extern_t* export_named(const wasm_module_t* m, const wasm_extern_vec_t* exports,
                                   const char* name) {
  wasm_exporttype_vec_t types;
  wasm_module_exports(m, &types);
  wasm_extern_t* found = NULL;
  for (size_t i = 0; i < types.size && i < exports->size; ++i) {
    const wasm_name_t* n = wasm_exporttype_name(types.data[i]);
    if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0) found = exports->data[i];
  }
  wasm_exporttype_vec_delete(&types);
  if (!found) {
    fprintf(stderr, "no export %s\n", name);
    exit(2);
  }
  return found;
}

static wasm_func_t* func_named(const wasm_module_t* m, const wasm_extern_vec_t* e, const char* n) {
  wasm_func_t* f = wasm_extern_as_func(export_named(m, e, n));
  CHECK(f != NULL);
  return f;
}

/* Calls a function of one or two i32 parameters and one i32 result; returns the trap if any. */
static wasm_trap_t* call_i32(const wasm_func_t* f, int nargs, int32_t a, int32_t b, int32_t* out) {
  wasm_val_t args[2] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
  wasm_val_t res[1] = {WASM_INIT_VAL};
  wasm_val_vec_t av = {(size_t)nargs, args};
  wasm_val_vec_t rv = WASM_ARRAY_VEC(res);
  wasm_trap_t* trap = wasm_func_call(f, &av, &rv);
  if (!trap && out) {
    CHECK(res[0].kind == WASM_I32);
    *out = res[0].of.i32;
  }
  return trap;
}

static int32_t must_i32(const wasm_func_t* f, int nargs, int32_t a, int32_t b) {
  int32_t r = 0;
  wasm_trap_t* trap = call_i32(f, nargs, a, b, &r);
  CHECK(trap == NULL);
  if (trap) wasm_trap_delete(trap);
  return r;
}

static int trap_message_contains(wasm_trap_t* trap, const char* needle) {
  if (!trap) return 0;
  wasm_message_t m;
  wasm_trap_message(trap, &m);
  int ok = m.size > 0 && m.data[m.size - 1] == '\0' && strstr(m.data, needle) != NULL;
  if (!ok) fprintf(stderr, "trap message: %.*s (wanted %s)\n", (int)m.size, m.data, needle);
  wasm_byte_vec_delete(&m);
  wasm_trap_delete(trap);
  return ok;
}

/* ---- host functions ---- */

typedef struct {
  int32_t factor;
  int calls;
} twice_env;
static int env_finalized;

static wasm_trap_t* twice_cb(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  twice_env* e = (twice_env*)env;
  e->calls++;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 * e->factor;
  return NULL;
}
static void twice_finalize(void* env) {
  (void)env;
  env_finalized++;
}
static wasm_trap_t* swap_cb(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  results->data[0].kind = WASM_F64;
  results->data[0].of.f64 = args->data[1].of.f64;
  results->data[1].kind = WASM_I64;
  results->data[1].of.i64 = args->data[0].of.i64;
  return NULL;
}
static wasm_store_t* refusing_store;
static wasm_trap_t* refuse_cb(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  wasm_message_t m;
  wasm_name_new_from_string_nt(&m, "no thanks");
  wasm_trap_t* t = wasm_trap_new(refusing_store, &m);
  wasm_byte_vec_delete(&m);
  return t;
}
static wasm_trap_t* triple_cb(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 * 3;
  return NULL;
}

static wasm_func_t* new_unary_i32(wasm_store_t* s, wasm_func_callback_t cb) {
  wasm_functype_t* t = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* f = wasm_func_new(s, t, cb);
  wasm_functype_delete(t);
  return f;
}

static wasm_func_t* new_swap(wasm_store_t* s) {
  wasm_functype_t* t = wasm_functype_new_2_2(wasm_valtype_new_i64(), wasm_valtype_new_f64(),
                                             wasm_valtype_new_f64(), wasm_valtype_new_i64());
  wasm_func_t* f = wasm_func_new(s, t, swap_cb);
  wasm_functype_delete(t);
  return f;
}

/* ---- tests ---- */

/* hello, callback, multi, trap: host functions with and without an environment, multi-value,
 * traps of WebAssembly and of the host, argument checking. */
static void test_calls(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load(store, "calls");
  twice_env env = {2, 0};
  wasm_functype_t* t = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* twice = wasm_func_new_with_env(store, t, twice_cb, &env, twice_finalize);
  wasm_functype_delete(t);
  wasm_func_t* swap = new_swap(store);
  CHECK(wasm_func_param_arity(swap) == 2 && wasm_func_result_arity(swap) == 2);
  wasm_extern_t* imports[] = {wasm_func_as_extern(twice), wasm_func_as_extern(swap)};
  wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
  wasm_trap_t* trap = NULL;
  wasm_instance_t* inst = wasm_instance_new(store, m, &iv, &trap);
  CHECK(inst != NULL && trap == NULL);
  wasm_extern_vec_t ex;
  wasm_instance_exports(inst, &ex);

  CHECK(must_i32(func_named(m, &ex, "add"), 2, 2, 3) == 5);
  CHECK(must_i32(func_named(m, &ex, "twice_plus_one"), 1, 20, 0) == 41);
  CHECK(env.calls == 1);
  CHECK(must_i32(func_named(m, &ex, "fib"), 1, 10, 0) == 55);
  /* the host function called directly */
  CHECK(must_i32(twice, 1, 21, 0) == 42 && env.calls == 2);

  /* multi-value through the host */
  wasm_val_t args[2] = {WASM_I64_VAL(7), WASM_F64_VAL(2.5)};
  wasm_val_t res[2] = {WASM_INIT_VAL, WASM_INIT_VAL};
  wasm_val_vec_t av = WASM_ARRAY_VEC(args), rv = WASM_ARRAY_VEC(res);
  CHECK(wasm_func_call(func_named(m, &ex, "swap_via_host"), &av, &rv) == NULL);
  CHECK(res[0].kind == WASM_F64 && res[0].of.f64 == 2.5);
  CHECK(res[1].kind == WASM_I64 && res[1].of.i64 == 7);

  /* traps */
  CHECK(trap_message_contains(call_i32(func_named(m, &ex, "crash"), 0, 0, 0, NULL), "unreachable"));
  CHECK(trap_message_contains(call_i32(func_named(m, &ex, "div"), 2, 1, 0, NULL), "divide"));
  /* the instance keeps working after a trap */
  CHECK(must_i32(func_named(m, &ex, "add"), 2, 40, 2) == 42);

  /* wrong arguments: a trap, not a crash */
  wasm_val_t wrong[2] = {WASM_F32_VAL(1.0f), WASM_I32_VAL(1)};
  wasm_val_vec_t wv = WASM_ARRAY_VEC(wrong);
  wasm_val_t one[1] = {WASM_INIT_VAL};
  wasm_val_vec_t ov = WASM_ARRAY_VEC(one);
  CHECK(trap_message_contains(wasm_func_call(func_named(m, &ex, "add"), &wv, &ov), "argument 1"));
  CHECK(trap_message_contains(call_i32(func_named(m, &ex, "add"), 1, 1, 0, NULL), "arguments"));

  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);

  /* a host function's trap reaches the caller with its message */
  refusing_store = store;
  wasm_func_t* refuse = new_unary_i32(store, refuse_cb);
  wasm_extern_t* imports2[] = {wasm_func_as_extern(refuse), wasm_func_as_extern(swap)};
  wasm_extern_vec_t iv2 = WASM_ARRAY_VEC(imports2);
  inst = wasm_instance_new(store, m, &iv2, NULL);
  CHECK(inst != NULL);
  wasm_instance_exports(inst, &ex);
  wasm_trap_t* refused = call_i32(func_named(m, &ex, "twice_plus_one"), 1, 1, 0, NULL);
  CHECK(refused != NULL);
  if (refused) {
    wasm_message_t msg;
    wasm_trap_message(refused, &msg);
    CHECK(msg.size == strlen("no thanks") + 1 && strcmp(msg.data, "no thanks") == 0);
    wasm_byte_vec_delete(&msg);
    wasm_frame_vec_t trace;
    wasm_trap_trace(refused, &trace);
    CHECK(trace.size == 0); /* wisp keeps no frames (README: C API) */
    wasm_frame_vec_delete(&trace);
    wasm_trap_delete(refused);
  }
  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);
  wasm_func_delete(refuse);
  wasm_func_delete(twice);
  wasm_func_delete(swap);
  wasm_module_delete(m);
  CHECK(env_finalized == 0 || env_finalized == 1);
  wasm_store_delete(store);
  CHECK(env_finalized == 1); /* nothing can call it any more */
}

/* global, memory, table: host-made and exported, shared storage, limits, call_indirect. */
static void test_state(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load(store, "state");
  wasm_globaltype_t* bt = wasm_globaltype_new(wasm_valtype_new_i64(), WASM_CONST);
  wasm_globaltype_t* ct = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_VAR);
  wasm_val_t forty = WASM_I64_VAL(40), zero = WASM_I32_VAL(0), wrong = WASM_F64_VAL(1.0);
  wasm_global_t* base = wasm_global_new(store, bt, &forty);
  wasm_global_t* counter = wasm_global_new(store, ct, &zero);
  CHECK(wasm_global_new(store, ct, &wrong) == NULL); /* a value of the wrong type */
  wasm_globaltype_delete(bt);
  wasm_globaltype_delete(ct);
  wasm_extern_t* imports[] = {wasm_global_as_extern(base), wasm_global_as_extern(counter)};
  wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
  wasm_instance_t* inst = wasm_instance_new(store, m, &iv, NULL);
  CHECK(inst != NULL);
  wasm_extern_vec_t ex;
  wasm_instance_exports(inst, &ex);

  /* globals */
  wasm_val_t two = WASM_I64_VAL(2), r64 = WASM_INIT_VAL;
  wasm_val_vec_t a1 = {1, &two}, r1 = {1, &r64};
  CHECK(wasm_func_call(func_named(m, &ex, "base_plus"), &a1, &r1) == NULL && r64.of.i64 == 42);
  wasm_func_t* bump = func_named(m, &ex, "bump");
  CHECK(must_i32(bump, 0, 0, 0) == 1);
  wasm_val_t v;
  wasm_global_get(counter, &v);
  CHECK(v.kind == WASM_I32 && v.of.i32 == 1); /* the guest wrote the host's global */
  wasm_val_t ten = WASM_I32_VAL(10);
  wasm_global_set(counter, &ten);
  CHECK(must_i32(bump, 0, 0, 0) == 11);
  wasm_global_t* level = wasm_extern_as_global(export_named(m, &ex, "level"));
  wasm_global_get(level, &v);
  CHECK(v.kind == WASM_F32 && v.of.f32 == 1.5f);
  wasm_val_t quarter = WASM_F32_VAL(2.25f), rf = WASM_INIT_VAL;
  wasm_global_set(level, &quarter);
  wasm_val_vec_t none = WASM_EMPTY_VEC, rfv = {1, &rf};
  CHECK(wasm_func_call(func_named(m, &ex, "get_level"), &none, &rfv) == NULL && rf.of.f32 == 2.25f);
  wasm_global_t* fixed = wasm_extern_as_global(export_named(m, &ex, "fixed"));
  wasm_val_t seven = WASM_I64_VAL(7);
  wasm_global_set(fixed, &seven); /* immutable: ignored */
  wasm_global_get(fixed, &v);
  CHECK(v.of.i64 == 99);
  wasm_globaltype_t* ft = wasm_global_type(fixed);
  CHECK(wasm_globaltype_mutability(ft) == WASM_CONST &&
        wasm_valtype_kind(wasm_globaltype_content(ft)) == WASM_I64);
  wasm_globaltype_delete(ft);

  /* memory */
  wasm_memory_t* mem = wasm_extern_as_memory(export_named(m, &ex, "mem"));
  CHECK(wasm_memory_size(mem) == 1 && wasm_memory_data_size(mem) == 65536);
  CHECK(memcmp(wasm_memory_data(mem) + 16, "wisp", 4) == 0);
  wasm_memory_data(mem)[100] = 77;
  CHECK(must_i32(func_named(m, &ex, "load8"), 1, 100, 0) == 77);
  wasm_val_t sargs[2] = {WASM_I32_VAL(200), WASM_I32_VAL(9)};
  wasm_val_vec_t sav = WASM_ARRAY_VEC(sargs), snone = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(func_named(m, &ex, "store8"), &sav, &snone) == NULL);
  CHECK(wasm_memory_data(mem)[200] == 9);
  CHECK(trap_message_contains(call_i32(func_named(m, &ex, "load8"), 1, 65536, 0, NULL), "bounds"));
  CHECK(wasm_memory_grow(mem, 1) && wasm_memory_size(mem) == 2);
  CHECK(must_i32(func_named(m, &ex, "pages"), 0, 0, 0) == 2);
  CHECK(!wasm_memory_grow(mem, 3) && wasm_memory_size(mem) == 2); /* max 4 */
  wasm_memorytype_t* mt = wasm_memory_type(mem);
  CHECK(wasm_memorytype_limits(mt)->min == 2 && wasm_memorytype_limits(mt)->max == 4);
  wasm_memorytype_delete(mt);

  /* table */
  wasm_table_t* tbl = wasm_extern_as_table(export_named(m, &ex, "tbl"));
  wasm_func_t* apply = func_named(m, &ex, "apply");
  CHECK(wasm_table_size(tbl) == 3);
  wasm_ref_t* r0 = wasm_table_get(tbl, 0);
  CHECK(r0 != NULL && wasm_table_get(tbl, 1) == NULL);
  CHECK(must_i32(apply, 2, 0, 5) == 6);
  /* a function read from the table is callable */
  if (r0) {
    wasm_func_t* inc = wasm_ref_as_func(r0);
    CHECK(inc != NULL && must_i32(inc, 1, 41, 0) == 42);
    CHECK(wasm_ref_same(r0, wasm_func_as_ref(func_named(m, &ex, "inc"))));
    wasm_ref_delete(r0);
  }
  CHECK(wasm_table_set(tbl, 1, wasm_func_as_ref(func_named(m, &ex, "neg"))));
  CHECK(must_i32(apply, 2, 1, 5) == -5);
  wasm_func_t* triple = new_unary_i32(store, triple_cb);
  CHECK(wasm_table_set(tbl, 1, wasm_func_as_ref(triple))); /* a host function in a table */
  CHECK(must_i32(apply, 2, 1, 5) == 15);
  CHECK(trap_message_contains(call_i32(apply, 2, 2, 5, NULL), "indirect"));
  CHECK(trap_message_contains(call_i32(apply, 2, 3, 5, NULL), "indirect")); /* out of range */
  CHECK(wasm_table_grow(tbl, 2, NULL) && wasm_table_size(tbl) == 5);
  CHECK(!wasm_table_grow(tbl, 4, NULL) && wasm_table_size(tbl) == 5); /* max 8 */
  CHECK(wasm_table_grow(tbl, 1, wasm_func_as_ref(triple)) && wasm_table_size(tbl) == 6);
  CHECK(must_i32(apply, 2, 5, 2) == 6);
  CHECK(!wasm_table_set(tbl, 6, NULL) && wasm_table_get(tbl, 6) == NULL);
  wasm_func_delete(triple);

  /* stand-alone memory and table */
  wasm_limits_t ml = {1, 2};
  wasm_memorytype_t* smt = wasm_memorytype_new(&ml);
  wasm_memory_t* smem = wasm_memory_new(store, smt);
  wasm_memorytype_delete(smt);
  CHECK(smem && wasm_memory_size(smem) == 1 && wasm_memory_grow(smem, 1) &&
        !wasm_memory_grow(smem, 1));
  wasm_memory_delete(smem);
  wasm_limits_t tl = {2, 2};
  wasm_tabletype_t* stt = wasm_tabletype_new(wasm_valtype_new_funcref(), &tl);
  wasm_table_t* stbl = wasm_table_new(store, stt, NULL);
  wasm_tabletype_delete(stt);
  CHECK(stbl && wasm_table_size(stbl) == 2 && !wasm_table_grow(stbl, 1, NULL) &&
        wasm_table_grow(stbl, 0, NULL));
  wasm_table_delete(stbl);

  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);
  wasm_global_delete(base);
  wasm_global_delete(counter);
  wasm_module_delete(m);
  wasm_store_delete(store);
}

/* hostref: host objects as externrefs through a global, a table and a host function. */
static int foreign_finalized;
static void foreign_finalize(void* p) {
  (void)p;
  foreign_finalized++;
}
static wasm_trap_t* echo_cb(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  wasm_val_copy(&results->data[0], &args->data[0]);
  return NULL;
}

static wasm_ref_t* call_ref(const wasm_func_t* f, int32_t i, int with_i, wasm_ref_t* ref,
                            int with_ref) {
  wasm_val_t args[2];
  size_t n = 0;
  if (with_i) {
    args[n].kind = WASM_I32;
    args[n++].of.i32 = i;
  }
  if (with_ref) {
    args[n].kind = WASM_EXTERNREF;
    args[n++].of.ref = ref;
  }
  wasm_val_t res[1] = {WASM_INIT_VAL};
  wasm_val_vec_t av = {n, args}, rv = {wasm_func_result_arity(f), res};
  wasm_trap_t* t = wasm_func_call(f, &av, &rv);
  CHECK(t == NULL);
  if (t) wasm_trap_delete(t);
  return rv.size ? res[0].of.ref : NULL;
}

static int same_and_delete(wasm_ref_t* actual, const wasm_ref_t* expected) {
  int ok = actual == expected || (actual && expected && wasm_ref_same(actual, expected));
  if (actual) wasm_ref_delete(actual);
  return ok;
}

static void test_refs(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load(store, "refs");
  wasm_functype_t* t =
      wasm_functype_new_1_1(wasm_valtype_new_externref(), wasm_valtype_new_externref());
  wasm_func_t* echo = wasm_func_new(store, t, echo_cb);
  wasm_functype_delete(t);
  wasm_extern_t* imports[] = {wasm_func_as_extern(echo)};
  wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
  wasm_instance_t* inst = wasm_instance_new(store, m, &iv, NULL);
  CHECK(inst != NULL);
  wasm_extern_vec_t ex;
  wasm_instance_exports(inst, &ex);
  wasm_ref_t* a = wasm_foreign_as_ref(wasm_foreign_new(store));
  wasm_ref_t* b = wasm_foreign_as_ref(wasm_foreign_new(store));
  wasm_ref_set_host_info_with_finalizer(a, (void*)1, foreign_finalize);
  wasm_ref_set_host_info(b, (void*)2);
  CHECK(!wasm_ref_same(a, b));
  wasm_ref_t* a2 = wasm_ref_copy(a);
  CHECK(wasm_ref_same(a, a2) && wasm_ref_get_host_info(a2) == (void*)1);
  wasm_ref_delete(a2);

  wasm_func_t* hold = func_named(m, &ex, "hold");
  wasm_func_t* held = func_named(m, &ex, "held_ref");
  CHECK(same_and_delete(call_ref(held, 0, 0, NULL, 0), NULL));
  call_ref(hold, 0, 0, a, 1);
  CHECK(same_and_delete(call_ref(held, 0, 0, NULL, 0), a));
  wasm_global_t* g = wasm_extern_as_global(export_named(m, &ex, "held"));
  wasm_val_t v;
  wasm_global_get(g, &v);
  CHECK(v.kind == WASM_EXTERNREF && v.of.ref && wasm_ref_get_host_info(v.of.ref) == (void*)1);
  wasm_val_delete(&v);
  wasm_val_t vb = WASM_REF_VAL(b);
  wasm_global_set(g, &vb);
  CHECK(same_and_delete(call_ref(held, 0, 0, NULL, 0), b));

  wasm_func_t* put = func_named(m, &ex, "put");
  wasm_func_t* get = func_named(m, &ex, "get");
  call_ref(put, 1, 1, b, 1);
  CHECK(same_and_delete(call_ref(get, 1, 1, NULL, 0), b));
  CHECK(same_and_delete(call_ref(get, 0, 1, NULL, 0), NULL));
  wasm_table_t* slots = wasm_extern_as_table(export_named(m, &ex, "slots"));
  CHECK(wasm_table_set(slots, 2, a));
  CHECK(same_and_delete(call_ref(get, 2, 1, NULL, 0), a));
  CHECK(same_and_delete(wasm_table_get(slots, 1), b));

  wasm_func_t* via_host = func_named(m, &ex, "echo");
  CHECK(same_and_delete(call_ref(via_host, 0, 0, a, 1), a));
  CHECK(same_and_delete(call_ref(via_host, 0, 0, NULL, 1), NULL));
  wasm_val_t isnull_args[1] = {WASM_REF_VAL(NULL)};
  wasm_val_t isnull_res[1] = {WASM_INIT_VAL};
  wasm_val_vec_t nav = WASM_ARRAY_VEC(isnull_args), nrv = WASM_ARRAY_VEC(isnull_res);
  CHECK(wasm_func_call(func_named(m, &ex, "is_null"), &nav, &nrv) == NULL &&
        isnull_res[0].of.i32 == 1);

  wasm_ref_delete(a);
  wasm_ref_delete(b);
  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);
  wasm_func_delete(echo);
  wasm_module_delete(m);
  CHECK(foreign_finalized == 0); /* the guest may still hold it: it lives as long as the store */
  wasm_store_delete(store);
  CHECK(foreign_finalized == 1);
}

/* start, reflect: a start function's trap, and the module's imports and exports. */
static void test_start_and_reflect(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load(store, "start_trap");
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t* trap = NULL;
  CHECK(wasm_instance_new(store, m, &none, &trap) == NULL);
  CHECK(trap_message_contains(trap, "unreachable"));
  wasm_module_delete(m);

  m = load(store, "calls");
  wasm_importtype_vec_t imports;
  wasm_module_imports(m, &imports);
  CHECK(imports.size == 2);
  const wasm_name_t* mod = wasm_importtype_module(imports.data[0]);
  const wasm_name_t* name = wasm_importtype_name(imports.data[0]);
  CHECK(mod->size == 4 && memcmp(mod->data, "host", 4) == 0);
  CHECK(name->size == 5 && memcmp(name->data, "twice", 5) == 0);
  const wasm_functype_t* ft =
      wasm_externtype_as_functype_const(wasm_importtype_type(imports.data[1]));
  CHECK(ft && wasm_functype_params(ft)->size == 2 && wasm_functype_results(ft)->size == 2);
  CHECK(wasm_valtype_kind(wasm_functype_results(ft)->data[0]) == WASM_F64);
  CHECK(wasm_externtype_as_globaltype_const(wasm_importtype_type(imports.data[1])) == NULL);
  wasm_importtype_vec_t copy;
  wasm_importtype_vec_copy(&copy, &imports);
  CHECK(copy.size == 2 && wasm_importtype_name(copy.data[1])->size == 4);
  wasm_importtype_vec_delete(&copy);
  wasm_importtype_vec_delete(&imports);
  wasm_module_delete(m);

  m = load(store, "state");
  wasm_exporttype_vec_t exports;
  wasm_module_exports(m, &exports);
  int seen = 0;
  for (size_t i = 0; i < exports.size; ++i) {
    const wasm_name_t* n = wasm_exporttype_name(exports.data[i]);
    const wasm_externtype_t* et = wasm_exporttype_type(exports.data[i]);
    if (n->size == 3 && memcmp(n->data, "mem", 3) == 0) {
      const wasm_limits_t* l = wasm_memorytype_limits(wasm_externtype_as_memorytype_const(et));
      CHECK(wasm_externtype_kind(et) == WASM_EXTERN_MEMORY && l->min == 1 && l->max == 4);
      seen++;
    } else if (n->size == 3 && memcmp(n->data, "tbl", 3) == 0) {
      const wasm_tabletype_t* tt = wasm_externtype_as_tabletype_const(et);
      CHECK(tt && wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_FUNCREF);
      CHECK(wasm_tabletype_limits(tt)->min == 3 && wasm_tabletype_limits(tt)->max == 8);
      seen++;
    } else if (n->size == 5 && memcmp(n->data, "level", 5) == 0) {
      const wasm_globaltype_t* gt = wasm_externtype_as_globaltype_const(et);
      CHECK(gt && wasm_globaltype_mutability(gt) == WASM_VAR &&
            wasm_valtype_kind(wasm_globaltype_content(gt)) == WASM_F32);
      seen++;
    }
  }
  CHECK(seen == 3);
  wasm_exporttype_vec_delete(&exports);
  wasm_module_delete(m);
  wasm_store_delete(store);
}

/* Malformed modules and wrong imports: NULL and a trap saying why, never a crash. */
static void test_bad_input(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t junk;
  wasm_byte_vec_new(&junk, 8, "\0asm\2\0\0\0");
  CHECK(!wasm_module_validate(store, &junk) && wasm_module_new(store, &junk) == NULL);
  wasm_byte_vec_delete(&junk);
  wasm_byte_vec_t empty = WASM_EMPTY_VEC;
  CHECK(wasm_module_new(store, &empty) == NULL);

  wasm_module_t* m = load(store, "calls");
  wasm_trap_t* trap = NULL;
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_instance_new(store, m, &none, &trap) == NULL);
  CHECK(trap_message_contains(trap, "import"));
  /* a function of the wrong type, and a memory where a function belongs */
  wasm_func_t* swap = new_swap(store);
  wasm_extern_t* wrong[] = {wasm_func_as_extern(swap), wasm_func_as_extern(swap)};
  wasm_extern_vec_t wv = WASM_ARRAY_VEC(wrong);
  trap = NULL;
  CHECK(wasm_instance_new(store, m, &wv, &trap) == NULL && trap != NULL);
  if (trap) wasm_trap_delete(trap);
  wasm_limits_t l = {1, 1};
  wasm_memorytype_t* mt = wasm_memorytype_new(&l);
  wasm_memory_t* mem = wasm_memory_new(store, mt);
  wasm_memorytype_delete(mt);
  wasm_extern_t* wrong2[] = {wasm_memory_as_extern(mem), wasm_func_as_extern(swap)};
  wasm_extern_vec_t wv2 = WASM_ARRAY_VEC(wrong2);
  CHECK(wasm_instance_new(store, m, &wv2, NULL) == NULL);
  CHECK(wasm_extern_as_func(wasm_memory_as_extern(mem)) == NULL);
  wasm_memory_delete(mem);
  wasm_func_delete(swap);
  wasm_module_delete(m);
  wasm_store_delete(store);
}

/* serialize: a module serialized and deserialized instantiates and runs. */
static void test_serialize(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load(store, "counter");
  wasm_byte_vec_t bytes;
  wasm_module_serialize(m, &bytes);
  CHECK(bytes.size > 8);
  wasm_module_delete(m);
  wasm_module_t* back = wasm_module_deserialize(store, &bytes);
  wasm_byte_vec_delete(&bytes);
  CHECK(back != NULL);
  wasm_extern_vec_t none = WASM_EMPTY_VEC, ex;
  wasm_instance_t* inst = wasm_instance_new(store, back, &none, NULL);
  wasm_instance_exports(inst, &ex);
  CHECK(must_i32(func_named(back, &ex, "next"), 0, 0, 0) == 1);
  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);
  wasm_module_delete(back);
  wasm_store_delete(store);
}

/* finalize: host info finalizers run when the object's last handle goes. */
static int instances_finalized;
static void instance_finalize(void* p) {
  (void)p;
  instances_finalized++;
}
static void test_finalize(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load(store, "counter");
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  for (int i = 0; i < 1000; ++i) {
    wasm_instance_t* inst = wasm_instance_new(store, m, &none, NULL);
    CHECK(inst != NULL);
    wasm_instance_set_host_info_with_finalizer(inst, (void*)(intptr_t)i, instance_finalize);
    wasm_instance_t* copy = wasm_instance_copy(inst);
    CHECK(wasm_instance_get_host_info(copy) == (void*)(intptr_t)i);
    wasm_instance_delete(inst);
    wasm_instance_delete(copy);
  }
  CHECK(instances_finalized == 1000);
  wasm_module_delete(m);
  wasm_store_delete(store);
}

/* threads: one module shared by threads, each with its own store, functions and instance. */
typedef struct {
  wasm_engine_t* engine;
  wasm_shared_module_t* shared;
  int ok;
} thread_arg;
static void* thread_main(void* p) {
  thread_arg* a = (thread_arg*)p;
  wasm_store_t* store = wasm_store_new(a->engine);
  wasm_module_t* m = wasm_module_obtain(store, a->shared);
  twice_env env = {3, 0};
  wasm_functype_t* t = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* twice = wasm_func_new_with_env(store, t, twice_cb, &env, NULL);
  wasm_functype_delete(t);
  wasm_func_t* swap = new_swap(store);
  wasm_extern_t* imports[] = {wasm_func_as_extern(twice), wasm_func_as_extern(swap)};
  wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports), ex;
  wasm_instance_t* inst = wasm_instance_new(store, m, &iv, NULL);
  a->ok = inst != NULL;
  if (inst) {
    wasm_instance_exports(inst, &ex);
    wasm_func_t* f = func_named(m, &ex, "twice_plus_one");
    for (int i = 0; i < 2000; ++i) {
      int32_t r = 0;
      wasm_trap_t* trap = call_i32(f, 1, i, 0, &r);
      if (trap || r != 3 * i + 1) a->ok = 0;
      if (trap) wasm_trap_delete(trap);
    }
    a->ok = a->ok && env.calls == 2000;
    wasm_extern_vec_delete(&ex);
    wasm_instance_delete(inst);
  }
  wasm_func_delete(twice);
  wasm_func_delete(swap);
  wasm_module_delete(m);
  wasm_store_delete(store);
  return NULL;
}
static void test_threads(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load(store, "calls");
  wasm_shared_module_t* shared = wasm_module_share(m);
  enum { kThreads = 6 };
  pthread_t threads[kThreads];
  thread_arg args[kThreads];
  for (int i = 0; i < kThreads; ++i) {
    args[i] = (thread_arg){engine, shared, 0};
    pthread_create(&threads[i], NULL, thread_main, &args[i]);
  }
  for (int i = 0; i < kThreads; ++i) {
    pthread_join(threads[i], NULL);
    CHECK(args[i].ok);
  }
  wasm_shared_module_delete(shared);
  wasm_module_delete(m);
  wasm_store_delete(store);
}

/* wisp.h: reset, limits (timeout, memory), fuel, WASI, strategies. */
static void test_wisp(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load(store, "counter");
  wasm_extern_vec_t none = WASM_EMPTY_VEC, ex;
  wasm_instance_t* inst = wasm_instance_new(store, m, &none, NULL);
  wasm_instance_exports(inst, &ex);
  wasm_func_t* next = func_named(m, &ex, "next");
  CHECK(must_i32(next, 0, 0, 0) == 1 && must_i32(next, 0, 0, 0) == 2);
  CHECK(wisp_instance_reset(inst) == NULL);
  CHECK(must_i32(next, 0, 0, 0) == 1);
  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);

  /* a call timeout from the store's limits */
  wisp_limits_t limits;
  wisp_limits_default(&limits);
  CHECK(limits.max_memory_pages == 65536);
  limits.call_timeout_ms = 100;
  wisp_store_set_limits(store, &limits);
  wasm_module_t* calls = load(store, "calls");
  wasm_func_t* twice = new_unary_i32(store, triple_cb);
  wasm_func_t* swap = new_swap(store);
  wasm_extern_t* imports[] = {wasm_func_as_extern(twice), wasm_func_as_extern(swap)};
  wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
  inst = wasm_instance_new(store, calls, &iv, NULL);
  CHECK(inst != NULL);
  wasm_instance_exports(inst, &ex);
  CHECK(trap_message_contains(call_i32(func_named(calls, &ex, "spin"), 0, 0, 0, NULL), "timeout"));
  CHECK(must_i32(func_named(calls, &ex, "add"), 2, 1, 2) == 3);
  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);
  wasm_func_delete(twice);
  wasm_func_delete(swap);
  wasm_module_delete(calls);

  /* WASI: stdin to stdout, and the exit code */
  wasm_module_t* echo = load(store, "wasi_echo");
  wisp_wasi_config_t* wasi = wisp_wasi_config_new();
  wisp_wasi_config_arg(wasi, "echo");
  wisp_wasi_config_capture_stdio(wasi, "ping", 4);
  wasm_trap_t* trap = NULL;
  inst = wisp_instance_new_wasi(store, echo, wasi, NULL, &trap);
  CHECK(inst != NULL && trap == NULL);
  CHECK(wisp_wasi_run(inst, &trap) == 7 && trap == NULL);
  wasm_byte_vec_t out;
  wisp_wasi_stdout(inst, &out);
  CHECK(out.size == 4 && memcmp(out.data, "ping", 4) == 0);
  wasm_byte_vec_delete(&out);
  wasm_instance_delete(inst);
  /* plain wasm_instance_new cannot satisfy WASI imports */
  CHECK(wasm_instance_new(store, echo, &none, NULL) == NULL);

  /* strategies: a pool that resets between leases, a shared instance that keeps state */
  wisp_policy_t policy = {2, 1, WISP_RELEASE_RESET, 0};
  wisp_strategy_t* pool = wisp_strategy_new(m, WISP_STRATEGY_POOL, &policy, NULL, NULL, &trap);
  CHECK(pool != NULL && trap == NULL);
  for (int round = 0; round < 3; ++round) {
    wisp_lease_t* lease = wisp_strategy_acquire(pool, 1000, &trap);
    CHECK(lease != NULL);
    wasm_val_t r[1] = {WASM_INIT_VAL};
    wasm_val_vec_t rv = WASM_ARRAY_VEC(r);
    CHECK(wisp_lease_call(lease, "next", NULL, &rv) == NULL && r[0].of.i32 == 1);
    CHECK(wisp_lease_call(lease, "next", NULL, &rv) == NULL && r[0].of.i32 == 2);
    CHECK(trap_message_contains(wisp_lease_call(lease, "missing", NULL, &rv), "missing"));
    wisp_lease_release(lease);
  }
  wisp_strategy_stats_t stats;
  wisp_strategy_stats(pool, &stats);
  CHECK(stats.leases == 3 && stats.resets >= 2);
  wisp_strategy_delete(pool);
  wisp_strategy_t* shared = wisp_strategy_new(m, WISP_STRATEGY_SHARED, NULL, NULL, NULL, NULL);
  CHECK(shared != NULL);
  for (int i = 1; i <= 3; ++i) {
    wisp_lease_t* lease = wisp_strategy_acquire(shared, 1000, NULL);
    wasm_val_t r[1] = {WASM_INIT_VAL};
    wasm_val_vec_t rv = WASM_ARRAY_VEC(r);
    CHECK(wisp_lease_call(lease, "next", NULL, &rv) == NULL && r[0].of.i32 == i);
    wisp_lease_release(lease);
  }
  wisp_strategy_delete(shared);
  /* a WASI command served by a strategy */
  wisp_strategy_t* cmd = wisp_strategy_new(echo, WISP_STRATEGY_FRESH, NULL, wasi, NULL, &trap);
  CHECK(cmd != NULL && trap == NULL);
  wisp_lease_t* lease = wisp_strategy_acquire(cmd, 1000, NULL);
  CHECK(trap_message_contains(wisp_lease_call(lease, "_start", NULL, NULL), "exit"));
  wisp_lease_discard(lease);
  wisp_strategy_delete(cmd);
  wisp_wasi_config_delete(wasi);
  wasm_module_delete(echo);
  wasm_module_delete(m);
  wasm_store_delete(store);
}

/* Fuel needs an engine that meters it. */
static void test_fuel(void) {
  wasm_config_t* config = wasm_config_new();
  wisp_config_consume_fuel(config, true);
  wisp_config_set_tier1(config, false);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  wasm_store_t* store = wasm_store_new(engine);
  wisp_limits_t limits;
  wisp_limits_default(&limits);
  limits.fuel = 1000;
  wisp_store_set_limits(store, &limits);
  wasm_module_t* m = load(store, "counter");
  wasm_extern_vec_t none = WASM_EMPTY_VEC, ex;
  wasm_instance_t* inst = wasm_instance_new(store, m, &none, NULL);
  wasm_instance_exports(inst, &ex);
  wasm_func_t* burn = func_named(m, &ex, "burn");
  CHECK(trap_message_contains(call_i32(burn, 1, 1000000, 0, NULL), "fuel"));
  wisp_instance_set_fuel(inst, 1000000);
  CHECK(must_i32(burn, 1, 10, 0) == 10);
  uint64_t left = wisp_instance_fuel_remaining(inst);
  CHECK(left < 1000000 && left > 900000);
  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);
  wasm_module_delete(m);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODULE_DIR\n", argv[0]);
    return 2;
  }
  module_dir = argv[1];
  wasm_engine_t* engine = wasm_engine_new();
  CHECK(engine != NULL);
  test_calls(engine);
  test_state(engine);
  test_refs(engine);
  test_start_and_reflect(engine);
  test_bad_input(engine);
  test_serialize(engine);
  test_finalize(engine);
  test_threads(engine);
  test_wisp(engine);
  wasm_engine_delete(engine);
  test_fuel();
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("C API: all checks passed\n");
  return 0;
}
