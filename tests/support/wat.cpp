// Test support: WAT text to wasm binary (libwabt), engines per tier, temp dirs, /proc readers.
#include "support/wat.hpp"

#include <stdlib.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

#include "wabt/binary-writer.h"
#include "wabt/error-formatter.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace wisp::test {

std::vector<uint8_t> wat(std::string_view text) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("test.wat", text.data(), text.size(), &errors);
  wabt::Features features;
  features.EnableAll();
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> module;
  wabt::Result result = wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options);
  if (wabt::Failed(result)) {
    throw std::runtime_error("WAT parse failed: " +
                             wabt::FormatErrorsToString(errors, wabt::Location::Type::Text));
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, /*canonicalize_lebs=*/true,
                                         /*relocatable=*/false, /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write_options))) {
    throw std::runtime_error("WAT: writing the binary failed");
  }
  return std::move(stream.output_buffer().data);
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

uint64_t vm_size_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7));
  }
  throw std::runtime_error("no VmSize in /proc/self/status");
}

std::string tier_param_name(Tier t) { return t == Tier::tier0 ? "tier0" : t == Tier::tier1 ? "tier1" : "auto"; }

}  // namespace wisp::test
