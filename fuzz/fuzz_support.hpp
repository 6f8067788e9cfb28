// Shared by the libFuzzer targets: a failed property check (prints what broke, then aborts so
// libFuzzer saves the input as a crash) and a scratch directory that lives as long as the process.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace wisp::fuzz {

// A property a target checks on every input: when it does not hold, the input is a finding.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "\n==wisp-fuzz== FINDING: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline void check(bool ok, const std::string& what) {
  if (!ok) finding(what);
}

// A fresh directory under $TMPDIR (or /tmp) named after the target and the process, removed
// when the process exits normally.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    const char* tmp = std::getenv("TMPDIR");
    path_ = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
            ("wisp-fuzz-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace wisp::fuzz
