// openat2-based resolution beneath a preopen (see path_resolve.hpp). glibc 2.36 has no openat2
// wrapper: the syscall is made directly with the kernel's struct open_how.
#include "wasi/path_resolve.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "wasi/ctx_impl.hpp"

namespace wisp::wasi_impl {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

Errno resolve_errno(int host_errno) {
  if (host_errno == EXDEV) return E_NOTCAPABLE;
  return from_host_errno(host_errno);
}

UniqueFd open_beneath(int dirfd, const std::string& path, uint64_t flags, mode_t mode) {
  if (path.empty()) fail(E_NOENT);
  if (path[0] == '/') fail(E_NOTCAPABLE);
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    // EAGAIN: a concurrent rename or mount raced the lookup (RESOLVE_BENEATH refuses to guess).
    if ((errno == EAGAIN || errno == EINTR) && attempt < 64) continue;
    fail(resolve_errno(errno));
  }
}

ParentPath resolve_parent(int dirfd, const std::string& path, Errno dot_error) {
  if (path.empty()) fail(E_NOENT);
  if (path[0] == '/') fail(E_NOTCAPABLE);
  ParentPath out;
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') {
    p.pop_back();
    out.trailing_slash = true;
  }
  size_t slash = p.rfind('/');
  std::string parent = slash == std::string::npos ? "." : p.substr(0, slash + 1);
  out.last = slash == std::string::npos ? p : p.substr(slash + 1);
  if (out.last.empty() || out.last == "." || out.last == "..") fail(dot_error);
  out.dir = open_beneath(dirfd, parent, O_PATH | O_DIRECTORY);
  return out;
}

}  // namespace wisp::wasi_impl
