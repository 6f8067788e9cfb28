// Contexts' views (context_views.hpp): the memfd behind the shared instance's memory 0, its
// growth and release, and the per-context views built from it.
#include "share/context_views.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <string>

#include "runtime/memory_backing.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

constexpr uint64_t kWasmPage = 65536;

[[noreturn]] void fail(const char* what) {
  throw Error(std::string("contexts views: ") + what + ": " + std::strerror(errno));
}

// Leaves [at, at + len) as plain, inaccessible anonymous memory (what a free slot holds).
// False if the kernel refused (ENOMEM at vm.max_map_count): the range may still map the file.
bool unmap_to_reserved(uint8_t* at, uint64_t len) {
  if (len == 0) return true;
  return mmap(at, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) !=
         MAP_FAILED;
}

}  // namespace

// The memfd holding the memory's pages, and the memory's backing in the runtime: growth extends
// the file and maps the new pages where the memory runs now and at home; release gives the home
// slot back as plain memory. Outlives ContextViews while the instance does.
class SharedMemoryFile final : public rt::MemoryBacking {
 public:
  SharedMemoryFile(int fd, uint8_t* home) : fd_(fd), home_(home) {}
  ~SharedMemoryFile() override { ::close(fd_); }
  int fd() const { return fd_; }
  uint8_t* home() const { return home_; }

  bool map(uint8_t* base, uint64_t at, uint64_t len) const {
    if (len == 0) return true;
    return mmap(base + at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd_,
                static_cast<off_t>(at)) != MAP_FAILED;
  }

  // A failure leaves neither mapping behind (a page mapped in a view but not grown would later
  // be carved into a region the view still reaches).
  bool grow(wasm_rt_memory_t* mem, uint64_t old_bytes, uint64_t new_bytes) override {
    const uint64_t len = new_bytes - old_bytes;
    if (ftruncate(fd_, static_cast<off_t>(new_bytes)) != 0) return false;
    if (!map(mem->data, old_bytes, len)) {
      unmap_to_reserved(mem->data + old_bytes, len);
      return false;
    }
    if (mem->data != home_ && !map(home_, old_bytes, len)) {
      unmap_to_reserved(home_ + old_bytes, len);
      unmap_to_reserved(mem->data + old_bytes, len);
      return false;
    }
    return true;
  }

  bool release(uint8_t* home, uint64_t bytes) override { return unmap_to_reserved(home, bytes); }

 private:
  int fd_;
  uint8_t* home_;
};

ContextViews::ContextViews(InstanceImpl& inst, uint64_t region_bytes) : region_(region_bytes) {
  mem_ = inst.memory0();
  if (mem_ == nullptr || mem_->data == nullptr) throw Error("contexts views: no memory");
  if (inst.mod().memory0_import) throw Error("contexts views: memory 0 is imported");
  const uint64_t bytes = uint64_t{mem_->pages} * kWasmPage;
  int fd = memfd_create("wisp-contexts", MFD_CLOEXEC);
  if (fd < 0) fail("memfd_create");
  auto file = std::make_shared<SharedMemoryFile>(fd, mem_->data);
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) fail("ftruncate");
  for (uint64_t done = 0; done < bytes;) {
    ssize_t n = pwrite(fd, mem_->data + done, bytes - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("copying the memory");
    done += static_cast<uint64_t>(n);
  }
  if (!file->map(mem_->data, 0, bytes)) fail("mapping the memory");
  // The slot no longer maps the snapshot's image: nothing may reset or cache it as if it did.
  for (rt::Slot& s : inst.memory_slots) {
    if (s.base == mem_->data) {
      rt::slot_forget_tracking(s);
      s = rt::Slot{};
    }
  }
  inst.memory_mapped = false;
  rt::set_memory_backing(mem_, file);
  file_ = std::move(file);
}

ContextViews::~ContextViews() {
  for (auto& [ptr, v] : views_) drop(v);
}

void ContextViews::drop(View& v) {
  // Also what a failed sync mapped past `synced`. A slot that still maps the file never goes
  // back to the pool (another tenant's memory would see this one's): its address space is lost.
  if (unmap_to_reserved(v.slot.base, rt::kSlotSize)) rt::slot_release(v.slot);
  v.slot = rt::Slot{};
}

void ContextViews::map_range(uint8_t* base, uint64_t at, uint64_t len) const {
  if (!file_->map(base, at, len)) fail("mapping a view");
}

void ContextViews::sync(View& v, uint32_t ptr, const std::map<uint32_t, bool>& guarded) {
  const uint64_t bytes = uint64_t{mem_->pages} * kWasmPage;
  uint64_t at = v.synced;
  auto g = guarded.lower_bound(static_cast<uint32_t>(std::min<uint64_t>(at, UINT32_MAX)));
  while (at < bytes) {
    while (g != guarded.end() && g->first == ptr) ++g;  // its own region: mapped like the rest
    const uint64_t hidden = g == guarded.end() ? bytes : std::min<uint64_t>(g->first, bytes);
    if (hidden > at) map_range(v.slot.base, at, hidden - at);
    if (g == guarded.end()) break;
    // The run of hidden regions from here, made inaccessible explicitly (it should be already:
    // nothing maps pages past `synced`; this does not rely on it).
    uint64_t run_end = uint64_t{g->first} + region_;
    for (auto n = std::next(g); n != guarded.end() && n->first == run_end && n->first != ptr; ++n)
      run_end += region_;
    const uint64_t from = std::max<uint64_t>(at, g->first);
    const uint64_t to = std::min(run_end, bytes);
    if (to > from && !unmap_to_reserved(v.slot.base + from, to - from)) fail("hiding a region");
    at = std::max(at, run_end);
    g = guarded.lower_bound(static_cast<uint32_t>(std::min<uint64_t>(at, UINT32_MAX)));
  }
  v.synced = bytes;
}

uint8_t* ContextViews::view(uint32_t ptr, const std::map<uint32_t, bool>& guarded) {
  auto it = views_.find(ptr);
  if (it == views_.end()) {
    if (views_.size() >= kMaxViews) {
      auto oldest = views_.begin();
      for (auto j = views_.begin(); j != views_.end(); ++j)
        if (j->second.used < oldest->second.used) oldest = j;
      drop(oldest->second);
      views_.erase(oldest);
    }
    View v;
    v.slot = rt::slot_acquire(0);
    if (v.slot.base == nullptr) return nullptr;
    if (v.slot.image != 0) rt::slot_clear_mapping(v.slot);
    it = views_.emplace(ptr, v).first;
  }
  View& v = it->second;
  try {
    if (v.synced < uint64_t{mem_->pages} * kWasmPage) sync(v, ptr, guarded);
  } catch (...) {
    drop(v);
    views_.erase(it);
    throw;
  }
  v.used = ++clock_;
  return v.slot.base;
}

void ContextViews::zero(uint32_t ptr) {
  if (fallocate(file_->fd(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(ptr),
                static_cast<off_t>(region_)) != 0)
    fail("zeroing a region");
}

void ContextViews::call_ended(uint32_t ptr) {
  auto it = views_.find(ptr);
  if (it != views_.end()) it->second.synced = uint64_t{mem_->pages} * kWasmPage;
}

}  // namespace wisp::detail
