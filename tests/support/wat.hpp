// Test support: WAT text to wasm binary, engines per tier, temp dirs, /proc readers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wisp/wisp.hpp"

namespace wisp::test {

// WAT text to binary through wisp::wat_to_wasm (every wabt feature enabled, NOT validated, so
// tests can build invalid modules and modules using unsupported proposals).
std::vector<uint8_t> wat(std::string_view text);

// A fresh directory under $XDG_CACHE_HOME (or the system temp dir), removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// An engine for `tier` whose tier-1 cache lives in `cache_dir`. Tier 1 is built before
// compile() returns (no background thread); tier 0 engines do not build tier 1 at all.
EngineConfig engine_config(Tier tier, const std::filesystem::path& cache_dir);

// The tier-1 cache of the build tree's tests (tests/CMakeLists.txt), shared by its test processes
// (entries are keyed by the module's bytes and everything that shapes its code, and written
// atomically: processes running at once can share them), else `own`. A test that needs an empty
// cache uses a TempDir of its own instead.
std::filesystem::path shared_tier1_cache_or(const std::filesystem::path& own);

// The process's virtual address-space size (VmSize in /proc/self/status), in KiB.
uint64_t vm_size_kib();

// "tier0" / "tier1" for parameterised test names.
std::string tier_param_name(Tier t);

}  // namespace wisp::test
