// Test support: WAT text to wasm binary, engines per tier, temp dirs, /proc readers.
#include "support/wat.hpp"

#include <stdlib.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace wisp::test {

std::vector<uint8_t> wat(std::string_view text) {
  return wat_to_wasm(text);
}

TempDir::TempDir() {
  const char* base = getenv("XDG_CACHE_HOME");
  std::filesystem::path dir = base && *base ? base : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(dir);
  std::string templ = (dir / "wisp-test-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
  }
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

EngineConfig engine_config(Tier tier, const std::filesystem::path& cache_dir) {
  EngineConfig config;
  config.cache_dir = cache_dir;
  config.background_tier1 = false;
  config.enable_tier1 = tier != Tier::tier0;
  return config;
}

std::filesystem::path shared_tier1_cache_or(const std::filesystem::path& own) {
#ifdef WISP_TEST_TIER1_CACHE
  (void)own;
  return WISP_TEST_TIER1_CACHE;
#else
  return own;
#endif
}

uint64_t vm_size_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7));
  }
  throw std::runtime_error("no VmSize in /proc/self/status");
}

std::string tier_param_name(Tier t) {
  return t == Tier::tier0 ? "tier0" : t == Tier::tier1 ? "tier1" : "auto";
}

}  // namespace wisp::test
