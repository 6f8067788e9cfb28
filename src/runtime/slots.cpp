// The slot pool: chunked reservations, a lock-free chunk registry for the fault handler, free
// lists with snapshot-image affinity, and the memory budget.
#include "runtime/slots.hpp"

#include <sys/mman.h>

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace wisp::rt {

namespace {

constexpr size_t kMaxChunks = 4096;  // registry capacity: 256 TiB, more than any address space
constexpr uint64_t kChunkSize = kSlotSize * kSlotsPerChunk;
// Default limit: 96 TiB of the 128 TiB user address space of x86-64 (12,288 slots).
constexpr uint64_t kDefaultAddressSpaceLimit = 96ull << 40;

std::atomic<uintptr_t> g_chunks[kMaxChunks];  // chunk base addresses (0 = empty)
std::atomic<size_t> g_chunk_count{0};

std::mutex g_mutex;
std::vector<uint8_t*> g_clean;  // free slots, all PROT_NONE
// Free slots still mapping an image, by image id; LIFO so the most recently used comes first.
std::unordered_map<uint64_t, std::vector<Slot>> g_by_image;
uint64_t g_cached_images = 0;
uint64_t g_in_use = 0;
uint64_t g_limit = kDefaultAddressSpaceLimit;
std::atomic<uint64_t> g_committed{0};
std::atomic<uint64_t> g_budget{0};

// Reserves one more chunk (g_mutex held). False at the limit or when the kernel refuses.
bool reserve_chunk() {
  size_t n = g_chunk_count.load(std::memory_order_relaxed);
  if (n >= kMaxChunks || (n + 1) * kChunkSize > g_limit) return false;
  void* p =
      mmap(nullptr, kChunkSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  auto* base = static_cast<uint8_t*>(p);
  g_chunks[n].store(reinterpret_cast<uintptr_t>(base), std::memory_order_relaxed);
  g_chunk_count.store(n + 1, std::memory_order_release);
  for (uint64_t i = kSlotsPerChunk; i-- > 0;) g_clean.push_back(base + i * kSlotSize);
  return true;
}

// Replaces [base, base+bytes) with fresh PROT_NONE anonymous memory.
void unmap_image(uint8_t* base, uint64_t bytes) {
  if (bytes == 0) return;
  mmap(base, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

}  // namespace

Slot slot_acquire(uint64_t image) {
  std::unique_lock lock(g_mutex);
  if (image != 0) {
    auto it = g_by_image.find(image);
    if (it != g_by_image.end() && !it->second.empty()) {
      Slot s = it->second.back();
      it->second.pop_back();
      --g_cached_images;
      ++g_in_use;
      return s;
    }
  }
  if (g_clean.empty() && !reserve_chunk()) {
    // Out of fresh address space: take a slot cached for another image.
    for (auto& [id, slots] : g_by_image) {
      if (slots.empty()) continue;
      Slot s = slots.back();
      slots.pop_back();
      --g_cached_images;
      ++g_in_use;
      return s;
    }
    return Slot{};
  }
  Slot s;
  s.base = g_clean.back();
  g_clean.pop_back();
  ++g_in_use;
  return s;
}

void slot_release(const Slot& slot) {
  if (slot.base == nullptr) return;
  std::lock_guard lock(g_mutex);
  --g_in_use;
  if (slot.image != 0 && slot.mapped_bytes != 0) {
    g_by_image[slot.image].push_back(slot);
    ++g_cached_images;
  } else {
    g_clean.push_back(slot.base);
  }
}

void slot_forget_image(uint64_t image) {
  std::vector<Slot> slots;
  {
    std::lock_guard lock(g_mutex);
    auto it = g_by_image.find(image);
    if (it == g_by_image.end()) return;
    slots = std::move(it->second);
    g_by_image.erase(it);
    g_cached_images -= slots.size();
    g_in_use += slots.size();  // held here while their mappings are dropped
  }
  for (Slot& s : slots) {
    slot_clear_mapping(s);
    slot_release(s);
  }
}

void slot_clear_mapping(Slot& slot) {
  slot_forget_tracking(slot);
  unmap_image(slot.base, slot.mapped_bytes);
  slot.image = 0;
  slot.mapped_bytes = 0;
}

int64_t slot_index_of(uintptr_t addr, uint8_t** slot_base) {
  size_t n = g_chunk_count.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    uintptr_t b = g_chunks[i].load(std::memory_order_relaxed);
    if (addr >= b && addr - b < kChunkSize) {
      uint64_t j = (addr - b) / kSlotSize;
      *slot_base = reinterpret_cast<uint8_t*>(b + j * kSlotSize);
      return static_cast<int64_t>(i * kSlotsPerChunk + j);
    }
  }
  return -1;
}

uint8_t* slot_base_at(int64_t index) {
  uintptr_t chunk =
      g_chunks[static_cast<uint64_t>(index) / kSlotsPerChunk].load(std::memory_order_relaxed);
  return reinterpret_cast<uint8_t*>(chunk +
                                    static_cast<uint64_t>(index) % kSlotsPerChunk * kSlotSize);
}

bool slot_contains(uintptr_t addr) {
  size_t n = g_chunk_count.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    uintptr_t b = g_chunks[i].load(std::memory_order_relaxed);
    if (addr >= b && addr - b < kChunkSize) return true;
  }
  return false;
}

SlotStats slot_stats() {
  std::lock_guard lock(g_mutex);
  SlotStats s;
  s.reserved = g_chunk_count.load() * kSlotsPerChunk;
  s.in_use = g_in_use;
  s.cached_images = g_cached_images;
  s.address_space_limit = g_limit;
  s.committed_bytes = g_committed.load();
  return s;
}

void set_slot_address_space_limit(uint64_t bytes) {
  std::lock_guard lock(g_mutex);
  g_limit = bytes < kChunkSize ? kChunkSize : bytes / kChunkSize * kChunkSize;
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
