// The runtime forwarders every module's C defines (see glue_text.hpp).
#include "compile/emit/glue_text.hpp"

namespace wisp::detail {

const char* const kRuntimeForwarders = R"C(
#ifdef __TINYC__
#define WISP_API
#else
#define WISP_API __attribute__((visibility("default")))
#endif
static const wisp_rt_api_t* wisp_rt;
static void wisp_bind(const wisp_rt_api_t* api) { wisp_rt = api; }
void wasm_rt_trap(wasm_rt_trap_t t) { wisp_rt->trap(t); abort(); }
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  wasm_rt_type_t small[32];
  wasm_rt_type_t* types = params + results <= 32 ? small : (wasm_rt_type_t*)malloc(sizeof(wasm_rt_type_t) * (params + results));
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < params + results; ++i) types[i] = (wasm_rt_type_t)va_arg(ap, int);
  va_end(ap);
  uint32_t id = wisp_rt->register_func_type(params, results, types);
  if (types != small) free(types);
  return id;
}
uint32_t wasm_rt_register_tag(uint32_t size) { return wisp_rt->register_tag(size); }
void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void* values) { wisp_rt->load_exception(tag, size, values); }
void wasm_rt_throw(void) { wisp_rt->throw_exception(); abort(); }
WASM_RT_UNWIND_TARGET* wasm_rt_get_unwind_target(void) { return wisp_rt->get_unwind_target(); }
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET* t) { wisp_rt->set_unwind_target(t); }
uint32_t wasm_rt_exception_tag(void) { return wisp_rt->exception_tag(); }
uint32_t wasm_rt_exception_size(void) { return wisp_rt->exception_size(); }
void* wasm_rt_exception(void) { return wisp_rt->exception(); }
void* wisp_capture_exception(void) { return wisp_rt->capture_exception(); }
void wisp_load_exception_refs(uint32_t tag, uint32_t size, const void* v, uint64_t refs) { wisp_rt->load_exception_refs(tag, size, v, refs); }
uint64_t wisp_exception_refs(void) { return wisp_rt->exception_refs(); }
void* wisp_exn_load(void* const* s) { return wisp_rt->exnref_load(s); }
void wisp_exn_fill(void** s, void* v, uint32_t n) { wisp_rt->exnref_fill(s, v, n); }
void wisp_exn_copy(void** d, void* const* s, uint32_t n) { wisp_rt->exnref_copy(d, s, n); }
void wisp_exn_release(void** s, size_t n) { wisp_rt->exnref_release(s, n); }
void wasm_rt_allocate_memory(wasm_rt_memory_t* m, uint32_t initial, uint32_t max) { wisp_rt->allocate_memory(m, initial, max); }
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* m, uint32_t delta) { return wisp_rt->grow_memory(m, delta); }
void wasm_rt_free_memory(wasm_rt_memory_t* m) { wisp_rt->free_memory(m); }
void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t* t, uint32_t n, uint32_t max) { wisp_rt->allocate_funcref_table(t, n, max); }
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* t) { wisp_rt->free_funcref_table(t); }
uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t* t, uint32_t d, wasm_rt_funcref_t v) { return wisp_rt->grow_funcref_table(t, d, v); }
void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t* t, uint32_t n, uint32_t max) { wisp_rt->allocate_externref_table(t, n, max); }
void wasm_rt_free_externref_table(wasm_rt_externref_table_t* t) { wisp_rt->free_externref_table(t); }
uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t* t, uint32_t d, wasm_rt_externref_t v) { return wisp_rt->grow_externref_table(t, d, v); }
uint32_t wisp_atomic_wait(void* p, uint64_t e, int64_t t, uint32_t size) { return wisp_rt->atomic_wait(p, e, t, size); }
uint32_t wisp_atomic_notify(void* p, uint32_t n) { return wisp_rt->atomic_notify(p, n); }
bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_init(void) {}
void wasm_rt_free(void) {}
const char* wasm_rt_strerror(wasm_rt_trap_t t) { (void)t; return "trap"; }
)C";

}  // namespace wisp::detail
