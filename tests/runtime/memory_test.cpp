// Linear memory: growth up to the maximum, limits, and the host's checked views.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kGrowWat = R"((module
  (memory (export "memory") 1 4)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))))";

constexpr const char* kUnboundedWat = R"((module
  (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))))";

constexpr uint32_t kPage = 65536;

class MemoryTest : public TierTest {};

TEST_P(MemoryTest, GrowUpToTheDeclaredMaximum) {
  Instance inst = instantiate(kGrowWat);
  EXPECT_EQ(inst.call("grow", {Value::i32(0)})[0], Value::i32(1));
  EXPECT_EQ(inst.call("grow", {Value::i32(1)})[0], Value::i32(1));
  EXPECT_EQ(inst.call("grow", {Value::i32(2)})[0], Value::i32(2));
  EXPECT_EQ(inst.call("size")[0], Value::i32(4));
  // Beyond the maximum: refused with -1, size unchanged, no trap.
  EXPECT_EQ(inst.call("grow", {Value::i32(1)})[0], Value::i32(-1));
  EXPECT_EQ(inst.call("grow", {Value::i32(-1)})[0], Value::i32(-1));
  EXPECT_EQ(inst.call("grow", {Value::i32(65536)})[0], Value::i32(-1));
  EXPECT_EQ(inst.call("size")[0], Value::i32(4));
  EXPECT_FALSE(inst.trapped());
  // The new pages are zeroed and usable up to the last byte; one past it traps.
  EXPECT_EQ(inst.call("load8", {Value::i32(4 * kPage - 1)})[0], Value::i32(0));
  inst.call("store8", {Value::i32(4 * kPage - 1), Value::i32(0x5a)});
  EXPECT_EQ(inst.call("load8", {Value::i32(4 * kPage - 1)})[0], Value::i32(0x5a));
  EXPECT_TRAP(inst.call("load8", {Value::i32(4 * kPage)}), TrapKind::out_of_bounds);
}

TEST_P(MemoryTest, HostViewFollowsGuestGrowth) {
  Instance inst = instantiate(kGrowWat);
  Memory mem = inst.memory();
  ASSERT_TRUE(mem.valid());
  EXPECT_EQ(mem.size(), kPage);
  EXPECT_EQ(mem.pages(), 1u);
  EXPECT_EQ(mem.max_pages(), 4u);
  EXPECT_TRAP(mem.read(kPage, 1), TrapKind::out_of_bounds);
  inst.call("grow", {Value::i32(1)});
  EXPECT_EQ(mem.size(), 2u * kPage);
  EXPECT_EQ(mem.read(kPage, 1), std::vector<uint8_t>{0});
}

TEST_P(MemoryTest, HostGrow) {
  Instance inst = instantiate(kGrowWat);
  Memory mem = inst.memory("memory");
  EXPECT_EQ(mem.grow(2), 1u);
  EXPECT_EQ(mem.pages(), 3u);
  EXPECT_EQ(inst.call("size")[0], Value::i32(3));
  EXPECT_EQ(mem.grow(2), std::nullopt);
  EXPECT_EQ(mem.pages(), 3u);
  EXPECT_EQ(mem.grow(0), 3u);
}

TEST_P(MemoryTest, LimitClampsGrowth) {
  Limits limits;
  limits.max_memory_pages = 3;
  Instance inst = instantiate(kUnboundedWat, Linker(), limits);
  EXPECT_EQ(inst.call("grow", {Value::i32(2)})[0], Value::i32(1));
  EXPECT_EQ(inst.call("grow", {Value::i32(1)})[0], Value::i32(-1));
  EXPECT_EQ(inst.memory().pages(), 3u);
  EXPECT_EQ(inst.memory().grow(1), std::nullopt);
  EXPECT_TRAP(inst.call("load8", {Value::i32(3 * kPage)}), TrapKind::out_of_bounds);
}

TEST_P(MemoryTest, UnboundedMemoryGrowsFar) {
  Instance inst = instantiate(kUnboundedWat);
  // 1 GiB more: growth happens in place inside the slot, without touching the pages.
  EXPECT_EQ(inst.call("grow", {Value::i32(16384)})[0], Value::i32(1));
  EXPECT_EQ(inst.call("load8", {Value::i32(16385 * kPage - 1)})[0], Value::i32(0));
  EXPECT_TRAP(inst.call("load8", {Value::i32(16385 * kPage)}), TrapKind::out_of_bounds);
}

TEST_P(MemoryTest, InitialSizeAboveTheLimitFailsInstantiation) {
  Limits limits;
  limits.max_memory_pages = 5;
  Module m = compile("(module (memory 10))");
  EXPECT_TRAP(Linker().instantiate(m, options(limits)), TrapKind::resource_limit);
}

TEST_P(MemoryTest, HugeTableFailsInstantiationWithResourceLimit) {
  Module m = compile("(module (table 4294967295 funcref))");
  EXPECT_TRAP(Linker().instantiate(m, options()), TrapKind::resource_limit);
  Limits limits;
  limits.max_table_elements = 100;
  EXPECT_TRAP(Linker().instantiate(compile("(module (table 101 funcref))"), options(limits)),
              TrapKind::resource_limit);
}

TEST_P(MemoryTest, FourGiBMemoryIsAddressable) {
  Instance inst = instantiate(
      "(module (memory (export \"memory\") 65536)"
      " (func (export \"load8\") (param i32) (result i32)"
      "   (i32.load8_u (local.get 0))))");
  EXPECT_EQ(inst.memory().size(), uint64_t{1} << 32);
  EXPECT_EQ(inst.call("load8", {Value::i32(-1)})[0], Value::i32(0));
  inst.memory().store<uint8_t>((uint64_t{1} << 32) - 1, 9);
  EXPECT_EQ(inst.call("load8", {Value::i32(-1)})[0], Value::i32(9));
}

class MemoryViewTest : public TierTest {
 protected:
  void SetUp() override {
    inst_ = instantiate(R"((module (memory (export "memory") 1 2)
      (data (i32.const 100) "hello")
      (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))))");
    mem_ = inst_.memory();
    ASSERT_TRUE(mem_.valid());
  }
  Instance inst_;
  Memory mem_;
};

TEST_P(MemoryViewTest, ReadWriteInRange) {
  EXPECT_EQ(mem_.read_string(100, 5), "hello");
  const std::vector<uint8_t> bytes{1, 2, 3, 4};
  mem_.write(200, bytes);
  EXPECT_EQ(mem_.read(200, 4), bytes);
  EXPECT_EQ(inst_.call("load32", {Value::i32(200)})[0], Value::i32(0x04030201));
  mem_.store<uint64_t>(kPage - 8, 0x1122334455667788ull);
  EXPECT_EQ(mem_.load<uint64_t>(kPage - 8), 0x1122334455667788ull);
  std::span<uint8_t> s = mem_.span(kPage - 4, 4);
  ASSERT_EQ(s.size(), 4u);
  s[3] = 0xee;
  EXPECT_EQ(mem_.load<uint8_t>(kPage - 1), 0xee);
  // Empty ranges up to the end are fine.
  EXPECT_TRUE(mem_.read(kPage, 0).empty());
  EXPECT_TRUE(mem_.span(kPage, 0).empty());
}

TEST_P(MemoryViewTest, OutOfRangeAccessesTrapAndTouchNothing) {
  const uint64_t u64max = std::numeric_limits<uint64_t>::max();
  EXPECT_TRAP(mem_.read(kPage - 1, 2), TrapKind::out_of_bounds);
  EXPECT_TRAP(mem_.read(kPage + 1, 0), TrapKind::out_of_bounds);
  EXPECT_TRAP(mem_.read(u64max, 1), TrapKind::out_of_bounds);
  EXPECT_TRAP(mem_.read(1, u64max), TrapKind::out_of_bounds);  // ptr + len overflows
  EXPECT_TRAP(mem_.read(u64max - 3, 8), TrapKind::out_of_bounds);
  EXPECT_TRAP(mem_.span(kPage - 2, 3), TrapKind::out_of_bounds);
  EXPECT_TRAP(mem_.span(u64max, 2), TrapKind::out_of_bounds);
  EXPECT_TRAP(mem_.read_string(kPage - 2, 3), TrapKind::out_of_bounds);
  EXPECT_TRAP(mem_.load<uint32_t>(kPage - 3), TrapKind::out_of_bounds);
  EXPECT_TRAP(mem_.store<uint32_t>(kPage - 3, 0xffffffffu), TrapKind::out_of_bounds);
  // The host's own gaffes do not mark the instance as trapped.
  EXPECT_FALSE(inst_.trapped());

  const std::vector<uint8_t> bytes(16, 0xff);
  EXPECT_TRAP(mem_.write(kPage - 8, bytes), TrapKind::out_of_bounds);
  EXPECT_TRAP(mem_.write(u64max - 7, bytes), TrapKind::out_of_bounds);
  EXPECT_EQ(mem_.read(kPage - 8, 8), std::vector<uint8_t>(8, 0)) << "partial write";
  // Memory that may grow (max 2 pages) is still bounded by the current size.
  EXPECT_TRAP(mem_.read(kPage, 1), TrapKind::out_of_bounds);
}

TEST_P(MemoryViewTest, NamedAndMissingMemories) {
  EXPECT_TRUE(inst_.memory("memory").valid());
  EXPECT_EQ(inst_.memory("memory").size(), mem_.size());
  // No memory: an invalid view or a wisp::Error, never a view onto something else.
  Instance no_memory = instantiate("(module (func (export \"f\")))");
  try {
    EXPECT_FALSE(no_memory.memory().valid());
  } catch (const Error&) {
  }
  try {
    EXPECT_FALSE(inst_.memory("load32").valid());  // an export, but not a memory
  } catch (const Error&) {
  }
}

WISP_INSTANTIATE_TIERS(MemoryTest);
WISP_INSTANTIATE_TIERS(MemoryViewTest);

}  // namespace
}  // namespace wisp::test
