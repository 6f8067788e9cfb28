// Raw wasi_snapshot_preview1 imports with plain i32/i64 parameters, so tests can pass any
// pointer (out of bounds included) and reach functions wasi-libc's header lacks (proc_raise).
#pragma once
#include <stdint.h>

#define WASI_IMPORT(name) \
  __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

WASI_IMPORT(path_open)
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
                      int64_t base, int64_t inheriting, int32_t fdflags, int32_t fd_out);
WASI_IMPORT(fd_write)
int32_t raw_fd_write(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nwritten);
WASI_IMPORT(fd_read)
int32_t raw_fd_read(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nread);
WASI_IMPORT(proc_raise) int32_t raw_proc_raise(int32_t sig);
WASI_IMPORT(random_get) int32_t raw_random_get(int32_t buf, int32_t len);
WASI_IMPORT(clock_time_get) int32_t raw_clock_time_get(int32_t id, int64_t prec, int32_t out);
WASI_IMPORT(args_get) int32_t raw_args_get(int32_t argv, int32_t buf);
WASI_IMPORT(fd_prestat_dir_name)
int32_t raw_fd_prestat_dir_name(int32_t fd, int32_t path, int32_t len);

#define P(ptr) ((int32_t)(uintptr_t)(ptr))
// An address past the end of linear memory.
#define OOB ((int32_t)0xfffffff0)

// All rights.
#define ALL_RIGHTS ((int64_t)0x1fffffff)

static inline int32_t open_raw(int32_t dirfd, int32_t follow, const char* path, int32_t oflags,
                               int64_t rights, int32_t* out) {
  int32_t len = 0;
  while (path[len]) ++len;
  return raw_path_open(dirfd, follow, P(path), len, oflags, rights, rights, 0, P(out));
}
