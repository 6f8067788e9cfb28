// wasm_rt tables (funcref and externref): heap arrays with limits; growth may move them.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "runtime/call_boundary.hpp"
#include "runtime/memory.hpp"

namespace wisp::rt {

namespace {

template <typename Table, typename Elem>
void allocate_table(Table* t, uint32_t elements, uint32_t max, Elem null_value) {
  uint32_t cap = current_alloc_limits()->max_table_elements;
  t->data = nullptr;
  t->size = 0;
  t->max_size = std::min(max, cap);
  if (elements > cap) {
    {
      InHostScope in_runtime;  // the watchdog's signal must not unwind out of the allocation
      set_trap_message("table of " + std::to_string(elements) + " elements exceeds the limit of " +
                       std::to_string(cap));
    }
    raise_trap(trap_code(TrapKind::resource_limit));
  }
  Elem* data = nullptr;
  {
    InHostScope in_runtime;
    data = static_cast<Elem*>(std::malloc(sizeof(Elem) * std::max<uint32_t>(elements, 1)));
  }
  if (data == nullptr) {
    set_trap_message("out of memory allocating a table");
    raise_trap(trap_code(TrapKind::resource_limit));
  }
  std::fill(data, data + elements, null_value);
  t->data = data;
  t->size = elements;
}

template <typename Table, typename Elem>
uint32_t grow_table(Table* t, uint32_t delta, Elem init) {
  uint32_t old = t->size;
  if (delta == 0) return old;
  uint64_t wanted = uint64_t{old} + delta;
  if (wanted > t->max_size) return UINT32_MAX;
  InHostScope in_runtime;
  auto* data = static_cast<Elem*>(std::realloc(t->data, sizeof(Elem) * wanted));
  if (data == nullptr) return UINT32_MAX;
  std::fill(data + old, data + wanted, init);
  t->data = data;
  t->size = static_cast<uint32_t>(wanted);
  return old;
}

template <typename Table>
void free_table(Table* t) {
  std::free(t->data);
  t->data = nullptr;
  t->size = 0;
}

}  // namespace

void allocate_funcref_table(wasm_rt_funcref_table_t* t, uint32_t elements, uint32_t max) {
  allocate_table(t, elements, max, wasm_rt_funcref_null_value);
}
void free_funcref_table(wasm_rt_funcref_table_t* t) {
  free_table(t);
}
uint32_t grow_funcref_table(wasm_rt_funcref_table_t* t, uint32_t delta, wasm_rt_funcref_t init) {
  return grow_table(t, delta, init);
}
void allocate_externref_table(wasm_rt_externref_table_t* t, uint32_t elements, uint32_t max) {
  allocate_table(t, elements, max, wasm_rt_externref_null_value);
}
void free_externref_table(wasm_rt_externref_table_t* t) {
  free_table(t);
}
uint32_t grow_externref_table(wasm_rt_externref_table_t* t, uint32_t delta,
                              wasm_rt_externref_t init) {
  return grow_table(t, delta, init);
}

}  // namespace wisp::rt
