// Data segments: large segments compile without going through C and their bytes land in memory.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "support/binary.hpp"
#include "support/fixture.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr uint32_t kSegmentOffset = 1024;
constexpr size_t kSegmentSize = 8u << 20;  // 8 MiB

uint8_t pattern(size_t i) {
  return static_cast<uint8_t>((i * 2654435761u) >> 13);
}

// A module with 256 pages of memory and one 8 MiB active data segment at kSegmentOffset.
Bytes big_data_module() {
  Bytes m = wat(R"((module
    (memory (export "memory") 256)
    (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))))");
  Bytes data;
  put_leb(data, 1);         // one segment
  put_leb(data, 0);         // active, memory 0
  put_bytes(data, {0x41});  // i32.const
  put_leb(data, kSegmentOffset);
  put_bytes(data, {0x0b});  // end
  put_leb(data, kSegmentSize);
  for (size_t i = 0; i < kSegmentSize; ++i) data.push_back(pattern(i));
  put_section(m, 11, data);
  return m;
}

class DataTest : public TierTest {};

TEST_P(DataTest, LargeSegmentIsInMemoryAndNotInTheCSource) {
  Bytes bytes = big_data_module();
  TempDir empty_cache;  // the C is made (not a cache hit) and measured
  Engine own(engine_config(tier(), empty_cache.path()));
  Module m = own.compile(bytes);
  EXPECT_GT(m.stats().c_source_bytes, 0u);
  EXPECT_LT(m.stats().c_source_bytes, kSegmentSize / 16) << "data went through the C compiler";

  Instance inst = Linker().instantiate(m, options());
  Memory mem = inst.memory();
  ASSERT_TRUE(mem.valid());
  EXPECT_EQ(mem.pages(), 256u);
  std::vector<uint8_t> got = mem.read(kSegmentOffset, kSegmentSize);
  ASSERT_EQ(got.size(), kSegmentSize);
  size_t mismatches = 0;
  for (size_t i = 0; i < kSegmentSize; ++i) mismatches += got[i] != pattern(i);
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(mem.read(0, kSegmentOffset), std::vector<uint8_t>(kSegmentOffset, 0));
  EXPECT_EQ(mem.read(kSegmentOffset + kSegmentSize, 4096), std::vector<uint8_t>(4096, 0));

  // The guest sees the same bytes.
  for (size_t i : {size_t{0}, size_t{1}, kSegmentSize / 2 + 7, kSegmentSize - 1}) {
    EXPECT_EQ(inst.call("byte", {Value::i32(static_cast<int32_t>(kSegmentOffset + i))})[0],
              Value::i32(pattern(i)))
        << "at segment byte " << i;
  }
}

// Writes by one instance never show up in another instance of the same module.
TEST_P(DataTest, InstancesGetTheirOwnCopy) {
  Module m = compile(R"((module (memory (export "memory") 1)
    (data (i32.const 8) "pristine")
    (func (export "scribble") (i64.store (i32.const 8) (i64.const -1)))))");
  Template t = Linker().instantiate_template(m, options());
  Instance a = t.instantiate();
  a.call("scribble");
  EXPECT_EQ(a.memory().read(8, 8), std::vector<uint8_t>(8, 0xff));
  Instance b = t.instantiate();
  EXPECT_EQ(b.memory().read_string(8, 8), "pristine");
}

TEST_P(DataTest, OutOfBoundsSegmentFailsInstantiation) {
  Module m = compile(R"((module (memory 1) (data (i32.const 65534) "abc")))");
  EXPECT_TRAP(Linker().instantiate(m, options()), TrapKind::out_of_bounds);
}

TEST_P(DataTest, OutOfBoundsElementSegmentFailsInstantiation) {
  Module m = compile(R"((module (table 2 funcref) (func $f) (elem (i32.const 1) $f $f)))");
  EXPECT_TRAP(Linker().instantiate(m, options()), TrapKind::out_of_bounds);
}

WISP_INSTANTIATE_TIERS(DataTest);

}  // namespace
}  // namespace wisp::test
