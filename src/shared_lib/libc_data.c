/* The C library's data that libtcc and libwabt read, for the shared libwisp.so only: Debian's
 * libtcc.a and libwabt.a (compiled as PIE) reach stdin, stdout, stderr and environ PC-relative,
 * which a shared object cannot resolve against libc. The build redirects those names in copies of
 * the archives to the hidden pointers below (src/shared_lib/CMakeLists.txt), set before any code of
 * the library runs. */
#include <stdio.h>

extern char** environ;

__attribute__((visibility("hidden"))) FILE* wisp_libc_stdin;
__attribute__((visibility("hidden"))) FILE* wisp_libc_stdout;
__attribute__((visibility("hidden"))) FILE* wisp_libc_stderr;
__attribute__((visibility("hidden"))) char** wisp_libc_environ;

__attribute__((constructor(101))) static void wisp_libc_data_init(void) {
  wisp_libc_stdin = stdin;
  wisp_libc_stdout = stdout;
  wisp_libc_stderr = stderr;
  wisp_libc_environ = environ;
}
