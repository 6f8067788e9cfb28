// The slot pool: linear memories live in 8 GiB slots (4 GiB addressable + 4 GiB guard, so
// compiled code needs no bounds checks). Slots are reserved in chunks as needed, up to a
// configured amount of address space; a registry of chunks lets the fault handler recognise
// slot addresses without locks. A released slot remembers which snapshot image it still maps
// (affinity), so the next instance of the same template gets it without a system call.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wisp::rt {

constexpr uint64_t kWasmPageSize = 65536;
constexpr uint64_t kSlotSize = 8ull << 30;
constexpr uint64_t kSlotsPerChunk = 8;  // one reservation = 64 GiB of address space

// A slot as handed out: `image` is the id of the snapshot image mapped copy-on-write over its
// first `mapped_bytes` (0 = none: the slot is all PROT_NONE anonymous memory).
struct Slot {
  uint8_t* base = nullptr;
  uint64_t image = 0;
  uint64_t mapped_bytes = 0;
};

struct SlotStats {
  uint64_t reserved = 0;       // slots holding address space
  uint64_t in_use = 0;         // slots held by live memories
  uint64_t cached_images = 0;  // free slots that still map a snapshot image (affinity)
  uint64_t address_space_limit = 0;
  uint64_t committed_bytes = 0;  // accessible bytes of live memories (what the budget counts)
};

// Takes a free slot, preferring one that maps `image` (0: any clean slot). The caller owns the
// mapping state it gets back. Returns base == nullptr if the address-space limit is reached.
Slot slot_acquire(uint64_t image);
// Returns a slot whose first `mapped_bytes` map `image` in a reset state (0: a clean slot,
// all PROT_NONE). Async-signal-unsafe; thread-safe.
void slot_release(const Slot& slot);
// Free slots mapping `image` are turned back into clean slots (the image is going away).
void slot_forget_image(uint64_t image);
// Makes `slot` a clean slot in place (its image mapping is replaced by PROT_NONE memory).
void slot_clear_mapping(Slot& slot);

// Is `addr` inside any slot (including its guard)? Async-signal-safe.
bool slot_contains(uintptr_t addr);
SlotStats slot_stats();
// Maximum address space for slots (bytes, rounded down to whole chunks; at least one chunk).
void set_slot_address_space_limit(uint64_t bytes);

// Global memory budget over all linear memories (bytes; 0 = unlimited).
void set_memory_budget(uint64_t bytes);
uint64_t memory_budget();
// Reserves `bytes` against the budget; false if it would be exceeded.
bool budget_charge(uint64_t bytes);
void budget_refund(uint64_t bytes);

}  // namespace wisp::rt
