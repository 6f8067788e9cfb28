// Path resolution that cannot leave a preopened directory: openat2 with RESOLVE_BENEATH and
// RESOLVE_NO_MAGICLINKS for whole paths, and "parent beneath + last component" for the *at calls
// that have no openat2 form.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>

#include "wasi/abi.hpp"

namespace wisp::wasi_impl {

// An owned host fd.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  ~UniqueFd();
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// Opens `path` relative to `dirfd` and beneath it; `flags` are open(2) flags (O_CLOEXEC is
// added). Fails (ErrnoError) with ENOTCAPABLE when the path would leave `dirfd` (`..`, absolute
// path, symlink pointing out), otherwise with the host error mapped to WASI.
UniqueFd open_beneath(int dirfd, const std::string& path, uint64_t flags, mode_t mode = 0);

// The directory that holds the last component of `path` (opened beneath `dirfd`, O_PATH) and
// that component. A last component of "." or ".." fails with `dot_error`; so does an empty path
// (ENOENT). `trailing_slash` tells whether the path ended in '/'.
struct ParentPath {
  UniqueFd dir;
  std::string last;
  bool trailing_slash = false;
};
ParentPath resolve_parent(int dirfd, const std::string& path,
                          wasi_abi::Errno dot_error = wasi_abi::E_INVAL);

// Host error of a resolution -> WASI errno (EXDEV from RESOLVE_BENEATH is ENOTCAPABLE).
wasi_abi::Errno resolve_errno(int host_errno);

// Filetype from st_mode.
uint8_t filetype_of(mode_t m);

}  // namespace wisp::wasi_impl
