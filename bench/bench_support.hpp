// What the benchmark harnesses share: where the guest modules are, and a wrapper that ends a
// benchmark with the error's message instead of aborting the run.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <exception>
#include <filesystem>

namespace wisp::bench {

// The built guest modules: $WISP_GUESTS_DIR, else the build tree's (WISP_GUESTS_DIR).
inline std::filesystem::path guests_dir() {
  const char* dir = std::getenv("WISP_GUESTS_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::path(WISP_GUESTS_DIR);
}

// Wraps a benchmark body so that an exception ends that benchmark with its message.
template <typename Body>
auto guarded(Body body) {
  return [body](benchmark::State& st) {
    try {
      body(st);
    } catch (const std::exception& e) {
      st.SkipWithError(e.what());
    }
  };
}

}  // namespace wisp::bench
