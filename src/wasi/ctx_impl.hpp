// Internals of the WASI context: fd table entries, guest-memory access, errno plumbing.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasi/abi.hpp"
#include "wisp/wasi.hpp"

namespace wisp::wasi_impl {

using namespace wisp::wasi_abi;

// Thrown inside a WASI function to return an errno; caught by the dispatcher (never escapes).
struct ErrnoError {
  Errno code;
};
[[noreturn]] inline void fail(Errno e) {
  throw ErrnoError{e};
}
// Host errno -> WASI errno.
Errno from_host_errno(int e);
// fail(from_host_errno(errno)).
[[noreturn]] void fail_errno();

// Rights sets.
inline constexpr Rights kFileRights =
    R_FD_DATASYNC | R_FD_READ | R_FD_SEEK | R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_TELL |
    R_FD_WRITE | R_FD_ADVISE | R_FD_ALLOCATE | R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_SIZE |
    R_FD_FILESTAT_SET_TIMES | R_POLL_FD_READWRITE;
inline constexpr Rights kDirRights =
    R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_ADVISE | R_PATH_CREATE_DIRECTORY | R_PATH_CREATE_FILE |
    R_PATH_LINK_SOURCE | R_PATH_LINK_TARGET | R_PATH_OPEN | R_FD_READDIR | R_PATH_READLINK |
    R_PATH_RENAME_SOURCE | R_PATH_RENAME_TARGET | R_PATH_FILESTAT_GET | R_PATH_FILESTAT_SET_SIZE |
    R_PATH_FILESTAT_SET_TIMES | R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_TIMES | R_PATH_SYMLINK |
    R_PATH_REMOVE_DIRECTORY | R_PATH_UNLINK_FILE | R_FD_DATASYNC;
inline constexpr Rights kStreamRights =
    R_FD_READ | R_FD_WRITE | R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE;
inline constexpr Rights kSocketRights = R_FD_READ | R_FD_WRITE | R_FD_FDSTAT_SET_FLAGS |
                                        R_FD_FILESTAT_GET | R_POLL_FD_READWRITE | R_SOCK_SHUTDOWN |
                                        R_SOCK_ACCEPT;
// Asking path_open for one of these beneath a read-only preopen fails with ENOTCAPABLE (what
// wasi-libc asks for when opening for writing).
inline constexpr Rights kOpenForWriteRights = R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE;
// Every right that modifies the file system: withheld under a read-only preopen.
inline constexpr Rights kWriteRights =
    R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE | R_FD_FILESTAT_SET_TIMES |
    R_PATH_CREATE_DIRECTORY | R_PATH_CREATE_FILE | R_PATH_LINK_SOURCE | R_PATH_LINK_TARGET |
    R_PATH_RENAME_SOURCE | R_PATH_RENAME_TARGET | R_PATH_FILESTAT_SET_SIZE |
    R_PATH_FILESTAT_SET_TIMES | R_PATH_SYMLINK | R_PATH_REMOVE_DIRECTORY | R_PATH_UNLINK_FILE;

// In-memory stdio.
struct InBuffer {
  std::string data;
  size_t pos = 0;
};
struct OutBuffer {
  std::string data;
  size_t limit = 0;
  bool truncated = false;
};

struct DirEntryCache {
  std::string name;
  uint64_t ino;
  uint8_t type;
};

enum class FdKind : uint8_t { host, buffer_in, buffer_out, null_in, null_out };

// One open fd of the guest.
struct FdEntry {
  FdKind kind = FdKind::host;
  int host = -1;      // host fd (kind == host)
  bool owned = true;  // close `host` with the entry (false: inherited stdio)
  uint8_t filetype = FILETYPE_UNKNOWN;
  Rights base = 0;
  Rights inheriting = 0;
  uint16_t fdflags = 0;
  std::optional<std::string> preopen;  // guest name of a preopened directory
  bool readonly = false;               // beneath a read-only preopen: never gains write rights
  std::shared_ptr<InBuffer> in;
  std::shared_ptr<OutBuffer> out;
  std::vector<DirEntryCache> dir;  // fd_readdir snapshot, taken at cookie 0
  bool dir_valid = false;

  FdEntry() = default;
  FdEntry(const FdEntry&) = delete;
  FdEntry& operator=(const FdEntry&) = delete;
  ~FdEntry();
};

// Checked access to the guest's linear memory: an out-of-range (ptr, len) fails with EFAULT.
class GuestMem {
 public:
  explicit GuestMem(Memory mem) : mem_(std::move(mem)) {}
  // Checked guest memory for host code to read or write (EFAULT if out of range).
  uint8_t* ptr(uint64_t p, uint64_t len);
  // The same, for a buffer the kernel will write (readv, getrandom): prepared for that, since
  // a kernel write to a write-tracked page would fail instead of faulting.
  uint8_t* kernel_out(uint64_t p, uint64_t len);
  template <typename T>
  T load(uint64_t p) {
    T v;
    std::memcpy(&v, ptr(p, sizeof(T)), sizeof(T));
    return v;
  }
  template <typename T>
  void store(uint64_t p, T v) {
    std::memcpy(ptr(p, sizeof(T)), &v, sizeof(T));
  }
  std::string string(uint64_t p, uint64_t len);
  // A guest path: EFAULT if out of range, EILSEQ on a NUL byte.
  std::string path(uint64_t p, uint64_t len);

 private:
  Memory mem_;
};

// A guest iovec array resolved to host spans.
struct IoVec {
  uint8_t* base;
  size_t len;
};
// `kernel_writes`: the buffers are destinations of a system call (see GuestMem::kernel_out).
std::vector<IoVec> load_iovs(GuestMem& mem, uint32_t iovs, uint32_t count, bool kernel_writes);

}  // namespace wisp::wasi_impl

namespace wisp {

struct WasiCtx::Impl {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<std::unique_ptr<wasi_impl::FdEntry>> fds;  // index = fd; null = closed
  uint32_t max_fds = 1024;
  std::shared_ptr<wasi_impl::OutBuffer> out, err;
  std::optional<int> exit_code;
  // Shared by the threads of a wasi-threads group (WasiThreads): the functions that touch the
  // fd table, the buffers or the exit code run under `mutex` (see wasi_linker.cpp).
  bool shared = false;
  std::mutex mutex;

  // The entry for `fd` holding every right in `rights`: EBADF if not open, ENOTCAPABLE if a
  // right is missing.
  wasi_impl::FdEntry& get(uint32_t fd, wasi_abi::Rights rights = 0);
  // Places `e` in the lowest free slot; EMFILE when the table is full.
  uint32_t insert(std::unique_ptr<wasi_impl::FdEntry> e);
};

}  // namespace wisp

namespace wisp::wasi_impl {
// What a WASI function gets: its instance's context and memory.
struct Call {
  WasiCtx::Impl& ctx;
  GuestMem mem;
  detail::InstanceImpl* inst;
  // The held lock of a shared context (null otherwise): a function that blocks without touching
  // the context any more may release it (poll_oneoff waiting only for clocks).
  std::unique_lock<std::mutex>* lock = nullptr;
};
// Has another thread interrupted the call running on the instance (InterruptHandle)? Blocking
// waits (poll_oneoff, reads) end early with EINTR when it has; the runtime then ends the call.
bool interrupt_pending(const Call& c);
}  // namespace wisp::wasi_impl
