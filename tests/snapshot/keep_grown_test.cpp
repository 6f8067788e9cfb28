// SnapshotOptions::keep_grown_bytes: a reset undoes memory growth as always (the size, the
// budget, the grown pages inaccessible), but zeroes the first written pages of the grown region
// up to the limit and keeps them resident; the next growth then reads zeros there, as after any
// reset, without faulting them in again. Both tiers, with reset verification on.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "snapshot/page_scan.hpp"
#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr uint64_t kPage = 65536;

// Two pages; `scribble(n)` grows by n pages and writes a nonzero word into every 4 KiB of them;
// `or_bytes(from, len)` ORs the bytes of a range (0 if all are zero).
constexpr const char* kGrowWat = R"((module
  (memory (export "memory") 2 64)
  (func (export "scribble") (param $n i32) (result i32) (local $at i32) (local $end i32)
    (local.set $at (i32.mul (memory.grow (local.get $n)) (i32.const 65536)))
    (if (i32.lt_s (local.get $at) (i32.const 0)) (then (return (i32.const -1))))
    (local.set $end (i32.add (local.get $at) (i32.mul (local.get $n) (i32.const 65536))))
    (loop $next
      (i32.store (local.get $at) (i32.const 0x5a5a5a5a))
      (local.set $at (i32.add (local.get $at) (i32.const 4096)))
      (br_if $next (i32.lt_u (local.get $at) (local.get $end))))
    (i32.const 0))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "or_bytes") (param $at i32) (param $len i32) (result i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (local.set $acc (i32.or (local.get $acc) (i32.load8_u (local.get $at))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
)";

class KeepGrownTest : public TierTest {
 protected:
  Template make(uint64_t keep) {
    TemplateOptions o = options();
    o.snapshot.verify_reset = true;
    o.snapshot.keep_grown_bytes = keep;
    return Linker().instantiate_template(compile(kGrowWat), o);
  }
  // Resident host pages of the four pages past the snapshot's two.
  static uint64_t resident_grown(Instance& inst) {
    const uint8_t* base = inst.memory().view(0, 1).data();
    return snap::count_resident_pages(base + 2 * kPage, 4 * kPage);
  }
};

TEST_P(KeepGrownTest, KeptPagesReadZeroAfterTheResetAndStayResident) {
  Template t = make(1 << 20);
  Instance inst = t.instantiate();
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(inst.call("scribble", {Value::i32(4)})[0].as_i32(), 0);
    EXPECT_NE(inst.call("or_bytes", {Value::i32(2 * kPage), Value::i32(4 * kPage)})[0].as_i32(), 0);
    inst.reset();
    EXPECT_EQ(inst.memory().pages(), 2u) << "the growth is undone";
    EXPECT_TRAP(inst.call("or_bytes", {Value::i32(2 * kPage), Value::i32(1)}),
                TrapKind::out_of_bounds);
    EXPECT_GE(resident_grown(inst), 64u) << "the 64 written 4 KiB pages stay resident";
    ASSERT_EQ(inst.call("grow", {Value::i32(4)})[0].as_i32(), 2);
    EXPECT_EQ(inst.call("or_bytes", {Value::i32(2 * kPage), Value::i32(4 * kPage)})[0].as_i32(), 0)
        << "grown memory reads zero, as after any reset";
    inst.reset();
  }
}

TEST_P(KeepGrownTest, OnlyTheLimitIsKeptAndZeroKeepsNothing) {
  Template some = make(16 * 4096);
  Instance a = some.instantiate();
  ASSERT_EQ(a.call("scribble", {Value::i32(4)})[0].as_i32(), 0);
  a.reset();
  EXPECT_LE(resident_grown(a), 16u);
  ASSERT_EQ(a.call("grow", {Value::i32(4)})[0].as_i32(), 2);
  EXPECT_EQ(a.call("or_bytes", {Value::i32(2 * kPage), Value::i32(4 * kPage)})[0].as_i32(), 0);

  Template none = make(0);
  Instance b = none.instantiate();
  ASSERT_EQ(b.call("scribble", {Value::i32(4)})[0].as_i32(), 0);
  b.reset();
  EXPECT_EQ(resident_grown(b), 0u);
}

// A shared memory (a threads module's) is copied, not mapped, at each reset: its grown pages are
// dropped at every reset, the first and the later ones alike, and read zero when grown again.
TEST_P(KeepGrownTest, ASharedMemoryKeepsNoGrownPages) {
  std::string wat = kGrowWat;
  const std::string plain = "(memory (export \"memory\") 2 64)";
  wat.replace(wat.find(plain), plain.size(), "(memory (export \"memory\") 2 64 shared)");
  TemplateOptions o = options();
  o.snapshot.verify_reset = true;
  o.snapshot.keep_grown_bytes = 1 << 20;
  Template t = Linker().instantiate_template(compile(wat), o);
  Instance inst = t.instantiate();
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(inst.call("scribble", {Value::i32(4)})[0].as_i32(), 0);
    inst.reset();
    EXPECT_EQ(inst.memory().pages(), 2u);
    EXPECT_EQ(resident_grown(inst), 0u) << "round " << round;
    ASSERT_EQ(inst.call("grow", {Value::i32(4)})[0].as_i32(), 2);
    EXPECT_EQ(inst.call("or_bytes", {Value::i32(2 * kPage), Value::i32(4 * kPage)})[0].as_i32(), 0);
    inst.reset();
  }
}

WISP_INSTANTIATE_TIERS(KeepGrownTest);

}  // namespace
}  // namespace wisp::test
