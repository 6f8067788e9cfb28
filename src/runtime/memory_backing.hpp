// Linear memories whose pages an owner keeps in a file of its own rather than in the slot's
// anonymous memory (the contexts' views: src/share/context_views.cpp maps one memfd at the
// memory's slot and at one view per context). grow_memory and free_memory hand such a memory's
// growth and its release to its backing.
#pragma once

#include <cstdint>
#include <memory>

#include "runtime/wisp_abi.h"

namespace wisp::rt {

class MemoryBacking {
 public:
  virtual ~MemoryBacking() = default;
  // The memory grows from old_bytes to new_bytes (the budget is charged already): the new pages
  // must become readable and writable at mem->data (and wherever else the owner maps them).
  // False if that fails (the growth is refused).
  virtual bool grow(wasm_rt_memory_t* mem, uint64_t old_bytes, uint64_t new_bytes) = 0;
  // The memory is freed: [home, home + bytes) must become the slot's plain anonymous memory
  // again (PROT_NONE), as a slot going back to the free list must be. False if that failed:
  // the slot is then never reused (its address space is lost, not its isolation).
  virtual bool release(uint8_t* home, uint64_t bytes) = 0;
};

// Gives `mem` a backing (null: takes it away). Thread-safe.
void set_memory_backing(const wasm_rt_memory_t* mem, std::shared_ptr<MemoryBacking> backing);
// The backing of `mem`, or null (the common case costs one relaxed atomic load).
std::shared_ptr<MemoryBacking> memory_backing(const wasm_rt_memory_t* mem);

}  // namespace wisp::rt
