// The registry of memories with a backing of their own (memory_backing.hpp).
#include "runtime/memory_backing.hpp"

#include <atomic>
#include <mutex>
#include <unordered_map>

namespace wisp::rt {

namespace {

std::mutex g_mutex;
std::unordered_map<const wasm_rt_memory_t*, std::shared_ptr<MemoryBacking>> g_backings;
std::atomic<size_t> g_count{0};

}  // namespace

void set_memory_backing(const wasm_rt_memory_t* mem, std::shared_ptr<MemoryBacking> backing) {
  std::lock_guard lock(g_mutex);
  if (backing) {
    g_backings[mem] = std::move(backing);
  } else {
    g_backings.erase(mem);
  }
  g_count.store(g_backings.size(), std::memory_order_relaxed);
}

std::shared_ptr<MemoryBacking> memory_backing(const wasm_rt_memory_t* mem) {
  if (g_count.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard lock(g_mutex);
  auto it = g_backings.find(mem);
  return it == g_backings.end() ? nullptr : it->second;
}

}  // namespace wisp::rt
