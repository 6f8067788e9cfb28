// Linear-memory slots: 8 GiB reservations (4 GiB addressable + 4 GiB guard) so compiled code
// needs no bounds checks; a registry the fault handler can read without locks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wisp::rt {

constexpr uint64_t kWasmPageSize = 65536;
constexpr uint64_t kSlotSize = 8ull << 30;

struct SlotStats {
  uint64_t reserved = 0;  // slots holding address space
  uint64_t in_use = 0;
  uint64_t committed_bytes = 0;  // accessible bytes of live memories
};

// Takes a slot (PROT_NONE). Returns nullptr if no address space is left.
uint8_t* slot_acquire();
// Returns a slot: `accessible` bytes from its start are dropped and protected again.
void slot_release(uint8_t* base, uint64_t accessible);
// Is `addr` inside any slot (including its guard)? Async-signal-safe.
bool slot_contains(uintptr_t addr);
SlotStats slot_stats();

// Global memory budget over all linear memories (bytes; 0 = unlimited).
void set_memory_budget(uint64_t bytes);
uint64_t memory_budget();
// Reserves `bytes` against the budget; false if it would be exceeded.
bool budget_charge(uint64_t bytes);
void budget_refund(uint64_t bytes);

}  // namespace wisp::rt
