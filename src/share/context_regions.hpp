// Internals of Contexts: the regions of one shared instance, where they come from (grown by the
// host or allocated by the guest), how they are protected (protection keys or mprotect), the
// filter on host access during a call, and the replacement of the instance after a trap.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/access_filter.hpp"
#include "share/context_views.hpp"
#include "wisp/contexts.hpp"
#include "wisp/strategy.hpp"

namespace wisp::detail {

struct ContextRegion {
  uint32_t ptr = 0;    // page-aligned start: what the guest gets
  uint32_t block = 0;  // the guest allocator's block holding it (guest_allocator only)
  int key = -1;        // protection key, or -1: PROT_NONE outside its calls (if enforced)
  uint64_t generation = 0;
};

struct ContextsImpl final : rt::AccessFilter {
  ContextsImpl(const Template& tmpl, ContextsOptions options);
  ~ContextsImpl();

  // All below with `mutex` held.
  ContextRegion& open_region();
  void close_region(uint32_t ptr, uint64_t generation);
  ContextRegion& region_of(uint32_t ptr, uint64_t generation);
  std::vector<Value> call(uint32_t ptr, uint64_t generation, std::string_view name,
                          std::span<const Value> args);
  // Runs `fn(base)` with the region readable and writable by this thread.
  void with_access(const ContextRegion& r, const std::function<void(uint8_t*)>& fn);

  const char* denies(const wasm_rt_memory_t* mem, uint64_t ptr, uint64_t len) const override;
  std::string enforcement() const;

  Template tmpl;
  ContextsOptions options;
  Instance instance;
  uint64_t region = 0;  // bytes per context (whole host pages)
  uint64_t host_page = 4096;
  bool guest_alloc = false;
  bool use_pkeys = false;
  uint64_t generation = 0;  // bumped when a trap invalidates guest-allocated regions
  uint64_t replacements = 0;
  // The replacements by why the instance was lost (its last trap: trapped, exited, timed_out,
  // resource_limit), for the contexts strategy's discard counts.
  std::array<uint64_t, static_cast<size_t>(DiscardReason::count_)> replaced_by{};
  uint32_t open = 0;
  mutable std::mutex mutex;

 private:
  uint8_t* base() const;
  void protect(uint32_t ptr, int prot, int key) const;
  void grow_regions();
  int take_key();
  void give_key(int key);
  uint32_t guest_alloc_block();
  void guest_free_block(uint32_t block);
  // Every region back to plain read-write pages with the default key, so the slot can serve
  // other instances after this one is destroyed.
  void unprotect_all();
  void replace_after_trap(uint32_t culprit);
  // Whether [ptr, ptr+len) touches a guarded region other than the one starting at `except`.
  bool overlaps_guarded(uint64_t ptr, uint64_t len, uint32_t except) const;

  std::vector<uint32_t> free_regions_;                // host_grow: zeroed regions ready for reuse
  std::vector<std::pair<uint32_t, int>> free_keyed_;  // ... that kept their protection key
  std::map<uint32_t, ContextRegion> live_;
  std::map<uint32_t, bool> guarded_;  // start of every region a call may not touch (live, free)
  std::vector<int> keys_;             // owned protection keys
  std::vector<int> free_keys_;
  uint32_t key_deny_mask_ = 0;    // PKRU bits denying every owned key
  uint32_t active_ = UINT32_MAX;  // the region whose call runs now
  bool keyless_seen_ = false;     // some region fell back to mprotect
  // Without protection keys: one view of the memory per context (context_views.hpp), or null
  // (mprotect around each call). Declared last: gone before the instance whose memory it maps.
  std::unique_ptr<ContextViews> views_;
  void start_views();
};

}  // namespace wisp::detail
