// args, environ, clocks, random, sched_yield and the process functions (proc_exit, proc_raise).
#include <sched.h>
#include <sys/random.h>
#include <time.h>

#include <cerrno>

#include "wasi/functions.hpp"

namespace wisp::wasi_impl {

namespace {

// Lays out `strings` as the C argv/environ convention: pointers at `ptrs`, NUL-terminated
// bytes at `buf`.
Errno put_strings(Call& c, const std::vector<std::string>& strings, u32 ptrs, u32 buf) {
  uint64_t size = 0;
  for (const std::string& s : strings) size += s.size() + 1;
  uint8_t* out = c.mem.ptr(buf, size);
  c.mem.ptr(ptrs, uint64_t{4} * strings.size());
  uint64_t at = 0;
  for (size_t i = 0; i < strings.size(); ++i) {
    c.mem.store<uint32_t>(ptrs + 4 * i, static_cast<uint32_t>(buf + at));
    std::memcpy(out + at, strings[i].c_str(), strings[i].size() + 1);
    at += strings[i].size() + 1;
  }
  return E_SUCCESS;
}

Errno put_sizes(Call& c, const std::vector<std::string>& strings, u32 count_ptr, u32 size_ptr) {
  uint64_t size = 0;
  for (const std::string& s : strings) size += s.size() + 1;
  if (size > UINT32_MAX) fail(E_OVERFLOW);
  c.mem.ptr(count_ptr, 4);
  c.mem.ptr(size_ptr, 4);
  c.mem.store<uint32_t>(count_ptr, static_cast<uint32_t>(strings.size()));
  c.mem.store<uint32_t>(size_ptr, static_cast<uint32_t>(size));
  return E_SUCCESS;
}

clockid_t host_clock(u32 id) {
  switch (id) {
    case CLOCKID_REALTIME:
      return CLOCK_REALTIME;
    case CLOCKID_MONOTONIC:
      return CLOCK_MONOTONIC;
    case CLOCKID_PROCESS_CPUTIME_ID:
      return CLOCK_PROCESS_CPUTIME_ID;
    case CLOCKID_THREAD_CPUTIME_ID:
      return CLOCK_THREAD_CPUTIME_ID;
    default:
      fail(E_INVAL);
  }
}

}  // namespace

Errno args_get(Call& c, u32 argv, u32 argv_buf) {
  return put_strings(c, c.ctx.args, argv, argv_buf);
}
Errno args_sizes_get(Call& c, u32 argc_ptr, u32 buf_size_ptr) {
  return put_sizes(c, c.ctx.args, argc_ptr, buf_size_ptr);
}
Errno environ_get(Call& c, u32 environ, u32 environ_buf) {
  return put_strings(c, c.ctx.env, environ, environ_buf);
}
Errno environ_sizes_get(Call& c, u32 count_ptr, u32 buf_size_ptr) {
  return put_sizes(c, c.ctx.env, count_ptr, buf_size_ptr);
}

Errno clock_res_get(Call& c, u32 id, u32 res_ptr) {
  clockid_t clk = host_clock(id);
  c.mem.ptr(res_ptr, 8);
  struct timespec ts;
  if (::clock_getres(clk, &ts) < 0) fail_errno();
  uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
  c.mem.store<uint64_t>(res_ptr, ns);
  return E_SUCCESS;
}

Errno clock_time_get(Call& c, u32 id, u64 /*precision*/, u32 time_ptr) {
  clockid_t clk = host_clock(id);
  c.mem.ptr(time_ptr, 8);
  struct timespec ts;
  if (::clock_gettime(clk, &ts) < 0) fail_errno();
  uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
  c.mem.store<uint64_t>(time_ptr, ns);
  return E_SUCCESS;
}

Errno random_get(Call& c, u32 buf, u32 len) {
  uint8_t* out = c.mem.kernel_out(buf, len);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::getrandom(out + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno();
    }
    done += static_cast<size_t>(n);
  }
  return E_SUCCESS;
}

Errno sched_yield(Call&) {
  ::sched_yield();
  return E_SUCCESS;
}

// Signals are not delivered to guests: a guest cannot raise one in the host process.
Errno proc_raise(Call&, u32) {
  return E_NOSYS;
}

void proc_exit(Call& c, u32 code) {
  if (!c.ctx.shared) c.ctx.exit_code = static_cast<int>(code);  // a group records its own
  throw WasiExit(static_cast<int>(code));
}

}  // namespace wisp::wasi_impl
