// A module's bytes (module_bytes.hpp): from a vector, or read from a file into huge pages.
#include "compile/module_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "wisp/engine.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;

// Files of at least this size go into huge pages (a smaller one gains little, and an aligned
// 2 MiB block for it would waste memory).
constexpr size_t kHugeFileBytes = 4 * kHugePage;

}  // namespace

std::shared_ptr<const ModuleBytes> ModuleBytes::from_vector(std::vector<uint8_t> bytes) {
  std::shared_ptr<ModuleBytes> b(new ModuleBytes());
  b->vector_ = std::move(bytes);
  b->data_ = b->vector_.data();
  b->size_ = b->vector_.size();
  return b;
}

namespace {

// Reads `size` bytes of `fd` into `dst`; closes `fd` whatever happens.
void read_all(int fd, uint8_t* dst, size_t size, const std::filesystem::path& path) {
  size_t used = 0;
  while (used < size) {
    ssize_t n = ::read(fd, dst + used, size - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      ::close(fd);
      throw Error("cannot read " + path.string() + ": " +
                  (n < 0 ? std::string(std::strerror(e)) : "the file shrank while being read"));
    }
    used += static_cast<size_t>(n);
  }
  ::close(fd);
}

}  // namespace

std::shared_ptr<const ModuleBytes> ModuleBytes::read_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  struct stat st {};
  // Small, special (a pipe) or of unknown size: a vector, from the same descriptor.
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) < kHugeFileBytes)
    return from_vector(read_open_file(fd, path));
  const size_t size = static_cast<size_t>(st.st_size);
  std::shared_ptr<ModuleBytes> b(new ModuleBytes());
  const size_t reserved = (size + kHugePage - 1) / kHugePage * kHugePage;
  b->huge_ = static_cast<uint8_t*>(std::aligned_alloc(kHugePage, reserved));
  if (b->huge_ == nullptr) {
    ::close(fd);
    throw Error("cannot read " + path.string() + ": out of memory for " + std::to_string(size) +
                " bytes");
  }
  ::madvise(b->huge_, reserved, MADV_HUGEPAGE);  // advice: without it, 4 KiB pages
  read_all(fd, b->huge_, size, path);  // exactly the size checked (a file that grows: ignored)
  b->data_ = b->huge_;
  b->size_ = size;
  return b;
}

std::vector<uint8_t> read_open_file(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) st.st_mode = 0;
  // A regular file arrives in one read (+1: end of file seen without a second buffer).
  std::vector<uint8_t> bytes(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1 : 65536);
  size_t used = 0;
  for (;;) {
    if (used == bytes.size()) bytes.resize(bytes.size() * 2);
    ssize_t n = ::read(fd, bytes.data() + used, bytes.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw Error("cannot read " + path.string() + ": " + std::strerror(e));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(used);
  return bytes;
}

ModuleBytes::~ModuleBytes() {
  std::free(huge_);
}

}  // namespace wisp::detail
