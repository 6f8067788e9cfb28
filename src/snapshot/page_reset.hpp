// Puts a slot's memory pages back to its snapshot image on reset: with write tracking, a slot
// that is still armed only needs its resident pages copied back (no system call); otherwise one
// PAGEMAP_SCAN finds the written pages, the first ones are copied back and stay resident, the
// rest are dropped, and the slot is armed again.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/slots.hpp"
#include "snapshot/memory_image.hpp"
#include "snapshot/page_scan.hpp"

namespace wisp::snap {

struct ResetOptions {
  uint64_t keep_resident_pages = 16;  // written pages copied back (kept) rather than dropped
  bool track_writes = true;           // arm the slot after a reset (see rt::WriteTracking)
  uint64_t keep_grown_bytes = 0;      // pages written past the image: zeroed and kept, up to this
};

// Drops `len` bytes of pages at `at` (madvise(MADV_DONTNEED)); throws wisp::Error if refused.
void drop_pages(uint8_t* at, uint64_t len);

// Of the pages a guest wrote in the memory at `base` (`written`, by address), the first ones
// stay resident while they fit in `budget` bytes: `keep(offset, len)` restores each (copies the
// image back, or zeroes it); the rest are dropped with one drop_pages over their span. Returns
// how many ranges were kept.
template <typename Keep>
size_t keep_first_drop_rest(uint8_t* base, const std::vector<PageRange>& written, uint64_t budget,
                            Keep keep) {
  size_t i = 0;
  for (; i < written.size() && written[i].end - written[i].begin <= budget; ++i) {
    keep(written[i].begin, written[i].end - written[i].begin);
    budget -= written[i].end - written[i].begin;
  }
  if (i < written.size())
    drop_pages(base + written[i].begin, written.back().end - written[i].begin);
  return i;
}

// Restores the first img.size() bytes of `slot` (which maps `img`) to the image's content.
// Memory growth past the image must already be undone. Throws wisp::Error if the kernel refuses.
// True if the slot was still armed (only its resident pages were copied back, no system call),
// or the image is empty (nothing to restore).
bool reset_pages(const MemoryImage& img, rt::Slot& slot, const ResetOptions& opts);

}  // namespace wisp::snap
