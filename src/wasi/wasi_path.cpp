// path_* functions. Every path is resolved beneath the directory fd it is relative to: whole
// paths through openat2 (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), the rest as "parent opened
// beneath + last component" with the *at call and AT_SYMLINK_NOFOLLOW semantics (see
// path_resolve.hpp). A symlink is only ever followed by the kernel under RESOLVE_BENEATH.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "wasi/functions.hpp"
#include "wasi/path_resolve.hpp"

namespace wisp::wasi_impl {

namespace {

// The directory entry `fd` with `rights`; ENOTDIR if it is not a directory.
FdEntry& dir_entry(Call& c, u32 fd, Rights rights) {
  FdEntry& e = c.ctx.get(fd, rights);
  if (e.kind != FdKind::host || e.filetype != FILETYPE_DIRECTORY) fail(E_NOTDIR);
  return e;
}

// A new name (link or symlink) ending in '/' names a directory, which neither can be: EEXIST
// if something is there, else ENOENT (linkat and symlinkat would ignore the slash).
void refuse_new_name_with_slash(const ParentPath& p) {
  if (!p.trailing_slash) return;
  struct ::stat st;
  bool exists = ::fstatat(p.dir.get(), p.last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  fail(exists ? E_EXIST : E_NOENT);
}

// A path ending in '/' must name a directory.
void check_trailing_slash(const ParentPath& p) {
  if (!p.trailing_slash) return;
  struct ::stat st;
  if (::fstatat(p.dir.get(), p.last.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) fail_errno();
  if (!S_ISDIR(st.st_mode)) fail(E_NOTDIR);
}

}  // namespace

Errno path_open(Call& c, u32 fd, u32 dirflags, u32 path, u32 path_len, u32 oflags, u64 base,
                u64 inheriting, u32 fdflags, u32 fd_ptr) {
  Rights need = R_PATH_OPEN;
  if (oflags & OFLAGS_CREAT) need |= R_PATH_CREATE_FILE;
  if (oflags & OFLAGS_TRUNC) need |= R_PATH_FILESTAT_SET_SIZE;
  FdEntry& dir = dir_entry(c, fd, need);
  std::string p = c.mem.path(path, path_len);
  c.mem.ptr(fd_ptr, 4);
  if (oflags & ~(OFLAGS_CREAT | OFLAGS_DIRECTORY | OFLAGS_EXCL | OFLAGS_TRUNC)) fail(E_INVAL);
  if (fdflags & ~(FDFLAGS_APPEND | FDFLAGS_DSYNC | FDFLAGS_NONBLOCK | FDFLAGS_RSYNC | FDFLAGS_SYNC))
    fail(E_INVAL);
  if (dirflags & ~LOOKUPFLAGS_SYMLINK_FOLLOW) fail(E_INVAL);
  // Beneath a read-only preopen, asking to write fails; other write rights are dropped.
  if (dir.readonly && (base & kOpenForWriteRights)) fail(E_NOTCAPABLE);
  // Rights beyond what the directory may hand down are dropped (as wasi-libc expects).
  base &= dir.inheriting;
  inheriting &= dir.inheriting;
  if (dir.readonly) base &= ~kWriteRights;
  if ((fdflags & FDFLAGS_APPEND) && !(base & R_FD_WRITE)) fail(E_NOTCAPABLE);
  // A directory is never open for writing (without O_DIRECTORY the kernel says so itself).
  if ((oflags & OFLAGS_DIRECTORY) && (base & R_FD_WRITE)) fail(E_ISDIR);

  bool read = base & (R_FD_READ | R_FD_READDIR);
  bool write = base & (R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE);
  uint64_t flags = O_NOCTTY | O_NONBLOCK;  // O_NONBLOCK: opening a FIFO must not hang
  if (oflags & OFLAGS_DIRECTORY) {
    flags |= O_DIRECTORY | O_RDONLY;
  } else if (write) {
    flags |= read ? O_RDWR : O_WRONLY;
  } else {
    flags |= O_RDONLY;
  }
  if (oflags & OFLAGS_CREAT) flags |= O_CREAT;
  if (oflags & OFLAGS_EXCL) flags |= O_EXCL;
  if (oflags & OFLAGS_TRUNC) flags |= O_TRUNC;
  if (fdflags & FDFLAGS_APPEND) flags |= O_APPEND;
  if (fdflags & FDFLAGS_DSYNC) flags |= O_DSYNC;
  if (fdflags & FDFLAGS_SYNC) flags |= O_SYNC;
  if (fdflags & FDFLAGS_RSYNC) flags |= O_RSYNC;
  if (!(dirflags & LOOKUPFLAGS_SYMLINK_FOLLOW)) flags |= O_NOFOLLOW;

  UniqueFd h = open_beneath(dir.host, p, flags, 0666);
  if (!(fdflags & FDFLAGS_NONBLOCK)) {
    int fl = ::fcntl(h.get(), F_GETFL);
    if (fl >= 0) ::fcntl(h.get(), F_SETFL, fl & ~O_NONBLOCK);
  }
  struct ::stat st;
  if (::fstat(h.get(), &st) < 0) fail_errno();
  auto e = std::make_unique<FdEntry>();
  e->filetype = filetype_of(st.st_mode);
  if (S_ISDIR(st.st_mode)) {
    e->base = base & kDirRights;
    e->inheriting = inheriting;
  } else {
    e->base = base & kFileRights;
    e->inheriting = 0;
    if (!S_ISREG(st.st_mode)) e->base &= ~(R_FD_SEEK | R_FD_TELL);
  }
  e->fdflags = static_cast<uint16_t>(fdflags);
  e->readonly = dir.readonly;
  e->host = h.release();
  uint32_t newfd = c.ctx.insert(std::move(e));
  c.mem.store<uint32_t>(fd_ptr, newfd);
  return E_SUCCESS;
}

Errno path_create_directory(Call& c, u32 fd, u32 path, u32 path_len) {
  FdEntry& dir = dir_entry(c, fd, R_PATH_CREATE_DIRECTORY);
  ParentPath p = resolve_parent(dir.host, c.mem.path(path, path_len), E_EXIST);
  if (::mkdirat(p.dir.get(), p.last.c_str(), 0777) < 0) fail_errno();
  return E_SUCCESS;
}

Errno path_filestat_get(Call& c, u32 fd, u32 flags, u32 path, u32 path_len, u32 buf) {
  FdEntry& dir = dir_entry(c, fd, R_PATH_FILESTAT_GET);
  std::string p = c.mem.path(path, path_len);
  c.mem.ptr(buf, kFilestatSize);
  uint64_t of = O_PATH | ((flags & LOOKUPFLAGS_SYMLINK_FOLLOW) ? 0 : O_NOFOLLOW);
  UniqueFd h = open_beneath(dir.host, p, of);
  struct ::stat st;
  if (::fstat(h.get(), &st) < 0) fail_errno();
  store_filestat(c.mem, buf, st);
  return E_SUCCESS;
}

Errno path_filestat_set_times(Call& c, u32 fd, u32 flags, u32 path, u32 path_len, u64 atim,
                              u64 mtim, u32 fst_flags) {
  FdEntry& dir = dir_entry(c, fd, R_PATH_FILESTAT_SET_TIMES);
  std::string p = c.mem.path(path, path_len);
  struct ::timespec ts[2];
  times_from_flags(atim, mtim, fst_flags, ts);
  uint64_t of = O_PATH | ((flags & LOOKUPFLAGS_SYMLINK_FOLLOW) ? 0 : O_NOFOLLOW);
  UniqueFd h = open_beneath(dir.host, p, of);
  // AT_EMPTY_PATH on the O_PATH fd: the object resolution found, symlink or not.
  if (::utimensat(h.get(), "", ts, AT_EMPTY_PATH) < 0) fail_errno();
  return E_SUCCESS;
}

Errno path_link(Call& c, u32 old_fd, u32 old_flags, u32 old_path, u32 old_len, u32 new_fd,
                u32 new_path, u32 new_len) {
  FdEntry& od = dir_entry(c, old_fd, R_PATH_LINK_SOURCE);
  FdEntry& nd = dir_entry(c, new_fd, R_PATH_LINK_TARGET);
  std::string op = c.mem.path(old_path, old_len);
  std::string np = c.mem.path(new_path, new_len);
  if (old_flags & ~LOOKUPFLAGS_SYMLINK_FOLLOW) fail(E_INVAL);
  // Following the source symlink would need linkat(AT_SYMLINK_FOLLOW) on a name whose target
  // is outside our control: refused (as Wasmtime does).
  if (old_flags & LOOKUPFLAGS_SYMLINK_FOLLOW) fail(E_INVAL);
  ParentPath a = resolve_parent(od.host, op, E_PERM);
  ParentPath b = resolve_parent(nd.host, np, E_EXIST);
  check_trailing_slash(a);
  refuse_new_name_with_slash(b);
  if (::linkat(a.dir.get(), a.last.c_str(), b.dir.get(), b.last.c_str(), 0) < 0) fail_errno();
  return E_SUCCESS;
}

Errno path_readlink(Call& c, u32 fd, u32 path, u32 path_len, u32 buf, u32 buf_len,
                    u32 bufused_ptr) {
  FdEntry& dir = dir_entry(c, fd, R_PATH_READLINK);
  ParentPath p = resolve_parent(dir.host, c.mem.path(path, path_len), E_INVAL);
  uint8_t* out = c.mem.ptr(buf, buf_len);
  c.mem.ptr(bufused_ptr, 4);
  std::string target(4096, '\0');
  ssize_t n = ::readlinkat(p.dir.get(), p.last.c_str(), target.data(), target.size());
  if (n < 0) fail_errno();
  uint32_t copy = static_cast<uint32_t>(std::min<ssize_t>(n, buf_len));
  if (copy) std::memcpy(out, target.data(), copy);
  c.mem.store<uint32_t>(bufused_ptr, copy);
  return E_SUCCESS;
}

Errno path_remove_directory(Call& c, u32 fd, u32 path, u32 path_len) {
  FdEntry& dir = dir_entry(c, fd, R_PATH_REMOVE_DIRECTORY);
  std::string p = c.mem.path(path, path_len);
  ParentPath pp = resolve_parent(dir.host, p, E_INVAL);
  if (::unlinkat(pp.dir.get(), pp.last.c_str(), AT_REMOVEDIR) < 0) fail_errno();
  return E_SUCCESS;
}

Errno path_rename(Call& c, u32 fd, u32 old_path, u32 old_len, u32 new_fd, u32 new_path,
                  u32 new_len) {
  FdEntry& od = dir_entry(c, fd, R_PATH_RENAME_SOURCE);
  FdEntry& nd = dir_entry(c, new_fd, R_PATH_RENAME_TARGET);
  ParentPath a = resolve_parent(od.host, c.mem.path(old_path, old_len), E_INVAL);
  ParentPath b = resolve_parent(nd.host, c.mem.path(new_path, new_len), E_INVAL);
  check_trailing_slash(a);
  if (b.trailing_slash) {
    struct ::stat st;
    if (::fstatat(a.dir.get(), a.last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISDIR(st.st_mode))
      fail(E_NOTDIR);
  }
  if (::renameat(a.dir.get(), a.last.c_str(), b.dir.get(), b.last.c_str()) < 0) fail_errno();
  return E_SUCCESS;
}

Errno path_symlink(Call& c, u32 old_path, u32 old_len, u32 fd, u32 new_path, u32 new_len) {
  FdEntry& dir = dir_entry(c, fd, R_PATH_SYMLINK);
  std::string target = c.mem.path(old_path, old_len);
  std::string np = c.mem.path(new_path, new_len);
  // An absolute target could only ever point outside the sandbox: refused. (Relative targets
  // that climb out are allowed to exist; resolution beneath the preopen refuses to follow them.)
  if (!target.empty() && target[0] == '/') fail(E_NOTCAPABLE);
  if (target.empty()) fail(E_NOENT);
  ParentPath p = resolve_parent(dir.host, np, E_EXIST);
  refuse_new_name_with_slash(p);
  if (::symlinkat(target.c_str(), p.dir.get(), p.last.c_str()) < 0) fail_errno();
  return E_SUCCESS;
}

Errno path_unlink_file(Call& c, u32 fd, u32 path, u32 path_len) {
  FdEntry& dir = dir_entry(c, fd, R_PATH_UNLINK_FILE);
  ParentPath p = resolve_parent(dir.host, c.mem.path(path, path_len), E_ISDIR);
  if (p.trailing_slash) {
    struct ::stat st;
    if (::fstatat(p.dir.get(), p.last.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) fail_errno();
    fail(S_ISDIR(st.st_mode) ? E_ISDIR : E_NOTDIR);
  }
  if (::unlinkat(p.dir.get(), p.last.c_str(), 0) < 0) fail_errno();
  return E_SUCCESS;
}

}  // namespace wisp::wasi_impl
