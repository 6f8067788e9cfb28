// Defaults for the sanitizer builds of the unit tests (make test-sanitize). Nothing is turned
// off or suppressed here: every check keeps its default; this only adds detail to reports.
// (A compiled-in default rather than CTest's ENVIRONMENT: UBSAN_OPTIONS set by whoever runs the
// tests still overrides it, and CMake 3.25's gtest_discover_tests cannot pass a second variable.)

#if defined(__SANITIZE_ADDRESS__)
// UBSan reports carry no stack trace by default.
extern "C" const char* __ubsan_default_options() {
  return "print_stacktrace=1";
}
#endif
