// The C emitter's float special cases, on both tiers: min/max against a constant operand (tier 1
// on x86-64 emits one minss/maxss for a constant that is not a NaN, plus +0 for max(x, +0)),
// abs and neg (cc's own on tier 1) and float-to-int
// truncation (tier 1 on x86-64 checks NaN and range with one integer test). Results must be the
// spec's whatever the shortcut: NaNs come back quiet, -0 and +0 stay apart, traps keep their kind.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kFloatWat = R"((module
  (func (export "min_255") (param f32) (result f32) (f32.min (local.get 0) (f32.const 255)))
  (func (export "max_neg") (param f32) (result f32) (f32.max (local.get 0) (f32.const -3.5)))
  (func (export "min_inf") (param f32) (result f32) (f32.min (local.get 0) (f32.const inf)))
  (func (export "max_k_left") (param f32) (result f32) (f32.max (f32.const 2) (local.get 0)))
  (func (export "min_zero") (param f32) (result f32) (f32.min (local.get 0) (f32.const 0)))
  (func (export "max_negzero") (param f32) (result f32) (f32.max (local.get 0) (f32.const -0)))
  (func (export "min_nan") (param f32) (result f32) (f32.min (local.get 0) (f32.const nan)))
  (func (export "relu") (param f32) (result f32) (f32.max (local.get 0) (f32.const 0)))
  (func (export "relu64") (param f64) (result f64) (f64.max (local.get 0) (f64.const 0)))
  (func (export "abs") (param f32) (result f32) (f32.abs (local.get 0)))
  (func (export "neg") (param f32) (result f32) (f32.neg (local.get 0)))
  (func (export "neg64") (param f64) (result f64) (f64.neg (local.get 0)))
  (func (export "min64_big") (param f64) (result f64) (f64.min (local.get 0) (f64.const 1e300)))
  (func (export "max64_tiny") (param f64) (result f64) (f64.max (local.get 0) (f64.const -5e-324)))
  (func (export "s32_f32") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
  (func (export "u32_f32") (param f32) (result i32) (i32.trunc_f32_u (local.get 0)))
  (func (export "s32_f64") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "u32_f64") (param f64) (result i32) (i32.trunc_f64_u (local.get 0)))
  (func (export "s64_f64") (param f64) (result i64) (i64.trunc_f64_s (local.get 0)))
  ;; clang's lowering of (uint8_t)fminf(v, 255.0f) without saturating conversions.
  (func (export "clamp_u8") (param f32) (result i32) (local f32)
    (local.set 1 (f32.min (local.get 0) (f32.const 255)))
    (if (result i32) (i32.and (f32.lt (local.get 1) (f32.const 4294967296))
                              (f32.ge (local.get 1) (f32.const 0)))
      (then (i32.trunc_f32_u (local.get 1)))
      (else (i32.const 0)))))
)";

class FloatSpecialCases : public TierTest {
 protected:
  void SetUp() override { inst_ = instantiate(kFloatWat); }
  uint32_t f32_call(const char* name, uint32_t arg_bits) {
    return static_cast<uint32_t>(inst_.call(name, {Value::f32_bits(arg_bits)})[0].bits());
  }
  uint32_t f32_call(const char* name, float arg) {
    return f32_call(name, std::bit_cast<uint32_t>(arg));
  }
  uint64_t f64_call(const char* name, double arg) {
    return inst_.call(name, {Value::f64(arg)})[0].bits();
  }
  Instance inst_;
};

constexpr uint32_t kQuietBit32 = 0x00400000u;
constexpr uint32_t kSignallingNan32 = 0x7fa00000u;  // quiet bit clear, payload nonzero
constexpr uint32_t kNegativeQuietNan32 = 0xffc00001u;

bool is_nan32(uint32_t b) {
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0;
}

TEST_P(FloatSpecialCases, MinMaxAgainstAConstantOnOrdinaryValues) {
  EXPECT_EQ(f32_call("min_255", 3.25f), std::bit_cast<uint32_t>(3.25f));
  EXPECT_EQ(f32_call("min_255", 255.0f), std::bit_cast<uint32_t>(255.0f));
  EXPECT_EQ(f32_call("min_255", 1e9f), std::bit_cast<uint32_t>(255.0f));
  EXPECT_EQ(f32_call("min_255", -std::numeric_limits<float>::infinity()),
            std::bit_cast<uint32_t>(-std::numeric_limits<float>::infinity()));
  EXPECT_EQ(f32_call("max_neg", -7.0f), std::bit_cast<uint32_t>(-3.5f));
  EXPECT_EQ(f32_call("max_neg", 1.0f), std::bit_cast<uint32_t>(1.0f));
  EXPECT_EQ(f32_call("min_inf", 1.0f), std::bit_cast<uint32_t>(1.0f));
  EXPECT_EQ(f32_call("max_k_left", 1.0f), std::bit_cast<uint32_t>(2.0f));
  EXPECT_EQ(f32_call("max_k_left", 9.0f), std::bit_cast<uint32_t>(9.0f));
  EXPECT_EQ(f64_call("min64_big", 2e300), std::bit_cast<uint64_t>(1e300));
  EXPECT_EQ(f64_call("min64_big", -1.0), std::bit_cast<uint64_t>(-1.0));
  EXPECT_EQ(f64_call("max64_tiny", -1.0),
            std::bit_cast<uint64_t>(-5e-324));  // a subnormal constant
  EXPECT_EQ(f64_call("max64_tiny", 5e-324), std::bit_cast<uint64_t>(5e-324));
}

TEST_P(FloatSpecialCases, MinMaxAgainstAConstantKeepSignedZeros) {
  // x = -0 and +0 against a nonzero constant come back with their sign.
  EXPECT_EQ(f32_call("min_255", -0.0f), std::bit_cast<uint32_t>(-0.0f));
  EXPECT_EQ(f32_call("min_255", 0.0f), std::bit_cast<uint32_t>(0.0f));
  EXPECT_EQ(f32_call("max_neg", -0.0f), std::bit_cast<uint32_t>(-0.0f));
  // Zero constants: min(x, +0) and max(x, -0) take the one-instruction path (x when equal).
  EXPECT_EQ(f32_call("min_zero", -0.0f), std::bit_cast<uint32_t>(-0.0f));
  EXPECT_EQ(f32_call("min_zero", 0.0f), std::bit_cast<uint32_t>(0.0f));
  EXPECT_EQ(f32_call("max_negzero", 0.0f), std::bit_cast<uint32_t>(0.0f));
  EXPECT_EQ(f32_call("max_negzero", -0.0f), std::bit_cast<uint32_t>(-0.0f));
}

TEST_P(FloatSpecialCases, ReluGivesPlusZeroForBothZeros) {
  // max(x, +0): one maxss plus +0 on tier 1 (-0 + +0 is +0).
  EXPECT_EQ(f32_call("relu", -0.0f), std::bit_cast<uint32_t>(0.0f));
  EXPECT_EQ(f32_call("relu", 0.0f), std::bit_cast<uint32_t>(0.0f));
  EXPECT_EQ(f32_call("relu", -5.0f), std::bit_cast<uint32_t>(0.0f));
  EXPECT_EQ(f32_call("relu", 5.0f), std::bit_cast<uint32_t>(5.0f));
  EXPECT_EQ(f32_call("relu", -std::numeric_limits<float>::infinity()), 0u);
  EXPECT_EQ(f64_call("relu64", -0.0), 0u);
  EXPECT_EQ(f64_call("relu64", 1e-310), std::bit_cast<uint64_t>(1e-310));  // a subnormal
}

TEST_P(FloatSpecialCases, AbsAndNegChangeTheSignBitAlone) {
  // NaNs keep their payload and quiet bit (a signalling NaN stays signalling).
  EXPECT_EQ(f32_call("abs", 0xffa00001u), 0x7fa00001u);
  EXPECT_EQ(f32_call("neg", kSignallingNan32), kSignallingNan32 | 0x80000000u);
  EXPECT_EQ(f32_call("neg", 0.0f), 0x80000000u);
  EXPECT_EQ(f32_call("abs", -0.0f), 0u);
  EXPECT_EQ(inst_.call("neg64", {Value::f64_bits(0x7ff0000000000001ull)})[0].bits(),
            0xfff0000000000001ull);
}

TEST_P(FloatSpecialCases, MinMaxAgainstAConstantGiveQuietNans) {
  for (const char* f :
       {"min_255", "max_neg", "min_inf", "max_k_left", "min_zero", "min_nan", "relu"}) {
    for (uint32_t nan : {0x7fc00000u, kNegativeQuietNan32, kSignallingNan32, 0xff800001u}) {
      uint32_t r = f32_call(f, nan);
      EXPECT_TRUE(is_nan32(r)) << f << " of 0x" << std::hex << nan << " gave 0x" << r;
      EXPECT_NE(r & kQuietBit32, 0u) << f << " of 0x" << std::hex << nan << " gave 0x" << r;
    }
  }
  EXPECT_TRUE(is_nan32(f32_call("min_nan", 1.0f)));
  uint64_t r64 = f64_call("min64_big", std::numeric_limits<double>::signaling_NaN());
  EXPECT_EQ(r64 & 0x7ff8000000000000ull, 0x7ff8000000000000ull) << std::hex << r64;
  r64 = f64_call("relu64", std::numeric_limits<double>::signaling_NaN());
  EXPECT_EQ(r64 & 0x7ff8000000000000ull, 0x7ff8000000000000ull) << std::hex << r64;
}

TEST_P(FloatSpecialCases, TruncationAtTheEdgesOfTheRange) {
  auto i32 = [&](const char* f, Value v) { return inst_.call(f, {v})[0]; };
  EXPECT_EQ(i32("s32_f32", Value::f32(-2147483648.0f)), Value::i32(INT32_MIN));
  EXPECT_EQ(i32("s32_f32", Value::f32(2147483520.0f)), Value::i32(2147483520));
  EXPECT_EQ(i32("s32_f32", Value::f32(-0.75f)), Value::i32(0));
  EXPECT_EQ(i32("u32_f32", Value::f32(-0.75f)), Value::i32(0));
  EXPECT_EQ(i32("u32_f32", Value::f32(4294967040.0f)),
            Value::i32(static_cast<int32_t>(4294967040u)));
  EXPECT_EQ(i32("s32_f64", Value::f64(-2147483648.9)), Value::i32(INT32_MIN));
  EXPECT_EQ(i32("s32_f64", Value::f64(2147483647.9)), Value::i32(INT32_MAX));
  EXPECT_EQ(i32("u32_f64", Value::f64(4294967295.9)), Value::i32(-1));
  EXPECT_EQ(i32("u32_f64", Value::f64(-0.9)), Value::i32(0));
  EXPECT_EQ(i32("s64_f64", Value::f64(-9223372036854775808.0)), Value::i64(INT64_MIN));

  EXPECT_TRAP(inst_.call("s32_f32", {Value::f32(2147483648.0f)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("s32_f32", {Value::f32(-2147483904.0f)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("u32_f32", {Value::f32(-1.0f)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("u32_f32", {Value::f32(4294967296.0f)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("u32_f32", {Value::f32(-std::numeric_limits<float>::infinity())}),
              TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("s32_f64", {Value::f64(-2147483649.0)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("s32_f64", {Value::f64(2147483648.0)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("u32_f64", {Value::f64(4294967296.0)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("u32_f64", {Value::f64(1e300)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("s64_f64", {Value::f64(9223372036854775808.0)}),
              TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("s32_f32", {Value::f32_bits(kSignallingNan32)}),
              TrapKind::invalid_conversion);
  EXPECT_TRAP(inst_.call("u32_f32", {Value::f32_bits(kNegativeQuietNan32)}),
              TrapKind::invalid_conversion);
  EXPECT_TRAP(inst_.call("u32_f64", {Value::f64(std::numeric_limits<double>::quiet_NaN())}),
              TrapKind::invalid_conversion);
  EXPECT_TRAP(inst_.call("s64_f64", {Value::f64(std::numeric_limits<double>::quiet_NaN())}),
              TrapKind::invalid_conversion);
}

TEST_P(FloatSpecialCases, ClampedByteConversion) {
  auto clamp = [&](float v) { return inst_.call("clamp_u8", {Value::f32(v)})[0]; };
  EXPECT_EQ(clamp(17.9f), Value::i32(17));
  EXPECT_EQ(clamp(300.0f), Value::i32(255));
  EXPECT_EQ(clamp(-4.0f), Value::i32(0));
  EXPECT_EQ(inst_.call("clamp_u8", {Value::f32_bits(kSignallingNan32)})[0], Value::i32(0));
}

WISP_INSTANTIATE_TIERS(FloatSpecialCases);

}  // namespace
}  // namespace wisp::test
