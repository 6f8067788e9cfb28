// PAGEMAP_SCAN (Linux 6.7+; Debian 12's headers lack its constants, so they are defined here from
// the kernel's uapi/linux/fs.h) and mincore.
#include "snapshot/page_scan.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

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
int pagemap_fd() {
  static const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  return fd;
}

std::atomic<bool> g_unsupported{false};

}  // namespace

uint64_t page_size() {
  static const uint64_t size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return size;
}

bool scan_written_pages(const uint8_t* base, uint64_t bytes, std::vector<PageRange>& out) {
  if (bytes == 0) return true;
  int fd = pagemap_fd();
  if (fd < 0 || g_unsupported.load(std::memory_order_relaxed)) return false;
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
      if (errno == ENOTTY || errno == EINVAL) g_unsupported.store(true);
      return false;
    }
    for (long i = 0; i < n; ++i) {
      PageRange r{regions[i].start - start, regions[i].end - start};
      if (!out.empty() && out.back().end == r.begin) {
        out.back().end = r.end;
      } else {
        out.push_back(r);
      }
    }
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
