// Puts a slot's memory pages back to its snapshot image on reset: with write tracking, a slot
// that is still armed only needs its resident pages copied back (no system call); otherwise one
// PAGEMAP_SCAN finds the written pages, the first ones are copied back and stay resident, the
// rest are dropped, and the slot is armed again.
#pragma once

#include "runtime/slots.hpp"
#include "snapshot/memory_image.hpp"

namespace wisp::snap {

struct ResetOptions {
  uint64_t keep_resident_pages = 16;  // written pages copied back (kept) rather than dropped
  bool track_writes = true;           // arm the slot after a reset (see rt::WriteTracking)
  uint64_t keep_grown_bytes = 0;      // pages written past the image: zeroed and kept, up to this
};

// Restores the first img.size() bytes of `slot` (which maps `img`) to the image's content.
// Memory growth past the image must already be undone. Throws wisp::Error if the kernel refuses.
// True if the slot was still armed (only its resident pages were copied back, no system call),
// or the image is empty (nothing to restore).
bool reset_pages(const MemoryImage& img, rt::Slot& slot, const ResetOptions& opts);

}  // namespace wisp::snap
