// Test helper for the WASI guests: CHECK(cond) prints "FAIL line: cond" (and counts it);
// finish() prints "failures: N" and returns the exit status.
#pragma once
#include <stdio.h>

static int g_failures = 0;
#define CHECK(cond)                                          \
  do {                                                       \
    if (!(cond)) {                                           \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                          \
    }                                                        \
  } while (0)
// A raw WASI call's errno must equal `want`.
#define CHECK_ERRNO(call, want)                                                               \
  do {                                                                                        \
    int got_ = (int)(call);                                                                   \
    if (got_ != (int)(want)) {                                                                \
      printf("FAIL %s:%d: %s = %d, want %d\n", __FILE__, __LINE__, #call, got_, (int)(want)); \
      ++g_failures;                                                                           \
    }                                                                                         \
  } while (0)
static inline int finish(void) {
  printf("failures: %d\n", g_failures);
  return g_failures ? 1 : 0;
}
