// fd_* functions about descriptors and metadata: close, renumber, fdstat, filestat, prestat,
// advise, allocate, sync.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "wasi/functions.hpp"

namespace wisp::wasi_impl {

namespace {

uint64_t ns_of(const struct timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

bool is_host(const FdEntry& e) {
  return e.kind == FdKind::host;
}

}  // namespace

void store_filestat(GuestMem& mem, u32 ptr, const struct ::stat& st) {
  uint8_t* p = mem.ptr(ptr, kFilestatSize);
  std::memset(p, 0, kFilestatSize);
  uint64_t v[8] = {static_cast<uint64_t>(st.st_dev),
                   static_cast<uint64_t>(st.st_ino),
                   filetype_of(st.st_mode),
                   static_cast<uint64_t>(st.st_nlink),
                   static_cast<uint64_t>(st.st_size),
                   ns_of(st.st_atim),
                   ns_of(st.st_mtim),
                   ns_of(st.st_ctim)};
  std::memcpy(p, v, sizeof v);  // filetype is a u8 at offset 16, little-endian: same bytes
}

void times_from_flags(u64 atim, u64 mtim, u32 fst_flags, struct ::timespec out[2]) {
  if (fst_flags & ~(FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW | FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW))
    fail(E_INVAL);
  if ((fst_flags & FSTFLAGS_ATIM) && (fst_flags & FSTFLAGS_ATIM_NOW)) fail(E_INVAL);
  if ((fst_flags & FSTFLAGS_MTIM) && (fst_flags & FSTFLAGS_MTIM_NOW)) fail(E_INVAL);
  auto one = [](u64 t, bool set, bool now, struct ::timespec& ts) {
    if (now) {
      ts = {0, UTIME_NOW};
    } else if (set) {
      ts.tv_sec = static_cast<time_t>(t / 1000000000ull);
      ts.tv_nsec = static_cast<long>(t % 1000000000ull);
    } else {
      ts = {0, UTIME_OMIT};
    }
  };
  one(atim, fst_flags & FSTFLAGS_ATIM, fst_flags & FSTFLAGS_ATIM_NOW, out[0]);
  one(mtim, fst_flags & FSTFLAGS_MTIM, fst_flags & FSTFLAGS_MTIM_NOW, out[1]);
}

Errno fd_close(Call& c, u32 fd) {
  c.ctx.get(fd);
  c.ctx.fds[fd].reset();
  return E_SUCCESS;
}

Errno fd_renumber(Call& c, u32 fd, u32 to) {
  c.ctx.get(fd);
  c.ctx.get(to);
  if (fd != to) {
    c.ctx.fds[to] = std::move(c.ctx.fds[fd]);
  }
  return E_SUCCESS;
}

Errno fd_fdstat_get(Call& c, u32 fd, u32 buf) {
  FdEntry& e = c.ctx.get(fd);
  uint16_t flags = e.fdflags;
  if (is_host(e)) {
    int fl = ::fcntl(e.host, F_GETFL);
    if (fl >= 0) {
      flags = 0;
      if (fl & O_APPEND) flags |= FDFLAGS_APPEND;
      if (fl & O_NONBLOCK) flags |= FDFLAGS_NONBLOCK;
      if ((fl & O_SYNC) == O_SYNC) {
        flags |= FDFLAGS_SYNC;
      } else if (fl & O_DSYNC) {
        flags |= FDFLAGS_DSYNC;
      }
      if ((fl & O_RSYNC) == O_RSYNC && (fl & O_SYNC) == O_SYNC) flags |= FDFLAGS_RSYNC;
    }
  }
  uint8_t* p = c.mem.ptr(buf, kFdstatSize);
  std::memset(p, 0, kFdstatSize);
  p[0] = e.filetype;
  std::memcpy(p + 2, &flags, 2);
  std::memcpy(p + 8, &e.base, 8);
  std::memcpy(p + 16, &e.inheriting, 8);
  return E_SUCCESS;
}

Errno fd_fdstat_set_flags(Call& c, u32 fd, u32 flags) {
  FdEntry& e = c.ctx.get(fd, R_FD_FDSTAT_SET_FLAGS);
  if (flags & ~(FDFLAGS_APPEND | FDFLAGS_DSYNC | FDFLAGS_NONBLOCK | FDFLAGS_RSYNC | FDFLAGS_SYNC))
    fail(E_INVAL);
  // Linux cannot change O_DSYNC/O_SYNC/O_RSYNC on an open file (F_SETFL ignores them).
  if (flags & (FDFLAGS_DSYNC | FDFLAGS_RSYNC | FDFLAGS_SYNC)) fail(E_NOTSUP);
  if ((flags & FDFLAGS_APPEND) && !(e.base & R_FD_WRITE)) fail(E_NOTCAPABLE);
  if (is_host(e)) {
    int fl = ::fcntl(e.host, F_GETFL);
    if (fl < 0) fail_errno();
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & FDFLAGS_APPEND) fl |= O_APPEND;
    if (flags & FDFLAGS_NONBLOCK) fl |= O_NONBLOCK;
    if (::fcntl(e.host, F_SETFL, fl) < 0) fail_errno();
  }
  e.fdflags = static_cast<uint16_t>(flags);
  return E_SUCCESS;
}

Errno fd_fdstat_set_rights(Call& c, u32 fd, u64 base, u64 inheriting) {
  FdEntry& e = c.ctx.get(fd);
  if ((base & ~e.base) || (inheriting & ~e.inheriting)) fail(E_NOTCAPABLE);
  e.base = base;
  e.inheriting = inheriting;
  return E_SUCCESS;
}

Errno fd_filestat_get(Call& c, u32 fd, u32 buf) {
  FdEntry& e = c.ctx.get(fd, R_FD_FILESTAT_GET);
  struct ::stat st = {};
  if (is_host(e)) {
    if (::fstat(e.host, &st) < 0) fail_errno();
    store_filestat(c.mem, buf, st);
  } else {
    store_filestat(c.mem, buf, st);
    c.mem.ptr(buf, kFilestatSize)[16] = e.filetype;
  }
  return E_SUCCESS;
}

Errno fd_filestat_set_size(Call& c, u32 fd, u64 size) {
  FdEntry& e = c.ctx.get(fd, R_FD_FILESTAT_SET_SIZE);
  if (!is_host(e)) fail(E_INVAL);
  if (size > static_cast<u64>(LLONG_MAX)) fail(E_FBIG);
  if (::ftruncate(e.host, static_cast<off_t>(size)) < 0) fail_errno();
  return E_SUCCESS;
}

Errno fd_filestat_set_times(Call& c, u32 fd, u64 atim, u64 mtim, u32 fst_flags) {
  FdEntry& e = c.ctx.get(fd, R_FD_FILESTAT_SET_TIMES);
  struct ::timespec ts[2];
  times_from_flags(atim, mtim, fst_flags, ts);
  if (!is_host(e)) fail(E_BADF);
  if (::futimens(e.host, ts) < 0) fail_errno();
  return E_SUCCESS;
}

Errno fd_prestat_get(Call& c, u32 fd, u32 buf) {
  FdEntry& e = c.ctx.get(fd);
  if (!e.preopen) fail(E_BADF);
  uint8_t* p = c.mem.ptr(buf, kPrestatSize);
  std::memset(p, 0, kPrestatSize);
  p[0] = PREOPENTYPE_DIR;
  uint32_t len = static_cast<uint32_t>(e.preopen->size());
  std::memcpy(p + 4, &len, 4);
  return E_SUCCESS;
}

Errno fd_prestat_dir_name(Call& c, u32 fd, u32 path, u32 path_len) {
  FdEntry& e = c.ctx.get(fd);
  if (!e.preopen) fail(E_BADF);
  if (path_len < e.preopen->size()) fail(E_NAMETOOLONG);
  uint8_t* p = c.mem.ptr(path, e.preopen->size());
  if (!e.preopen->empty()) std::memcpy(p, e.preopen->data(), e.preopen->size());
  return E_SUCCESS;
}

Errno fd_advise(Call& c, u32 fd, u64 offset, u64 len, u32 advice) {
  FdEntry& e = c.ctx.get(fd, R_FD_ADVISE);
  static constexpr int kAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                    POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
  if (advice > ADVICE_NOREUSE) fail(E_INVAL);
  if (offset > static_cast<u64>(LLONG_MAX) || len > static_cast<u64>(LLONG_MAX)) fail(E_INVAL);
  if (!is_host(e)) fail(E_SPIPE);
  if (e.filetype == FILETYPE_DIRECTORY) fail(E_BADF);
  int r =
      ::posix_fadvise(e.host, static_cast<off_t>(offset), static_cast<off_t>(len), kAdvice[advice]);
  if (r != 0) fail(from_host_errno(r));
  return E_SUCCESS;
}

Errno fd_allocate(Call& c, u32 fd, u64 offset, u64 len) {
  FdEntry& e = c.ctx.get(fd, R_FD_ALLOCATE);
  if (offset > static_cast<u64>(LLONG_MAX) || len > static_cast<u64>(LLONG_MAX)) fail(E_INVAL);
  if (len == 0) fail(E_INVAL);
  if (!is_host(e)) fail(E_SPIPE);
  if (e.filetype == FILETYPE_DIRECTORY) fail(E_BADF);
  int r = ::posix_fallocate(e.host, static_cast<off_t>(offset), static_cast<off_t>(len));
  if (r != 0) fail(from_host_errno(r));
  return E_SUCCESS;
}

Errno fd_datasync(Call& c, u32 fd) {
  FdEntry& e = c.ctx.get(fd, R_FD_DATASYNC);
  if (!is_host(e)) fail(E_INVAL);
  if (::fdatasync(e.host) < 0) fail_errno();
  return E_SUCCESS;
}

Errno fd_sync(Call& c, u32 fd) {
  FdEntry& e = c.ctx.get(fd, R_FD_SYNC);
  if (!is_host(e)) fail(E_INVAL);
  if (::fsync(e.host) < 0) fail_errno();
  return E_SUCCESS;
}

}  // namespace wisp::wasi_impl
