// sock_accept, sock_recv, sock_send, sock_shutdown over host sockets handed to the guest
// (WasiConfig::sockets) and the connections accepted from them. Any other fd: ENOTSOCK.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

#include "wasi/functions.hpp"

namespace wisp::wasi_impl {

namespace {

FdEntry& socket_entry(Call& c, u32 fd, Rights rights) {
  FdEntry& e = c.ctx.get(fd);
  if (e.kind != FdKind::host ||
      (e.filetype != FILETYPE_SOCKET_STREAM && e.filetype != FILETYPE_SOCKET_DGRAM))
    fail(E_NOTSOCK);
  if ((e.base & rights) != rights) fail(E_NOTCAPABLE);
  return e;
}

}  // namespace

Errno sock_accept(Call& c, u32 fd, u32 flags, u32 fd_ptr) {
  FdEntry& e = socket_entry(c, fd, R_SOCK_ACCEPT);
  if (flags & ~FDFLAGS_NONBLOCK) fail(E_INVAL);
  c.mem.ptr(fd_ptr, 4);
  int h;
  do {
    h = ::accept4(e.host, nullptr, nullptr,
                  SOCK_CLOEXEC | ((flags & FDFLAGS_NONBLOCK) ? SOCK_NONBLOCK : 0));
  } while (h < 0 && errno == EINTR);
  if (h < 0) fail_errno();
  auto ne = std::make_unique<FdEntry>();
  ne->host = h;
  ne->filetype = FILETYPE_SOCKET_STREAM;
  ne->base = kSocketRights & ~R_SOCK_ACCEPT;
  ne->fdflags = static_cast<uint16_t>(flags);
  uint32_t nfd = c.ctx.insert(std::move(ne));
  c.mem.store<uint32_t>(fd_ptr, nfd);
  return E_SUCCESS;
}

Errno sock_recv(Call& c, u32 fd, u32 ri_data, u32 ri_data_len, u32 ri_flags, u32 ro_datalen_ptr,
                u32 ro_flags_ptr) {
  FdEntry& e = socket_entry(c, fd, R_FD_READ);
  if (ri_flags & ~(RIFLAGS_RECV_PEEK | RIFLAGS_RECV_WAITALL)) fail(E_INVAL);
  std::vector<IoVec> v = load_iovs(c.mem, ri_data, ri_data_len, /*kernel_writes=*/true);
  c.mem.ptr(ro_datalen_ptr, 4);
  c.mem.ptr(ro_flags_ptr, 2);
  std::vector<struct iovec> h;
  for (const IoVec& x : v) h.push_back({x.base, x.len});
  struct msghdr msg = {};
  msg.msg_iov = h.data();
  msg.msg_iovlen = h.size();
  int fl = 0;
  if (ri_flags & RIFLAGS_RECV_PEEK) fl |= MSG_PEEK;
  if (ri_flags & RIFLAGS_RECV_WAITALL) fl |= MSG_WAITALL;
  ssize_t n;
  do {
    n = ::recvmsg(e.host, &msg, fl);
  } while (n < 0 && errno == EINTR);
  if (n < 0) fail_errno();
  uint16_t roflags = (msg.msg_flags & MSG_TRUNC) ? ROFLAGS_RECV_DATA_TRUNCATED : 0;
  c.mem.store<uint32_t>(ro_datalen_ptr, static_cast<uint32_t>(n));
  c.mem.store<uint16_t>(ro_flags_ptr, roflags);
  return E_SUCCESS;
}

Errno sock_send(Call& c, u32 fd, u32 si_data, u32 si_data_len, u32 si_flags, u32 so_datalen_ptr) {
  FdEntry& e = socket_entry(c, fd, R_FD_WRITE);
  if (si_flags != 0) fail(E_INVAL);  // siflags has no flags defined
  std::vector<IoVec> v = load_iovs(c.mem, si_data, si_data_len, /*kernel_writes=*/false);
  c.mem.ptr(so_datalen_ptr, 4);
  std::vector<struct iovec> h;
  for (const IoVec& x : v) h.push_back({x.base, x.len});
  struct msghdr msg = {};
  msg.msg_iov = h.data();
  msg.msg_iovlen = h.size();
  ssize_t n;
  do {
    n = ::sendmsg(e.host, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) fail_errno();
  c.mem.store<uint32_t>(so_datalen_ptr, static_cast<uint32_t>(n));
  return E_SUCCESS;
}

Errno sock_shutdown(Call& c, u32 fd, u32 how) {
  FdEntry& e = socket_entry(c, fd, R_SOCK_SHUTDOWN);
  int h;
  switch (how) {
    case SDFLAGS_RD:
      h = SHUT_RD;
      break;
    case SDFLAGS_WR:
      h = SHUT_WR;
      break;
    case SDFLAGS_RD | SDFLAGS_WR:
      h = SHUT_RDWR;
      break;
    default:
      fail(E_INVAL);
  }
  if (::shutdown(e.host, h) < 0) fail_errno();
  return E_SUCCESS;
}

}  // namespace wisp::wasi_impl
