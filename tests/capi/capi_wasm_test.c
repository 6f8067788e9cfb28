/* Tests of the standard C API (wasm.h), in C (C11) so that the header is checked as a C embedder
 * sees it. Each test covers what examples of the wasm-c-api repository exercise, with assertions
 * instead of printing: hello/callback/multi/trap (test_calls), global/memory/table (test_state)
 * and hostref (test_refs). The modules are the .wat files of tests/capi/wat, built as
 * MODULE_DIR/capi_NAME.wasm; main() is in capi_wisp_test.c. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "capi_support.h"

/* ---- tests ---- */

/* hello, callback, multi, trap: host functions with and without an environment, multi-value,
 * traps of WebAssembly and of the host, argument checking. */
void test_calls(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load_module(store, "calls");
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
void test_state(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load_module(store, "state");
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

void test_refs(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load_module(store, "refs");
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

/* Newer proposals through wasm.h: a v128 parameter, result or global has the kind WISP_V128; a
 * call that would carry a v128 fails with a trap saying so (wasm_val_t has no room), the rest of
 * the module works; a module exporting a tag is refused (no extern kind for tags). */
void test_proposals(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load_module(store, "proposals");
  wasm_extern_vec_t iv = WASM_EMPTY_VEC, ex;
  wasm_trap_t* trap = NULL;
  wasm_instance_t* inst = wasm_instance_new(store, m, &iv, &trap);
  CHECK(inst != NULL && trap == NULL);
  wasm_instance_exports(inst, &ex);
  wasm_func_t* vadd = func_named(m, &ex, "vadd");
  wasm_functype_t* ft = wasm_func_type(vadd);
  CHECK(wasm_valtype_kind(wasm_functype_params(ft)->data[0]) == WISP_V128);
  CHECK(wasm_valtype_kind(wasm_functype_results(ft)->data[0]) == WISP_V128);
  wasm_functype_delete(ft);
  wasm_val_t args[2] = {WASM_I64_VAL(1), WASM_I64_VAL(2)}, res[1] = {WASM_INIT_VAL};
  wasm_val_vec_t av = WASM_ARRAY_VEC(args), rv = WASM_ARRAY_VEC(res);
  CHECK(trap_message_contains(wasm_func_call(vadd, &av, &rv), "v128"));
  CHECK(must_i32(func_named(m, &ex, "plain"), 1, 41, 0) == 42);
  wasm_globaltype_t* gt = wasm_global_type(wasm_extern_as_global(export_named(m, &ex, "vg")));
  CHECK(wasm_valtype_kind(wasm_globaltype_content(gt)) == WISP_V128);
  wasm_globaltype_delete(gt);
  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);
  wasm_module_delete(m);

  char path[4096];
  snprintf(path, sizeof path, "%s/capi_tags.wasm", capi_module_dir);
  FILE* f = fopen(path, "rb");
  CHECK(f != NULL);
  if (f) {
    unsigned char buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    wasm_byte_vec_t bytes;
    wasm_byte_vec_new(&bytes, n, (const wasm_byte_t*)buf);
    CHECK(wasm_module_new(store, &bytes) == NULL);
    wasm_byte_vec_delete(&bytes);
  }
  wasm_store_delete(store);
}
