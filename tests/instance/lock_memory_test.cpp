// Instance::lock_memory (for real-time loops): the instance's own memory becomes resident,
// private and locked (VmLck in /proc/self/status grows by it), calls and reset() work while it
// is locked (reset keeps it locked), and unlock_memory() or the instance's end unlocks it.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "runtime/sanitizers.hpp"
#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// ASan's runtime turns mlock and munlock into no-ops: there the locking paths run but VmLck
// cannot show them.
constexpr bool kMlockVisible = !WISP_ASAN;

// Locked memory of this process, in KiB (VmLck).
uint64_t locked_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmLck:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

constexpr const char* kFourPages = R"((module
  (memory (export "memory") 4 8)
  (data (i32.const 100) "kept")
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))))";

class LockMemoryTest : public TierTest {};

TEST_P(LockMemoryTest, LockedMemoryIsResidentPrivateAndSurvivesReset) {
  Template t = Linker().instantiate_template(compile(kFourPages), options());
  Instance warm = t.instantiate();
  Instance inst = t.instantiate();  // from the snapshot: its pages map the image
  const uint64_t before = locked_kib();
  EXPECT_FALSE(inst.memory_locked());
  inst.lock_memory();
  EXPECT_TRUE(inst.memory_locked());
  if (kMlockVisible) {
    EXPECT_GE(locked_kib(), before + 4 * 64);
  }
  Instance::Usage u = inst.usage();
  EXPECT_EQ(u.written_pages * 4096, u.memory_bytes);  // every page its own copy, no later fault
  EXPECT_FALSE(u.write_tracked);
  inst.call("store", {Value::i32(70000), Value::i32(42)});
  EXPECT_EQ(inst.call("load", {Value::i32(70000)})[0], Value::i32(42));
  EXPECT_EQ(inst.memory().read_string(100, 4), "kept");

  inst.reset();  // unlocks to drop the written pages, then locks again
  EXPECT_TRUE(inst.memory_locked());
  if (kMlockVisible) {
    EXPECT_GE(locked_kib(), before + 4 * 64);
  }
  EXPECT_EQ(inst.call("load", {Value::i32(70000)})[0], Value::i32(0));
  EXPECT_EQ(inst.memory().read_string(100, 4), "kept");
  EXPECT_FALSE(inst.usage().write_tracked);

  inst.unlock_memory();
  EXPECT_FALSE(inst.memory_locked());
  if (kMlockVisible) {
    EXPECT_EQ(locked_kib(), before);
  }
  inst.lock_memory();
  if (kMlockVisible) {
    EXPECT_GE(locked_kib(), before + 4 * 64);
  }
  { Instance gone = std::move(inst); }
  if (kMlockVisible) {
    EXPECT_EQ(locked_kib(), before);  // its end unlocks it
  }
}

TEST_P(LockMemoryTest, AnInstanceBuiltFromScratchCanBeLockedAndDestroyed) {
  TemplateOptions o = options();
  o.snapshot.mode = SnapshotMode::off;
  Instance inst = Linker().instantiate(compile(kFourPages), o);
  const uint64_t before = locked_kib();
  inst.lock_memory();
  if (kMlockVisible) {
    EXPECT_GE(locked_kib(), before + 4 * 64);
  }
  EXPECT_EQ(inst.call("grow")[0], Value::i32(4));  // the new page is not locked until asked
  inst.lock_memory();
  if (kMlockVisible) {
    EXPECT_GE(locked_kib(), before + 5 * 64);
  }
  inst = Instance();
  if (kMlockVisible) {
    EXPECT_EQ(locked_kib(), before);
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, LockMemoryTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
