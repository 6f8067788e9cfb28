// Opens "swap/secret.txt" and "link" repeatedly while the host swaps them between a safe target
// and one outside the preopen (fd 3). Prints how often each open succeeded, was refused, or
// (never allowed) read the outside file's content. argv[1] = iterations.
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"
#include "raw.h"

int main(int argc, char** argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 1000;
  int opened = 0, refused = 0, escaped = 0, other = 0;
  const char* paths[] = {"link", "swap/secret.txt"};
  for (int i = 0; i < iterations; ++i) {
    int32_t fd;
    int32_t e = open_raw(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, paths[i % 2], 0, ALL_RIGHTS, &fd);
    if (e == 0) {
      char buf[32] = {0};
      read(fd, buf, sizeof buf - 1);
      close(fd);
      if (strstr(buf, "OUTSIDE")) {
        ++escaped;
      } else {
        ++opened;
      }
    } else if (e == __WASI_ERRNO_NOTCAPABLE) {
      ++refused;
    } else {
      ++other;  // ENOENT while the host's rename is in flight, ELOOP, ...
    }
  }
  printf("opened %d refused %d other %d escaped %d\n", opened, refused, other, escaped);
  CHECK(escaped == 0);
  return finish();
}
