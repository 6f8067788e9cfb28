// Sockets handed in by the host (fd 3: a connected stream socket): receives a request, sends
// it back upper-cased, shuts down writing. Also PEEK and the errno of a bad shutdown mode.
#include <string.h>
#include <wasi/api.h>

#include "check.h"

int main(void) {
  __wasi_fdstat_t fst;
  CHECK_ERRNO(__wasi_fd_fdstat_get(3, &fst), 0);
  CHECK(fst.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM);
  uint8_t buf[64] = {0};
  __wasi_iovec_t iov = {buf, sizeof buf};
  __wasi_size_t n = 0;
  __wasi_roflags_t rof = 1;
  CHECK_ERRNO(__wasi_sock_recv(3, &iov, 1, __WASI_RIFLAGS_RECV_PEEK, &n, &rof), 0);
  CHECK(n == 5 && rof == 0);
  CHECK_ERRNO(__wasi_sock_recv(3, &iov, 1, 0, &n, &rof), 0);
  CHECK(n == 5 && !memcmp(buf, "hello", 5));
  for (__wasi_size_t i = 0; i < n; ++i) buf[i] = (uint8_t)(buf[i] - 32);
  __wasi_ciovec_t out = {buf, n};
  __wasi_size_t sent = 0;
  CHECK_ERRNO(__wasi_sock_send(3, &out, 1, 0, &sent), 0);
  CHECK(sent == 5);
  CHECK_ERRNO(__wasi_sock_shutdown(3, 0), __WASI_ERRNO_INVAL);
  CHECK_ERRNO(__wasi_sock_shutdown(3, __WASI_SDFLAGS_WR), 0);
  int32_t nfd;
  CHECK_ERRNO(__wasi_sock_accept(3, 0, &nfd), __WASI_ERRNO_INVAL);  // not listening
  return finish();
}
