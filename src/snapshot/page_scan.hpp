// Which pages of a mapping a guest wrote (pages that are present and no longer the file's own,
// i.e. copied on write) and which are resident (mincore), for resets and accounting.
#pragma once

#include <cstdint>
#include <vector>

namespace wisp::snap {

struct PageRange {
  uint64_t begin;  // byte offsets from the scanned base
  uint64_t end;
};

// Appends the written (private, present or swapped) pages of [base, base+bytes) to `out` as
// ranges: one PAGEMAP_SCAN ioctl, or on kernels without it (Linux < 6.7) a read of
// /proc/self/pagemap (8 bytes a page). Returns false if neither works: the caller must then
// assume every page may be written.
bool scan_written_pages(const uint8_t* base, uint64_t bytes, std::vector<PageRange>& out);

// Tests: use the /proc/self/pagemap fallback even where PAGEMAP_SCAN works.
void use_pagemap_fallback_for_testing(bool on);

// Number of resident pages (of size page_size()) in [base, base+bytes); 0 on failure.
uint64_t count_resident_pages(const uint8_t* base, uint64_t bytes);

uint64_t page_size();

}  // namespace wisp::snap
