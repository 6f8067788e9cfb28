// Defaults for the sanitizer builds of the unit tests (make test-sanitize). No check is turned
// off or suppressed here; this adds detail to reports, and lets TSan go on after a fork.
// (A compiled-in default rather than CTest's ENVIRONMENT: UBSAN_OPTIONS set by whoever runs the
// tests still overrides it, and CMake 3.25's gtest_discover_tests cannot pass a second variable.)

#include "runtime/sanitizers.hpp"

#if WISP_ASAN
// UBSan reports carry no stack trace by default.
extern "C" const char* __ubsan_default_options() {
  return "print_stacktrace=1";
}
#endif

#if WISP_TSAN
// The fork tests (a forked child's calls still time out) start a thread in the child of a
// multi-threaded process, which TSan cannot model and by default dies on. With
// die_after_fork=0 the child runs on, still checked (TSan's advice for such programs).
extern "C" const char* __tsan_default_options() {
  return "die_after_fork=0";
}
#endif
