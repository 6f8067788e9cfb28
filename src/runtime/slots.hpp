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

// Write tracking of a slot's image mapping (runtime/write_tracking.cpp): after a reset the pages
// of the slot's resident set stay writable and every other page of the image is read-only
// ("armed"). The first write to one of those is caught by the fault handler, which makes the
// whole image writable again ("disarmed") and lets the write proceed. So a reset that finds the
// slot still armed knows, without a system call, that only the resident set can differ.
constexpr uint32_t kMaxResidentRuns = 32;  // a slot armed with more would split too often
struct ResidentRun {
  uint32_t first = 0;  // host pages from the slot's base
  uint32_t count = 0;
};
struct WriteTracking {
  uint64_t armed_bytes = 0;  // image bytes armed at the last reset (0: not armed)
  uint32_t runs = 0;         // resident runs in `run`
  ResidentRun run[kMaxResidentRuns];
  uint32_t extra_vmas = 0;   // mappings the arming split off (counted against a process budget)
  uint32_t escapes = 0;      // consecutive leases in which a write escaped (back-off exponent)
  uint32_t skip = 0;         // resets left before arming is tried again
  uint32_t fast_resets = 0;  // resets without a scan since the resident set was last chosen
  bool trimmed = false;      // the resident set was emptied on purpose (see slot_trim_resident)
};

// A slot as handed out: `image` is the id of the snapshot image mapped copy-on-write over its
// first `mapped_bytes` (0 = none: the slot is all PROT_NONE anonymous memory). `track` travels
// with the slot through the free lists, like the mapping it describes.
struct Slot {
  uint8_t* base = nullptr;
  uint64_t image = 0;
  uint64_t mapped_bytes = 0;
  WriteTracking track;
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
// The process-wide index of the slot holding `addr` (and its base), or -1. Async-signal-safe.
int64_t slot_index_of(uintptr_t addr, uint8_t** slot_base);
constexpr uint64_t kMaxSlots = 4096 * kSlotsPerChunk;
// The base of the slot with process-wide index `index` (from slot_index_of). Async-signal-safe.
uint8_t* slot_base_at(int64_t index);

// Write tracking (see WriteTracking). Arms the first `bytes` of the slot's image mapping: every
// page outside slot.track's resident runs becomes read-only. False (nothing armed) when the
// kernel refuses or the process's budget of split mappings is spent.
bool slot_arm(Slot& slot, uint64_t bytes);
// Is the slot still armed as its last arming left it (no write outside the resident set)?
bool slot_armed_intact(const Slot& slot);
// Keeps the slot armed but empties its resident set: the resident pages are dropped (they read
// the image again) and made read-only, so the writes of the next lease choose a new one.
// False if the kernel refuses (the slot is then disarmed).
bool slot_trim_resident(Slot& slot);
// Ends tracking: the armed range becomes writable again (if it still is armed) and the slot's
// tracking state is cleared, back-off counters excepted.
void slot_disarm(Slot& slot);
// The mapping was replaced: forgets the tracking state without touching protections.
void slot_forget_tracking(Slot& slot);
// Fault handler: a fault at `addr` inside an armed range disarms the range (the faulting write
// then runs again and succeeds). True if the fault was such a write. Async-signal-safe.
bool slot_disarm_on_fault(uintptr_t addr);
// Host code is about to let the kernel write into [p, p+len) (a read(2) into guest memory): a
// kernel write to a read-only page would fail with EFAULT instead of faulting, so each page of an
// armed range is written once from user space first (a no-op unless the slot is armed).
void prepare_host_write(uint8_t* p, uint64_t len);
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
