/* Main module of the dynamic-linking tests: an allocator, a data symbol and functions side
 * modules reach through GOT.mem / GOT.func entries and env imports. */
#define EXPORT(name) __attribute__((export_name(#name)))
typedef unsigned long size_t;
extern unsigned char __heap_base;
static unsigned char* top;

EXPORT(malloc) void* malloc(size_t n) {
  if (!top) top = &__heap_base;
  top = (unsigned char*)(((size_t)top + 15) & ~(size_t)15);
  size_t need = (size_t)top + n, have = __builtin_wasm_memory_size(0) * 65536ul;
  if (need > have && __builtin_wasm_memory_grow(0, (need - have + 65535) / 65536) == (size_t)-1)
    return 0;
  void* p = top;
  top += n;
  return p;
}

int main_counter = 5; /* exported as a global holding its address (-Wl,--export=main_counter) */

EXPORT(main_twice) int main_twice(int x) {
  return 2 * x;
}

EXPORT(main_bump) int main_bump(void) {
  return ++main_counter;
}

/* Calls a function pointer a side module handed over (a slot in the shared table). */
EXPORT(main_call_ptr) int main_call_ptr(int (*f)(int), int x) {
  return f(x);
}
