// Escape attempts that must fail with ENOTCAPABLE (76) and neighbours that must work: `..`,
// absolute paths, symlinks pointing out (made by the host or by the guest), a directory symlink
// out, every path function, a read-only preopen, bad guest pointers (EFAULT).
// Preopens: fd 3 = /sandbox (read-write), fd 4 = /ro (read-only). Layout made by the host test.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"
#include "raw.h"

#define NOTCAP __WASI_ERRNO_NOTCAPABLE
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static int read_fd(int fd, char* buf, size_t n) {
  memset(buf, 0, n);
  return (int)read(fd, buf, n - 1);
}

int main(void) {
  int32_t fd = -1;
  char buf[64];
  // Escapes through path_open
  CHECK_ERRNO(open_raw(3, 0, "../secret.txt", 0, ALL_RIGHTS, &fd), NOTCAP);
  CHECK_ERRNO(open_raw(3, FOLLOW, "/etc/passwd", 0, ALL_RIGHTS, &fd), NOTCAP);
  CHECK_ERRNO(open_raw(3, FOLLOW, "hostlink", 0, ALL_RIGHTS, &fd), NOTCAP);
  CHECK_ERRNO(open_raw(3, FOLLOW, "abslink", 0, ALL_RIGHTS, &fd), NOTCAP);
  CHECK_ERRNO(open_raw(3, FOLLOW, "dirlink/secret.txt", 0, ALL_RIGHTS, &fd), NOTCAP);
  CHECK_ERRNO(open_raw(3, FOLLOW, "sub/../../secret.txt", 0, ALL_RIGHTS, &fd), NOTCAP);
  CHECK_ERRNO(open_raw(3, FOLLOW, "sub/../sub/../..", 0, ALL_RIGHTS, &fd), NOTCAP);
  CHECK_ERRNO(open_raw(3, 0, "/proc/self/root/etc/passwd", 0, ALL_RIGHTS, &fd), NOTCAP);
  // ...while links and `..` that stay inside work
  CHECK_ERRNO(open_raw(3, FOLLOW, "sub/uplink", 0, ALL_RIGHTS, &fd), 0);
  CHECK(read_fd(fd, buf, sizeof buf) == 6 && !strcmp(buf, "inside"));
  close(fd);
  CHECK_ERRNO(open_raw(3, FOLLOW, "sub/../inside.txt", 0, ALL_RIGHTS, &fd), 0);
  close(fd);
  CHECK_ERRNO(open_raw(3, 0, "goodlink", 0, ALL_RIGHTS, &fd), __WASI_ERRNO_LOOP);  // no follow
  // A symlink the guest makes: creating it is allowed, following it out is not.
  CHECK_ERRNO(__wasi_path_symlink("../secret.txt", 3, "mylink"), 0);
  CHECK_ERRNO(open_raw(3, FOLLOW, "mylink", 0, ALL_RIGHTS, &fd), NOTCAP);
  CHECK_ERRNO(__wasi_path_symlink("/etc/passwd", 3, "abs2"), NOTCAP);
  CHECK_ERRNO(__wasi_path_symlink("..", 3, "mydirlink"), 0);
  CHECK_ERRNO(open_raw(3, FOLLOW, "mydirlink/secret.txt", 0, ALL_RIGHTS, &fd), NOTCAP);
  CHECK_ERRNO(open_raw(3, FOLLOW, "mydirlink/secret.txt", __WASI_OFLAGS_CREAT, ALL_RIGHTS, &fd),
              NOTCAP);
  // Every other path function
  CHECK_ERRNO(__wasi_path_create_directory(3, "../newdir"), NOTCAP);
  CHECK_ERRNO(__wasi_path_create_directory(3, "dirlink/newdir"), NOTCAP);
  CHECK_ERRNO(__wasi_path_create_directory(3, "/tmp/newdir"), NOTCAP);
  CHECK_ERRNO(__wasi_path_unlink_file(3, "../secret.txt"), NOTCAP);
  CHECK_ERRNO(__wasi_path_unlink_file(3, "dirlink/secret.txt"), NOTCAP);
  CHECK_ERRNO(__wasi_path_rename(3, "inside.txt", 3, "../stolen"), NOTCAP);
  CHECK_ERRNO(__wasi_path_rename(3, "dirlink/secret.txt", 3, "got"), NOTCAP);
  CHECK_ERRNO(__wasi_path_remove_directory(3, ".."), __WASI_ERRNO_INVAL);
  CHECK_ERRNO(__wasi_path_remove_directory(3, "sub/../.."), __WASI_ERRNO_INVAL);
  CHECK_ERRNO(__wasi_path_remove_directory(3, "dirlink"), __WASI_ERRNO_NOTDIR);
  __wasi_filestat_t st;
  CHECK_ERRNO(__wasi_path_filestat_get(3, FOLLOW, "hostlink", &st), NOTCAP);
  CHECK_ERRNO(__wasi_path_filestat_get(3, 0, "hostlink", &st), 0);
  CHECK(st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
  CHECK_ERRNO(__wasi_path_filestat_get(3, FOLLOW, "../secret.txt", &st), NOTCAP);
  CHECK_ERRNO(__wasi_path_filestat_get(3, FOLLOW, "dirlink", &st), NOTCAP);
  __wasi_size_t used = 0;
  CHECK_ERRNO(__wasi_path_readlink(3, "dirlink/hostlink", (uint8_t*)buf, sizeof buf, &used),
              NOTCAP);
  CHECK_ERRNO(__wasi_path_readlink(3, "hostlink", (uint8_t*)buf, sizeof buf, &used), 0);
  CHECK(used == 13 && !memcmp(buf, "../secret.txt", 13));
  CHECK_ERRNO(__wasi_path_link(3, 0, "dirlink/secret.txt", 3, "hardstolen"), NOTCAP);
  CHECK_ERRNO(__wasi_path_link(3, FOLLOW, "hostlink", 3, "hardstolen"), __WASI_ERRNO_INVAL);
  CHECK_ERRNO(__wasi_path_link(3, 0, "inside.txt", 3, "../hardout"), NOTCAP);
  CHECK_ERRNO(__wasi_path_filestat_set_times(3, FOLLOW, "hostlink", 1, 1,
                                             __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
              NOTCAP);
  CHECK_ERRNO(__wasi_path_filestat_set_times(3, 0, "../secret.txt", 1, 1, __WASI_FSTFLAGS_MTIM),
              NOTCAP);
  // Through wasi-libc: no preopen matches, or the host refuses
  CHECK(fopen("/etc/passwd", "r") == NULL);
  CHECK(open("/sandbox/../secret.txt", O_RDONLY) < 0);
  CHECK(open("/sandbox/dirlink/secret.txt", O_RDONLY) < 0);
  // Read-only preopen: reads work, nothing that writes does.
  CHECK_ERRNO(open_raw(4, 0, "file.txt", 0, ALL_RIGHTS, &fd), NOTCAP);  // asks for FD_WRITE
  CHECK_ERRNO(open_raw(4, 0, "file.txt", 0, ALL_RIGHTS & ~(int64_t)__WASI_RIGHTS_FD_WRITE, &fd),
              NOTCAP);  // still asks for FD_ALLOCATE and FD_FILESTAT_SET_SIZE
  int64_t read_rights = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
                        __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES;
  CHECK_ERRNO(open_raw(4, 0, "file.txt", 0, read_rights, &fd), 0);
  CHECK(read_fd(fd, buf, sizeof buf) == 8 && !strcmp(buf, "readonly"));
  CHECK(write(fd, "x", 1) < 0);
  CHECK_ERRNO(__wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FSTFLAGS_MTIM), NOTCAP);
  __wasi_fdstat_t fst;
  CHECK_ERRNO(__wasi_fd_fdstat_get(fd, &fst), 0);
  CHECK((fst.fs_rights_base & __WASI_RIGHTS_FD_WRITE) == 0);
  CHECK((fst.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0);
  CHECK_ERRNO(__wasi_fd_filestat_set_size(fd, 0), NOTCAP);
  close(fd);
  CHECK_ERRNO(open_raw(4, 0, "new.txt", __WASI_OFLAGS_CREAT, ALL_RIGHTS, &fd), NOTCAP);
  CHECK_ERRNO(open_raw(4, 0, "file.txt", __WASI_OFLAGS_TRUNC, ALL_RIGHTS, &fd), NOTCAP);
  CHECK_ERRNO(__wasi_path_create_directory(4, "d"), NOTCAP);
  CHECK_ERRNO(__wasi_path_unlink_file(4, "file.txt"), NOTCAP);
  CHECK_ERRNO(__wasi_path_rename(4, "file.txt", 4, "moved"), NOTCAP);
  CHECK_ERRNO(__wasi_path_rename(3, "inside.txt", 4, "moved"), NOTCAP);
  CHECK_ERRNO(__wasi_path_symlink("file.txt", 4, "l"), NOTCAP);
  CHECK_ERRNO(__wasi_path_link(4, 0, "file.txt", 3, "l2"), NOTCAP);
  CHECK_ERRNO(__wasi_path_filestat_set_times(4, 0, "file.txt", 1, 1, __WASI_FSTFLAGS_MTIM), NOTCAP);
  CHECK(open("/ro/file.txt", O_WRONLY) < 0);
  CHECK(open("/ro/other.txt", O_WRONLY | O_CREAT, 0644) < 0);
  CHECK(access("/ro/file.txt", R_OK) == 0);
  // Bad guest pointers: EFAULT, never a crash; a NUL inside a path: EILSEQ
  CHECK_ERRNO(raw_path_open(3, 0, OOB, 8, 0, ALL_RIGHTS, ALL_RIGHTS, 0, P(&fd)),
              __WASI_ERRNO_FAULT);
  CHECK_ERRNO(raw_path_open(3, 0, P("inside.txt"), 10, 0, ALL_RIGHTS, ALL_RIGHTS, 0, OOB),
              __WASI_ERRNO_FAULT);
  CHECK_ERRNO(raw_path_open(3, 0, P("inside.txt\0x"), 12, 0, ALL_RIGHTS, ALL_RIGHTS, 0, P(&fd)),
              __WASI_ERRNO_ILSEQ);
  return finish();
}
