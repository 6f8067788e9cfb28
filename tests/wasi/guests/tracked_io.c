// A WASI reactor whose reads land in a 256 KiB static buffer at an offset the host picks: the
// kernel (readv, getrandom) writes straight into guest memory, also into pages that write
// tracking has made read-only (tests/wasi/wasi_tracked_io_test.cpp).
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

static unsigned char buf[256 * 1024];

// Reads up to 64 bytes of /data/input.txt into buf + offset: bytes read, or -errno.
__attribute__((export_name("read_file_at"))) int read_file_at(int offset) {
  int fd = open("/data/input.txt", O_RDONLY);
  if (fd < 0) return -errno;
  ssize_t n = read(fd, buf + offset, 64);
  int err = errno;
  close(fd);
  return n < 0 ? -err : (int)n;
}

// Fills buf + offset with 32 random bytes: 0, or -errno.
__attribute__((export_name("random_at"))) int random_at(int offset) {
  return getentropy(buf + offset, 32) == 0 ? 0 : -errno;
}

// Sum of the n bytes at buf + offset.
__attribute__((export_name("sum_at"))) int sum_at(int offset, int n) {
  int s = 0;
  for (int i = 0; i < n; ++i) s += buf[offset + i];
  return s;
}
