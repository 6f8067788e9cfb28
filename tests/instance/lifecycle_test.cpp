// Instance lifetime: 100,000 instantiate/free cycles without address-space growth; fresh state.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kStateWat = R"((module
  (memory (export "memory") 1 16)
  (table 2 funcref)
  (global $g (export "g") (mut i32) (i32.const 3))
  (data (i32.const 0) "fresh")
  (func $f (result i32) (i32.const 1))
  (elem (i32.const 0) $f)
  (func (export "touch") (param i32) (result i32)
    (local $old i32)
    (local.set $old (i32.load8_u (i32.const 0)))
    (i32.store8 (i32.const 0) (i32.const 0x21))
    (i32.store (i32.const 40000) (local.get 0))
    (drop (memory.grow (i32.const 1)))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (local.get $old))))";

constexpr uint64_t kSlackKiB = 64 * 1024;  // 64 MiB; one leaked memory slot would be 8 GiB

class LifecycleTest : public TierTest {};

TEST_P(LifecycleTest, HundredThousandCyclesDoNotGrowTheAddressSpace) {
  Template t = Linker().instantiate_template(compile(kStateWat), options());
  auto cycle = [&](int i) {
    Instance inst = t.instantiate();
    // Every instance starts from the initial state, whatever the previous one did.
    int32_t first = inst.call("touch", {Value::i32(i)})[0].as_i32();
    if (first != 'f') ADD_FAILURE() << "instance " << i << " saw byte " << first;
  };
  for (int i = 0; i < 1000; ++i) cycle(i);  // warm up pools and caches
  uint64_t before = vm_size_kib();
  for (int i = 0; i < 100000; ++i) cycle(i);
  uint64_t after = vm_size_kib();
  EXPECT_LE(after, before + kSlackKiB)
      << "VmSize grew from " << before << " KiB to " << after << " KiB";
}

TEST_P(LifecycleTest, ConcurrentCyclesDoNotGrowTheAddressSpace) {
  Template t = Linker().instantiate_template(compile(kStateWat), options());
  auto run = [&](int n) {
    int bad = 0;
    for (int i = 0; i < n; ++i) {
      Instance inst = t.instantiate();
      bad += inst.call("touch", {Value::i32(i)})[0].as_i32() != 'f';
    }
    return bad;
  };
  run(500);
  uint64_t before = vm_size_kib();
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) threads.emplace_back([&] { bad += run(5000); });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  uint64_t after = vm_size_kib();
  // Four threads may each hold a slot and an arena of their own.
  EXPECT_LE(after, before + 4 * 8 * 1024 * 1024 + 4 * kSlackKiB);
}

TEST_P(LifecycleTest, ManyLiveInstancesAreReleased) {
  Template t = Linker().instantiate_template(compile(kStateWat), options());
  uint64_t before = vm_size_kib();
  for (int round = 0; round < 3; ++round) {
    std::vector<Instance> live;
    for (int i = 0; i < 64; ++i) live.push_back(t.instantiate());
    for (Instance& inst : live) inst.call("touch", {Value::i32(1)});
  }
  uint64_t after = vm_size_kib();
  EXPECT_LE(after, before + 64 * 8 * 1024 * 1024 + kSlackKiB);  // at most one round kept pooled
  std::vector<Instance> live;
  for (int i = 0; i < 64; ++i) live.push_back(t.instantiate());
  for (Instance& inst : live) {
    EXPECT_EQ(inst.global_get("g"), Value::i32(3));
    EXPECT_EQ(inst.memory().pages(), 1u);
    EXPECT_EQ(inst.memory().read_string(0, 5), "fresh");
  }
}

TEST_P(LifecycleTest, ModuleAndTemplateOutliveTheirHandles) {
  Instance inst;
  {
    Template t = Linker().instantiate_template(compile(kStateWat), options());
    inst = t.instantiate();
  }
  EXPECT_EQ(inst.call("touch", {Value::i32(5)})[0], Value::i32('f'));
  EXPECT_EQ(inst.module().find_export("touch")->type.func.params.size(), 1u);
  Memory mem = inst.memory();
  inst = Instance();
  // A view keeps its instance's memory alive.
  EXPECT_EQ(mem.read_string(1, 4), "resh");
}

// Tier 0 only: the 100,000-cycle test is about the runtime, not the code tier.
INSTANTIATE_TEST_SUITE_P(Tier0, LifecycleTest, ::testing::Values(Tier::tier0),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
