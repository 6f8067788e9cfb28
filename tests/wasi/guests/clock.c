// Clocks (all four ids, resolution and time), random_get, sched_yield, proc_raise (ENOSYS) and
// poll_oneoff with relative/absolute clock subscriptions and fd read/write subscriptions.
// Expects stdin to be a buffer holding "ping" (buffer mode) and stdout writable.
#include <string.h>
#include <time.h>
#include <wasi/api.h>

#include "check.h"
#include "raw.h"

static __wasi_timestamp_t now(__wasi_clockid_t id) {
  __wasi_timestamp_t t = 0;
  CHECK_ERRNO(__wasi_clock_time_get(id, 1, &t), 0);
  return t;
}

static __wasi_subscription_t clock_sub(uint64_t userdata, __wasi_clockid_t id,
                                       __wasi_timestamp_t timeout, int abstime) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = userdata;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = timeout;
  s.u.u.clock.flags = abstime ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
  return s;
}

static __wasi_subscription_t fd_sub(uint64_t userdata, __wasi_eventtype_t type, __wasi_fd_t fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = userdata;
  s.u.tag = type;
  s.u.u.fd_read.file_descriptor = fd;
  return s;
}

int main(void) {
  // Clocks
  for (__wasi_clockid_t id = 0; id < 4; ++id) {
    __wasi_timestamp_t res = 0;
    CHECK_ERRNO(__wasi_clock_res_get(id, &res), 0);
    CHECK(res > 0 && res <= 1000000);
    CHECK(now(id) > 0 || id >= 2);
  }
  CHECK(now(__WASI_CLOCKID_REALTIME) > 1600000000ull * 1000000000ull);
  __wasi_timestamp_t m1 = now(__WASI_CLOCKID_MONOTONIC);
  volatile unsigned spin = 0;
  for (unsigned i = 0; i < 2000000; ++i) spin += i;
  (void)spin;
  __wasi_timestamp_t m2 = now(__WASI_CLOCKID_MONOTONIC);
  CHECK(m2 > m1);
  CHECK(now(__WASI_CLOCKID_PROCESS_CPUTIME_ID) > 0);
  CHECK(now(__WASI_CLOCKID_THREAD_CPUTIME_ID) > 0);
  __wasi_timestamp_t t;
  CHECK_ERRNO(__wasi_clock_time_get(9, 1, &t), __WASI_ERRNO_INVAL);
  CHECK_ERRNO(__wasi_clock_res_get(9, &t), __WASI_ERRNO_INVAL);
  CHECK_ERRNO(raw_clock_time_get(0, 1, OOB), __WASI_ERRNO_FAULT);
  CHECK(time(NULL) > 1600000000);
  // Random
  uint8_t a[32] = {0}, b[32] = {0};
  CHECK_ERRNO(__wasi_random_get(a, sizeof a), 0);
  CHECK_ERRNO(__wasi_random_get(b, sizeof b), 0);
  CHECK(memcmp(a, b, sizeof a) != 0);
  CHECK_ERRNO(raw_random_get(OOB, 64), __WASI_ERRNO_FAULT);
  CHECK_ERRNO(__wasi_random_get(a, 0), 0);
  CHECK_ERRNO(__wasi_sched_yield(), 0);
  CHECK_ERRNO(raw_proc_raise(6), __WASI_ERRNO_NOSYS);

  __wasi_event_t ev[4];
  __wasi_size_t n = 0;
  // A relative 20 ms clock: waits at least that long.
  __wasi_subscription_t s1 = clock_sub(11, __WASI_CLOCKID_MONOTONIC, 20000000, 0);
  __wasi_timestamp_t before = now(__WASI_CLOCKID_MONOTONIC);
  CHECK_ERRNO(__wasi_poll_oneoff(&s1, ev, 1, &n), 0);
  __wasi_timestamp_t waited = now(__WASI_CLOCKID_MONOTONIC) - before;
  CHECK(n == 1 && ev[0].userdata == 11 && ev[0].type == __WASI_EVENTTYPE_CLOCK);
  CHECK(ev[0].error == 0);
  CHECK(waited >= 20000000 && waited < 2000000000);
  // Absolute deadlines on both clocks
  __wasi_subscription_t s2 =
      clock_sub(12, __WASI_CLOCKID_MONOTONIC, now(__WASI_CLOCKID_MONOTONIC) + 10000000, 1);
  CHECK_ERRNO(__wasi_poll_oneoff(&s2, ev, 1, &n), 0);
  CHECK(n == 1 && ev[0].userdata == 12);
  __wasi_subscription_t s3 =
      clock_sub(13, __WASI_CLOCKID_REALTIME, now(__WASI_CLOCKID_REALTIME) + 10000000, 1);
  before = now(__WASI_CLOCKID_MONOTONIC);
  CHECK_ERRNO(__wasi_poll_oneoff(&s3, ev, 1, &n), 0);
  CHECK(n == 1 && ev[0].userdata == 13);
  CHECK(now(__WASI_CLOCKID_MONOTONIC) - before >= 5000000);
  // fd subscriptions: buffered stdin holds 4 bytes; stdout is writable; both ready at once,
  // before the 5 s clock.
  __wasi_subscription_t subs[4] = {fd_sub(21, __WASI_EVENTTYPE_FD_READ, 0),
                                   fd_sub(22, __WASI_EVENTTYPE_FD_WRITE, 1),
                                   clock_sub(23, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0),
                                   fd_sub(24, __WASI_EVENTTYPE_FD_READ, 77)};
  before = now(__WASI_CLOCKID_MONOTONIC);
  CHECK_ERRNO(__wasi_poll_oneoff(subs, ev, 4, &n), 0);
  CHECK(now(__WASI_CLOCKID_MONOTONIC) - before < 1000000000);
  CHECK(n == 3);
  int seen = 0;
  for (__wasi_size_t i = 0; i < n; ++i) {
    if (ev[i].userdata == 21) {
      seen |= 1;
      CHECK(ev[i].type == __WASI_EVENTTYPE_FD_READ && ev[i].error == 0);
      CHECK(ev[i].fd_readwrite.nbytes == 4);
    } else if (ev[i].userdata == 22) {
      seen |= 2;
      CHECK(ev[i].type == __WASI_EVENTTYPE_FD_WRITE && ev[i].error == 0);
    } else if (ev[i].userdata == 24) {
      seen |= 4;
      CHECK(ev[i].error == __WASI_ERRNO_BADF);
    }
  }
  CHECK(seen == 7);
  CHECK_ERRNO(__wasi_poll_oneoff(subs, ev, 0, &n), __WASI_ERRNO_INVAL);
  // nanosleep / clock_nanosleep go through poll_oneoff in wasi-libc
  struct timespec req = {0, 5000000};
  before = now(__WASI_CLOCKID_MONOTONIC);
  CHECK(nanosleep(&req, NULL) == 0);
  CHECK(now(__WASI_CLOCKID_MONOTONIC) - before >= 5000000);
  return finish();
}
