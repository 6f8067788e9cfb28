// fd_* functions through the raw ABI with their errno cases: bad fds, rights (dropping, never
// adding), prestat, fdstat flags, seek/tell, allocate, advise, times, renumber, readdir with a
// small buffer and cookies, EFAULT, sockets on non-sockets. Preopen fd 3 = /sandbox.
#include <string.h>
#include <wasi/api.h>

#include "check.h"
#include "raw.h"

#define E(x) __WASI_ERRNO_##x

int main(void) {
  // Bad fds
  __wasi_fdstat_t fst;
  CHECK_ERRNO(__wasi_fd_close(99), E(BADF));
  CHECK_ERRNO(__wasi_fd_fdstat_get(99, &fst), E(BADF));
  CHECK_ERRNO(__wasi_fd_renumber(0, 99), E(BADF));
  // prestat
  __wasi_prestat_t ps;
  CHECK_ERRNO(__wasi_fd_prestat_get(0, &ps), E(BADF));
  CHECK_ERRNO(__wasi_fd_prestat_get(3, &ps), 0);
  CHECK(ps.tag == __WASI_PREOPENTYPE_DIR && ps.u.dir.pr_name_len == 8);
  char name[16] = {0};
  CHECK_ERRNO(__wasi_fd_prestat_dir_name(3, (uint8_t*)name, 8), 0);
  CHECK(!strcmp(name, "/sandbox"));
  CHECK_ERRNO(__wasi_fd_prestat_dir_name(3, (uint8_t*)name, 3), E(NAMETOOLONG));
  CHECK_ERRNO(raw_fd_prestat_dir_name(3, OOB, 8), E(FAULT));
  CHECK_ERRNO(__wasi_fd_prestat_get(4, &ps), E(BADF));
  // A file with every right
  int32_t fd = -1;
  CHECK_ERRNO(open_raw(3, 0, "f.bin", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, ALL_RIGHTS, &fd),
              0);
  CHECK_ERRNO(__wasi_fd_fdstat_get(fd, &fst), 0);
  CHECK(fst.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
  CHECK((fst.fs_rights_base &
         (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK)) ==
        (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK));
  CHECK((fst.fs_rights_base & __WASI_RIGHTS_PATH_OPEN) == 0);  // not a directory
  __wasi_ciovec_t iov = {(const uint8_t*)"abcdef", 6};
  __wasi_size_t n = 0;
  CHECK_ERRNO(__wasi_fd_write(fd, &iov, 1, &n), 0);
  CHECK(n == 6);
  __wasi_filesize_t pos = 0;
  CHECK_ERRNO(__wasi_fd_tell(fd, &pos), 0);
  CHECK(pos == 6);
  CHECK_ERRNO(__wasi_fd_seek(fd, 2, __WASI_WHENCE_SET, &pos), 0);
  CHECK(pos == 2);
  CHECK_ERRNO(__wasi_fd_seek(fd, -1, __WASI_WHENCE_CUR, &pos), 0);
  CHECK(pos == 1);
  CHECK_ERRNO(__wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos), 0);
  CHECK(pos == 6);
  CHECK_ERRNO(__wasi_fd_seek(fd, 0, 7, &pos), E(INVAL));
  CHECK_ERRNO(__wasi_fd_seek(fd, -100, __WASI_WHENCE_SET, &pos), E(INVAL));
  CHECK_ERRNO(__wasi_fd_seek(1, 0, __WASI_WHENCE_SET, &pos), E(NOTCAPABLE));  // stdout: a stream
  // pread / pwrite
  uint8_t buf[64] = {0};
  __wasi_iovec_t riov = {buf, 3};
  CHECK_ERRNO(__wasi_fd_pread(fd, &riov, 1, 3, &n), 0);
  CHECK(n == 3 && !memcmp(buf, "def", 3));
  __wasi_ciovec_t wiov = {(const uint8_t*)"XY", 2};
  CHECK_ERRNO(__wasi_fd_pwrite(fd, &wiov, 1, 0, &n), 0);
  CHECK(n == 2);
  CHECK_ERRNO(__wasi_fd_pread(fd, &riov, 1, 0, &n), 0);
  CHECK(n == 3 && !memcmp(buf, "XYc", 3));
  // EFAULT: an iovec pointing outside memory, an iovec array outside memory, a result pointer
  uint32_t bad_iov[2] = {(uint32_t)OOB, 8};
  CHECK_ERRNO(raw_fd_write(fd, P(bad_iov), 1, P(&n)), E(FAULT));
  CHECK_ERRNO(raw_fd_write(fd, OOB, 1, P(&n)), E(FAULT));
  CHECK_ERRNO(raw_fd_read(fd, P(&riov), 1, OOB), E(FAULT));
  // advise / allocate / sync
  CHECK_ERRNO(__wasi_fd_advise(fd, 0, 6, __WASI_ADVICE_WILLNEED), 0);
  CHECK_ERRNO(__wasi_fd_advise(fd, 0, 6, 9), E(INVAL));
  CHECK_ERRNO(__wasi_fd_allocate(fd, 0, 4096), 0);
  __wasi_filestat_t st;
  CHECK_ERRNO(__wasi_fd_filestat_get(fd, &st), 0);
  CHECK(st.size == 4096 && st.filetype == __WASI_FILETYPE_REGULAR_FILE && st.nlink == 1);
  CHECK_ERRNO(__wasi_fd_filestat_set_size(fd, 10), 0);
  CHECK_ERRNO(__wasi_fd_filestat_get(fd, &st), 0);
  CHECK(st.size == 10);
  CHECK_ERRNO(__wasi_fd_datasync(fd), 0);
  CHECK_ERRNO(__wasi_fd_sync(fd), 0);
  // times
  CHECK_ERRNO(__wasi_fd_filestat_set_times(fd, 5000000000ull, 7000000000ull,
                                           __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
              0);
  CHECK_ERRNO(__wasi_fd_filestat_get(fd, &st), 0);
  CHECK(st.atim == 5000000000ull && st.mtim == 7000000000ull);
  CHECK_ERRNO(
      __wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
      E(INVAL));
  CHECK_ERRNO(__wasi_path_filestat_set_times(3, 0, "f.bin", 0, 9000000000ull, __WASI_FSTFLAGS_MTIM),
              0);
  CHECK_ERRNO(__wasi_path_filestat_get(3, 0, "f.bin", &st), 0);
  CHECK(st.mtim == 9000000000ull && st.atim == 5000000000ull);
  CHECK_ERRNO(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), 0);
  CHECK_ERRNO(__wasi_fd_filestat_get(fd, &st), 0);
  CHECK(st.mtim > 1600000000ull * 1000000000ull && st.atim == 5000000000ull);
  // fdstat flags
  CHECK_ERRNO(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND), 0);
  CHECK_ERRNO(__wasi_fd_fdstat_get(fd, &fst), 0);
  CHECK(fst.fs_flags & __WASI_FDFLAGS_APPEND);
  CHECK_ERRNO(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), 0);
  CHECK_ERRNO(__wasi_fd_write(fd, &wiov, 1, &n), 0);
  CHECK_ERRNO(__wasi_fd_filestat_get(fd, &st), 0);
  CHECK(st.size == 12);  // appended, not written at 0
  CHECK_ERRNO(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_SYNC), E(NOTSUP));
  CHECK_ERRNO(__wasi_fd_fdstat_set_flags(fd, 0x100), E(INVAL));
  // rights: dropping works, adding back does not
  CHECK_ERRNO(__wasi_fd_fdstat_set_rights(fd, fst.fs_rights_base & ~__WASI_RIGHTS_FD_SEEK, 0), 0);
  CHECK_ERRNO(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), E(NOTCAPABLE));
  CHECK_ERRNO(__wasi_fd_tell(fd, &pos), 0);
  CHECK_ERRNO(__wasi_fd_fdstat_set_rights(fd, fst.fs_rights_base, 0), E(NOTCAPABLE));
  // sockets: only sockets
  int32_t nfd;
  CHECK_ERRNO(__wasi_sock_accept(fd, 0, &nfd), E(NOTSOCK));
  CHECK_ERRNO(__wasi_sock_shutdown(0, __WASI_SDFLAGS_WR), E(NOTSOCK));
  CHECK_ERRNO(__wasi_sock_send(99, &wiov, 1, 0, &n), E(BADF));
  __wasi_roflags_t rof;
  CHECK_ERRNO(__wasi_sock_recv(fd, &riov, 1, 0, &n, &rof), E(NOTSOCK));
  // renumber: fd2 takes fd's file, fd is closed
  int32_t fd2 = -1;
  CHECK_ERRNO(open_raw(3, 0, "f.bin", 0, ALL_RIGHTS, &fd2), 0);
  CHECK_ERRNO(__wasi_fd_renumber(fd, fd2), 0);
  CHECK_ERRNO(__wasi_fd_fdstat_get(fd, &fst), E(BADF));
  CHECK_ERRNO(__wasi_fd_fdstat_get(fd2, &fst), 0);
  CHECK((fst.fs_rights_base & __WASI_RIGHTS_FD_SEEK) == 0);  // fd's reduced rights moved over
  CHECK_ERRNO(__wasi_fd_close(fd2), 0);
  CHECK_ERRNO(__wasi_fd_close(fd2), E(BADF));
  // readdir: 3 files, a small buffer truncates, cookies resume
  for (int i = 0; i < 3; ++i) {
    char p[8] = {'d', '/', 'f', (char)('0' + i), 0};
    if (i == 0) CHECK_ERRNO(__wasi_path_create_directory(3, "d"), 0);
    int32_t t;
    CHECK_ERRNO(open_raw(3, 0, p, __WASI_OFLAGS_CREAT, ALL_RIGHTS, &t), 0);
    CHECK_ERRNO(__wasi_fd_close(t), 0);
  }
  int32_t dfd;
  // Every right but FD_WRITE (a directory is never open for writing: EISDIR, see fs.c).
  CHECK_ERRNO(
      open_raw(3, 0, "d", __WASI_OFLAGS_DIRECTORY, ALL_RIGHTS & ~__WASI_RIGHTS_FD_WRITE, &dfd), 0);
  CHECK_ERRNO(__wasi_fd_fdstat_get(dfd, &fst), 0);
  CHECK(fst.fs_filetype == __WASI_FILETYPE_DIRECTORY);
  uint8_t dbuf[256];
  CHECK_ERRNO(__wasi_fd_readdir(dfd, dbuf, 30, 0, &n), 0);
  CHECK(n == 30);  // full buffer: more to come
  CHECK_ERRNO(__wasi_fd_readdir(dfd, dbuf, sizeof dbuf, 0, &n), 0);
  CHECK(n == 5 * 24 + 1 + 2 + 3 * 2);  // ".", "..", f0, f1, f2
  int names = 0;
  __wasi_dircookie_t cookie = 0;
  for (;;) {
    __wasi_size_t used;
    CHECK_ERRNO(__wasi_fd_readdir(dfd, dbuf, sizeof(__wasi_dirent_t) + 2, cookie, &used), 0);
    if (used < sizeof(__wasi_dirent_t)) break;
    __wasi_dirent_t de;
    memcpy(&de, dbuf, sizeof de);
    ++names;
    cookie = de.d_next;
    if (names > 10) break;
  }
  CHECK(names == 5);
  CHECK_ERRNO(__wasi_fd_readdir(fd2, dbuf, sizeof dbuf, 0, &n), E(BADF));
  CHECK_ERRNO(__wasi_fd_readdir(0, dbuf, sizeof dbuf, 0, &n), E(NOTCAPABLE));
  // EMFILE-free: many opens and closes reuse the lowest free fd
  int32_t a, b;
  CHECK_ERRNO(open_raw(3, 0, "f.bin", 0, ALL_RIGHTS, &a), 0);
  CHECK_ERRNO(__wasi_fd_close(a), 0);
  CHECK_ERRNO(open_raw(3, 0, "f.bin", 0, ALL_RIGHTS, &b), 0);
  CHECK(a == b);
  // Closing a preopen: it is gone
  CHECK_ERRNO(__wasi_fd_close(3), 0);
  CHECK_ERRNO(open_raw(3, 0, "f.bin", 0, ALL_RIGHTS, &a), E(BADF));
  return finish();
}
