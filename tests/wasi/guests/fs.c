// File-system behaviour through wasi-libc (POSIX) under the preopen /sandbox: create, read,
// write, seek, stat, readdir, rename, unlink, mkdir, rmdir, symlink, readlink, truncate, times.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"
#include "raw.h"

static int write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

int main(void) {
  // create + write + read back
  CHECK(write_file("/sandbox/a.txt", "hello wasi") == 0);
  int fd = open("/sandbox/a.txt", O_RDWR);
  CHECK(fd >= 0);
  char buf[64] = {0};
  CHECK(read(fd, buf, sizeof buf) == 10);
  CHECK(strcmp(buf, "hello wasi") == 0);
  // seek / tell / pread / pwrite
  CHECK(lseek(fd, 6, SEEK_SET) == 6);
  CHECK(lseek(fd, 0, SEEK_CUR) == 6);
  memset(buf, 0, sizeof buf);
  CHECK(read(fd, buf, 4) == 4 && strcmp(buf, "wasi") == 0);
  CHECK(lseek(fd, -4, SEEK_END) == 6);
  CHECK(pwrite(fd, "WASI", 4, 6) == 4);
  memset(buf, 0, sizeof buf);
  CHECK(pread(fd, buf, 10, 0) == 10 && strcmp(buf, "hello WASI") == 0);
  CHECK(lseek(fd, 0, SEEK_CUR) == 6);  // pread/pwrite leave the offset alone
  // fstat / truncate
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 10);
  CHECK(ftruncate(fd, 5) == 0);
  CHECK(fstat(fd, &st) == 0 && st.st_size == 5);
  CHECK(fsync(fd) == 0 && fdatasync(fd) == 0);
  CHECK(posix_fadvise(fd, 0, 5, POSIX_FADV_SEQUENTIAL) == 0);
  CHECK(close(fd) == 0);
  CHECK(truncate("/sandbox/a.txt", 3) == 0);
  CHECK(stat("/sandbox/a.txt", &st) == 0 && st.st_size == 3);
  // append
  fd = open("/sandbox/a.txt", O_WRONLY | O_APPEND);
  CHECK(fd >= 0 && write(fd, "++", 2) == 2);
  close(fd);
  CHECK(stat("/sandbox/a.txt", &st) == 0 && st.st_size == 5);
  // O_EXCL on an existing file
  CHECK(open("/sandbox/a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST);
  CHECK(open("/sandbox/missing", O_RDONLY) < 0 && errno == ENOENT);
  // timestamps
  struct timespec ts[2] = {{1000000000, 5}, {1200000000, 7}};
  CHECK(utimensat(AT_FDCWD, "/sandbox/a.txt", ts, 0) == 0);
  CHECK(stat("/sandbox/a.txt", &st) == 0);
  CHECK(st.st_atim.tv_sec == 1000000000 && st.st_mtim.tv_sec == 1200000000);
  CHECK(st.st_mtim.tv_nsec == 7);
  fd = open("/sandbox/a.txt", O_RDONLY);
  // (Debian's wasi-libc 2022-05 disagrees with its own headers on UTIME_NOW/UTIME_OMIT, so
  // "now" is tested through the raw ABI in fdops.c.)
  struct timespec later[2] = {{1300000000, 0}, {1400000000, 0}};
  CHECK(futimens(fd, later) == 0);
  CHECK(fstat(fd, &st) == 0 && st.st_atim.tv_sec == 1300000000 && st.st_mtim.tv_sec == 1400000000);
  close(fd);
  // mkdir / nested files / readdir
  CHECK(mkdir("/sandbox/dir", 0755) == 0);
  CHECK(mkdir("/sandbox/dir", 0755) < 0 && errno == EEXIST);
  CHECK(write_file("/sandbox/dir/one", "1") == 0);
  CHECK(write_file("/sandbox/dir/two", "22") == 0);
  CHECK(mkdir("/sandbox/dir/sub", 0755) == 0);
  DIR* d = opendir("/sandbox/dir");
  CHECK(d != NULL);
  int seen = 0, dots = 0;
  struct dirent* de;
  while (d && (de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
      ++dots;
      continue;
    }
    if (!strcmp(de->d_name, "one")) {
      seen |= 1;
      CHECK(de->d_type == DT_REG);
    }
    if (!strcmp(de->d_name, "two")) {
      seen |= 2;
      CHECK(de->d_type == DT_REG);
    }
    if (!strcmp(de->d_name, "sub")) {
      seen |= 4;
      CHECK(de->d_type == DT_DIR);
    }
  }
  CHECK(seen == 7 && dots == 2);
  if (d) {
    rewinddir(d);
    int again = 0;
    while ((de = readdir(d))) ++again;
    CHECK(again == 5);
    closedir(d);
  }
  // rename / unlink / rmdir
  CHECK(rename("/sandbox/dir/one", "/sandbox/dir/uno") == 0);
  CHECK(access("/sandbox/dir/one", F_OK) < 0 && errno == ENOENT);
  CHECK(access("/sandbox/dir/uno", F_OK) == 0);
  CHECK(rmdir("/sandbox/dir") < 0 && errno == ENOTEMPTY);
  CHECK(unlink("/sandbox/dir/sub") < 0);
  CHECK(unlink("/sandbox/dir/uno") == 0 && unlink("/sandbox/dir/two") == 0);
  CHECK(rmdir("/sandbox/dir/sub") == 0 && rmdir("/sandbox/dir") == 0);
  // symlink / readlink / lstat / follow
  CHECK(symlink("a.txt", "/sandbox/link") == 0);
  char target[64] = {0};
  CHECK(readlink("/sandbox/link", target, sizeof target) == 5 && !strcmp(target, "a.txt"));
  CHECK(lstat("/sandbox/link", &st) == 0 && S_ISLNK(st.st_mode));
  CHECK(stat("/sandbox/link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);
  fd = open("/sandbox/link", O_RDONLY);
  memset(buf, 0, sizeof buf);
  CHECK(fd >= 0 && read(fd, buf, sizeof buf) == 5 && !strcmp(buf, "hel++"));
  close(fd);
  CHECK(open("/sandbox/link", O_RDONLY | O_NOFOLLOW) < 0 && errno == ELOOP);
  // hard link
  CHECK(link("/sandbox/a.txt", "/sandbox/hard") == 0);
  CHECK(stat("/sandbox/hard", &st) == 0 && st.st_nlink == 2);
  CHECK(unlink("/sandbox/hard") == 0 && unlink("/sandbox/link") == 0);
  // Two edge cases a held-out run found (fd 3 is /sandbox): a new path with a trailing slash is
  // ENOENT for path_link as for path_symlink (EEXIST when it names something), and a directory
  // opened with FD_WRITE in its rights is EISDIR.
  CHECK_ERRNO(__wasi_path_link(3, 0, "a.txt", 3, "hard2/"), __WASI_ERRNO_NOENT);
  CHECK(access("/sandbox/hard2", F_OK) < 0 && errno == ENOENT);
  CHECK(mkdir("/sandbox/d2", 0755) == 0);
  CHECK_ERRNO(__wasi_path_link(3, 0, "a.txt", 3, "d2/"), __WASI_ERRNO_EXIST);
  CHECK_ERRNO(__wasi_path_symlink("a.txt", 3, "sym2/"), __WASI_ERRNO_NOENT);
  CHECK_ERRNO(__wasi_path_symlink("a.txt", 3, "d2/"), __WASI_ERRNO_EXIST);
  int32_t dfd = -1;
  CHECK_ERRNO(open_raw(3, 0, "d2", __WASI_OFLAGS_DIRECTORY,
                       __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, &dfd),
              __WASI_ERRNO_ISDIR);
  CHECK_ERRNO(open_raw(3, 0, "d2", 0, __WASI_RIGHTS_FD_WRITE, &dfd), __WASI_ERRNO_ISDIR);
  CHECK_ERRNO(open_raw(3, 0, "d2", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, &dfd), 0);
  close(dfd);
  CHECK(rmdir("/sandbox/d2") == 0);
  // output the final file for the host to check
  CHECK(write_file("/sandbox/result.txt", "done") == 0);
  return finish();
}
