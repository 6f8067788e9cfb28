// Fuel metering keeps semantics: a sample of the spec corpus (control flow, calls, traps,
// memory, tables, numerics) runs on tier 0 compiled with consume_fuel and unlimited fuel, with
// the same known failures as without it. (The whole corpus: `wisp spectest --fuel`.)
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "spectest/spec_runner.hpp"
#include "support/spec_corpus.hpp"
#include "support/wat.hpp"

namespace wisp::test {
namespace {

namespace fs = std::filesystem;

class FuelSpecTest : public ::testing::TestWithParam<const char*> {};

TEST_P(FuelSpecTest, ScriptPassesWithFuelMetering) {
  const std::string name = GetParam();
  WISP_REQUIRE_SPEC_CORPUS(WISP_SPEC_CORE_DIR);
  fs::path script = fs::path(WISP_SPEC_CORE_DIR) / name / (name + ".json");
  ASSERT_TRUE(fs::exists(script)) << script;
  TempDir cache;
  spectest::SpecOptions options;
  options.tier = Tier::tier0;
  options.consume_fuel = true;
  options.expected_failures = WISP_SPEC_EXPECTED_FAILURES;
  options.cache_dir = cache.path();
  spectest::SpecResult r = spectest::run_spec_script(script, options);
  std::string failures;
  for (const std::string& f : r.failures) failures += "\n  " + f;
  EXPECT_TRUE(r.ok()) << name << ": " << r.summary() << failures;
  EXPECT_GT(r.passed, 0) << name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, FuelSpecTest,
                         ::testing::Values("block", "br", "br_if", "br_table", "call",
                                           "call_indirect", "fac", "forward", "func", "func_ptrs",
                                           "global", "if", "labels", "left-to-right", "local_tee",
                                           "loop", "memory_grow", "memory_trap", "nop", "return",
                                           "select", "stack", "start", "switch", "table_grow",
                                           "traps", "unreachable", "unreached-valid", "unwind",
                                           "int_exprs", "linking", "bulk", "i32"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (c == '-') c = '_';
                           return s;
                         });

}  // namespace
}  // namespace wisp::test
