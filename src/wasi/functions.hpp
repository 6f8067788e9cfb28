// Every wasi_snapshot_preview1 function, as host C++ (one file per family defines them; the
// linker file registers them). Each returns a WASI errno or fails with ErrnoError.
#pragma once

#include <sys/stat.h>
#include <time.h>

#include <cstdint>

#include "wasi/ctx_impl.hpp"
#include "wasi/path_resolve.hpp"

namespace wisp::wasi_impl {

using u32 = uint32_t;
using u64 = uint64_t;

// args, environ, clocks, random, process (wasi_proc.cpp)
Errno args_get(Call& c, u32 argv, u32 argv_buf);
Errno args_sizes_get(Call& c, u32 argc_ptr, u32 buf_size_ptr);
Errno environ_get(Call& c, u32 environ, u32 environ_buf);
Errno environ_sizes_get(Call& c, u32 count_ptr, u32 buf_size_ptr);
Errno clock_res_get(Call& c, u32 id, u32 res_ptr);
Errno clock_time_get(Call& c, u32 id, u64 precision, u32 time_ptr);
Errno random_get(Call& c, u32 buf, u32 len);
Errno sched_yield(Call& c);
Errno proc_raise(Call& c, u32 sig);
void proc_exit(Call& c, u32 code);

// fd_* (wasi_fd.cpp, wasi_fd_io.cpp)
Errno fd_advise(Call& c, u32 fd, u64 offset, u64 len, u32 advice);
Errno fd_allocate(Call& c, u32 fd, u64 offset, u64 len);
Errno fd_close(Call& c, u32 fd);
Errno fd_datasync(Call& c, u32 fd);
Errno fd_fdstat_get(Call& c, u32 fd, u32 buf);
Errno fd_fdstat_set_flags(Call& c, u32 fd, u32 flags);
Errno fd_fdstat_set_rights(Call& c, u32 fd, u64 base, u64 inheriting);
Errno fd_filestat_get(Call& c, u32 fd, u32 buf);
Errno fd_filestat_set_size(Call& c, u32 fd, u64 size);
Errno fd_filestat_set_times(Call& c, u32 fd, u64 atim, u64 mtim, u32 fst_flags);
Errno fd_pread(Call& c, u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nread_ptr);
Errno fd_prestat_get(Call& c, u32 fd, u32 buf);
Errno fd_prestat_dir_name(Call& c, u32 fd, u32 path, u32 path_len);
Errno fd_pwrite(Call& c, u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nwritten_ptr);
Errno fd_read(Call& c, u32 fd, u32 iovs, u32 iovs_len, u32 nread_ptr);
Errno fd_readdir(Call& c, u32 fd, u32 buf, u32 buf_len, u64 cookie, u32 bufused_ptr);
Errno fd_renumber(Call& c, u32 fd, u32 to);
Errno fd_seek(Call& c, u32 fd, u64 offset, u32 whence, u32 newoffset_ptr);
Errno fd_sync(Call& c, u32 fd);
Errno fd_tell(Call& c, u32 fd, u32 offset_ptr);
Errno fd_write(Call& c, u32 fd, u32 iovs, u32 iovs_len, u32 nwritten_ptr);

// path_* (wasi_path.cpp)
Errno path_create_directory(Call& c, u32 fd, u32 path, u32 path_len);
Errno path_filestat_get(Call& c, u32 fd, u32 flags, u32 path, u32 path_len, u32 buf);
Errno path_filestat_set_times(Call& c, u32 fd, u32 flags, u32 path, u32 path_len, u64 atim,
                              u64 mtim, u32 fst_flags);
Errno path_link(Call& c, u32 old_fd, u32 old_flags, u32 old_path, u32 old_len, u32 new_fd,
                u32 new_path, u32 new_len);
Errno path_open(Call& c, u32 fd, u32 dirflags, u32 path, u32 path_len, u32 oflags, u64 base,
                u64 inheriting, u32 fdflags, u32 fd_ptr);
Errno path_readlink(Call& c, u32 fd, u32 path, u32 path_len, u32 buf, u32 buf_len, u32 bufused_ptr);
Errno path_remove_directory(Call& c, u32 fd, u32 path, u32 path_len);
Errno path_rename(Call& c, u32 fd, u32 old_path, u32 old_len, u32 new_fd, u32 new_path,
                  u32 new_len);
Errno path_symlink(Call& c, u32 old_path, u32 old_len, u32 fd, u32 new_path, u32 new_len);
Errno path_unlink_file(Call& c, u32 fd, u32 path, u32 path_len);

// poll_oneoff (wasi_poll.cpp)
Errno poll_oneoff(Call& c, u32 in, u32 out, u32 nsubscriptions, u32 nevents_ptr);

// sock_* (wasi_sock.cpp)
Errno sock_accept(Call& c, u32 fd, u32 flags, u32 fd_ptr);
Errno sock_recv(Call& c, u32 fd, u32 ri_data, u32 ri_data_len, u32 ri_flags, u32 ro_datalen_ptr,
                u32 ro_flags_ptr);
Errno sock_send(Call& c, u32 fd, u32 si_data, u32 si_data_len, u32 si_flags, u32 so_datalen_ptr);
Errno sock_shutdown(Call& c, u32 fd, u32 how);

// Shared helpers.
// Writes a filestat (64 bytes) for `st` at `ptr`.
void store_filestat(GuestMem& mem, u32 ptr, const struct ::stat& st);
// atim/mtim + fst_flags -> the two timespecs of utimensat (EINVAL on conflicting flags).
void times_from_flags(u64 atim, u64 mtim, u32 fst_flags, struct ::timespec out[2]);
// Bytes readable now from a buffer or host fd (for poll_oneoff).
uint64_t readable_bytes(const FdEntry& e);

}  // namespace wisp::wasi_impl
