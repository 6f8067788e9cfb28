// PAGEMAP_SCAN (Linux 6.7+; Debian 12's headers lack its constants, so they are defined here from
// the kernel's uapi/linux/fs.h), with /proc/self/pagemap entries as the fallback on older
// kernels, and mincore.
#include "snapshot/page_scan.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <iterator>

namespace wisp::snap {

namespace {

struct PmScanArg {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
  uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
struct PageRegion {
  uint64_t start, end, categories;
};
constexpr unsigned long kPagemapScan = _IOWR('f', 16, PmScanArg);
constexpr uint64_t kPageIsFile = 1u << 2;
constexpr uint64_t kPageIsPresent = 1u << 3;
constexpr uint64_t kPageIsSwapped = 1u << 4;
constexpr uint64_t kPageIsPfnZero = 1u << 5;

// /proc/self/pagemap, opened once; -1 when unavailable.
// The kernel binds an open /proc/self/pagemap to the process that opened it, so a forked child
// would read its parent's page tables (and miss its own writes): the child reopens it.
std::atomic<int> g_pagemap_fd{-1};

void reopen_pagemap_in_child() {
  int old = g_pagemap_fd.exchange(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  if (old >= 0) close(old);
}

int pagemap_fd() {
  static const bool opened = [] {
    g_pagemap_fd.store(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
    pthread_atfork(nullptr, nullptr, reopen_pagemap_in_child);
    return true;
  }();
  (void)opened;
  return g_pagemap_fd.load(std::memory_order_relaxed);
}

std::atomic<bool> g_unsupported{false};     // the kernel lacks PAGEMAP_SCAN (Linux < 6.7)
std::atomic<bool> g_force_fallback{false};  // testing: read pagemap entries even so

void append(std::vector<PageRange>& out, PageRange r) {
  if (!out.empty() && out.back().end == r.begin) {
    out.back().end = r.end;
  } else {
    out.push_back(r);
  }
}

// The fallback for kernels without PAGEMAP_SCAN: /proc/self/pagemap's 64-bit entry per page
// (bit 63 present, 62 swapped, 61 file page or shared anonymous). Written = present and not a
// file page, or swapped (a private mapping of a file only swaps its own copies).
bool read_pagemap_entries(int fd, const uint8_t* base, uint64_t bytes,
                          std::vector<PageRange>& out) {
  constexpr uint64_t kPresent = uint64_t{1} << 63, kSwapped = uint64_t{1} << 62,
                     kFile = uint64_t{1} << 61;
  const uint64_t ps = page_size();
  const uint64_t first = reinterpret_cast<uint64_t>(base) / ps;
  const uint64_t pages = bytes / ps;
  uint64_t entries[512];
  for (uint64_t done = 0; done < pages;) {
    uint64_t n = std::min<uint64_t>(std::size(entries), pages - done);
    ssize_t got = pread(fd, entries, n * sizeof(uint64_t),
                        static_cast<off_t>((first + done) * sizeof(uint64_t)));
    if (got < 0 && errno == EINTR) continue;
    if (got != static_cast<ssize_t>(n * sizeof(uint64_t))) return false;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t e = entries[i];
      if (((e & kPresent) && !(e & kFile)) || (e & kSwapped))
        append(out, {(done + i) * ps, (done + i + 1) * ps});
    }
    done += n;
  }
  return true;
}

}  // namespace

void use_pagemap_fallback_for_testing(bool on) {
  g_force_fallback.store(on);
}

uint64_t page_size() {
  static const uint64_t size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return size;
}

bool scan_written_pages(const uint8_t* base, uint64_t bytes, std::vector<PageRange>& out) {
  if (bytes == 0) return true;
  int fd = pagemap_fd();
  if (fd < 0) return false;
  if (g_unsupported.load(std::memory_order_relaxed) ||
      g_force_fallback.load(std::memory_order_relaxed))
    return read_pagemap_entries(fd, base, bytes, out);
  const size_t first_range = out.size();
  PageRegion regions[32];
  const uint64_t start = reinterpret_cast<uint64_t>(base);
  const uint64_t end = start + bytes;
  PmScanArg arg{};
  arg.size = sizeof arg;
  arg.start = start;
  arg.end = end;
  arg.vec = reinterpret_cast<uint64_t>(regions);
  arg.vec_len = 32;
  // Written = (present or swapped) and neither the file's page nor the shared zero page.
  arg.category_inverted = kPageIsFile | kPageIsPfnZero;
  arg.category_mask = kPageIsFile | kPageIsPfnZero;
  arg.category_anyof_mask = kPageIsPresent | kPageIsSwapped;
  arg.return_mask = kPageIsPresent | kPageIsSwapped;
  for (;;) {
    long n = ioctl(fd, kPagemapScan, &arg);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != ENOTTY && errno != EINVAL) return false;
      g_unsupported.store(true);
      out.resize(first_range);
      return read_pagemap_entries(fd, base, bytes, out);
    }
    for (long i = 0; i < n; ++i) append(out, {regions[i].start - start, regions[i].end - start});
    if (arg.walk_end >= end || n < static_cast<long>(arg.vec_len)) return true;
    arg.start = arg.walk_end;
  }
}

uint64_t count_resident_pages(const uint8_t* base, uint64_t bytes) {
  const uint64_t ps = page_size();
  uint64_t total = 0;
  unsigned char vec[4096];
  for (uint64_t off = 0; off < bytes; off += ps * sizeof vec) {
    uint64_t len = std::min<uint64_t>(bytes - off, ps * sizeof vec);
    if (mincore(const_cast<uint8_t*>(base) + off, len, vec) != 0) return 0;
    for (uint64_t i = 0; i < (len + ps - 1) / ps; ++i) total += vec[i] & 1;
  }
  return total;
}

}  // namespace wisp::snap
