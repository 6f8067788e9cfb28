// Slot reservations, their lock-free registry for the fault handler, and the memory budget.
#include "runtime/slots.hpp"

#include <sys/mman.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace wisp::rt {

namespace {

constexpr size_t kMaxSlots = 16384;    // 128 TiB of address space
constexpr size_t kMaxCachedFree = 64;  // released slots kept reserved for reuse

std::atomic<uintptr_t> g_registry[kMaxSlots];  // slot base addresses (0 = empty entry)
std::atomic<size_t> g_registry_high{0};

std::mutex g_mutex;
std::vector<uint8_t*> g_free;
uint64_t g_reserved = 0;
uint64_t g_in_use = 0;
std::atomic<uint64_t> g_committed{0};
std::atomic<uint64_t> g_budget{0};

bool register_slot(uint8_t* base) {
  for (size_t i = 0; i < kMaxSlots; ++i) {
    uintptr_t expected = 0;
    if (g_registry[i].compare_exchange_strong(expected, reinterpret_cast<uintptr_t>(base))) {
      size_t high = g_registry_high.load();
      while (high < i + 1 && !g_registry_high.compare_exchange_weak(high, i + 1)) {
      }
      return true;
    }
  }
  return false;
}

void unregister_slot(uint8_t* base) {
  size_t high = g_registry_high.load();
  for (size_t i = 0; i < high; ++i) {
    if (g_registry[i].load() == reinterpret_cast<uintptr_t>(base)) {
      g_registry[i].store(0);
      return;
    }
  }
}

}  // namespace

uint8_t* slot_acquire() {
  {
    std::lock_guard lock(g_mutex);
    if (!g_free.empty()) {
      uint8_t* s = g_free.back();
      g_free.pop_back();
      ++g_in_use;
      return s;
    }
  }
  void* p = mmap(nullptr, kSlotSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto* base = static_cast<uint8_t*>(p);
  if (!register_slot(base)) {
    munmap(p, kSlotSize);
    return nullptr;
  }
  std::lock_guard lock(g_mutex);
  ++g_reserved;
  ++g_in_use;
  return base;
}

void slot_release(uint8_t* base, uint64_t accessible) {
  if (base == nullptr) return;
  if (accessible > 0) {
    madvise(base, accessible, MADV_DONTNEED);
    mprotect(base, accessible, PROT_NONE);
  }
  std::unique_lock lock(g_mutex);
  --g_in_use;
  if (g_free.size() < kMaxCachedFree) {
    g_free.push_back(base);
    return;
  }
  --g_reserved;
  lock.unlock();
  unregister_slot(base);
  munmap(base, kSlotSize);
}

bool slot_contains(uintptr_t addr) {
  size_t high = g_registry_high.load(std::memory_order_acquire);
  for (size_t i = 0; i < high; ++i) {
    uintptr_t b = g_registry[i].load(std::memory_order_relaxed);
    if (b != 0 && addr >= b && addr - b < kSlotSize) return true;
  }
  return false;
}

SlotStats slot_stats() {
  std::lock_guard lock(g_mutex);
  return SlotStats{g_reserved, g_in_use, g_committed.load()};
}

void set_memory_budget(uint64_t bytes) {
  g_budget.store(bytes);
}
uint64_t memory_budget() {
  return g_budget.load();
}

bool budget_charge(uint64_t bytes) {
  uint64_t budget = g_budget.load(std::memory_order_relaxed);
  uint64_t cur = g_committed.load(std::memory_order_relaxed);
  do {
    if (budget != 0 && cur + bytes > budget) return false;
  } while (!g_committed.compare_exchange_weak(cur, cur + bytes));
  return true;
}

void budget_refund(uint64_t bytes) {
  g_committed.fetch_sub(bytes);
}

}  // namespace wisp::rt
