// Snapshots: instances start from the template's captured state, share its pages, and reset()
// restores it (verified); start functions with imports, init exports, traps at instantiation,
// limits and the memory budget behave as without snapshots.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kStateWat = R"((module
  (memory (export "memory") 2 64)
  (table $t (export "table") 3 10 funcref)
  (global $g (export "g") (mut i32) (i32.const 7))
  (global $r (mut funcref) (ref.func $one))
  (data (i32.const 100) "initial data")
  (data (i32.const 70000) "second page")
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (elem (i32.const 0) $one $two)
  (elem declare func $two)
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "set_g") (param i32) (global.set $g (local.get 0)))
  (func (export "table_swap") (table.set $t (i32.const 0) (ref.func $two))
                              (global.set $r (ref.null func)))
  (func (export "table_grow") (result i32) (table.grow $t (ref.func $one) (i32.const 4)))
  (func (export "call_slot") (param i32) (result i32)
    (call_indirect (result i32) (local.get 0)))
  (func (export "call_global") (result i32)
    (table.set $t (i32.const 2) (global.get $r))
    (call_indirect (result i32) (i32.const 2)))))";

class SnapshotTest : public TierTest {
 protected:
  TemplateOptions verified() const {
    TemplateOptions o = options();
    o.snapshot.verify_reset = true;
    return o;
  }
};

std::string read_str(const Instance& inst, uint64_t at, uint64_t len) {
  return inst.memory().read_string(at, len);
}

TEST_P(SnapshotTest, InstancesFromTheSnapshotHaveTheInitialState) {
  Template t = Linker().instantiate_template(compile(kStateWat), verified());
  Instance first = t.instantiate();   // captures the snapshot
  Instance second = t.instantiate();  // from the snapshot
  SnapshotInfo info = t.snapshot_info();
  ASSERT_TRUE(info.available) << info.unavailable_reason;
  EXPECT_TRUE(info.captured);
  EXPECT_EQ(info.memory_pages, 2u);
  EXPECT_EQ(info.image_bytes, 2u * 65536);
  EXPECT_LT(info.image_stored_bytes, info.image_bytes);  // zero pages are holes
  for (Instance* inst : {&first, &second}) {
    EXPECT_EQ(read_str(*inst, 100, 12), "initial data");
    EXPECT_EQ(read_str(*inst, 70000, 11), "second page");
    EXPECT_EQ(inst->memory().pages(), 2u);
    EXPECT_EQ(inst->global_get("g").as_i32(), 7);
    EXPECT_EQ(inst->call("call_slot", {Value::i32(0)})[0].as_i32(), 1);
    EXPECT_EQ(inst->call("call_slot", {Value::i32(1)})[0].as_i32(), 2);
    EXPECT_EQ(inst->call("call_global")[0].as_i32(), 1);  // funcref global relocated
  }
  EXPECT_FALSE(first.usage().from_snapshot);
  EXPECT_TRUE(second.usage().from_snapshot);
  // Writes stay private to one instance.
  second.call("store", {Value::i32(100), Value::i32(0x41414141)});
  EXPECT_EQ(read_str(first, 100, 4), "init");
  Instance third = t.instantiate();
  EXPECT_EQ(read_str(third, 100, 4), "init");
  EXPECT_EQ(read_str(second, 100, 4), "AAAA");
}

TEST_P(SnapshotTest, ResetRestoresMemoryGlobalsTablesAndGrowth) {
  Template t = Linker().instantiate_template(compile(kStateWat), verified());
  for (int round = 0; round < 2; ++round) {
    Instance inst = t.instantiate();  // round 0: built from scratch; round 1: from the snapshot
    for (int i = 0; i < 3; ++i) {
      inst.call("store", {Value::i32(100), Value::i32(0x5a5a5a5a)});
      inst.call("store", {Value::i32(65536 + 4096), Value::i32(99)});
      EXPECT_EQ(inst.call("grow", {Value::i32(3)})[0].as_i32(), 2);
      inst.call("store", {Value::i32(4 * 65536), Value::i32(1234)});
      inst.call("set_g", {Value::i32(-5)});
      inst.call("table_swap");
      EXPECT_EQ(inst.call("table_grow")[0].as_i32(), 3);
      EXPECT_EQ(inst.call("call_slot", {Value::i32(0)})[0].as_i32(), 2);

      inst.reset();  // verified: throws on any difference

      EXPECT_EQ(read_str(inst, 100, 12), "initial data");
      EXPECT_EQ(inst.call("load", {Value::i32(65536 + 4096)})[0].as_i32(), 0);
      EXPECT_EQ(inst.memory().pages(), 2u);
      EXPECT_THROW(inst.call("load", {Value::i32(4 * 65536)}), Trap);  // growth undone
      inst.reset();
      EXPECT_EQ(inst.global_get("g").as_i32(), 7);
      EXPECT_EQ(inst.call("call_slot", {Value::i32(0)})[0].as_i32(), 1);
      EXPECT_EQ(inst.call("call_global")[0].as_i32(), 1);
      EXPECT_THROW(inst.call("call_slot", {Value::i32(3)}), Trap);  // table growth undone
      EXPECT_TRUE(inst.usage().from_snapshot);
      inst.reset();
    }
  }
}

TEST_P(SnapshotTest, ResetAfterATrapMakesTheInstanceUsableAgain) {
  Template t = Linker().instantiate_template(compile(kStateWat), verified());
  Instance inst = t.instantiate();
  inst.call("store", {Value::i32(100), Value::i32(1)});
  EXPECT_THROW(inst.call("load", {Value::i32(-1)}), Trap);
  EXPECT_TRUE(inst.trapped());
  inst.reset();
  EXPECT_FALSE(inst.trapped());
  EXPECT_EQ(read_str(inst, 100, 12), "initial data");
}

TEST_P(SnapshotTest, OneShotInstancesCaptureOnlyWhenReset) {
  Instance inst = Linker().instantiate(compile(kStateWat), verified());
  EXPECT_FALSE(inst.usage().from_snapshot);
  inst.call("store", {Value::i32(100), Value::i32(0x42424242)});
  EXPECT_EQ(inst.call("grow", {Value::i32(1)})[0].as_i32(), 2);
  inst.reset();  // adopts the snapshot image in place
  EXPECT_TRUE(inst.usage().from_snapshot);
  EXPECT_EQ(read_str(inst, 100, 12), "initial data");
  EXPECT_EQ(inst.memory().pages(), 2u);
}

TEST_P(SnapshotTest, WrittenPagesAreTheOnlyPrivatePages) {
  // 4 MiB of initialised data, as in the benchmarks' `state` guest.
  std::string data(4 << 20, 'x');
  std::string wat_text = "(module (memory (export \"memory\") 80) (data (i32.const 0) \"" + data +
                         "\") (func (export \"poke\") (param i32) "
                         "(i32.store8 (local.get 0) (i32.const 1))))";
  Template t = Linker().instantiate_template(compile(wat_text), verified());
  Instance first = t.instantiate();
  Instance inst = t.instantiate();
  Instance::Usage before = inst.usage();
  EXPECT_TRUE(before.from_snapshot);
  EXPECT_EQ(before.written_pages, 0u);
  inst.call("poke", {Value::i32(12345)});
  inst.call("poke", {Value::i32(3 << 20)});
  Instance::Usage after = inst.usage();
  EXPECT_EQ(after.written_pages, 2u);  // two host pages copied, the other 4 MiB shared
  EXPECT_EQ(after.memory_bytes, 80u * 65536);
  inst.reset();
  EXPECT_EQ(inst.memory().read(12345, 1)[0], 'x');
  RuntimeStats stats = runtime_stats();
  EXPECT_GE(stats.images, 1u);
  EXPECT_GE(stats.image_bytes, uint64_t{4} << 20);
}

TEST_P(SnapshotTest, ModulesWithImportedMemoryAreNotResettable) {
  Instance owner = instantiate(R"((module (memory (export "mem") 1)))");
  Linker linker;
  linker.define("env", "mem", *owner.get_export("mem"));
  Template t = linker.instantiate_template(
      compile(R"((module (import "env" "mem" (memory 1)) (func (export "f"))))"), options());
  SnapshotInfo info = t.snapshot_info();
  EXPECT_FALSE(info.available);
  EXPECT_NE(info.unavailable_reason.find("imports memory \"env\" \"mem\""), std::string::npos);
  Instance inst = t.instantiate();
  EXPECT_FALSE(inst.resettable());
  try {
    inst.reset();
    FAIL() << "reset of an instance with imported memory must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("imports memory"), std::string::npos) << e.what();
  }
}

TEST_P(SnapshotTest, StartFunctionCallingImportsRunsForEveryInstanceAndReset) {
  std::atomic<int> calls{0};
  Linker linker;
  linker.func_wrap("env", "tick", [&](int32_t v) { calls += v; });
  Template t = linker.instantiate_template(compile(R"((module
    (import "env" "tick" (func $tick (param i32)))
    (memory (export "memory") 1)
    (global $n (export "n") (mut i32) (i32.const 0))
    (func $start (call $tick (i32.const 1)) (global.set $n (i32.add (global.get $n) (i32.const 1))))
    (start $start)))"),
                                           verified());
  EXPECT_TRUE(t.snapshot_info().start_runs_per_instance);
  int before = calls.load();
  Instance a = t.instantiate();
  Instance b = t.instantiate();
  EXPECT_EQ(calls.load() - before, 2);
  EXPECT_EQ(a.global_get("n").as_i32(), 1);
  EXPECT_EQ(b.global_get("n").as_i32(), 1);
  b.reset();
  EXPECT_EQ(calls.load() - before, 3);
  EXPECT_EQ(b.global_get("n").as_i32(), 1);
}

TEST_P(SnapshotTest, InitExportRunsOnceAndEveryInstanceStartsInitialised) {
  std::atomic<int> inits{0};
  Linker linker;
  linker.func_wrap("env", "seed", [&]() -> int32_t { return 1000 + inits++; });
  TemplateOptions o = verified();
  o.snapshot.init_export = "init";
  Template t = linker.instantiate_template(compile(R"((module
    (import "env" "seed" (func $seed (result i32)))
    (memory (export "memory") 1)
    (global $v (export "v") (mut i32) (i32.const 0))
    (func (export "init") (global.set $v (call $seed)) (i32.store (i32.const 8) (global.get $v)))
    (func (export "bump") (global.set $v (i32.add (global.get $v) (i32.const 1))))))"),
                                           o);
  std::vector<Instance> all;
  for (int i = 0; i < 5; ++i) all.push_back(t.instantiate());
  EXPECT_EQ(inits.load(), 1);
  for (Instance& inst : all) {
    EXPECT_EQ(inst.global_get("v").as_i32(), 1000);
    EXPECT_EQ(inst.memory().load<int32_t>(8), 1000);
    inst.call("bump");
    inst.reset();
    EXPECT_EQ(inst.global_get("v").as_i32(), 1000);
  }
  EXPECT_EQ(inits.load(), 1);
}

TEST_P(SnapshotTest, OutOfBoundsDataSegmentTrapsEveryTime) {
  Template t = Linker().instantiate_template(
      compile(R"((module (memory 1) (data (i32.const 65530) "too long for the page")))"),
      options());
  for (int i = 0; i < 3; ++i) {
    try {
      t.instantiate();
      FAIL() << "instantiation must trap";
    } catch (const Trap& trap) {
      EXPECT_EQ(trap.kind(), TrapKind::out_of_bounds);
    }
  }
}

TEST_P(SnapshotTest, MemoryBudgetExhaustionIsACleanError) {
  Template t = Linker().instantiate_template(compile(kStateWat), options());
  Instance warm = t.instantiate();
  uint64_t used = runtime_stats().committed_bytes;
  set_memory_budget(used + 3 * 65536);  // room for one more 2-page instance only
  Instance one = t.instantiate();
  try {
    Instance two = t.instantiate();
    FAIL() << "instantiation over the budget must fail";
  } catch (const Trap& trap) {
    EXPECT_EQ(trap.kind(), TrapKind::resource_limit);
    EXPECT_NE(lower(trap.what()).find("budget"), std::string::npos) << trap.what();
  }
  EXPECT_EQ(one.call("grow", {Value::i32(2)})[0].as_i32(), -1);  // memory.grow respects it too
  EXPECT_EQ(one.call("grow", {Value::i32(1)})[0].as_i32(), 2);
  one.reset();  // gives the grown page back to the budget
  EXPECT_EQ(one.call("grow", {Value::i32(1)})[0].as_i32(), 2);
  set_memory_budget(0);
  Instance three = t.instantiate();
  EXPECT_EQ(read_str(three, 100, 12), "initial data");
}

TEST_P(SnapshotTest, SlotsAreReusedByTheSameTemplate) {
  Template t = Linker().instantiate_template(compile(kStateWat), options());
  { Instance warm = t.instantiate(); }
  { Instance a = t.instantiate(); }
  uint64_t cached = runtime_stats().slots_cached;
  EXPECT_GE(cached, 1u);
  uint64_t reserved = runtime_stats().slots_reserved;
  for (int i = 0; i < 200; ++i) {
    Instance a = t.instantiate();
    a.call("store", {Value::i32(100), Value::i32(i)});
  }
  EXPECT_EQ(runtime_stats().slots_reserved, reserved);  // no new address space
  Instance last = t.instantiate();
  EXPECT_EQ(read_str(last, 100, 12), "initial data");
}

TEST_P(SnapshotTest, SnapshotsOffBuildsEveryInstanceFromScratch) {
  TemplateOptions o = options();
  o.snapshot.mode = SnapshotMode::off;
  Template t = Linker().instantiate_template(compile(kStateWat), o);
  Instance a = t.instantiate();
  Instance b = t.instantiate();
  EXPECT_FALSE(b.usage().from_snapshot);
  EXPECT_FALSE(b.resettable());
  EXPECT_THROW(b.reset(), Error);
  EXPECT_EQ(read_str(b, 100, 12), "initial data");
}

INSTANTIATE_TEST_SUITE_P(Tiers, SnapshotTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
