// Randomised resets: thousands of rounds of random stores, grows, global and table sets, each
// followed by a verified reset; and many threads instantiating and resetting different
// templates at once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// Memory of 4 pages (data in 2 of them), growable to 12; a table of 4 growable to 16; globals.
std::string random_target_wat(int variant) {
  return R"((module
  (memory (export "memory") 4 12)
  (table $t 4 16 funcref)
  (global $a (export "a") (mut i32) (i32.const )" +
         std::to_string(variant) + R"())
  (global $b (export "b") (mut i64) (i64.const -1))
  (global $f (export "f") (mut f64) (f64.const 2.5))
  (data (i32.const 0) "header-)" +
         std::to_string(variant) + R"(")
  (data (i32.const 131072) "third page")
  (func $x (result i32) (i32.const 11))
  (func $y (result i32) (i32.const 22))
  (elem (i32.const 1) $x $y)
  (elem declare func $x $y)
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "set") (param i32 i64 f64)
    (global.set $a (local.get 0)) (global.set $b (local.get 1)) (global.set $f (local.get 2)))
  (func (export "tset") (param i32 i32)
    (table.set $t (local.get 0) (select (result funcref) (ref.func $x) (ref.null func) (local.get 1))))
  (func (export "tgrow") (param i32) (result i32) (table.grow $t (ref.func $y) (local.get 0)))
  (func (export "tsize") (result i32) (table.size $t))))";
}

class ResetStressTest : public TierTest {};

TEST_P(ResetStressTest, ThousandsOfRandomRoundsResetToTheSnapshot) {
  TemplateOptions o = options();
  o.snapshot.verify_reset = true;  // every reset compares memory, globals and tables
  o.snapshot.keep_resident_pages = 8;
  Template t = Linker().instantiate_template(compile(random_target_wat(1)), o);
  Instance warm = t.instantiate();
  Instance inst = t.instantiate();
  std::mt19937 rng(12345);
  const int rounds = 3000;
  for (int round = 0; round < rounds; ++round) {
    int ops = 1 + static_cast<int>(rng() % 12);
    for (int op = 0; op < ops; ++op) {
      uint32_t pages = inst.memory().pages();
      switch (rng() % 7) {
        case 0:
        case 1:
          inst.call("store", {Value::i32(static_cast<int32_t>(rng() % (pages * 65536))),
                              Value::i32(static_cast<int32_t>(rng()))});
          break;
        case 2: {
          uint32_t at = rng() % (pages * 65536);
          uint32_t len = std::min<uint32_t>(rng() % 20000, pages * 65536 - at);
          inst.call("fill", {Value::i32(static_cast<int32_t>(at)), Value::i32(0x77),
                             Value::i32(static_cast<int32_t>(len))});
          break;
        }
        case 3:
          inst.call("grow", {Value::i32(static_cast<int32_t>(rng() % 3))});
          break;
        case 4:
          inst.call("set", {Value::i32(static_cast<int32_t>(rng())), Value::i64(rng()),
                            Value::f64(static_cast<double>(rng()))});
          break;
        case 5: {
          int32_t size = inst.call("tsize")[0].as_i32();
          inst.call("tset", {Value::i32(static_cast<int32_t>(rng() % size)),
                             Value::i32(static_cast<int32_t>(rng() % 2))});
          break;
        }
        case 6:
          inst.call("tgrow", {Value::i32(static_cast<int32_t>(rng() % 3))});
          break;
      }
    }
    if (rng() % 50 == 0) {
      EXPECT_THROW(inst.call("store", {Value::i32(-1), Value::i32(0)}), Trap);
    }
    ASSERT_NO_THROW(inst.reset()) << "round " << round;
    ASSERT_EQ(inst.memory().pages(), 4u);
  }
  EXPECT_EQ(inst.global_get("a").as_i32(), 1);
  EXPECT_EQ(inst.global_get("b").as_i64(), -1);
  EXPECT_EQ(inst.memory().read_string(0, 8), "header-1");
  EXPECT_EQ(inst.call("tsize")[0].as_i32(), 4);
}

TEST_P(ResetStressTest, ManyThreadsInstantiateAndResetDifferentTemplates) {
  constexpr int kTemplates = 4;
  constexpr int kThreads = 8;
  std::vector<Template> templates;
  for (int i = 0; i < kTemplates; ++i) {
    TemplateOptions o = options();
    o.snapshot.verify_reset = true;
    templates.push_back(Linker().instantiate_template(compile(random_target_wat(i)), o));
  }
  std::atomic<bool> failed{false};
  std::atomic<int> cycles{0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      std::mt19937 rng(th);
      try {
        while (std::chrono::steady_clock::now() < deadline && !failed) {
          int which = static_cast<int>(rng() % kTemplates);
          Instance inst = templates[which].instantiate();
          std::string header = "header-" + std::to_string(which);
          if (inst.memory().read_string(0, header.size()) != header) failed = true;
          inst.call("store", {Value::i32(static_cast<int32_t>(rng() % 65536)), Value::i32(1)});
          inst.call("grow", {Value::i32(1)});
          inst.call("set", {Value::i32(th), Value::i64(th), Value::f64(th)});
          inst.reset();
          if (inst.global_get("a").as_i32() != which) failed = true;
          if (inst.memory().read_string(0, header.size()) != header) failed = true;
          ++cycles;
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << th << ": " << e.what();
        failed = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed.load());
  EXPECT_GT(cycles.load(), kThreads);
}

INSTANTIATE_TEST_SUITE_P(Tiers, ResetStressTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
