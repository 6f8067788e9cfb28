// Resetting a slot's pages to the snapshot image, with write tracking (see page_reset.hpp).
#include "snapshot/page_reset.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "snapshot/page_scan.hpp"
#include "wisp/error.hpp"

namespace wisp::snap {

namespace {

// After a lease in which a write escaped the resident set, arming waits 2^escapes - 1 resets
// (at most 255): a guest that writes new pages every time then pays the fault that disarms and
// the re-arming only on a few of its resets.
constexpr uint32_t kMaxEscapeExponent = 8;

// Pages written once (during an init phase, by a rare request) stay in the resident set and are
// copied back on every reset. So every kTrimInterval resets without a scan, a resident set above
// kSmallResidentPages is emptied, and the next lease's writes choose it anew.
constexpr uint32_t kTrimInterval = 256;
constexpr uint64_t kSmallResidentPages = 4;

uint64_t resident_pages(const rt::WriteTracking& t) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < t.runs; ++i) n += t.run[i].count;
  return n;
}

// Copies the resident runs back from the image: all the memory an intact armed slot can differ in.
void copy_back_runs(const MemoryImage& img, const rt::Slot& slot) {
  const uint64_t ps = page_size();
  const rt::WriteTracking& t = slot.track;
  for (uint32_t i = 0; i < t.runs; ++i) {
    uint64_t at = uint64_t{t.run[i].first} * ps;
    std::memcpy(slot.base + at, img.view() + at, uint64_t{t.run[i].count} * ps);
  }
}

// Finds the written pages, copies the first back (they stay resident) and drops the rest. The
// resident ranges become the slot's resident runs when there are few enough of them to arm
// (t.runs = 0 and false otherwise, also when the kernel cannot scan: every page was dropped).
bool scan_and_restore(const MemoryImage& img, rt::Slot& slot, const ResetOptions& opts) {
  // Not thread_local: instances parked in thread-local storage are reset while the thread's
  // other thread-locals are being destroyed.
  std::vector<PageRange> written;
  written.reserve(16);
  const uint64_t size = img.size();
  uint8_t* base = slot.base;
  rt::WriteTracking& t = slot.track;
  t.runs = 0;
  if (!scan_written_pages(base, size, written)) {
    drop_pages(base, size);
    return false;
  }
  // The first written ranges (by address) up to the keep-resident budget are copied back and
  // stay mapped; the rest go with one madvise over their span (unwritten pages in it are only
  // unmapped: they read the image again).
  const uint64_t ps = page_size();
  const size_t i = keep_first_drop_rest(
      base, written, opts.keep_resident_pages * ps,
      [&](uint64_t at, uint64_t len) { std::memcpy(base + at, img.view() + at, len); });
  if (i > rt::kMaxResidentRuns) return false;
  for (size_t k = 0; k < i; ++k) {
    t.run[k] = {static_cast<uint32_t>(written[k].begin / ps),
                static_cast<uint32_t>((written[k].end - written[k].begin) / ps)};
  }
  t.runs = static_cast<uint32_t>(i);
  return true;
}

}  // namespace

void drop_pages(uint8_t* at, uint64_t len) {
  if (madvise(at, len, MADV_DONTNEED) != 0)
    throw Error("reset: cannot drop written pages: " + std::string(std::strerror(errno)));
}

bool reset_pages(const MemoryImage& img, rt::Slot& slot, const ResetOptions& opts) {
  if (img.size() == 0) return true;  // an empty memory (its growth is undone by the caller)
  rt::WriteTracking& t = slot.track;
  if (t.armed_bytes != 0) {
    if (rt::slot_armed_intact(slot)) {
      copy_back_runs(img, slot);
      t.escapes = 0;
      t.trimmed = false;
      if (++t.fast_resets >= kTrimInterval) {
        t.fast_resets = 0;
        if (resident_pages(t) > kSmallResidentPages) rt::slot_trim_resident(slot);
      }
      return true;
    }
    // A write left the resident set: the fault handler made the image writable, so any page
    // may differ now. (After a trim that was expected: no back-off.)
    rt::slot_disarm(slot);
    if (!t.trimmed) {
      t.escapes = std::min(t.escapes + 1, kMaxEscapeExponent);
      t.skip = (1u << t.escapes) - 1;
    }
    t.trimmed = false;
  }
  t.fast_resets = 0;
  bool armable = scan_and_restore(img, slot, opts);
  if (!armable || !opts.track_writes) return false;
  if (t.skip > 0) {
    --t.skip;
    return false;
  }
  rt::slot_arm(slot, img.size());
  return false;
}

}  // namespace wisp::snap
