// Snapshots of modules that use threads (issue 12 item 2): a module that defines a shared memory
// snapshots at template level, each new instance gets its own memory with the image copied in
// (plain memory, not the image's memfd mapped copy-on-write), reset copies the image back and
// undoes growth, a pool over it resets on release without running the init export again, and a
// module that imports a shared memory is still instantiated from scratch.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "support/fixture.hpp"
#include "support/strategy_check.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kSharedWat = R"((module
  (import "env" "seed" (func $seed (result i32)))
  (memory (export "mem") 1 4 shared)
  (data (i32.const 16) "shared")
  (func (export "init")
    (i32.atomic.store (i32.const 64) (call $seed))
    (i32.store8 (i32.const 40000) (i32.const 7)))
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (i32.atomic.rmw.add (local.get 0) (local.get 1)) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "notify") (param i32) (result i32)
    (memory.atomic.notify (local.get 0) (i32.const 1)))
  (func (export "wait") (param i32 i32) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (i64.const -1))))
)";

// The line of /proc/self/maps whose range holds `p`.
std::string mapping_of(const void* p) {
  std::ifstream maps("/proc/self/maps");
  const auto addr = reinterpret_cast<uintptr_t>(p);
  for (std::string line; std::getline(maps, line);) {
    std::istringstream in(line);
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    in >> std::hex >> lo >> dash >> hi;
    if (addr >= lo && addr < hi) return line;
  }
  return "";
}

class SharedMemorySnapshotTest : public SeedCountingTest<777> {
 protected:
  TemplateOptions with_init() const {
    TemplateOptions o = options();
    o.snapshot.init_export = "init";
    o.snapshot.verify_reset = true;
    return o;
  }
  static int32_t load(Instance& i, int32_t at) {
    return i.call("load", {Value::i32(at)})[0].as_i32();
  }
  static void expect_snapshot_state(Instance& i) {
    EXPECT_EQ(i.memory("mem").pages(), 1u);
    EXPECT_EQ(i.memory("mem").read_string(16, 6), "shared");
    EXPECT_EQ(load(i, 64), kSeed);
    EXPECT_EQ(i.memory("mem").read(40000, 1), std::vector<uint8_t>{7});
    EXPECT_EQ(load(i, 128), 0);
  }
};

TEST_P(SharedMemorySnapshotTest, ADefinedSharedMemorySnapshotsAndEachInstanceGetsACopy) {
  Template t = linker().instantiate_template(compile(kSharedWat), with_init());
  SnapshotInfo info = t.snapshot_info();
  ASSERT_TRUE(info.available) << info.unavailable_reason;
  EXPECT_EQ(info.memories, 1u);
  Instance a = t.instantiate();
  Instance b = t.instantiate();
  EXPECT_EQ(seeds_.load(), 1);  // the init export ran once, for the snapshot
  expect_snapshot_state(a);
  expect_snapshot_state(b);
  // Copied, not mapped: the memory is anonymous, not the image's memfd.
  const std::string line = mapping_of(b.memory("mem").view(0, 1).data());
  EXPECT_EQ(line.find("wisp-snapshot"), std::string::npos) << line;
  // Each instance's memory is its own.
  EXPECT_EQ(a.call("add", {Value::i32(128), Value::i32(5)})[0].as_i32(), 5);
  EXPECT_EQ(load(b, 128), 0);
  Instance c = t.instantiate();
  expect_snapshot_state(c);
}

TEST_P(SharedMemorySnapshotTest, AnUnsharedMemoryStillMapsTheImage) {
  // The contrast for the mapping check above.
  Template t = Linker().instantiate_template(
      compile(R"((module (memory (export "mem") 1) (data (i32.const 0) "x")))"), options());
  Instance first = t.instantiate();
  Instance second = t.instantiate();
  const std::string line = mapping_of(second.memory("mem").view(0, 1).data());
  EXPECT_NE(line.find("wisp-snapshot"), std::string::npos) << line;
}

TEST_P(SharedMemorySnapshotTest, ResetCopiesTheImageBackAndUndoesGrowth) {
  Template t = linker().instantiate_template(compile(kSharedWat), with_init());
  Instance capture = t.instantiate();  // built from scratch: its first reset adopts its memory
  Instance copy = t.instantiate();     // from the snapshot
  for (Instance* inst : {&capture, &copy}) {
    for (int round = 1; round <= 3; ++round) {
      inst->call("add", {Value::i32(64), Value::i32(round)});
      inst->call("add", {Value::i32(128), Value::i32(round)});
      inst->memory("mem").write(40000, std::vector<uint8_t>{0});
      EXPECT_EQ(inst->call("grow", {Value::i32(2)})[0].as_i32(), 1);
      inst->call("add", {Value::i32(3 * 65536 - 4), Value::i32(1)});
      inst->reset();  // verified against the snapshot
      expect_snapshot_state(*inst);
    }
  }
  EXPECT_EQ(seeds_.load(), 1);
}

TEST_P(SharedMemorySnapshotTest, APoolResetsEachLeaseWithoutRunningInitAgain) {
  Template t = linker().instantiate_template(compile(kSharedWat), with_init());
  Policy policy;
  policy.max_instances = 2;
  auto pool = checked_strategy(StrategyKind::pool, t, policy);
  for (int i = 0; i < 10; ++i) {
    Lease lease = pool->acquire();
    EXPECT_EQ(lease.call("add", {Value::i32(128), Value::i32(1)})[0].as_i32(), 1);
    EXPECT_EQ(load(lease.instance(), 64), kSeed);
  }
  StrategyStats st = pool->stats();
  EXPECT_EQ(st.creates, 1u);
  EXPECT_GE(st.resets, 10u);
  EXPECT_EQ(st.discarded(), 0u);
  EXPECT_EQ(seeds_.load(), 1);
}

TEST_P(SharedMemorySnapshotTest, WaitAndNotifyWorkOnACopiedMemory) {
  Template t = linker().instantiate_template(compile(kSharedWat), with_init());
  Instance first = t.instantiate();
  Instance inst = t.instantiate();
  Linker l;
  l.define_instance("a", inst);
  Instance other = l.instantiate(compile(R"((module
    (import "a" "mem" (memory 1 4 shared))
    (func (export "notify") (param i32) (result i32)
      (memory.atomic.notify (local.get 0) (i32.const 1)))))"),
                                 options());
  std::atomic<int32_t> waited{-1};
  std::thread waiter([&] {
    waited = inst.call("wait", {Value::i32(256), Value::i32(0)})[0].as_i32();
  });
  while (other.call("notify", {Value::i32(256)})[0].as_i32() == 0) std::this_thread::yield();
  waiter.join();
  EXPECT_EQ(waited.load(), 0);
}

TEST_P(SharedMemorySnapshotTest, AModuleThatImportsASharedMemoryIsBuiltFromScratch) {
  Instance owner = instantiate(R"((module (memory (export "mem") 1 1 shared)))");
  Linker l;
  l.define_instance("a", owner);
  Template t = l.instantiate_template(compile(R"((module (import "a" "mem" (memory 1 1 shared))))"),
                                      options());
  EXPECT_FALSE(t.snapshot_info().available);
  EXPECT_NE(t.snapshot_info().unavailable_reason.find("imports memory"), std::string::npos)
      << t.snapshot_info().unavailable_reason;
}

WISP_INSTANTIATE_TIERS(SharedMemorySnapshotTest);

}  // namespace
}  // namespace wisp::test
