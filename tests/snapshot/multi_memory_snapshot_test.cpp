// Snapshots of modules with several memories (multi-memory): each memory has its own image, its
// own slot and its own write tracking; instances start from the snapshot of every memory, reset
// restores each (growth undone per memory), an instance built from scratch adopts them all at
// its first reset, a failure half-way through leaks no slot, and a persisted snapshot holds them
// all.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// Memory a: 1 page, b: 2 pages (grown to 3 by init), c: empty.
constexpr const char* kThreeMemoriesWat = R"((module
  (import "env" "seed" (func $seed (result i32)))
  (memory $a (export "a") 1 8)
  (memory $b (export "b") 2 8)
  (memory $c (export "c") 0 2)
  (global $g (export "g") (mut i32) (i32.const 0))
  (data (memory $a) (i32.const 16) "alpha")
  (data (memory $b) (i32.const 70000) "bravo")
  (func (export "init")
    (global.set $g (call $seed))
    (i32.store8 $a (i32.const 4000) (i32.const 65))
    (drop (memory.grow $b (i32.const 1)))
    (i32.store $b (i32.const 140000) (global.get $g)))
  (func (export "store_a") (param i32 i32) (i32.store $a (local.get 0) (local.get 1)))
  (func (export "store_b") (param i32 i32) (i32.store $b (local.get 0) (local.get 1)))
  (func (export "store_c") (param i32 i32) (i32.store $c (local.get 0) (local.get 1)))
  (func (export "load_a") (param i32) (result i32) (i32.load $a (local.get 0)))
  (func (export "load_b") (param i32) (result i32) (i32.load $b (local.get 0)))
  (func (export "grow_a") (param i32) (result i32) (memory.grow $a (local.get 0)))
  (func (export "grow_c") (param i32) (result i32) (memory.grow $c (local.get 0)))))";

class MultiMemorySnapshotTest : public SeedCountingTest<4242> {
 protected:
  TemplateOptions with_init(SnapshotMode mode = SnapshotMode::eager) const {
    TemplateOptions o = options();
    o.snapshot.mode = mode;
    o.snapshot.init_export = "init";
    o.snapshot.verify_reset = true;  // every reset is compared with the snapshot, byte by byte
    return o;
  }
  static int32_t load_a(Instance& i, int32_t at) {
    return i.call("load_a", {Value::i32(at)})[0].as_i32();
  }
  static int32_t load_b(Instance& i, int32_t at) {
    return i.call("load_b", {Value::i32(at)})[0].as_i32();
  }
  // The snapshot's state in every memory.
  static void expect_snapshot_state(Instance& i) {
    EXPECT_EQ(i.memory("a").pages(), 1u);
    EXPECT_EQ(i.memory("b").pages(), 3u);
    EXPECT_EQ(i.memory("c").pages(), 0u);
    EXPECT_EQ(i.memory("a").read_string(16, 5), "alpha");
    EXPECT_EQ(i.memory("a").read(4000, 1), std::vector<uint8_t>{65});
    EXPECT_EQ(i.memory("b").read_string(70000, 5), "bravo");
    EXPECT_EQ(load_b(i, 140000), kSeed);
    EXPECT_EQ(load_a(i, 100), 0);
    EXPECT_EQ(load_b(i, 100), 0);
    EXPECT_EQ(i.global_get("g").as_i32(), kSeed);
  }
  // Writes to every memory and grows two of them.
  static void scribble(Instance& i, int32_t v) {
    i.call("store_a", {Value::i32(100), Value::i32(v)});
    i.call("store_a", {Value::i32(4000), Value::i32(v)});
    i.call("store_b", {Value::i32(100), Value::i32(v)});
    i.call("store_b", {Value::i32(140000), Value::i32(v)});
    EXPECT_EQ(i.call("grow_a", {Value::i32(2)})[0].as_i32(), 1);
    EXPECT_EQ(i.call("grow_c", {Value::i32(1)})[0].as_i32(), 0);
    i.call("store_c", {Value::i32(8), Value::i32(v)});
  }
};

TEST_P(MultiMemorySnapshotTest, EveryMemoryHasItsOwnImageAndInstancesStartFromIt) {
  Template t = linker().instantiate_template(compile(kThreeMemoriesWat), with_init());
  Instance first = t.instantiate();  // captures the snapshot
  Instance second = t.instantiate();
  SnapshotInfo info = t.snapshot_info();
  ASSERT_TRUE(info.available) << info.unavailable_reason;
  EXPECT_EQ(info.memories, 3u);
  EXPECT_EQ(info.memory_pages, 1u + 3u + 0u);
  EXPECT_EQ(info.image_bytes, 4u * 65536);
  EXPECT_EQ(seeds_.load(), 1);  // the init export ran once, for the snapshot
  EXPECT_TRUE(second.usage().from_snapshot);
  expect_snapshot_state(first);
  expect_snapshot_state(second);
  scribble(first, 9);
  expect_snapshot_state(second);  // nothing shared between instances' memories
  Instance third = t.instantiate();
  expect_snapshot_state(third);
}

TEST_P(MultiMemorySnapshotTest, ResetRestoresEveryMemoryAndUndoesEachOnesGrowth) {
  Template t = linker().instantiate_template(compile(kThreeMemoriesWat), with_init());
  Instance inst = t.instantiate();
  for (int round = 1; round <= 3; ++round) {
    scribble(inst, round);
    EXPECT_EQ(load_a(inst, 100), round);
    EXPECT_EQ(inst.memory("a").pages(), 3u);
    inst.global_set("g", Value::i32(-round));
    inst.reset();  // verified against the snapshot
    expect_snapshot_state(inst);
  }
  EXPECT_EQ(inst.usage().resets, 3u);
  EXPECT_EQ(seeds_.load(), 1);
}

TEST_P(MultiMemorySnapshotTest, WriteTrackingCoversEachMemory) {
  Template t = linker().instantiate_template(compile(kThreeMemoriesWat), with_init());
  Instance capture = t.instantiate();  // the capture instance is built from scratch
  Instance inst = t.instantiate();     // from the snapshot: its slots map the images
  inst.call("store_a", {Value::i32(100), Value::i32(1)});
  inst.call("store_b", {Value::i32(100), Value::i32(1)});
  inst.reset();  // scans both, keeps the written pages resident, arms the rest of each
  EXPECT_TRUE(inst.usage().write_tracked);
  const uint64_t before = inst.usage().resets_without_scan;
  for (int round = 1; round <= 5; ++round) {
    inst.call("store_a", {Value::i32(100), Value::i32(round)});
    inst.call("store_b", {Value::i32(100), Value::i32(round)});
    inst.reset();
    EXPECT_EQ(load_a(inst, 100), 0);
    EXPECT_EQ(load_b(inst, 100), 0);
  }
  EXPECT_EQ(inst.usage().resets_without_scan, before + 5);
  // A write outside memory b's resident set (its third page) succeeds, and that reset scans.
  inst.call("store_b", {Value::i32(140000), Value::i32(-7)});
  EXPECT_EQ(load_b(inst, 140000), -7);
  inst.reset();
  EXPECT_EQ(inst.usage().resets_without_scan, before + 5);
  expect_snapshot_state(inst);
}

TEST_P(MultiMemorySnapshotTest, AnInstanceBuiltFromScratchAdoptsEveryMemoryAtItsFirstReset) {
  Template t =
      linker().instantiate_template(compile(kThreeMemoriesWat), with_init(SnapshotMode::lazy));
  Instance inst = t.instantiate();  // lazy: from scratch (its init ran for it)
  EXPECT_FALSE(inst.usage().from_snapshot);
  expect_snapshot_state(inst);
  scribble(inst, 3);
  inst.reset();  // captures the snapshot with a second instance, then maps it over these memories
  EXPECT_TRUE(inst.usage().from_snapshot);
  expect_snapshot_state(inst);
  scribble(inst, 4);
  inst.reset();
  expect_snapshot_state(inst);
}

TEST_P(MultiMemorySnapshotTest, AFailureAfterTheFirstMemoryLeaksNoSlot) {
  Template t = linker().instantiate_template(compile(kThreeMemoriesWat), with_init());
  { Instance warm = t.instantiate(); }
  const RuntimeStats before = runtime_stats();
  set_memory_budget(before.committed_bytes + 2 * 65536);  // memory a (1 page) fits, b (3) not
  try {
    Instance over = t.instantiate();
    FAIL() << "instantiation over the budget must fail";
  } catch (const Trap& trap) {
    EXPECT_EQ(trap.kind(), TrapKind::resource_limit);
  }
  set_memory_budget(0);
  const RuntimeStats after = runtime_stats();
  EXPECT_EQ(after.slots_in_use, before.slots_in_use);
  EXPECT_EQ(after.committed_bytes, before.committed_bytes);
  Instance fine = t.instantiate();  // the slot memory a took is clean for reuse
  expect_snapshot_state(fine);
}

TEST_P(MultiMemorySnapshotTest, APersistedSnapshotHoldsEveryMemory) {
  TempDir cache;
  auto run = [&](bool expect_from_cache) {
    Engine engine(engine_config(tier(), cache.path()));
    TemplateOptions o = with_init();
    o.snapshot.persist = true;
    Template t = linker().instantiate_template(engine.compile(wat(kThreeMemoriesWat)), o);
    Instance inst = t.instantiate();
    SnapshotInfo info = t.snapshot_info();
    EXPECT_EQ(info.from_cache, expect_from_cache);
    EXPECT_FALSE(info.persisted_path.empty()) << info.not_persisted_reason;
    EXPECT_EQ(info.memories, 3u);
    expect_snapshot_state(inst);
    scribble(inst, 5);
    inst.reset();
    expect_snapshot_state(inst);
  };
  run(false);
  EXPECT_EQ(seeds_.load(), 1);
  run(true);
  EXPECT_EQ(seeds_.load(), 1);  // loaded: the init export did not run again
}

INSTANTIATE_TEST_SUITE_P(Tiers, MultiMemorySnapshotTest,
                         ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
