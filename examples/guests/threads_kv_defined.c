// The threads strategy's example guest in the other form: it DEFINES its shared memory
// (-Wl,--shared-memory without --import-memory), as clang makes a threads module by default. The
// threads strategy creates the memory with its first instance and binds every later instance to
// it. Same exports as threads_kv.c (included), plus a word of initialised data:
//   seed_get()     the word (0x5eed1234 as the module's data segment sets it)
//   seed_set(v)    stores v there
// wasm-ld makes the data segments of a shared memory passive, applied once by
// __wasm_init_memory (the start function) behind an atomic flag in the memory; a later instance
// over the same memory must see what was stored at run time, not the initial value again.
#include "threads_kv.c"

static uint32_t seed = 0x5eed1234u;

uint32_t seed_get(void) {
  return __atomic_load_n(&seed, __ATOMIC_SEQ_CST);
}

void seed_set(uint32_t v) {
  __atomic_store_n(&seed, v, __ATOMIC_SEQ_CST);
}
