// poll_oneoff: clock subscriptions (relative or absolute, realtime or monotonic) and fd
// read/write readiness. Buffers and regular files are always ready; other host fds are polled.
#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include "wasi/functions.hpp"

namespace wisp::wasi_impl {

namespace {

int64_t now_ns(clockid_t clk) {
  struct timespec ts;
  ::clock_gettime(clk, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000ll + ts.tv_nsec;
}

struct Event {
  uint64_t userdata;
  Errno error;
  uint8_t type;
  uint64_t nbytes;
  uint16_t flags;
};

struct ClockSub {
  uint64_t userdata;
  int64_t deadline;  // CLOCK_MONOTONIC ns
};

struct FdSub {
  uint64_t userdata;
  uint8_t type;
  FdEntry* entry;
};

}  // namespace

Errno poll_oneoff(Call& c, u32 in, u32 out, u32 nsubscriptions, u32 nevents_ptr) {
  if (nsubscriptions == 0) fail(E_INVAL);
  uint64_t n = nsubscriptions;
  const uint8_t* subs = c.mem.ptr(in, n * kSubscriptionSize);
  c.mem.ptr(out, n * kEventSize);
  c.mem.ptr(nevents_ptr, 4);

  std::vector<Event> ready;
  std::vector<ClockSub> clocks;
  std::vector<FdSub> fd_subs;
  std::vector<struct pollfd> pfds;
  int64_t mono = now_ns(CLOCK_MONOTONIC);
  for (uint64_t i = 0; i < n; ++i) {
    const uint8_t* s = subs + i * kSubscriptionSize;
    uint64_t userdata;
    std::memcpy(&userdata, s, 8);
    uint8_t tag = s[8];
    if (tag == EVENTTYPE_CLOCK) {
      uint32_t id;
      uint64_t timeout;
      uint16_t flags;
      std::memcpy(&id, s + 16, 4);
      std::memcpy(&timeout, s + 24, 8);
      std::memcpy(&flags, s + 40, 2);
      int64_t t = static_cast<int64_t>(std::min<uint64_t>(timeout, INT64_MAX / 2));
      int64_t deadline;
      if (id != CLOCKID_REALTIME && id != CLOCKID_MONOTONIC) {
        ready.push_back({userdata, E_INVAL, tag, 0, 0});
        continue;
      }
      if (flags & SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME) {
        deadline = id == CLOCKID_MONOTONIC ? t : mono + (t - now_ns(CLOCK_REALTIME));
      } else {
        deadline = mono + t;
      }
      clocks.push_back({userdata, deadline});
    } else if (tag == EVENTTYPE_FD_READ || tag == EVENTTYPE_FD_WRITE) {
      uint32_t fd;
      std::memcpy(&fd, s + 16, 4);
      bool is_read = tag == EVENTTYPE_FD_READ;
      FdEntry* e = fd < c.ctx.fds.size() ? c.ctx.fds[fd].get() : nullptr;
      if (!e) {
        ready.push_back({userdata, E_BADF, tag, 0, 0});
        continue;
      }
      if (!(e->base & R_POLL_FD_READWRITE) || !(e->base & (is_read ? R_FD_READ : R_FD_WRITE))) {
        ready.push_back({userdata, E_NOTCAPABLE, tag, 0, 0});
        continue;
      }
      if (e->kind == FdKind::host && e->filetype != FILETYPE_REGULAR_FILE &&
          e->filetype != FILETYPE_DIRECTORY) {
        fd_subs.push_back({userdata, tag, e});
        pfds.push_back({e->host, static_cast<short>(is_read ? POLLIN : POLLOUT), 0});
      } else {
        ready.push_back({userdata, E_SUCCESS, tag, is_read ? readable_bytes(*e) : 0, 0});
      }
    } else {
      ready.push_back({userdata, E_INVAL, tag, 0, 0});
    }
  }

  // Waiting for clocks only, nothing of the context is touched any more: other threads of a
  // shared context (wasi-threads) need not wait for this one's sleep.
  if (fd_subs.empty() && c.lock) c.lock->unlock();
  for (;;) {
    struct timespec ts = {0, 0};
    struct timespec* timeout = &ts;
    if (ready.empty()) {
      if (clocks.empty()) {
        timeout = nullptr;  // only fds: wait for one
      } else {
        int64_t earliest = std::numeric_limits<int64_t>::max();
        for (const ClockSub& cs : clocks) earliest = std::min(earliest, cs.deadline);
        int64_t wait = std::max<int64_t>(0, earliest - now_ns(CLOCK_MONOTONIC));
        ts.tv_sec = wait / 1000000000ll;
        ts.tv_nsec = wait % 1000000000ll;
      }
    }
    int r = ::ppoll(pfds.data(), pfds.size(), timeout, nullptr);
    if (r < 0 && errno != EINTR) fail_errno();
    if (r < 0 && interrupt_pending(c)) fail(E_INTR);  // InterruptHandle: the call ends
    if (r > 0) {
      for (size_t i = 0; i < pfds.size(); ++i) {
        short re = pfds[i].revents;
        if (!re) continue;
        const FdSub& f = fd_subs[i];
        Event ev{f.userdata, E_SUCCESS, f.type, 0, 0};
        if (re & POLLNVAL) {
          ev.error = E_BADF;
        } else if ((re & POLLERR) && !(re & (POLLIN | POLLOUT))) {
          ev.error = E_IO;
        } else {
          if (f.type == EVENTTYPE_FD_READ) ev.nbytes = readable_bytes(*f.entry);
          if (re & POLLHUP) ev.flags = EVENTRWFLAGS_FD_READWRITE_HANGUP;
        }
        ready.push_back(ev);
        pfds[i].fd = -1;  // reported once
      }
    }
    int64_t now = now_ns(CLOCK_MONOTONIC);
    for (const ClockSub& cs : clocks) {
      if (cs.deadline <= now) ready.push_back({cs.userdata, E_SUCCESS, EVENTTYPE_CLOCK, 0, 0});
    }
    if (!ready.empty()) break;
  }

  uint8_t* events = c.mem.ptr(out, ready.size() * kEventSize);
  for (size_t i = 0; i < ready.size(); ++i) {
    uint8_t* e = events + i * kEventSize;
    std::memset(e, 0, kEventSize);
    std::memcpy(e, &ready[i].userdata, 8);
    std::memcpy(e + 8, &ready[i].error, 2);
    e[10] = ready[i].type;
    std::memcpy(e + 16, &ready[i].nbytes, 8);
    std::memcpy(e + 24, &ready[i].flags, 2);
  }
  c.mem.store<uint32_t>(nevents_ptr, static_cast<uint32_t>(ready.size()));
  return E_SUCCESS;
}

}  // namespace wisp::wasi_impl
