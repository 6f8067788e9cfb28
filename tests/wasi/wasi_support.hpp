// Test support for WASI: runs a C guest (built into WISP_WASI_GUEST_DIR) with a config and
// returns its exit code and collected stdio.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {

inline std::string wasi_guest(const std::string& name) {
  return std::string(WISP_WASI_GUEST_DIR) + "/wasi_" + name + ".wasm";
}

// A config with all three stdio streams in buffer mode.
inline WasiConfig buffered_config(std::vector<std::string> args, std::string input = {}) {
  WasiConfig c;
  c.args = std::move(args);
  c.stdin_stream = WasiStdio::buffer(std::move(input));
  c.stdout_stream = WasiStdio::buffer();
  c.stderr_stream = WasiStdio::buffer();
  return c;
}

struct GuestRun {
  int exit_code = 0;    // 0 when _start returned
  bool exited = false;  // proc_exit was called
  std::string out, err;
  Instance instance;
  std::shared_ptr<WasiCtx> ctx;
};

// One engine per tier for the whole test binary (tier-1 artifacts land in the test cache).
inline Engine& wasi_engine(Tier tier) {
  static std::map<Tier, std::unique_ptr<Engine>> engines;
  static TempDir* cache = new TempDir();  // outlives the engines' use; cleaned by the OS
  auto& e = engines[tier];
  if (!e) e = std::make_unique<Engine>(engine_config(tier, shared_tier1_cache_or(cache->path())));
  return *e;
}

inline GuestRun run_guest(Tier tier, const std::string& name, const WasiConfig& config) {
  Module module = wasi_engine(tier).compile_file(wasi_guest(name));
  Linker linker;
  add_wasi(linker);
  TemplateOptions options;
  options.tier = tier;
  GuestRun r;
  r.instance = linker.instantiate(module, options);
  r.ctx = WasiCtx::attach(r.instance, config);
  try {
    r.instance.call("_start");
  } catch (const WasiExit& e) {
    r.exit_code = e.code();
    r.exited = true;
  }
  r.out = r.ctx->stdout_data();
  r.err = r.ctx->stderr_data();
  return r;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::filesystem::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

}  // namespace wisp::test
