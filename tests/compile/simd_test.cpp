// Relaxed SIMD: every operator gives the documented, deterministic result (README "WebAssembly
// proposals") on both tiers, on exactly the inputs where the proposal allows implementations to
// differ (out-of-range swizzle indices, NaN and out-of-range truncations, fused or unfused
// multiply-add, partial lane-select masks, NaN and signed-zero min/max, q15mulr and dot overflow).
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <string>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

V128 u64x2(uint64_t a, uint64_t b) {
  return V128::from_halves(a, b);
}

V128 bytes(std::initializer_list<int> b) {
  V128 v;
  unsigned i = 0;
  for (int x : b) v.bytes[i++] = static_cast<uint8_t>(x);
  return v;
}

V128 i16x8(std::initializer_list<int> h) {
  V128 v;
  unsigned i = 0;
  for (int x : h) v.set_lane(16, i++, static_cast<uint16_t>(x));
  return v;
}

constexpr uint32_t kNaN32 = 0x7fc00000u;
constexpr uint64_t kNaN64 = 0x7ff8000000000000ull;

class RelaxedSimdTest : public TierTest {
 protected:
  // (wabt 1.0.32 spells the relaxed dot products without "relaxed_": same opcodes.)
  void SetUp() override {
    inst_ = instantiate(R"((module
      (func (export "swizzle") (param v128 v128) (result v128)
        (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
      (func (export "trunc_s") (param v128) (result v128)
        (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
      (func (export "trunc_u") (param v128) (result v128)
        (i32x4.relaxed_trunc_f32x4_u (local.get 0)))
      (func (export "trunc64_s") (param v128) (result v128)
        (i32x4.relaxed_trunc_f64x2_s_zero (local.get 0)))
      (func (export "trunc64_u") (param v128) (result v128)
        (i32x4.relaxed_trunc_f64x2_u_zero (local.get 0)))
      (func (export "madd") (param v128 v128 v128) (result v128)
        (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
      (func (export "nmadd") (param v128 v128 v128) (result v128)
        (f32x4.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
      (func (export "madd64") (param v128 v128 v128) (result v128)
        (f64x2.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
      (func (export "laneselect8") (param v128 v128 v128) (result v128)
        (i8x16.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
      (func (export "laneselect32") (param v128 v128 v128) (result v128)
        (i32x4.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
      (func (export "min") (param v128 v128) (result v128)
        (f32x4.relaxed_min (local.get 0) (local.get 1)))
      (func (export "max") (param v128 v128) (result v128)
        (f32x4.relaxed_max (local.get 0) (local.get 1)))
      (func (export "min64") (param v128 v128) (result v128)
        (f64x2.relaxed_min (local.get 0) (local.get 1)))
      (func (export "q15mulr") (param v128 v128) (result v128)
        (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
      (func (export "dot") (param v128 v128) (result v128)
        (i16x8.dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
      (func (export "dot_add") (param v128 v128 v128) (result v128)
        (i32x4.dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2)))))");
  }
  V128 call(const char* name, std::initializer_list<V128> args) {
    std::vector<Value> vals;
    for (const V128& a : args) vals.push_back(Value::v128(a));
    return inst_.call(name, vals)[0].as_v128();
  }
  Instance inst_;
};

TEST_P(RelaxedSimdTest, SwizzleIndicesPastTheVectorSelectZero) {
  V128 table = bytes({10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25});
  V128 idx = bytes({0, 15, 16, 17, 31, 32, 127, 128, 200, 255, 1, 2, 3, 4, 5, 0x8f});
  EXPECT_EQ(call("swizzle", {table, idx}),
            bytes({10, 25, 0, 0, 0, 0, 0, 0, 0, 0, 11, 12, 13, 14, 15, 0}));
}

TEST_P(RelaxedSimdTest, TruncationsSaturateAndGiveZeroForNaN) {
  EXPECT_EQ(
      call("trunc_s", {u32x4(kNaN32, std::bit_cast<uint32_t>(3e9f), std::bit_cast<uint32_t>(-3e9f),
                             std::bit_cast<uint32_t>(-7.9f))}),
      u32x4(0, 0x7fffffffu, 0x80000000u, static_cast<uint32_t>(-7)));
  EXPECT_EQ(call("trunc_u", {u32x4(kNaN32, std::bit_cast<uint32_t>(5e9f),
                                   std::bit_cast<uint32_t>(-1.0f), std::bit_cast<uint32_t>(3e9f))}),
            u32x4(0, 0xffffffffu, 0, 3000000000u));
  EXPECT_EQ(call("trunc64_s", {u64x2(kNaN64, std::bit_cast<uint64_t>(-1e10))}),
            u32x4(0, 0x80000000u, 0, 0));
  EXPECT_EQ(
      call("trunc64_u", {u64x2(std::bit_cast<uint64_t>(1e10), std::bit_cast<uint64_t>(-0.5))}),
      u32x4(0xffffffffu, 0, 0, 0));
}

TEST_P(RelaxedSimdTest, MultiplyAddRoundsTwice) {
  // x*x = 1 + 2^-22 + 2^-46: rounded once to 1 + 2^-22, so x*x - (1 + 2^-22) is 0 unfused
  // (a fused multiply-add would give 2^-46).
  const uint32_t x = 0x3f800001u, xx = 0x3f800002u;
  const uint32_t minus_xx = xx | 0x80000000u;
  EXPECT_EQ(call("madd", {u32x4(x, x, x, x), u32x4(x, x, x, x),
                          u32x4(minus_xx, minus_xx, minus_xx, minus_xx)}),
            u32x4(0, 0, 0, 0));
  EXPECT_EQ(call("nmadd", {u32x4(x, x, x, x), u32x4(x, x, x, x), u32x4(xx, xx, xx, xx)}),
            u32x4(0, 0, 0, 0));
  // The same in f64: y*y = 1 + 2^-51 + 2^-104.
  const uint64_t y = 0x3ff0000000000001ull, yy = 0x3ff0000000000002ull;
  EXPECT_EQ(call("madd64", {u64x2(y, y), u64x2(y, y), u64x2(yy | (1ull << 63), yy | (1ull << 63))}),
            u64x2(0, 0));
}

TEST_P(RelaxedSimdTest, LaneSelectIsABitwiseSelect) {
  const V128 a = u32x4(0xffffffffu, 0xffffffffu, 0, 0x12345678u);
  const V128 b = u32x4(0, 0, 0xffffffffu, 0x9abcdef0u);
  const V128 mask = u32x4(0x0f0f0f0fu, 0x80000000u, 0x7fffffffu, 0xffff0000u);
  const V128 want = u32x4(0x0f0f0f0fu, 0x80000000u, 0x80000000u, 0x1234def0u);
  EXPECT_EQ(call("laneselect8", {a, b, mask}), want);
  EXPECT_EQ(call("laneselect32", {a, b, mask}), want);
}

TEST_P(RelaxedSimdTest, MinAndMaxPropagateNaNAndOrderSignedZeros) {
  const uint32_t pz = 0, nz = 0x80000000u, one = std::bit_cast<uint32_t>(1.0f);
  V128 mn = call("min", {u32x4(pz, nz, kNaN32, one), u32x4(nz, pz, one, kNaN32)});
  EXPECT_EQ(mn.lane(32, 0), nz);
  EXPECT_EQ(mn.lane(32, 1), nz);
  EXPECT_EQ(mn.lane(32, 2) & 0x7fc00000u, 0x7fc00000u) << "NaN";
  EXPECT_EQ(mn.lane(32, 3) & 0x7fc00000u, 0x7fc00000u) << "NaN";
  V128 mx =
      call("max", {u32x4(pz, nz, kNaN32, one), u32x4(nz, pz, one, std::bit_cast<uint32_t>(2.0f))});
  EXPECT_EQ(mx.lane(32, 0), pz);
  EXPECT_EQ(mx.lane(32, 1), pz);
  EXPECT_EQ(mx.lane(32, 2) & 0x7fc00000u, 0x7fc00000u) << "NaN";
  EXPECT_EQ(mx.lane(32, 3), std::bit_cast<uint32_t>(2.0f));
  V128 mn64 = call("min64", {u64x2(0, kNaN64), u64x2(1ull << 63, std::bit_cast<uint64_t>(1.0))});
  EXPECT_EQ(mn64.lane(64, 0), 1ull << 63);
  EXPECT_EQ(mn64.lane(64, 1) & kNaN64, kNaN64) << "NaN";
}

TEST_P(RelaxedSimdTest, Q15MultiplySaturatesAndDotsWrap) {
  EXPECT_EQ(call("q15mulr", {i16x8({-32768, -32768, 16384, -1, 0, 0, 0, 0}),
                             i16x8({-32768, 32767, 16384, 1, 0, 0, 0, 0})}),
            i16x8({32767, -32767, 8192, 0, 0, 0, 0, 0}));
  // Both operands' bytes signed: -128 * -128 twice wraps to -32768; 127 * -1 + 2 * 3 = -121.
  const V128 a = bytes({-128, -128, 127, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  const V128 b = bytes({-128, -128, -1, 3, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(call("dot", {a, b}), i16x8({-32768, -121, -2, 0, 0, 0, 0, 0}));
  // dot_add: the 16-bit sums sign-extended, added in pairs, plus c.
  EXPECT_EQ(call("dot_add", {a, b, u32x4(100, 200, 0xffffffffu, 0)}),
            u32x4(static_cast<uint32_t>(-32768 - 121 + 100), static_cast<uint32_t>(-2 + 200),
                  0xffffffffu, 0));
}

WISP_INSTANTIATE_TIERS(RelaxedSimdTest);

}  // namespace
}  // namespace wisp::test
