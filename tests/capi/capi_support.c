/* Helpers shared by the C API tests: see capi_support.h. */
#include "capi_support.h"

#include <stdlib.h>
#include <string.h>

int capi_failures;
const char* capi_module_dir;

/* ---- helpers ---- */

wasm_module_t* load_module(wasm_store_t* store, const char* name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/capi_%s.wasm", capi_module_dir, name);
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
wasm_extern_t* export_named(const wasm_module_t* m, const wasm_extern_vec_t* exports,
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

wasm_func_t* func_named(const wasm_module_t* m, const wasm_extern_vec_t* e, const char* n) {
  wasm_func_t* f = wasm_extern_as_func(export_named(m, e, n));
  CHECK(f != NULL);
  return f;
}

/* Calls a function of one or two i32 parameters and one i32 result; returns the trap if any. */
wasm_trap_t* call_i32(const wasm_func_t* f, int nargs, int32_t a, int32_t b, int32_t* out) {
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

int32_t must_i32(const wasm_func_t* f, int nargs, int32_t a, int32_t b) {
  int32_t r = 0;
  wasm_trap_t* trap = call_i32(f, nargs, a, b, &r);
  CHECK(trap == NULL);
  if (trap) wasm_trap_delete(trap);
  return r;
}

int trap_message_contains(wasm_trap_t* trap, const char* needle) {
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

int env_finalized;

wasm_trap_t* twice_cb(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  twice_env* e = (twice_env*)env;
  e->calls++;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 * e->factor;
  return NULL;
}
void twice_finalize(void* env) {
  (void)env;
  env_finalized++;
}
wasm_trap_t* swap_cb(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  results->data[0].kind = WASM_F64;
  results->data[0].of.f64 = args->data[1].of.f64;
  results->data[1].kind = WASM_I64;
  results->data[1].of.i64 = args->data[0].of.i64;
  return NULL;
}
wasm_store_t* refusing_store;
wasm_trap_t* refuse_cb(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  wasm_message_t m;
  wasm_name_new_from_string_nt(&m, "no thanks");
  wasm_trap_t* t = wasm_trap_new(refusing_store, &m);
  wasm_byte_vec_delete(&m);
  return t;
}
wasm_trap_t* triple_cb(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 * 3;
  return NULL;
}

wasm_func_t* new_unary_i32(wasm_store_t* s, wasm_func_callback_t cb) {
  wasm_functype_t* t = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* f = wasm_func_new(s, t, cb);
  wasm_functype_delete(t);
  return f;
}

wasm_func_t* new_swap(wasm_store_t* s) {
  wasm_functype_t* t = wasm_functype_new_2_2(wasm_valtype_new_i64(), wasm_valtype_new_f64(),
                                             wasm_valtype_new_f64(), wasm_valtype_new_i64());
  wasm_func_t* f = wasm_func_new(s, t, swap_cb);
  wasm_functype_delete(t);
  return f;
}
