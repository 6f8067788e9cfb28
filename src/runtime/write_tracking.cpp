// Write tracking of slots (see WriteTracking in slots.hpp): arming a slot's image mapping after a
// reset, disarming it from the fault handler on the first write outside the resident set, and
// preparing guest memory for writes made by the kernel.
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "runtime/slots.hpp"

namespace wisp::rt {

namespace {

// Per slot: the armed byte count (0: not armed), with kDisarming set while the fault handler is
// making the range writable again. Read by the fault handler, so lock-free and static.
constexpr uint64_t kDisarming = uint64_t{1} << 63;
std::atomic<uint64_t> g_armed[kMaxSlots];

// Arming splits a slot's mapping into up to 2 * runs + 1 mappings. The kernel caps mappings per
// process (vm.max_map_count, 65,530 by default), and running out would make unrelated mmap calls
// fail, so arming spends at most a quarter of that cap.
std::atomic<uint64_t> g_extra_vmas{0};

uint64_t vma_budget() {
  static const uint64_t budget = [] {
    uint64_t cap = 65530;
    if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
      unsigned long long v = 0;
      if (std::fscanf(f, "%llu", &v) == 1 && v > 0) cap = v;
      std::fclose(f);
    }
    return cap / 4;
  }();
  return budget;
}

// mprotect as a raw system call: no libc or sanitizer wrapper runs inside the fault handler.
int raw_mprotect(void* p, uint64_t len, int prot) {
  return static_cast<int>(syscall(SYS_mprotect, p, len, prot));
}

// A fork() while another thread was between marking a slot kDisarming and making it writable
// leaves the mark in the child, where that thread does not exist: finish the job there.
void finish_disarming_in_child() {
  for (uint64_t i = 0; i < kMaxSlots; ++i) {
    uint64_t v = g_armed[i].load(std::memory_order_relaxed);
    if (!(v & kDisarming)) continue;
    raw_mprotect(slot_base_at(static_cast<int64_t>(i)), v & ~kDisarming, PROT_READ | PROT_WRITE);
    g_armed[i].store(0, std::memory_order_relaxed);
  }
}

uint64_t host_page() {
  static const uint64_t size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return size;
}

int64_t index_of(const Slot& slot) {
  uint8_t* base = nullptr;
  return slot_index_of(reinterpret_cast<uintptr_t>(slot.base), &base);
}

void clear_state(Slot& slot) {
  WriteTracking& t = slot.track;
  g_extra_vmas.fetch_sub(t.extra_vmas, std::memory_order_relaxed);
  t.extra_vmas = 0;
  t.armed_bytes = 0;
  t.runs = 0;
}

}  // namespace

bool slot_arm(Slot& slot, uint64_t bytes) {
  static const bool at_fork = pthread_atfork(nullptr, nullptr, finish_disarming_in_child) == 0;
  (void)at_fork;
  WriteTracking& t = slot.track;
  const uint64_t ps = host_page();
  int64_t idx = index_of(slot);
  if (idx < 0 || bytes == 0 || bytes % ps != 0 || t.armed_bytes != 0) return false;
  const uint64_t extra = 2 * uint64_t{t.runs};
  if (g_extra_vmas.fetch_add(extra, std::memory_order_relaxed) + extra > vma_budget()) {
    g_extra_vmas.fetch_sub(extra, std::memory_order_relaxed);
    return false;
  }
  // Read-only over the gaps between the resident runs (which are sorted by address).
  uint64_t page = 0;
  const uint64_t pages = bytes / ps;
  bool ok = true;
  for (uint32_t i = 0; i <= t.runs && ok; ++i) {
    uint64_t gap_end = i < t.runs ? t.run[i].first : pages;
    if (gap_end > page) ok = mprotect(slot.base + page * ps, (gap_end - page) * ps, PROT_READ) == 0;
    if (i < t.runs) page = uint64_t{t.run[i].first} + t.run[i].count;
  }
  if (!ok) {
    mprotect(slot.base, bytes, PROT_READ | PROT_WRITE);
    g_extra_vmas.fetch_sub(extra, std::memory_order_relaxed);
    return false;
  }
  t.extra_vmas = static_cast<uint32_t>(extra);
  t.armed_bytes = bytes;
  g_armed[idx].store(bytes, std::memory_order_release);
  return true;
}

bool slot_trim_resident(Slot& slot) {
  WriteTracking& t = slot.track;
  const uint64_t ps = host_page();
  for (uint32_t i = 0; i < t.runs; ++i) {
    uint8_t* p = slot.base + uint64_t{t.run[i].first} * ps;
    uint64_t len = uint64_t{t.run[i].count} * ps;
    if (madvise(p, len, MADV_DONTNEED) != 0 || mprotect(p, len, PROT_READ) != 0) {
      slot_disarm(slot);
      return false;
    }
  }
  g_extra_vmas.fetch_sub(t.extra_vmas, std::memory_order_relaxed);
  t.extra_vmas = 0;
  t.runs = 0;
  t.trimmed = true;
  return true;
}

bool slot_armed_intact(const Slot& slot) {
  if (slot.track.armed_bytes == 0) return false;
  int64_t idx = index_of(slot);
  return idx >= 0 && g_armed[idx].load(std::memory_order_acquire) == slot.track.armed_bytes;
}

void slot_disarm(Slot& slot) {
  if (slot.track.armed_bytes == 0) return;
  int64_t idx = index_of(slot);
  if (idx >= 0) {
    uint64_t armed = slot.track.armed_bytes;
    if (g_armed[idx].compare_exchange_strong(armed, 0, std::memory_order_acq_rel)) {
      mprotect(slot.base, armed, PROT_READ | PROT_WRITE);
    }
    // Otherwise the fault handler disarmed it already (and made the range writable).
  }
  clear_state(slot);
}

void slot_forget_tracking(Slot& slot) {
  if (slot.track.armed_bytes == 0) return;
  int64_t idx = index_of(slot);
  if (idx >= 0) g_armed[idx].store(0, std::memory_order_release);
  clear_state(slot);
}

bool slot_disarm_on_fault(uintptr_t addr) {
  uint8_t* base = nullptr;
  int64_t idx = slot_index_of(addr, &base);
  if (idx < 0) return false;
  uint64_t armed = g_armed[idx].load(std::memory_order_acquire);
  if (armed & kDisarming) return true;  // another thread is making it writable: retry the write
  if (armed == 0 || addr - reinterpret_cast<uintptr_t>(base) >= armed) return false;
  if (!g_armed[idx].compare_exchange_strong(armed, armed | kDisarming, std::memory_order_acq_rel))
    return true;  // changed meanwhile: let the write run again and look once more
  raw_mprotect(base, armed, PROT_READ | PROT_WRITE);
  g_armed[idx].store(0, std::memory_order_release);
  return true;
}

void prepare_host_write(uint8_t* p, uint64_t len) {
  if (len == 0) return;
  uint8_t* base = nullptr;
  int64_t idx = slot_index_of(reinterpret_cast<uintptr_t>(p), &base);
  if (idx < 0) return;
  uint64_t armed = g_armed[idx].load(std::memory_order_acquire);
  if (armed == 0 || static_cast<uint64_t>(p - base) >= armed) return;
  const uint64_t ps = host_page();
  uint64_t from = static_cast<uint64_t>(p - base);
  uint64_t to = std::min<uint64_t>(from + len, armed & ~kDisarming);
  // One write per page (the same value back): the first one on a read-only page disarms.
  for (uint64_t off = from; off < to; off = (off / ps + 1) * ps) {
    volatile uint8_t* b = base + off;
    *b = *b;
    if (g_armed[idx].load(std::memory_order_relaxed) == 0) break;
  }
}

}  // namespace wisp::rt
