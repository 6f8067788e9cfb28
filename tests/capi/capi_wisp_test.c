/* Tests of the standard C API (wasm.h), continued — start, reflect, bad input, serialize,
 * finalize, threads — and of wisp.h (reset, limits, fuel, WASI, strategies); and main().
 *   wisp_capi_test MODULE_DIR */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "capi_support.h"

/* start, reflect: a start function's trap, and the module's imports and exports. */
void test_start_and_reflect(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load_module(store, "start_trap");
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t* trap = NULL;
  CHECK(wasm_instance_new(store, m, &none, &trap) == NULL);
  CHECK(trap_message_contains(trap, "unreachable"));
  wasm_module_delete(m);

  m = load_module(store, "calls");
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

  m = load_module(store, "state");
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
void test_bad_input(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t junk;
  wasm_byte_vec_new(&junk, 8, "\0asm\2\0\0\0");
  CHECK(!wasm_module_validate(store, &junk) && wasm_module_new(store, &junk) == NULL);
  wasm_byte_vec_delete(&junk);
  wasm_byte_vec_t empty = WASM_EMPTY_VEC;
  CHECK(wasm_module_new(store, &empty) == NULL);

  wasm_module_t* m = load_module(store, "calls");
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
void test_serialize(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load_module(store, "counter");
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
void test_finalize(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load_module(store, "counter");
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
void test_threads(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load_module(store, "calls");
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
void test_wisp(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* m = load_module(store, "counter");
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
  wasm_module_t* calls = load_module(store, "calls");
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
  wasm_module_t* echo = load_module(store, "wasi_echo");
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
  /* the threads strategy: two leases held at once are two instances over one shared memory */
  wasm_module_t* counting = load_module(store, "threads");
  wisp_policy_t two = {2, 0, WISP_RELEASE_DEFAULT, 0};
  wisp_strategy_t* threads =
      wisp_strategy_new(counting, WISP_STRATEGY_THREADS, &two, NULL, NULL, &trap);
  CHECK(threads != NULL && trap == NULL);
  wisp_lease_t* first = wisp_strategy_acquire(threads, 1000, NULL);
  wisp_lease_t* second = wisp_strategy_acquire(threads, 1000, NULL);
  CHECK(first != NULL && second != NULL);
  for (int i = 1; i <= 4; ++i) {
    wasm_val_t r[1] = {WASM_INIT_VAL};
    wasm_val_vec_t rv = WASM_ARRAY_VEC(r);
    CHECK(wisp_lease_call(i % 2 ? first : second, "count", NULL, &rv) == NULL && r[0].of.i32 == i);
  }
  wisp_lease_release(first);
  wisp_lease_release(second);
  wisp_strategy_stats(threads, &stats);
  CHECK(stats.creates == 2);
  wisp_strategy_delete(threads);
  /* a module that does not import a shared memory is refused, with the reason */
  CHECK(wisp_strategy_new(m, WISP_STRATEGY_THREADS, NULL, NULL, NULL, &trap) == NULL);
  CHECK(trap_message_contains(trap, "shared memory"));
  wasm_module_delete(counting);
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
void test_fuel(void) {
  wasm_config_t* config = wasm_config_new();
  wisp_config_consume_fuel(config, true);
  wisp_config_set_tier1(config, false);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  wasm_store_t* store = wasm_store_new(engine);
  wisp_limits_t limits;
  wisp_limits_default(&limits);
  limits.fuel = 1000;
  wisp_store_set_limits(store, &limits);
  wasm_module_t* m = load_module(store, "counter");
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
  capi_module_dir = argv[1];
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
  test_proposals(engine);
  wasm_engine_delete(engine);
  test_fuel();
  if (capi_failures) {
    fprintf(stderr, "%d check(s) failed\n", capi_failures);
    return 1;
  }
  printf("C API: all checks passed\n");
  return 0;
}
