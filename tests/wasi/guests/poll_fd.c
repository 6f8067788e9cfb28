// poll_oneoff on a host fd (fd 3: a socket the host wrote one byte into): the read subscription
// fires before a long clock, with nbytes; after the byte is read, a short clock fires instead;
// a write subscription is ready at once.
#include <string.h>
#include <wasi/api.h>

#include "check.h"

static __wasi_subscription_t sub(uint64_t userdata, __wasi_eventtype_t type, __wasi_fd_t fd,
                                 __wasi_timestamp_t timeout) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = userdata;
  s.u.tag = type;
  if (type == __WASI_EVENTTYPE_CLOCK) {
    s.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s.u.u.clock.timeout = timeout;
  } else {
    s.u.u.fd_read.file_descriptor = fd;
  }
  return s;
}

int main(void) {
  __wasi_event_t ev[2];
  __wasi_size_t n = 0;
  __wasi_subscription_t a[2] = {sub(1, __WASI_EVENTTYPE_FD_READ, 3, 0),
                                sub(2, __WASI_EVENTTYPE_CLOCK, 0, 10000000000ull)};
  CHECK_ERRNO(__wasi_poll_oneoff(a, ev, 2, &n), 0);
  CHECK(n == 1 && ev[0].userdata == 1 && ev[0].error == 0);
  CHECK(ev[0].type == __WASI_EVENTTYPE_FD_READ && ev[0].fd_readwrite.nbytes == 1);
  uint8_t byte = 0;
  __wasi_iovec_t iov = {&byte, 1};
  CHECK_ERRNO(__wasi_fd_read(3, &iov, 1, &n), 0);
  CHECK(n == 1 && byte == 'x');
  __wasi_subscription_t b[2] = {sub(3, __WASI_EVENTTYPE_FD_READ, 3, 0),
                                sub(4, __WASI_EVENTTYPE_CLOCK, 0, 30000000)};
  CHECK_ERRNO(__wasi_poll_oneoff(b, ev, 2, &n), 0);
  CHECK(n == 1 && ev[0].userdata == 4 && ev[0].type == __WASI_EVENTTYPE_CLOCK);
  __wasi_subscription_t c = sub(5, __WASI_EVENTTYPE_FD_WRITE, 3, 0);
  CHECK_ERRNO(__wasi_poll_oneoff(&c, ev, 1, &n), 0);
  CHECK(n == 1 && ev[0].userdata == 5 && ev[0].error == 0);
  return finish();
}
