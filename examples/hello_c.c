/* Embedding wisp from C through the standard WebAssembly C API (wasm.h): compile a module,
 * instantiate it, call an export. wisp.h adds wisp's own features (limits, reset, WASI,
 * strategies) to the same objects. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm.h"

#ifndef WISP_EXAMPLES_DIR /* built against an installed wisp: pass the module's path */
#define WISP_EXAMPLES_DIR "."
#endif

static int read_file(const char* path, wasm_byte_vec_t* out) {
  FILE* f = fopen(path, "rb");
  if (!f) return 0;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  wasm_byte_vec_new_uninitialized(out, (size_t)size);
  int ok = fread(out->data, 1, (size_t)size, f) == (size_t)size;
  fclose(f);
  return ok;
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : WISP_EXAMPLES_DIR "/factorial.wasm";
  wasm_engine_t* engine = wasm_engine_new(); /* share one per process */
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t bytes;
  if (!read_file(path, &bytes)) {
    fprintf(stderr, "error: cannot read %s\n", path);
    return 1;
  }
  wasm_module_t* module = wasm_module_new(store, &bytes); /* NULL if invalid */
  wasm_byte_vec_delete(&bytes);
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = module ? wasm_instance_new(store, module, &imports, &trap) : NULL;
  if (!instance) {
    fprintf(stderr, "error: %s did not compile or instantiate\n", path);
    return 1;
  }
  /* Find "factorial" among the exports (they come in the module's order). */
  wasm_exporttype_vec_t types;
  wasm_extern_vec_t exports;
  wasm_module_exports(module, &types);
  wasm_instance_exports(instance, &exports);
  wasm_func_t* factorial = NULL;
  for (size_t i = 0; i < types.size; ++i) {
    const wasm_name_t* name = wasm_exporttype_name(types.data[i]);
    if (name->size == 9 && memcmp(name->data, "factorial", 9) == 0)
      factorial = wasm_extern_as_func(exports.data[i]);
  }
  int status = factorial ? 0 : 1;
  for (int32_t n = 5; factorial && n <= 20; n += n < 10 ? 5 : 10) {
    wasm_val_t args[1] = {WASM_I32_VAL(n)};
    wasm_val_t results[1] = {WASM_INIT_VAL};
    wasm_val_vec_t av = WASM_ARRAY_VEC(args), rv = WASM_ARRAY_VEC(results);
    trap = wasm_func_call(factorial, &av, &rv);
    if (trap) {
      wasm_message_t message;
      wasm_trap_message(trap, &message);
      fprintf(stderr, "error: %s\n", message.data);
      wasm_byte_vec_delete(&message);
      wasm_trap_delete(trap);
      status = 1;
      break;
    }
    printf("factorial(%d) = %" PRId64 "\n", n, results[0].of.i64);
  }
  wasm_extern_vec_delete(&exports);
  wasm_exporttype_vec_delete(&types);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return status;
}
