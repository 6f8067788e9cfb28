// The C emitter's SIMD shortcuts, on both tiers: f32x4/f64x2 min and max against a constant
// (tier 1 on x86-64: one minps/maxps when the constant allows it, ReLU's max(v, +0) included),
// the fused byte-to-32-bit extensions (i32x4.extend_low_i16x8 of i16x8.extend_low_i8x16, from a
// v128.load32_zero or not) and i32x4.trunc_sat_f32x4_s of a min against a constant (one minps,
// then only NaN lanes zeroed, when the constant's lanes are all below 2^31). Results must be the
// spec's whatever the shortcut: NaNs quiet, -0 and +0 apart, the sign of the extension kept, an
// out-of-bounds load still a trap.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>

#include "support/fixture.hpp"
#include "support/rng.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr uint32_t kPlusZero = 0, kMinusZero = 0x80000000u;
constexpr uint32_t kSignallingNan = 0x7fa00000u, kNegativeQuietNan = 0xffc00001u;

uint32_t f(float x) {
  return std::bit_cast<uint32_t>(x);
}

bool quiet_nan(uint32_t b) {
  return (b & 0x7fc00000u) == 0x7fc00000u;
}

class SimdShortcuts : public TierTest {
 protected:
  void SetUp() override {
    inst_ = instantiate(R"((module
      (memory 1)
      (func (export "relu") (param v128) (result v128)
        (f32x4.max (local.get 0) (v128.const f32x4 0 0 0 0)))
      (func (export "max_negzero") (param v128) (result v128)
        (f32x4.max (local.get 0) (v128.const f32x4 -0 -0 -0 -0)))
      (func (export "min_zero") (param v128) (result v128)
        (f32x4.min (local.get 0) (v128.const f32x4 0 0 0 0)))
      (func (export "min_mixed") (param v128) (result v128)
        (f32x4.min (local.get 0) (v128.const f32x4 255 0 -2 -0)))
      (func (export "max_clamp") (param v128) (result v128)
        (f32x4.max (local.get 0) (v128.const f32x4 -1 -1 -1 -1)))
      (func (export "relu64") (param v128) (result v128)
        (f64x2.max (local.get 0) (v128.const f64x2 0 0)))
      (func (export "ext_u") (param v128) (result v128)
        (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (local.get 0))))
      (func (export "ext_s") (param v128) (result v128)
        (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s (local.get 0))))
      (func (export "ext_mixed") (param v128) (result v128)
        (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_u (local.get 0))))
      (func (export "load_u") (param i32) (result v128)
        (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get 0)))))
      (func (export "load_s") (param i32) (result v128)
        (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s
          (v128.load32_zero offset=2 (local.get 0)))))
      (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
      ;; trunc_sat of a min against a constant: pending operands, an operand in a slot (a
      ;; call's result), a constant with a lane past 2^31, one with a NaN lane.
      (func $id (param v128) (result v128) (local.get 0))
      (func (export "clamp_255") (param v128) (result v128)
        (i32x4.trunc_sat_f32x4_s (f32x4.min (local.get 0) (v128.const f32x4 255 255 255 255))))
      (func (export "clamp_255_slot") (param v128) (result v128)
        (i32x4.trunc_sat_f32x4_s
          (f32x4.min (call $id (local.get 0)) (v128.const f32x4 255 255 255 255))))
      (func (export "clamp_big") (param v128) (result v128)
        (i32x4.trunc_sat_f32x4_s (f32x4.min (call $id (local.get 0))
                                            (v128.const f32x4 3e9 3e9 -5 100))))
      (func (export "clamp_unfused") (param v128) (result v128) (local v128)
        (local.set 1 (f32x4.min (local.get 0) (v128.const f32x4 255 255 255 255)))
        (i32x4.trunc_sat_f32x4_s (local.get 1)))
      (func (export "clamp_nan") (param v128) (result v128)
        (i32x4.trunc_sat_f32x4_s (f32x4.min (local.get 0) (v128.const f32x4 1 nan 1 1))))))");
  }
  V128 call(const char* name, const V128& a) {
    return inst_.call(name, {Value::v128(a)})[0].as_v128();
  }
  Instance inst_;
};

TEST_P(SimdShortcuts, ReluGivesPlusZeroForBothZerosAndKeepsNaNs) {
  V128 r = call("relu", u32x4(kMinusZero, kPlusZero, f(-3.5f), f(2.25f)));
  EXPECT_EQ(r.lane(32, 0), kPlusZero) << "max(-0, +0) is +0";
  EXPECT_EQ(r.lane(32, 1), kPlusZero);
  EXPECT_EQ(r.lane(32, 2), kPlusZero);
  EXPECT_EQ(r.lane(32, 3), f(2.25f));
  r = call("relu",
           u32x4(kSignallingNan, kNegativeQuietNan, f(-std::numeric_limits<float>::infinity()),
                 f(std::numeric_limits<float>::infinity())));
  EXPECT_TRUE(quiet_nan(r.lane(32, 0))) << std::hex << r.lane(32, 0);
  EXPECT_TRUE(quiet_nan(r.lane(32, 1))) << std::hex << r.lane(32, 1);
  EXPECT_EQ(r.lane(32, 2), kPlusZero);
  EXPECT_EQ(r.lane(32, 3), f(std::numeric_limits<float>::infinity()));
  V128 d =
      inst_.call("relu64", {Value::v128(V128::from_halves(1ull << 63, 0x7ff4000000000000ull))})[0]
          .as_v128();
  EXPECT_EQ(d.lane(64, 0), 0u) << "f64 max(-0, +0) is +0";
  EXPECT_EQ(d.lane(64, 1) & 0x7ff8000000000000ull, 0x7ff8000000000000ull) << "a quiet NaN";
}

TEST_P(SimdShortcuts, MinAndMaxAgainstSignedZeroConstantsOrderTheZeros) {
  V128 r = call("max_negzero", u32x4(kMinusZero, kPlusZero, f(-1.0f), kSignallingNan));
  EXPECT_EQ(r.lane(32, 0), kMinusZero);
  EXPECT_EQ(r.lane(32, 1), kPlusZero);
  EXPECT_EQ(r.lane(32, 2), kMinusZero);
  EXPECT_TRUE(quiet_nan(r.lane(32, 3)));
  r = call("min_zero", u32x4(kMinusZero, kPlusZero, f(1.0f), kSignallingNan));
  EXPECT_EQ(r.lane(32, 0), kMinusZero);
  EXPECT_EQ(r.lane(32, 1), kPlusZero);
  EXPECT_EQ(r.lane(32, 2), kPlusZero);
  EXPECT_TRUE(quiet_nan(r.lane(32, 3)));
  // Lanes 255, +0, -2, -0: a -0 lane takes the general path for the whole vector.
  r = call("min_mixed", u32x4(f(300.0f), kMinusZero, f(-1.0f), kPlusZero));
  EXPECT_EQ(r.lane(32, 0), f(255.0f));
  EXPECT_EQ(r.lane(32, 1), kMinusZero);
  EXPECT_EQ(r.lane(32, 2), f(-2.0f));
  EXPECT_EQ(r.lane(32, 3), kMinusZero) << "min(+0, -0) is -0";
  r = call("max_clamp", u32x4(f(-7.0f), kMinusZero, kNegativeQuietNan, f(3.0f)));
  EXPECT_EQ(r.lane(32, 0), f(-1.0f));
  EXPECT_EQ(r.lane(32, 1), kMinusZero);
  EXPECT_TRUE(quiet_nan(r.lane(32, 2)));
  EXPECT_EQ(r.lane(32, 3), f(3.0f));
}

TEST_P(SimdShortcuts, TruncSatOfAMinAgainstAConstantSaturatesAndZeroesNaNs) {
  for (const char* name : {"clamp_255", "clamp_255_slot"}) {
    SCOPED_TRACE(name);
    V128 r = call(name, u32x4(f(17.9f), f(300.0f), f(-3.5e9f), kMinusZero));
    EXPECT_EQ(r.lane(32, 0), 17u);
    EXPECT_EQ(r.lane(32, 1), 255u);
    EXPECT_EQ(r.lane(32, 2), 0x80000000u) << "below -2^31 saturates to the lowest int";
    EXPECT_EQ(r.lane(32, 3), 0u);
    r = call(name, u32x4(kSignallingNan, kNegativeQuietNan, 0x7fc00000u,
                         f(-std::numeric_limits<float>::infinity())));
    EXPECT_EQ(r.lane(32, 0), 0u) << "a NaN lane is 0, signalling or not";
    EXPECT_EQ(r.lane(32, 1), 0u);
    EXPECT_EQ(r.lane(32, 2), 0u);
    EXPECT_EQ(r.lane(32, 3), 0x80000000u);
  }
  // A constant lane at or past 2^31 lets a lane saturate high; the shortcut must not apply.
  V128 r = call("clamp_big", u32x4(f(4e9f), f(2.5e9f), f(7.0f), kSignallingNan));
  EXPECT_EQ(r.lane(32, 0), 0x7fffffffu);
  EXPECT_EQ(r.lane(32, 1), 0x7fffffffu);
  EXPECT_EQ(r.lane(32, 2), static_cast<uint32_t>(-5));
  EXPECT_EQ(r.lane(32, 3), 0u);
  // A NaN lane in the constant makes that lane NaN whatever the input: 0.
  r = call("clamp_nan", u32x4(f(0.5f), f(9.0f), f(7.0f), f(-7.5f)));
  EXPECT_EQ(r.lane(32, 0), 0u);
  EXPECT_EQ(r.lane(32, 1), 0u);
  EXPECT_EQ(r.lane(32, 2), 1u);
  EXPECT_EQ(r.lane(32, 3), static_cast<uint32_t>(-7));
}

// Random lanes (a quarter NaNs of every kind, infinities, zeros, the edges) through the fused
// forms and a min kept in a local first (not fused): the same lanes every time.
TEST_P(SimdShortcuts, FusedTruncSatAgreesWithTheUnfusedFormOnRandomLanes) {
  Rng rng(0x51d);
  const uint32_t special[] = {0x7fc00000u, 0xffc00001u, 0x7fa00000u, 0xff800001u,
                              0x7f800000u, 0xff800000u, 0x00000000u, 0x80000000u,
                              0x437f0000u, 0x4f000000u, 0xcf000000u, 0xcf000001u};
  for (int i = 0; i < 2000; ++i) {
    uint32_t lane[4];
    for (uint32_t& l : lane) {
      l = rng.chance(25)   ? special[rng.below(std::size(special))]
          : rng.chance(50) ? f(static_cast<float>(static_cast<int32_t>(rng.next() % 1024) - 300))
                           : static_cast<uint32_t>(rng.next());
    }
    V128 in = u32x4(lane[0], lane[1], lane[2], lane[3]);
    V128 want = call("clamp_unfused", in);
    ASSERT_EQ(call("clamp_255", in), want)
        << std::hex << lane[0] << " " << lane[1] << " " << lane[2] << " " << lane[3];
    ASSERT_EQ(call("clamp_255_slot", in), want);
  }
}

TEST_P(SimdShortcuts, TruncSatOfAMinIsFusedWhetherTheMinIsPendingOrInASlot) {
  std::string c;
  for (const std::string& unit : engine().emit_c(wat(R"((module
      (func $id (param v128) (result v128) (local.get 0))
      (func (export "pending") (param v128) (result v128)
        (i32x4.trunc_sat_f32x4_s (f32x4.min (local.get 0) (v128.const f32x4 255 255 255 255))))
      (func (export "slot") (param v128) (result v128)
        (i32x4.trunc_sat_f32x4_s
          (f32x4.min (call $id (local.get 0)) (v128.const f32x4 255 255 255 255))))))")))
    c += unit;
  EXPECT_NE(c.find("return wisp_x_trunc_sat_min_k(L0, "), std::string::npos) << c;
  EXPECT_NE(c.find("v0 = wisp_x_trunc_sat_min_k(v0, "), std::string::npos) << c;
  EXPECT_EQ(c.find("wisp_i32x4_trunc_sat_f32x4_s(L0"), std::string::npos) << c;
  EXPECT_EQ(c.find("wisp_i32x4_trunc_sat_f32x4_s(v0"), std::string::npos) << c;
}

TEST_P(SimdShortcuts, FusedExtensionsKeepTheirSign) {
  V128 bytes = u32x4(0x80ff017fu, 0xdeadbeefu, 0, 0);
  EXPECT_EQ(call("ext_u", bytes), u32x4(0x7f, 0x01, 0xff, 0x80));
  EXPECT_EQ(call("ext_s", bytes), u32x4(0x7f, 0x01, 0xffffffffu, 0xffffff80u));
  // Zero-extended to 16 bits, then sign-extended: never negative.
  EXPECT_EQ(call("ext_mixed", bytes), u32x4(0x7f, 0x01, 0xff, 0x80));
}

TEST_P(SimdShortcuts, FusedLoadsReadFourBytesAndTrapPastTheEnd) {
  inst_.call("store", {Value::i32(100), Value::i32(static_cast<int32_t>(0x80ff017fu))});
  inst_.call("store", {Value::i32(104), Value::i32(0x00000102)});
  EXPECT_EQ(inst_.call("load_u", {Value::i32(100)})[0].as_v128(), u32x4(0x7f, 0x01, 0xff, 0x80));
  // offset=2: bytes 102..105.
  EXPECT_EQ(inst_.call("load_s", {Value::i32(100)})[0].as_v128(),
            u32x4(0xffffffffu, 0xffffff80u, 0x02, 0x01));
  EXPECT_EQ(inst_.call("load_u", {Value::i32(65532)})[0].as_v128(), u32x4(0, 0, 0, 0));
  EXPECT_TRAP(inst_.call("load_u", {Value::i32(65533)}), TrapKind::out_of_bounds);
  EXPECT_TRAP(inst_.call("load_s", {Value::i32(65531)}), TrapKind::out_of_bounds);
}

WISP_INSTANTIATE_TIERS(SimdShortcuts);

}  // namespace
}  // namespace wisp::test
