// clang's guarded float-to-int casts (`(int)x` built without saturating conversions: a range
// test, then the trapping conversion or -2^31) fused into one conversion by the C emitter
// (c_guarded_trunc.cpp), on both tiers: the results must be the guarded block's for every
// input (in range, the edges, both infinities, NaNs), and blocks that only look alike (another
// limit, another local, an unsigned conversion) keep their own meaning.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>

#include "support/fixture.hpp"
#include "support/rng.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// The four signed forms as clang writes them, and three near misses.
constexpr const char* kGuardedWat = R"((module
  (func (export "s32_f32") (param f32) (result i32)
    (block (result i32)
      (if (f32.lt (f32.abs (local.get 0)) (f32.const 0x1p+31))
        (then (br 1 (i32.trunc_f32_s (local.get 0)))))
      (i32.const -2147483648)))
  (func (export "s32_f64") (param f64) (result i32)
    (block (result i32)
      (if (f64.lt (f64.abs (local.get 0)) (f64.const 0x1p+31))
        (then (br 1 (i32.trunc_f64_s (local.get 0)))))
      (i32.const -2147483648)))
  (func (export "s64_f32") (param f32) (result i64)
    (block (result i64)
      (if (f32.lt (f32.abs (local.get 0)) (f32.const 0x1p+63))
        (then (br 1 (i64.trunc_f32_s (local.get 0)))))
      (i64.const -9223372036854775808)))
  (func (export "s64_f64") (param f64) (result i64)
    (block (result i64)
      (if (f64.lt (f64.abs (local.get 0)) (f64.const 0x1p+63))
        (then (br 1 (i64.trunc_f64_s (local.get 0)))))
      (i64.const -9223372036854775808)))
  ;; A tighter limit: 2^30 and beyond give -2^31, which one conversion would not.
  (func (export "limit_2p30") (param f32) (result i32)
    (block (result i32)
      (if (f32.lt (f32.abs (local.get 0)) (f32.const 0x1p+30))
        (then (br 1 (i32.trunc_f32_s (local.get 0)))))
      (i32.const -2147483648)))
  ;; The test on one local, the conversion of another.
  (func (export "other_local") (param f32 f32) (result i32)
    (block (result i32)
      (if (f32.lt (f32.abs (local.get 0)) (f32.const 0x1p+31))
        (then (br 1 (i32.trunc_f32_s (local.get 1)))))
      (i32.const -2147483648)))
  ;; The first form with its fallback spelled another way: the same meaning, not fused.
  (func (export "s32_f32_unfused") (param f32) (result i32)
    (block (result i32)
      (if (f32.lt (f32.abs (local.get 0)) (f32.const 0x1p+31))
        (then (br 1 (i32.trunc_f32_s (local.get 0)))))
      (i32.shl (i32.const 1) (i32.const 31))))
  (func (export "s64_f64_unfused") (param f64) (result i64)
    (block (result i64)
      (if (f64.lt (f64.abs (local.get 0)) (f64.const 0x1p+63))
        (then (br 1 (i64.trunc_f64_s (local.get 0)))))
      (i64.shl (i64.const 1) (i64.const 63))))
  ;; Another fallback value.
  (func (export "fallback_7") (param f32) (result i32)
    (block (result i32)
      (if (f32.lt (f32.abs (local.get 0)) (f32.const 0x1p+31))
        (then (br 1 (i32.trunc_f32_s (local.get 0)))))
      (i32.const 7))))
)";

// What the guarded block computes, from its definition.
template <typename Int, typename Float>
Int guarded(Float x, Float limit) {
  if (std::fabs(x) < limit) return static_cast<Int>(std::trunc(x));
  return std::numeric_limits<Int>::min();
}

class GuardedTrunc : public TierTest {
 protected:
  void SetUp() override { inst_ = instantiate(kGuardedWat); }
  Instance inst_;
};

const float kFloats[] = {0.0f,
                         -0.0f,
                         1.5f,
                         -1.5f,
                         0.999f,
                         -0.999f,
                         1073741824.0f,
                         2147483520.0f,  // the largest float below 2^31
                         2147483648.0f,
                         -2147483648.0f,
                         -2147483904.0f,
                         3e9f,
                         -3e9f,
                         9.2233715e18f,  // the largest float below 2^63
                         9.2233720e18f,
                         -9.2233720e18f,
                         1e30f,
                         std::numeric_limits<float>::infinity(),
                         -std::numeric_limits<float>::infinity(),
                         std::numeric_limits<float>::denorm_min()};
const double kDoubles[] = {0.0,
                           -0.0,
                           2147483647.9,
                           2147483648.0,
                           -2147483648.9,
                           -2147483649.0,
                           9223372036854774784.0,  // the largest double below 2^63
                           9223372036854775808.0,
                           -9223372036854775808.0,
                           -1e300,
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()};

TEST_P(GuardedTrunc, EachFormGivesTheGuardedBlocksResult) {
  for (float x : kFloats) {
    SCOPED_TRACE(x);
    EXPECT_EQ(inst_.call("s32_f32", {Value::f32(x)})[0], Value::i32(guarded<int32_t>(x, 0x1p+31f)));
    EXPECT_EQ(inst_.call("s64_f32", {Value::f32(x)})[0], Value::i64(guarded<int64_t>(x, 0x1p+63f)));
  }
  for (double x : kDoubles) {
    SCOPED_TRACE(x);
    EXPECT_EQ(inst_.call("s32_f64", {Value::f64(x)})[0], Value::i32(guarded<int32_t>(x, 0x1p+31)));
    EXPECT_EQ(inst_.call("s64_f64", {Value::f64(x)})[0], Value::i64(guarded<int64_t>(x, 0x1p+63)));
  }
}

TEST_P(GuardedTrunc, NansOfEveryKindGiveTheLowestInt) {
  for (uint32_t nan : {0x7fc00000u, 0xffc00000u, 0x7fa00000u, 0xff800001u}) {
    EXPECT_EQ(inst_.call("s32_f32", {Value::f32_bits(nan)})[0], Value::i32(INT32_MIN));
    EXPECT_EQ(inst_.call("s64_f32", {Value::f32_bits(nan)})[0], Value::i64(INT64_MIN));
  }
  for (uint64_t nan : {0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff4000000000000ull}) {
    EXPECT_EQ(inst_.call("s32_f64", {Value::f64_bits(nan)})[0], Value::i32(INT32_MIN));
    EXPECT_EQ(inst_.call("s64_f64", {Value::f64_bits(nan)})[0], Value::i64(INT64_MIN));
  }
}

TEST_P(GuardedTrunc, BlocksThatOnlyLookAlikeKeepTheirMeaning) {
  EXPECT_EQ(inst_.call("limit_2p30", {Value::f32(1.5e9f)})[0], Value::i32(INT32_MIN));
  EXPECT_EQ(inst_.call("limit_2p30", {Value::f32(-7.9f)})[0], Value::i32(-7));
  EXPECT_EQ(inst_.call("other_local", {Value::f32(3e9f), Value::f32(5.5f)})[0],
            Value::i32(INT32_MIN));
  EXPECT_EQ(inst_.call("other_local", {Value::f32(1.0f), Value::f32(5.5f)})[0], Value::i32(5));
  EXPECT_EQ(inst_.call("fallback_7", {Value::f32(3e9f)})[0], Value::i32(7));
  EXPECT_EQ(inst_.call("fallback_7", {Value::f32(-2.5f)})[0], Value::i32(-2));
}

// Random bit patterns (a quarter of them NaNs, infinities, zeros and the edges of the range)
// through the fused and the unfused block: the same result every time.
TEST_P(GuardedTrunc, FusedAndUnfusedAgreeOnRandomInputs) {
  Rng rng(0x6a7d);
  const uint32_t special32[] = {0x7fc00000u, 0xffc00000u, 0x7fa00000u, 0x7f800000u, 0xff800000u,
                                0x00000000u, 0x80000000u, 0x4f000000u, 0xcf000000u, 0x4effffffu,
                                0xceffffffu, 0xcf000001u, 0x00000001u};
  const uint64_t special64[] = {0x7ff8000000000000ull, 0xfff4000000000000ull, 0x7ff0000000000000ull,
                                0x8000000000000000ull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
                                0x43dfffffffffffffull, 0xc3e0000000000001ull};
  for (int i = 0; i < 4000; ++i) {
    uint32_t b32 = rng.chance(25) ? special32[rng.below(std::size(special32))]
                                  : static_cast<uint32_t>(rng.next());
    uint64_t b64 = rng.chance(25) ? special64[rng.below(std::size(special64))] : rng.next();
    if (rng.chance(50)) {  // values near the range, where most of the work is
      b32 = std::bit_cast<uint32_t>(static_cast<float>(static_cast<int64_t>(rng.next()) >> 31));
      b64 = std::bit_cast<uint64_t>(static_cast<double>(static_cast<int64_t>(rng.next())) * 1.5);
    }
    ASSERT_EQ(inst_.call("s32_f32", {Value::f32_bits(b32)})[0],
              inst_.call("s32_f32_unfused", {Value::f32_bits(b32)})[0])
        << std::hex << b32;
    ASSERT_EQ(inst_.call("s64_f64", {Value::f64_bits(b64)})[0],
              inst_.call("s64_f64_unfused", {Value::f64_bits(b64)})[0])
        << std::hex << b64;
  }
}

TEST_P(GuardedTrunc, TheFourFormsAreFusedAndTheNearMissesAreNot) {
  std::string c;
  for (const std::string& unit : engine().emit_c(wat(kGuardedWat))) c += unit;
  for (const char* fused : {"wisp_cvtt_s32_f32(L0)", "wisp_cvtt_s32_f64(L0)",
                            "wisp_cvtt_s64_f32(L0)", "wisp_cvtt_s64_f64(L0)"})
    EXPECT_NE(c.find(std::string(" = ") + fused), std::string::npos) << fused;
  size_t calls = 0;
  for (size_t at = c.find(" = wisp_cvtt_"); at != std::string::npos;
       at = c.find(" = wisp_cvtt_", at + 1))
    ++calls;
  EXPECT_EQ(calls, 4u);  // the unfused forms, limit_2p30, other_local and fallback_7 keep it
}

WISP_INSTANTIATE_TIERS(GuardedTrunc);

}  // namespace
}  // namespace wisp::test
