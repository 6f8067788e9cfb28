// wasm_rt memories in slots: growth in place by mprotect (or by the memory's backing, see
// memory_backing.hpp), budget-checked, never moved.
#include "runtime/memory.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <mutex>

#include "runtime/call_boundary.hpp"
#include "runtime/memory_backing.hpp"
#include "runtime/slots.hpp"

namespace wisp::rt {

namespace {
thread_local const Limits* tls_limits = nullptr;
const Limits kDefaultLimits{};
constexpr uint32_t kMaxPages = 65536;
// Threads: a shared memory may grow on several threads at once; growth of one memory is
// serialised by the mutex its address picks.
std::array<std::mutex, 16> g_grow_mutexes;
std::mutex& grow_mutex(const wasm_rt_memory_t* mem) {
  return g_grow_mutexes[(reinterpret_cast<uintptr_t>(mem) >> 4) % g_grow_mutexes.size()];
}
}  // namespace

AllocLimitsScope::AllocLimitsScope(const Limits* limits) : saved(tls_limits) {
  tls_limits = limits;
}
AllocLimitsScope::~AllocLimitsScope() {
  tls_limits = saved;
}
const Limits* current_alloc_limits() {
  return tls_limits ? tls_limits : &kDefaultLimits;
}

void allocate_memory(wasm_rt_memory_t* mem, uint32_t initial, uint32_t max) {
  const Limits* limits = current_alloc_limits();
  uint32_t cap = std::min(limits->max_memory_pages, kMaxPages);
  mem->data = nullptr;
  mem->pages = 0;
  mem->size = 0;
  mem->max_pages = std::min(max, cap);
  if (initial > cap) {
    {
      InHostScope in_runtime;  // the watchdog's signal must not unwind out of the allocation
      set_trap_message("initial memory of " + std::to_string(initial) +
                       " pages exceeds the limit of " + std::to_string(cap) + " pages");
    }
    raise_trap(trap_code(TrapKind::resource_limit));
  }
  uint64_t bytes = uint64_t{initial} * kWasmPageSize;
  uint8_t* base = nullptr;
  bool ok = false;
  {
    InHostScope in_runtime;
    if (budget_charge(bytes)) {
      Slot slot = slot_acquire(0);
      if (slot.base != nullptr && slot.image != 0) slot_clear_mapping(slot);
      base = slot.base;
      if (base != nullptr && (bytes == 0 || mprotect(base, bytes, PROT_READ | PROT_WRITE) == 0)) {
        ok = true;
      } else {
        slot_release(slot);
        budget_refund(bytes);
      }
    }
  }
  if (!ok) {
    {
      InHostScope in_runtime;  // the watchdog's signal must not unwind out of the allocation
      set_trap_message("cannot allocate a linear memory of " + std::to_string(initial) +
                       " pages (memory budget or address space exhausted)");
    }
    raise_trap(trap_code(TrapKind::resource_limit));
  }
  mem->data = base;
  mem->pages = initial;
  mem->size = static_cast<uint32_t>(bytes);  // 4 GiB wraps to 0 only when initial == 65536
}

uint32_t grow_memory(wasm_rt_memory_t* mem, uint32_t delta) {
  if (delta == 0) return mem->pages;
  InHostScope in_runtime;
  std::lock_guard lock(grow_mutex(mem));
  uint32_t old = mem->pages;
  uint64_t wanted = uint64_t{old} + delta;
  if (wanted > mem->max_pages || wanted > kMaxPages || mem->data == nullptr) return UINT32_MAX;
  uint64_t old_bytes = uint64_t{old} * kWasmPageSize;
  uint64_t add = uint64_t{delta} * kWasmPageSize;
  if (!budget_charge(add)) return UINT32_MAX;
  std::shared_ptr<MemoryBacking> backing = memory_backing(mem);
  bool grown = backing ? backing->grow(mem, old_bytes, old_bytes + add)
                       : mprotect(mem->data + old_bytes, add, PROT_READ | PROT_WRITE) == 0;
  if (!grown) {
    budget_refund(add);
    return UINT32_MAX;
  }
  mem->pages = static_cast<uint32_t>(wanted);
  mem->size = static_cast<uint32_t>(wanted * kWasmPageSize);
  return old;
}

void free_memory(wasm_rt_memory_t* mem) {
  if (mem->data == nullptr) return;
  uint64_t bytes = uint64_t{mem->pages} * kWasmPageSize;
  if (std::shared_ptr<MemoryBacking> backing = memory_backing(mem)) {
    bool clean = backing->release(mem->data, bytes);
    set_memory_backing(mem, nullptr);
    if (!clean) {  // the slot may still map the backing's file: never hand it out again
      budget_refund(bytes);
      mem->data = nullptr;
      mem->pages = 0;
      mem->size = 0;
      return;
    }
  }
  if (bytes > 0) {
    madvise(mem->data, bytes, MADV_DONTNEED);
    mprotect(mem->data, bytes, PROT_NONE);
  }
  Slot slot;
  slot.base = mem->data;
  slot_release(slot);
  budget_refund(bytes);
  mem->data = nullptr;
  mem->pages = 0;
  mem->size = 0;
}

}  // namespace wisp::rt
