// A reactor whose initialisation calls WASI (for snapshots whose init export is _initialize):
// a constructor reads the environment and prints a line. Exports print into the caller's own
// stdout, report how often the constructor ran, and close stdout (to test that a reset gives
// the instance a fresh fd table).
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int inits = 0;
static char greeting[64] = "uninitialised";

__attribute__((constructor)) static void init(void) {
  const char* who = getenv("WHO");
  snprintf(greeting, sizeof greeting, "hello %s", who ? who : "nobody");
  ++inits;
  printf("init ran\n");
  fflush(stdout);  // nothing may stay in libc's buffer: the snapshot would keep it
}

__attribute__((export_name("say"))) int say(int n) {
  printf("%s %d\n", greeting, n);
  fflush(stdout);
  return inits;
}

__attribute__((export_name("close_stdout"))) int close_stdout(void) {
  return close(1);
}
