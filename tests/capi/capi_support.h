/* Shared by the C API tests (tests/capi): the check macro, module loading, export lookup, calls
 * with i32 values, trap messages, and the host functions the tests import. */
#ifndef WISP_CAPI_SUPPORT_H
#define WISP_CAPI_SUPPORT_H

#include <stdint.h>
#include <stdio.h>

#include "wasm.h"
#include "wisp.h"

extern int capi_failures;
extern const char* capi_module_dir;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      capi_failures++;                                                         \
    }                                                                          \
  } while (0)

/* MODULE_DIR/capi_NAME.wasm, compiled (exits if it cannot). */
wasm_module_t* load_module(wasm_store_t* store, const char* name);
/* The export named `name` (borrowed from `exports`; exits if there is none). */
wasm_extern_t* export_named(const wasm_module_t* m, const wasm_extern_vec_t* exports,
                            const char* name);
wasm_func_t* func_named(const wasm_module_t* m, const wasm_extern_vec_t* e, const char* n);
/* Calls a function of one or two i32 parameters and one i32 result; returns the trap if any. */
wasm_trap_t* call_i32(const wasm_func_t* f, int nargs, int32_t a, int32_t b, int32_t* out);
/* The same, checking that it did not trap. */
int32_t must_i32(const wasm_func_t* f, int nargs, int32_t a, int32_t b);
/* Whether `trap` has a NUL-terminated message containing `needle`; deletes the trap. */
int trap_message_contains(wasm_trap_t* trap, const char* needle);

/* Host functions: twice (x * env->factor, with an environment), swap ((i64, f64) -> (f64, i64)),
 * refuse (a trap "no thanks" made in refusing_store), triple (x * 3). */
typedef struct {
  int32_t factor;
  int calls;
} twice_env;
extern int env_finalized;
extern wasm_store_t* refusing_store;
wasm_trap_t* twice_cb(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results);
void twice_finalize(void* env);
wasm_trap_t* swap_cb(const wasm_val_vec_t* args, wasm_val_vec_t* results);
wasm_trap_t* refuse_cb(const wasm_val_vec_t* args, wasm_val_vec_t* results);
wasm_trap_t* triple_cb(const wasm_val_vec_t* args, wasm_val_vec_t* results);
wasm_func_t* new_unary_i32(wasm_store_t* s, wasm_func_callback_t cb);
wasm_func_t* new_swap(wasm_store_t* s);

/* The tests (capi_wasm_test.c: wasm.h; capi_wisp_test.c: the rest of wasm.h and wisp.h). */
void test_calls(wasm_engine_t* engine);
void test_state(wasm_engine_t* engine);
void test_refs(wasm_engine_t* engine);
void test_start_and_reflect(wasm_engine_t* engine);
void test_bad_input(wasm_engine_t* engine);
void test_serialize(wasm_engine_t* engine);
void test_finalize(wasm_engine_t* engine);
void test_threads(wasm_engine_t* engine);
void test_wisp(wasm_engine_t* engine);
void test_fuel(void);
void test_proposals(wasm_engine_t* engine);

#endif
