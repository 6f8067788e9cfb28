// A snapshot's memory image: the bytes of a linear memory in a sealed memfd. Instances map it
// copy-on-write into their slots, so pages nobody wrote are shared by all of them; a read-only
// view of it serves resets (pages copied back) and verification.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include <vector>

#include "runtime/slots.hpp"
#include "snapshot/page_scan.hpp"

namespace wisp::snap {

class MemoryImage {
 public:
  // Copies `bytes` (a multiple of the page size) into a new sealed memfd; all-zero pages are
  // left as holes. Throws wisp::Error if the kernel refuses.
  static std::shared_ptr<MemoryImage> create(std::span<const uint8_t> bytes);
  ~MemoryImage();
  MemoryImage(const MemoryImage&) = delete;
  MemoryImage& operator=(const MemoryImage&) = delete;

  uint64_t id() const { return id_; }  // unique in the process; slot affinity key
  uint64_t size() const { return size_; }
  uint64_t stored_bytes() const { return stored_; }  // bytes of non-zero pages
  const uint8_t* view() const { return view_; }      // read-only, size() bytes
  // The non-zero pages, as ranges of byte offsets (what a copy of the image must write).
  const std::vector<PageRange>& stored_runs() const { return runs_; }

  // Makes `slot` map this image copy-on-write over its first size() bytes (a no-op when it
  // already does: then its pages are in the reset state). False if the kernel refuses.
  bool map_into(rt::Slot& slot) const;

  // Live images and their stored bytes in this process (for runtime statistics).
  static uint64_t live_images();
  static uint64_t live_bytes();

 private:
  MemoryImage() = default;
  uint64_t id_ = 0;
  uint64_t size_ = 0;
  uint64_t stored_ = 0;
  std::vector<PageRange> runs_;
  int fd_ = -1;
  uint8_t* view_ = nullptr;
};

}  // namespace wisp::snap
