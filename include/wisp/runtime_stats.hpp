// Process-wide accounting of linear memories: slots, snapshot images and the memory budget.
#pragma once

#include <cstdint>

namespace wisp {

struct RuntimeStats {
  uint64_t slots_reserved = 0;  // 8 GiB slots holding address space
  uint64_t slots_in_use = 0;    // held by live memories
  uint64_t slots_cached = 0;    // free, still mapping a snapshot image (reused without a syscall)
  uint64_t address_space_limit = 0;  // bytes of address space slots may take
  uint64_t committed_bytes = 0;      // accessible bytes of all live memories (budget usage)
  uint64_t memory_budget = 0;        // 0 = unlimited
  uint64_t images = 0;               // live snapshot images
  uint64_t image_bytes = 0;          // their stored bytes, shared by all instances mapping them
};

RuntimeStats runtime_stats();

// Caps the accessible bytes of all linear memories together (0 = unlimited). Instantiation
// and memory.grow beyond it fail cleanly: Trap(resource_limit), or memory.grow returns -1.
void set_memory_budget(uint64_t bytes);
// Caps the address space reserved for slots (rounded to 64 GiB chunks). Default 96 TiB.
void set_slot_address_space_limit(uint64_t bytes);

}  // namespace wisp
