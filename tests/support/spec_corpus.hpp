// The spec corpus (../shared/spec, or -DWISP_SPEC_DIR / $WISP_SPEC_DIR at configure time) is not
// part of the repository. Tests that read it skip without it, saying so; with CI set they fail
// instead (a CI run must never pass without conformance).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace wisp::test {

// CI is set to something other than "", "0" or "false".
inline bool ci_run() {
  const char* ci = std::getenv("CI");
  return ci && *ci && std::strcmp(ci, "0") != 0 && std::strcmp(ci, "false") != 0;
}

inline bool spec_corpus_present(const std::filesystem::path& dir) {
  return std::filesystem::is_directory(dir);
}

}  // namespace wisp::test

// In a test body: skip (or, under CI, fail) when the corpus folder `dir` is missing.
#define WISP_REQUIRE_SPEC_CORPUS(dir)                                                         \
  do {                                                                                        \
    if (!::wisp::test::spec_corpus_present(dir)) {                                            \
      if (::wisp::test::ci_run()) FAIL() << "the spec corpus is missing at " << (dir);        \
      GTEST_SKIP() << "the spec corpus is missing at " << (dir)                               \
                   << ": conformance NOT checked (configure with -DWISP_SPEC_DIR=... or set " \
                      "WISP_SPEC_DIR)";                                                       \
    }                                                                                         \
  } while (0)
