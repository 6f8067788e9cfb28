// Test support: a fixture parameterised over both tiers (tier 1 built inline, into the tier-1
// cache the build tree's tests share: shared_tier1_cache_or).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {

// A v128 of four 32-bit lanes, lane 0 first.
inline V128 u32x4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  V128 v;
  const uint32_t lanes[4] = {a, b, c, d};
  for (unsigned i = 0; i < 4; ++i) v.set_lane(32, i, lanes[i]);
  return v;
}

class TierTest : public ::testing::TestWithParam<Tier> {
 protected:
  Tier tier() const { return GetParam(); }
  Engine& engine() {
    if (!engine_) engine_ = std::make_unique<Engine>(engine_config(tier(), cache_dir()));
    return *engine_;
  }
  Module compile(std::string_view wat_text) { return engine().compile(wat(wat_text)); }
  TemplateOptions options(Limits limits = {}) const {
    TemplateOptions o;
    o.tier = GetParam();
    o.limits = limits;
    return o;
  }
  Instance instantiate(std::string_view wat_text, const Linker& linker = Linker{},
                       Limits limits = {}) {
    Instance inst = linker.instantiate(compile(wat_text), options(limits));
    EXPECT_EQ(inst.tier(), tier());
    return inst;
  }
  std::filesystem::path cache_dir() const { return shared_tier1_cache_or(cache_.path()); }

 private:
  TempDir cache_;
  std::unique_ptr<Engine> engine_;
};

// A TierTest whose guests import env.seed, a host function that returns `Seed` and counts its
// calls in seeds_ (the snapshot tests: an init export that ran once for the snapshot, not once
// per instance).
template <int32_t Seed>
class SeedCountingTest : public TierTest {
 protected:
  static constexpr int32_t kSeed = Seed;
  Linker linker() {
    Linker l;
    l.func_wrap("env", "seed", [this]() -> int32_t {
      ++seeds_;
      return kSeed;
    });
    return l;
  }
  std::atomic<int> seeds_{0};
};

// Lower-case text, for case-insensitive message checks.
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace wisp::test

namespace wisp {
inline void PrintTo(TrapKind k, std::ostream* os) {
  *os << trap_kind_name(k);
}
inline void PrintTo(Tier t, std::ostream* os) {
  *os << tier_name(t);
}
}  // namespace wisp

// Expects `stmt` to throw wisp::Trap of kind `expected_kind`.
#define EXPECT_TRAP(stmt, expected_kind)                                                     \
  do {                                                                                       \
    try {                                                                                    \
      stmt;                                                                                  \
      ADD_FAILURE() << "expected Trap(" << ::wisp::trap_kind_name(expected_kind)             \
                    << ") from: " #stmt;                                                     \
    } catch (const ::wisp::Trap& trap_) {                                                    \
      EXPECT_EQ(trap_.kind(), expected_kind) << "trap: " << trap_.what() << " from: " #stmt; \
    } catch (const std::exception& other_) {                                                 \
      ADD_FAILURE() << "expected Trap(" << ::wisp::trap_kind_name(expected_kind)             \
                    << "), got another exception: " << other_.what() << " from: " #stmt;     \
    }                                                                                        \
  } while (0)

// Runs every TEST_P of `suite` on tier 0 and on tier 1.
#define WISP_INSTANTIATE_TIERS(suite)                                            \
  INSTANTIATE_TEST_SUITE_P(                                                      \
      Tiers, suite, ::testing::Values(::wisp::Tier::tier0, ::wisp::Tier::tier1), \
      [](const auto& info) { return ::wisp::test::tier_param_name(info.param); })
