// Contexts isolated without protection keys and without a system call per call: the shared
// instance's memory 0 is moved into a memfd, mapped MAP_SHARED at its own slot (home, where
// every context's region stays PROT_NONE) and once more per context in a view: a slot of its own
// that maps every page of the memory except the other contexts' regions. A call through a
// context runs with the memory's base pointing at that context's view, so a stray access to a
// neighbour's region faults (out_of_bounds) as it would at home under mprotect, and switching
// contexts is a pointer swap. Views are built on first use and kept for the most recently used
// contexts (kMaxViews); one past that costs a few mmap calls.
//
// Growth: the guest's memory.grow inside a call maps the new pages into the running view and
// home (MemoryBacking::grow); other views catch up when next used. Regions only ever appear in
// pages the memory gains later, so a view never has to hide a page it already maps.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "instance/instance_impl.hpp"
#include "runtime/slots.hpp"

namespace wisp::detail {

class SharedMemoryFile;

class ContextViews {
 public:
  static constexpr size_t kMaxViews = 64;

  // Moves `inst`'s own memory 0 into a memfd mapped back at the same address. Call it while the
  // memory is plainly readable (before regions are protected). Throws wisp::Error if the
  // memory is imported or the kernel refuses (the caller then isolates with mprotect).
  ContextViews(InstanceImpl& inst, uint64_t region_bytes);
  ~ContextViews();  // the views unmapped, their slots back in the pool
  ContextViews(const ContextViews&) = delete;
  ContextViews& operator=(const ContextViews&) = delete;

  // The base to run a call through the region at `ptr` with: its view, brought up to date with
  // the memory's size, hiding every region in `guarded` (region starts) but `ptr`. Null if no
  // view can be had (no slot free): the caller falls back to mprotect. Throws wisp::Error if
  // mapping fails.
  uint8_t* view(uint32_t ptr, const std::map<uint32_t, bool>& guarded);
  // A call through view(ptr) ended: pages the memory gained during it are mapped there already.
  void call_ended(uint32_t ptr);
  // Zeroes the region at `ptr` by punching its pages out of the file (for large regions: small
  // ones are cheaper to zero with stores through their view). Throws wisp::Error.
  void zero(uint32_t ptr);

 private:
  struct View {
    rt::Slot slot;
    uint64_t synced = 0;  // bytes of the memory this view is up to date with
    uint64_t used = 0;    // for least-recently-used eviction
  };
  void sync(View& v, uint32_t ptr, const std::map<uint32_t, bool>& guarded);
  void map_range(uint8_t* base, uint64_t at, uint64_t len) const;
  void drop(View& v);

  wasm_rt_memory_t* mem_;
  uint64_t region_;
  std::shared_ptr<SharedMemoryFile> file_;
  std::map<uint32_t, View> views_;
  uint64_t clock_ = 0;
};

}  // namespace wisp::detail
