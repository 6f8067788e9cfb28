// Reads all of stdin, writes it upper-cased to stdout and a byte count to stderr. With argv[1]
// == "flood", writes N bytes (argv[2]) to stdout and reports the errno of the first failed write.
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

int main(int argc, char** argv) {
  if (argc > 2 && !strcmp(argv[1], "flood")) {
    long n = atol(argv[2]);
    char chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    long written = 0;
    int err = 0;
    while (written < n) {
      ssize_t w = write(1, chunk, sizeof chunk);
      if (w < 0) {
        err = errno;
        break;
      }
      written += w;
    }
    dprintf(2, "written %ld errno %s\n", written, err == ENOSPC ? "ENOSPC" : err ? "other" : "0");
    return err == ENOSPC ? 3 : 0;
  }
  char buf[4096];
  size_t total = 0;
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; ++i) buf[i] = (char)toupper((unsigned char)buf[i]);
    CHECK(write(1, buf, (size_t)n) == n);
    total += (size_t)n;
  }
  CHECK(n == 0);
  dprintf(2, "read %zu bytes\n", total);
  return g_failures ? 1 : 0;
}
