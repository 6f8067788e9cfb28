// fd_* data functions: read, write, pread, pwrite, seek, tell, readdir; in-memory stdio buffers.
#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "wasi/functions.hpp"

namespace wisp::wasi_impl {

namespace {

std::vector<struct iovec> host_iovs(const std::vector<IoVec>& v) {
  std::vector<struct iovec> out;
  out.reserve(v.size());
  for (const IoVec& x : v) out.push_back({x.base, x.len});
  return out;
}

// Retries after EINTR, unless the call was interrupted (InterruptHandle).
template <typename F>
ssize_t retry(const Call& c, F f) {
  for (;;) {
    ssize_t r = f();
    if (r >= 0 || errno != EINTR || interrupt_pending(c)) return r;
  }
}

size_t read_buffer(InBuffer& in, const std::vector<IoVec>& iovs) {
  size_t total = 0;
  for (const IoVec& v : iovs) {
    size_t n = std::min(v.len, in.data.size() - in.pos);
    if (n) std::memcpy(v.base, in.data.data() + in.pos, n);
    in.pos += n;
    total += n;
    if (n < v.len) break;
  }
  return total;
}

// Appends up to the limit; a write that cannot store a single byte fails with ENOSPC.
size_t write_buffer(OutBuffer& out, const std::vector<IoVec>& iovs) {
  size_t total = 0, wanted = 0;
  for (const IoVec& v : iovs) {
    wanted += v.len;
    size_t room = out.limit > out.data.size() ? out.limit - out.data.size() : 0;
    size_t n = std::min(v.len, room);
    if (n) out.data.append(reinterpret_cast<const char*>(v.base), n);
    total += n;
  }
  if (total < wanted) {
    out.truncated = true;
    if (total == 0) fail(E_NOSPC);
  }
  return total;
}

}  // namespace

uint64_t readable_bytes(const FdEntry& e) {
  switch (e.kind) {
    case FdKind::buffer_in:
      return e.in->data.size() - e.in->pos;
    case FdKind::host: {
      if (e.filetype == FILETYPE_REGULAR_FILE) {
        struct ::stat st;
        off_t pos = ::lseek(e.host, 0, SEEK_CUR);
        if (::fstat(e.host, &st) == 0 && pos >= 0 && st.st_size > pos)
          return static_cast<uint64_t>(st.st_size - pos);
        return 0;
      }
      int n = 0;
      if (::ioctl(e.host, FIONREAD, &n) == 0 && n > 0) return static_cast<uint64_t>(n);
      return 0;
    }
    default:
      return 0;
  }
}

Errno fd_read(Call& c, u32 fd, u32 iovs, u32 iovs_len, u32 nread_ptr) {
  FdEntry& e = c.ctx.get(fd, R_FD_READ);
  std::vector<IoVec> v = load_iovs(c.mem, iovs, iovs_len, /*kernel_writes=*/true);
  c.mem.ptr(nread_ptr, 4);
  size_t n = 0;
  switch (e.kind) {
    case FdKind::host: {
      if (e.filetype == FILETYPE_DIRECTORY) fail(E_ISDIR);
      auto h = host_iovs(v);
      ssize_t r = retry(c, [&] { return ::readv(e.host, h.data(), static_cast<int>(h.size())); });
      if (r < 0) fail_errno();
      n = static_cast<size_t>(r);
      break;
    }
    case FdKind::buffer_in:
      n = read_buffer(*e.in, v);
      break;
    case FdKind::null_in:
      break;
    default:
      fail(E_BADF);
  }
  c.mem.store<uint32_t>(nread_ptr, static_cast<uint32_t>(n));
  return E_SUCCESS;
}

Errno fd_write(Call& c, u32 fd, u32 iovs, u32 iovs_len, u32 nwritten_ptr) {
  FdEntry& e = c.ctx.get(fd, R_FD_WRITE);
  std::vector<IoVec> v = load_iovs(c.mem, iovs, iovs_len, /*kernel_writes=*/false);
  c.mem.ptr(nwritten_ptr, 4);
  size_t n = 0;
  switch (e.kind) {
    case FdKind::host: {
      auto h = host_iovs(v);
      bool sock = e.filetype == FILETYPE_SOCKET_STREAM || e.filetype == FILETYPE_SOCKET_DGRAM;
      struct msghdr msg = {};
      msg.msg_iov = h.data();
      msg.msg_iovlen = h.size();
      // A socket whose peer is gone gives EPIPE, never a SIGPIPE to the host process.
      ssize_t r = retry(c, [&] {
        return sock ? ::sendmsg(e.host, &msg, MSG_NOSIGNAL)
                    : ::writev(e.host, h.data(), static_cast<int>(h.size()));
      });
      if (r < 0) fail_errno();
      n = static_cast<size_t>(r);
      break;
    }
    case FdKind::buffer_out:
      n = write_buffer(*e.out, v);
      break;
    case FdKind::null_out:
      for (const IoVec& x : v) n += x.len;
      break;
    default:
      fail(E_BADF);
  }
  c.mem.store<uint32_t>(nwritten_ptr, static_cast<uint32_t>(n));
  return E_SUCCESS;
}

Errno fd_pread(Call& c, u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nread_ptr) {
  FdEntry& e = c.ctx.get(fd, R_FD_READ | R_FD_SEEK);
  std::vector<IoVec> v = load_iovs(c.mem, iovs, iovs_len, /*kernel_writes=*/true);
  c.mem.ptr(nread_ptr, 4);
  if (e.kind != FdKind::host) fail(E_SPIPE);
  if (e.filetype == FILETYPE_DIRECTORY) fail(E_ISDIR);
  if (offset > static_cast<u64>(LLONG_MAX)) fail(E_INVAL);
  auto h = host_iovs(v);
  ssize_t r = retry(c, [&] {
    return ::preadv(e.host, h.data(), static_cast<int>(h.size()), static_cast<off_t>(offset));
  });
  if (r < 0) fail_errno();
  c.mem.store<uint32_t>(nread_ptr, static_cast<uint32_t>(r));
  return E_SUCCESS;
}

Errno fd_pwrite(Call& c, u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nwritten_ptr) {
  FdEntry& e = c.ctx.get(fd, R_FD_WRITE | R_FD_SEEK);
  std::vector<IoVec> v = load_iovs(c.mem, iovs, iovs_len, /*kernel_writes=*/false);
  c.mem.ptr(nwritten_ptr, 4);
  if (e.kind != FdKind::host) fail(E_SPIPE);
  if (offset > static_cast<u64>(LLONG_MAX)) fail(E_INVAL);
  auto h = host_iovs(v);
  ssize_t r = retry(c, [&] {
    return ::pwritev(e.host, h.data(), static_cast<int>(h.size()), static_cast<off_t>(offset));
  });
  if (r < 0) fail_errno();
  c.mem.store<uint32_t>(nwritten_ptr, static_cast<uint32_t>(r));
  return E_SUCCESS;
}

Errno fd_seek(Call& c, u32 fd, u64 offset, u32 whence, u32 newoffset_ptr) {
  // Asking for the position only needs fd_tell.
  Rights need = (offset == 0 && whence == WHENCE_CUR) ? R_FD_TELL : R_FD_SEEK;
  FdEntry& e = c.ctx.get(fd, need);
  c.mem.ptr(newoffset_ptr, 8);
  int w = whence == WHENCE_SET   ? SEEK_SET
          : whence == WHENCE_CUR ? SEEK_CUR
          : whence == WHENCE_END ? SEEK_END
                                 : -1;
  if (w < 0) fail(E_INVAL);
  if (e.kind != FdKind::host) fail(E_SPIPE);
  off_t r = ::lseek(e.host, static_cast<off_t>(static_cast<int64_t>(offset)), w);
  if (r < 0) fail_errno();
  c.mem.store<uint64_t>(newoffset_ptr, static_cast<uint64_t>(r));
  return E_SUCCESS;
}

Errno fd_tell(Call& c, u32 fd, u32 offset_ptr) {
  FdEntry& e = c.ctx.get(fd, R_FD_TELL);
  c.mem.ptr(offset_ptr, 8);
  if (e.kind != FdKind::host) fail(E_SPIPE);
  off_t r = ::lseek(e.host, 0, SEEK_CUR);
  if (r < 0) fail_errno();
  c.mem.store<uint64_t>(offset_ptr, static_cast<uint64_t>(r));
  return E_SUCCESS;
}

namespace {

// Reads the whole directory (its own fd, so the guest's offset is untouched).
void load_dir(FdEntry& e) {
  int d = ::openat(e.host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) fail_errno();
  DIR* dir = ::fdopendir(d);
  if (!dir) {
    int err = errno;
    ::close(d);
    fail(from_host_errno(err));
  }
  e.dir.clear();
  errno = 0;
  while (struct dirent* de = ::readdir(dir)) {
    uint8_t type = FILETYPE_UNKNOWN;
    switch (de->d_type) {
      case DT_REG:
        type = FILETYPE_REGULAR_FILE;
        break;
      case DT_DIR:
        type = FILETYPE_DIRECTORY;
        break;
      case DT_LNK:
        type = FILETYPE_SYMBOLIC_LINK;
        break;
      case DT_CHR:
        type = FILETYPE_CHARACTER_DEVICE;
        break;
      case DT_BLK:
        type = FILETYPE_BLOCK_DEVICE;
        break;
      case DT_SOCK:
        type = FILETYPE_SOCKET_STREAM;
        break;
      default: {
        struct ::stat st;
        if (::fstatat(::dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
          type = filetype_of(st.st_mode);
      }
    }
    e.dir.push_back({de->d_name, static_cast<uint64_t>(de->d_ino), type});
  }
  int err = errno;
  ::closedir(dir);
  if (err) fail(from_host_errno(err));
  e.dir_valid = true;
}

}  // namespace

Errno fd_readdir(Call& c, u32 fd, u32 buf, u32 buf_len, u64 cookie, u32 bufused_ptr) {
  FdEntry& e = c.ctx.get(fd, R_FD_READDIR);
  if (e.kind != FdKind::host || e.filetype != FILETYPE_DIRECTORY) fail(E_NOTDIR);
  uint8_t* out = c.mem.ptr(buf, buf_len);
  c.mem.ptr(bufused_ptr, 4);
  if (cookie == 0 || !e.dir_valid) load_dir(e);
  uint32_t used = 0;
  for (u64 i = cookie; i < e.dir.size() && used < buf_len; ++i) {
    const DirEntryCache& d = e.dir[i];
    uint8_t rec[kDirentSize] = {};
    uint64_t next = i + 1;
    uint32_t namlen = static_cast<uint32_t>(d.name.size());
    std::memcpy(rec, &next, 8);
    std::memcpy(rec + 8, &d.ino, 8);
    std::memcpy(rec + 16, &namlen, 4);
    rec[20] = d.type;
    uint32_t n = std::min<uint32_t>(kDirentSize, buf_len - used);
    std::memcpy(out + used, rec, n);
    used += n;
    n = std::min<uint32_t>(namlen, buf_len - used);
    if (n) std::memcpy(out + used, d.name.data(), n);
    used += n;
  }
  c.mem.store<uint32_t>(bufused_ptr, used);
  return E_SUCCESS;
}

}  // namespace wisp::wasi_impl
