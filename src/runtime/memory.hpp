// Linear memories and tables as the generated code sees them (wasm_rt_* contract), with limits.
#pragma once

#include "runtime/wisp_abi.h"
#include "wisp/limits.hpp"

namespace wisp::rt {

// Limits applied to memories and tables allocated on this thread (set around instantiation).
struct AllocLimitsScope {
  explicit AllocLimitsScope(const Limits* limits);
  ~AllocLimitsScope();
  const Limits* saved;
};
const Limits* current_alloc_limits();

void allocate_memory(wasm_rt_memory_t* mem, uint32_t initial, uint32_t max);
uint32_t grow_memory(wasm_rt_memory_t* mem, uint32_t delta);
void free_memory(wasm_rt_memory_t* mem);

void allocate_funcref_table(wasm_rt_funcref_table_t* t, uint32_t elements, uint32_t max);
void free_funcref_table(wasm_rt_funcref_table_t* t);
uint32_t grow_funcref_table(wasm_rt_funcref_table_t* t, uint32_t delta, wasm_rt_funcref_t init);
void allocate_externref_table(wasm_rt_externref_table_t* t, uint32_t elements, uint32_t max);
void free_externref_table(wasm_rt_externref_table_t* t);
uint32_t grow_externref_table(wasm_rt_externref_table_t* t, uint32_t delta,
                              wasm_rt_externref_t init);

}  // namespace wisp::rt
