// Runs a wast2json spec command script (the format wabt's spectest-interp reads) against wisp.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "wisp/engine.hpp"
#include "wisp/module.hpp"

namespace wisp::spectest {

struct SpecOptions {
  // tier0: libtcc only. tier1: every module waits for its cc -O2 build and runs on it.
  Tier tier = Tier::tier0;
  // Print every failure (line, command, expected and actual) and every skipped command.
  bool verbose = false;
  // Print every command to stderr before running it (to locate crashes and hangs).
  bool trace = false;
  // Known failures ("name:line tier reason" lines); empty path: none.
  std::filesystem::path expected_failures;
  // Tier-1 cache directory; empty: the engine's default.
  std::filesystem::path cache_dir;
  // Fuel-metered code (EngineConfig::consume_fuel) with unlimited fuel (Limits::fuel = 0):
  // the metering must not change what any command does.
  bool consume_fuel = false;
  // The proposals the engine runs the script with.
  Proposals proposals;
};

struct SpecResult {
  int passed = 0;
  int failed = 0;             // unexpected failures, including listed commands that passed
  int skipped = 0;            // text-format modules (assert_malformed/assert_invalid with .wat)
  int expected_failures = 0;  // listed commands that failed as expected
  int unexpected_passes = 0;  // listed commands that passed (also counted in `failed`)
  std::vector<std::string> failures;  // one line per unexpected failure
  bool ok() const { return failed == 0; }
  // "N passed, N failed, N skipped"
  std::string summary() const;
};

// Runs every command of `json`; never throws for failures inside the script (they are counted).
// Throws wisp::Error if the script itself cannot be read or parsed.
SpecResult run_spec_script(const std::filesystem::path& json, const SpecOptions& options);

}  // namespace wisp::spectest
