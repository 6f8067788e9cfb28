// Calling exports (dynamic and typed, checked), globals, exports and the start function.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kCallWat = R"((module
  (memory (export "memory") 1)
  (global $imm (export "imm") i32 (i32.const 5))
  (global $count (export "count") (mut i64) (i64.const 100))
  (global $ratio (export "ratio") (mut f64) (f64.const 0.5))
  (global $started (export "started") (mut i32) (i32.const 0))
  (func $start (global.set $started (i32.add (global.get $started) (i32.const 1))))
  (start $start)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "mulf") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
  (func (export "divd") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
  (func (export "noop"))
  (func (export "bump") (result i64)
    (global.set $count (i64.add (global.get $count) (i64.const 1))) (global.get $count))
  (func (export "scaled") (param f64) (result f64) (f64.mul (local.get 0) (global.get $ratio)))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))))";

class CallTest : public TierTest {
 protected:
  void SetUp() override { inst_ = instantiate(kCallWat); }
  Instance inst_;
};

TEST_P(CallTest, DynamicCalls) {
  EXPECT_EQ(inst_.call("add", {Value::i32(2), Value::i32(40)}), std::vector<Value>{Value::i32(42)});
  EXPECT_EQ(inst_.call("add", {Value::i32(INT32_MAX), Value::i32(1)})[0], Value::i32(INT32_MIN));
  EXPECT_EQ(inst_.call("add64", {Value::i64(1LL << 40), Value::i64(-1)})[0],
            Value::i64((1LL << 40) - 1));
  EXPECT_EQ(inst_.call("mulf", {Value::f32(1.5f), Value::f32(-4.0f)})[0], Value::f32(-6.0f));
  EXPECT_EQ(inst_.call("divd", {Value::f64(1.0), Value::f64(8.0)})[0], Value::f64(0.125));
  EXPECT_TRUE(inst_.call("noop").empty());
  EXPECT_EQ(inst_.call("fib", {Value::i32(20)})[0], Value::i32(6765));
  std::vector<Value> args{Value::i32(3), Value::i32(4)};
  EXPECT_EQ(inst_.call("add", std::span<const Value>(args))[0], Value::i32(7));
}

TEST_P(CallTest, NonAllocatingCallWritesIntoTheCallersResults) {
  std::vector<Value> args{Value::i32(20), Value::i32(22)};
  Value result[1];
  inst_.call("add", args, result);
  EXPECT_EQ(result[0], Value::i32(42));
  Value too_many[2];
  EXPECT_THROW(inst_.call("add", args, too_many), Error);
  EXPECT_THROW(inst_.call("add", args, std::span<Value>()), Error);
}

TEST_P(CallTest, BadDynamicCallsAreErrorsNotTraps) {
  EXPECT_THROW(inst_.call("add", {Value::i32(1)}), Error);  // count
  EXPECT_THROW(inst_.call("add", {Value::i32(1), Value::i32(2), Value::i32(3)}), Error);
  EXPECT_THROW(inst_.call("add", {Value::i32(1), Value::i64(2)}), Error);  // type
  EXPECT_THROW(inst_.call("divd", {Value::f32(1), Value::f32(2)}), Error);
  EXPECT_THROW(inst_.call("missing"), Error);
  EXPECT_THROW(inst_.call("memory"), Error);  // not a function
  EXPECT_THROW(inst_.call("imm"), Error);
  EXPECT_FALSE(inst_.trapped());
  EXPECT_EQ(inst_.call("add", {Value::i32(1), Value::i32(2)})[0], Value::i32(3));
}

TEST_P(CallTest, TypedFunctions) {
  auto add = inst_.func<int32_t(int32_t, int32_t)>("add");
  EXPECT_EQ(add(20, 22), 42);
  auto add64 = inst_.func<int64_t(int64_t, int64_t)>("add64");
  EXPECT_EQ(add64(INT64_MAX, 1), INT64_MIN);
  auto uadd = inst_.func<uint32_t(uint32_t, uint32_t)>("add");
  EXPECT_EQ(uadd(0xffffffffu, 2), 1u);
  auto mulf = inst_.func<float(float, float)>("mulf");
  EXPECT_EQ(mulf(2.5f, 2.0f), 5.0f);
  auto divd = inst_.func<double(double, double)>("divd");
  EXPECT_EQ(divd(1.0, 4.0), 0.25);
  auto noop = inst_.func<void()>("noop");
  noop();
  auto fib = inst_.func<int32_t(int32_t)>("fib");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(fib(10), 55);
}

TEST_P(CallTest, TypedBindChecksTheSignature) {
  EXPECT_THROW(inst_.func<int64_t(int32_t, int32_t)>("add"), LinkError);  // result
  EXPECT_THROW(inst_.func<int32_t(int32_t)>("add"), LinkError);           // arity
  EXPECT_THROW(inst_.func<int32_t(int32_t, int64_t)>("add"), LinkError);  // param type
  EXPECT_THROW(inst_.func<void(int32_t, int32_t)>("add"), LinkError);
  EXPECT_THROW(inst_.func<double(float, float)>("mulf"), LinkError);
  EXPECT_THROW(inst_.func<int32_t()>("noop"), LinkError);
  EXPECT_THROW(inst_.func<void()>("missing"), Error);
  EXPECT_THROW(inst_.func<void()>("memory"), Error);
}

TEST_P(CallTest, Globals) {
  EXPECT_EQ(inst_.global_get("imm"), Value::i32(5));
  EXPECT_EQ(inst_.global_get("count"), Value::i64(100));
  EXPECT_EQ(inst_.call("bump")[0], Value::i64(101));
  EXPECT_EQ(inst_.global_get("count"), Value::i64(101));
  inst_.global_set("count", Value::i64(-1));
  EXPECT_EQ(inst_.call("bump")[0], Value::i64(0));
  inst_.global_set("ratio", Value::f64(3.0));
  EXPECT_EQ(inst_.call("scaled", {Value::f64(2.0)})[0], Value::f64(6.0));
}

TEST_P(CallTest, GlobalMisuseThrows) {
  EXPECT_THROW(inst_.global_set("imm", Value::i32(6)), Error);  // immutable
  EXPECT_EQ(inst_.global_get("imm"), Value::i32(5));
  EXPECT_THROW(inst_.global_set("count", Value::i32(1)), Error);  // wrong type
  EXPECT_EQ(inst_.global_get("count"), Value::i64(100));
  EXPECT_THROW(inst_.global_get("missing"), Error);
  EXPECT_THROW(inst_.global_get("add"), Error);  // not a global
  EXPECT_THROW(inst_.global_set("missing", Value::i32(1)), Error);
}

TEST_P(CallTest, StartFunctionRanOnce) {
  EXPECT_EQ(inst_.global_get("started"), Value::i32(1));
  EXPECT_TRUE(inst_.module().start_function().has_value());
  EXPECT_TRUE(inst_.module().find_export("fib").has_value());
}

TEST_P(CallTest, TrappingStartFunctionFailsInstantiation) {
  Module m = compile("(module (func $s (unreachable)) (start $s))");
  EXPECT_TRAP(Linker().instantiate(m, options()), TrapKind::unreachable);
  Module oob =
      compile("(module (memory 1) (func $s (drop (i32.load (i32.const 65536)))) (start $s))");
  EXPECT_TRAP(Linker().instantiate(oob, options()), TrapKind::out_of_bounds);
}

TEST_P(CallTest, ManyArguments) {
  Instance inst = instantiate(R"((module (func (export "sum")
    (param i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64)
    (result f64)
    (local $i i32) (local $acc f64)
    (f64.add (f64.add (f64.add (f64.convert_i32_s (local.get 0)) (f64.convert_i64_s (local.get 1)))
                      (f64.add (f64.promote_f32 (local.get 2)) (local.get 3)))
             (f64.add (f64.add (f64.convert_i32_s (local.get 16))
                               (f64.convert_i64_s (local.get 17)))
                      (f64.add (f64.promote_f32 (local.get 18)) (local.get 19)))))))");
  std::vector<Value> args;
  for (int i = 0; i < 5; ++i) {
    args.push_back(Value::i32(1 + 10 * i));
    args.push_back(Value::i64(2 + 10 * i));
    args.push_back(Value::f32(3.0f + 10 * i));
    args.push_back(Value::f64(4.0 + 10 * i));
  }
  EXPECT_EQ(inst.call("sum", args)[0], Value::f64(1 + 2 + 3 + 4 + 41 + 42 + 43 + 44));
}

// NaN payloads (signalling ones included) pass through arguments and results unchanged.
TEST_P(CallTest, NanBitsSurviveCalls) {
  Instance inst = instantiate(R"((module
    (func (export "snan32") (result f32) (f32.reinterpret_i32 (i32.const 0x7fa00001)))
    (func (export "snan64") (result f64) (f64.reinterpret_i64 (i64.const 0x7ff4000000000001)))
    (func (export "bits32") (param f32) (result i32) (i32.reinterpret_f32 (local.get 0)))
    (func (export "bits64") (param f64) (result i64) (i64.reinterpret_f64 (local.get 0)))))");
  EXPECT_EQ(inst.call("snan32")[0], Value::f32_bits(0x7fa00001));
  EXPECT_EQ(inst.call("snan64")[0], Value::f64_bits(0x7ff4000000000001));
  EXPECT_EQ(inst.call("bits32", {Value::f32_bits(0xffc0dead)})[0], Value::i32(int32_t(0xffc0dead)));
  EXPECT_EQ(inst.call("bits64", {Value::f64_bits(0x7ff0000000000002)})[0],
            Value::i64(0x7ff0000000000002));
}

WISP_INSTANTIATE_TIERS(CallTest);

}  // namespace
}  // namespace wisp::test
