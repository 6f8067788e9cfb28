// Sealed memfd images and their copy-on-write mappings into slots.
#include "snapshot/memory_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "snapshot/page_scan.hpp"
#include "wisp/error.hpp"

namespace wisp::snap {

namespace {

std::atomic<uint64_t> g_next_id{1};
std::atomic<uint64_t> g_live_images{0};
std::atomic<uint64_t> g_live_bytes{0};

bool all_zero(const uint8_t* p, uint64_t n) {
  uint64_t word = 0;
  for (uint64_t i = 0; i < n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    word |= w;
    if (word) return false;
  }
  return true;
}

[[noreturn]] void fail(const char* what) {
  throw Error(std::string("snapshot image: ") + what + ": " + std::strerror(errno));
}

}  // namespace

std::shared_ptr<MemoryImage> MemoryImage::create(std::span<const uint8_t> bytes) {
  std::shared_ptr<MemoryImage> img(new MemoryImage());
  img->id_ = g_next_id.fetch_add(1);
  img->size_ = bytes.size();
  if (bytes.empty()) return img;
  img->fd_ = memfd_create("wisp-snapshot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (img->fd_ < 0) fail("memfd_create");
  if (ftruncate(img->fd_, static_cast<off_t>(bytes.size())) != 0) fail("ftruncate");
  const uint64_t ps = page_size();
  uint64_t off = 0;
  while (off < bytes.size()) {
    if (all_zero(bytes.data() + off, ps)) {
      off += ps;
      continue;
    }
    uint64_t run = off;
    while (run < bytes.size() && !all_zero(bytes.data() + run, ps)) run += ps;
    for (uint64_t done = off; done < run;) {
      ssize_t n = pwrite(img->fd_, bytes.data() + done, run - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("write");
      done += static_cast<uint64_t>(n);
    }
    img->stored_ += run - off;
    img->runs_.push_back(PageRange{off, run});
    off = run;
  }
  if (fcntl(img->fd_, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    fail("seal");
  void* view = mmap(nullptr, bytes.size(), PROT_READ, MAP_SHARED, img->fd_, 0);
  if (view == MAP_FAILED) fail("mmap");
  img->view_ = static_cast<uint8_t*>(view);
  g_live_images.fetch_add(1);
  g_live_bytes.fetch_add(img->stored_);
  return img;
}

MemoryImage::~MemoryImage() {
  rt::slot_forget_image(id_);
  if (view_) {
    munmap(view_, size_);
    g_live_images.fetch_sub(1);
    g_live_bytes.fetch_sub(stored_);
  }
  if (fd_ >= 0) close(fd_);
}

bool MemoryImage::map_into(rt::Slot& slot) const {
  if (slot.image == id_ && slot.mapped_bytes == size_) return true;
  rt::slot_forget_tracking(slot);  // the mapping below replaces the armed one
  if (size_ > 0) {
    void* p = mmap(slot.base, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd_, 0);
    if (p == MAP_FAILED) return false;
  }
  if (slot.mapped_bytes > size_) {
    rt::Slot tail;
    tail.base = slot.base + size_;
    tail.image = slot.image;
    tail.mapped_bytes = slot.mapped_bytes - size_;
    rt::slot_clear_mapping(tail);
  }
  slot.image = size_ > 0 ? id_ : 0;
  slot.mapped_bytes = size_;
  return true;
}

uint64_t MemoryImage::live_images() {
  return g_live_images.load();
}
uint64_t MemoryImage::live_bytes() {
  return g_live_bytes.load();
}

}  // namespace wisp::snap
