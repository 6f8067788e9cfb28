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

std::shared_ptr<const ModuleBytes> ModuleBytes::read_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) < kHugeFileBytes) {
    if (fd >= 0) ::close(fd);
    return from_vector(read_file_bytes(path));  // small, special or unreadable: its own errors
  }
  std::shared_ptr<ModuleBytes> b(new ModuleBytes());
  const size_t size = static_cast<size_t>(st.st_size);
  const size_t reserved = (size + kHugePage - 1) / kHugePage * kHugePage;
  b->huge_ = static_cast<uint8_t*>(std::aligned_alloc(kHugePage, reserved));
  if (b->huge_ == nullptr) {
    ::close(fd);
    throw Error("cannot read " + path.string() + ": out of memory for " + std::to_string(size) +
                " bytes");
  }
  ::madvise(b->huge_, reserved, MADV_HUGEPAGE);  // advice: without it, 4 KiB pages
  size_t used = 0;
  while (used < size) {
    ssize_t n = ::read(fd, b->huge_ + used, size - used);
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
  b->data_ = b->huge_;
  b->size_ = size;
  return b;
}

ModuleBytes::~ModuleBytes() {
  std::free(huge_);
}

}  // namespace wisp::detail
