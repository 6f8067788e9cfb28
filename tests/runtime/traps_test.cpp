// Every trap kind surfaces as wisp::Trap with the right kind; the instance keeps working after it.
#include <gtest/gtest.h>
#include <pthread.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kTrapsWat = R"((module
  (type $v_i (func (result i32)))
  (type $i_i (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table 4 funcref)
  (elem (i32.const 0) $forty_two $identity)
  (func $forty_two (type $v_i) (i32.const 42))
  (func $identity (type $i_i) (local.get 0))
  (func (export "ok") (result i32) (i32.const 7))
  (func (export "unreachable") (unreachable))
  (func $deep (export "unreachable_deep") (param i32) (result i32)
    (if (i32.eqz (local.get 0)) (then (unreachable)))
    (i32.add (call $deep (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load64_far") (param i32) (result i64) (i64.load offset=4294967295 (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "store8") (param i32) (i32.store8 (local.get 0) (i32.const 1)))
  ;; Recursion with work after the call, so no compiler can turn it into a loop.
  (func $recurse (export "recurse") (param i32) (result i32)
    (local $r i32)
    (local.set $r (call $recurse (i32.add (local.get 0) (i32.const 1))))
    (i32.store (i32.and (local.get 0) (i32.const 0xffc)) (local.get $r))
    (local.get $r))
  (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "div_u") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "div_s64") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
  (func (export "rem_u64") (param i64 i64) (result i64) (i64.rem_u (local.get 0) (local.get 1)))
  (func (export "trunc_f64_s") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "trunc_f32_u64") (param f32) (result i64) (i64.trunc_f32_u (local.get 0)))
  (func (export "trunc_sat") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
  (func (export "call_v_i") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))))";

class TrapsTest : public TierTest {
 protected:
  void SetUp() override {
    inst_ = instantiate(kTrapsWat);
    ASSERT_FALSE(inst_.trapped());
  }
  // After a trap the instance reports it, and later calls still run (spec semantics).
  void expect_still_usable() {
    EXPECT_TRUE(inst_.trapped());
    EXPECT_EQ(inst_.call("ok")[0], Value::i32(7));
    EXPECT_EQ(inst_.call("div_s", {Value::i32(-9), Value::i32(2)})[0], Value::i32(-4));
  }
  Instance inst_;
};

TEST_P(TrapsTest, NoTrapNoFlag) {
  EXPECT_EQ(inst_.call("ok")[0], Value::i32(7));
  EXPECT_EQ(inst_.call("load", {Value::i32(65532)})[0], Value::i32(0));
  EXPECT_EQ(inst_.call("call_v_i", {Value::i32(0)})[0], Value::i32(42));
  EXPECT_FALSE(inst_.trapped());
}

TEST_P(TrapsTest, Unreachable) {
  EXPECT_TRAP(inst_.call("unreachable"), TrapKind::unreachable);
  expect_still_usable();
  EXPECT_TRAP(inst_.call("unreachable_deep", {Value::i32(50)}), TrapKind::unreachable);
  EXPECT_EQ(inst_.call("ok")[0], Value::i32(7));
}

TEST_P(TrapsTest, OutOfBoundsLoadAndStore) {
  EXPECT_TRAP(inst_.call("load", {Value::i32(65536)}), TrapKind::out_of_bounds);
  expect_still_usable();
  EXPECT_TRAP(inst_.call("load", {Value::i32(65533)}), TrapKind::out_of_bounds);  // straddles
  EXPECT_TRAP(inst_.call("load", {Value::i32(-1)}), TrapKind::out_of_bounds);     // 4 GiB - 1
  EXPECT_TRAP(inst_.call("load", {Value::i32(1 << 31)}), TrapKind::out_of_bounds);
  // address + offset close to 8 GiB.
  EXPECT_TRAP(inst_.call("load64_far", {Value::i32(-1)}), TrapKind::out_of_bounds);
  EXPECT_TRAP(inst_.call("load64_far", {Value::i32(0)}), TrapKind::out_of_bounds);
  EXPECT_TRAP(inst_.call("store", {Value::i32(65536), Value::i32(1)}), TrapKind::out_of_bounds);
  EXPECT_TRAP(inst_.call("store8", {Value::i32(-1)}), TrapKind::out_of_bounds);
  // A store straddling the end traps without writing its in-bounds part.
  EXPECT_TRAP(inst_.call("store", {Value::i32(65534), Value::i32(-1)}), TrapKind::out_of_bounds);
  EXPECT_EQ(inst_.memory().read(65532, 4), std::vector<uint8_t>(4, 0));
  // The last in-bounds word still works.
  inst_.call("store", {Value::i32(65532), Value::i32(0x01020304)});
  EXPECT_EQ(inst_.call("load", {Value::i32(65532)})[0], Value::i32(0x01020304));
}

TEST_P(TrapsTest, StackExhausted) {
  EXPECT_TRAP(inst_.call("recurse", {Value::i32(0)}), TrapKind::stack_exhausted);
  expect_still_usable();
  // Again: the guard and the alternate signal stack are still in place after the first one.
  EXPECT_TRAP(inst_.call("recurse", {Value::i32(0)}), TrapKind::stack_exhausted);
  EXPECT_EQ(inst_.call("ok")[0], Value::i32(7));
}

TEST_P(TrapsTest, StackExhaustedOnAnotherThread) {
  Template t = Linker().instantiate_template(inst_.module(), options());
  for (int round = 0; round < 2; ++round) {
    std::thread th([&] {
      Instance other = t.instantiate();
      EXPECT_TRAP(other.call("recurse", {Value::i32(0)}), TrapKind::stack_exhausted);
      EXPECT_EQ(other.call("ok")[0], Value::i32(7));
    });
    th.join();
  }
}

TEST_P(TrapsTest, StackExhaustedOnASmallThreadStack) {
  Template t = Linker().instantiate_template(inst_.module(), options());
  struct Ctx {
    const Template* t;
    bool ok = false;
  } ctx{&t};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t th;
  ASSERT_EQ(pthread_create(
                &th, &attr,
                [](void* p) -> void* {
                  auto* c = static_cast<Ctx*>(p);
                  Instance inst = c->t->instantiate();
                  try {
                    inst.call("recurse", {Value::i32(0)});
                  } catch (const Trap& trap) {
                    c->ok = trap.kind() == TrapKind::stack_exhausted &&
                            inst.call("ok")[0] == Value::i32(7);
                  }
                  return nullptr;
                },
                &ctx),
            0);
  pthread_join(th, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_TRUE(ctx.ok);
}

TEST_P(TrapsTest, IntegerOverflow) {
  const int32_t min32 = std::numeric_limits<int32_t>::min();
  const int64_t min64 = std::numeric_limits<int64_t>::min();
  EXPECT_TRAP(inst_.call("div_s", {Value::i32(min32), Value::i32(-1)}), TrapKind::integer_overflow);
  expect_still_usable();
  EXPECT_TRAP(inst_.call("div_s64", {Value::i64(min64), Value::i64(-1)}),
              TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("trunc_f64_s", {Value::f64(1e10)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("trunc_f64_s", {Value::f64(-2147483649.0)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("trunc_f64_s", {Value::f64(INFINITY)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("trunc_f32_u64", {Value::f32(-1.0f)}), TrapKind::integer_overflow);
  EXPECT_TRAP(inst_.call("trunc_f32_u64", {Value::f32(1.9e19f)}), TrapKind::integer_overflow);
  // Not traps: rem_s INT_MIN % -1 is 0, in-range truncation, saturating truncation.
  EXPECT_EQ(inst_.call("rem_s", {Value::i32(min32), Value::i32(-1)})[0], Value::i32(0));
  EXPECT_EQ(inst_.call("trunc_f64_s", {Value::f64(-2147483648.9)})[0], Value::i32(min32));
  EXPECT_EQ(inst_.call("trunc_sat", {Value::f64(1e10)})[0], Value::i32(2147483647));
}

TEST_P(TrapsTest, DivideByZero) {
  EXPECT_TRAP(inst_.call("div_s", {Value::i32(1), Value::i32(0)}), TrapKind::divide_by_zero);
  expect_still_usable();
  EXPECT_TRAP(inst_.call("div_u", {Value::i32(1), Value::i32(0)}), TrapKind::divide_by_zero);
  EXPECT_TRAP(inst_.call("rem_s", {Value::i32(1), Value::i32(0)}), TrapKind::divide_by_zero);
  EXPECT_TRAP(inst_.call("div_s64", {Value::i64(1), Value::i64(0)}), TrapKind::divide_by_zero);
  EXPECT_TRAP(inst_.call("rem_u64", {Value::i64(1), Value::i64(0)}), TrapKind::divide_by_zero);
}

TEST_P(TrapsTest, InvalidConversion) {
  EXPECT_TRAP(inst_.call("trunc_f64_s", {Value::f64(NAN)}), TrapKind::invalid_conversion);
  expect_still_usable();
  EXPECT_TRAP(inst_.call("trunc_f32_u64", {Value::f32_bits(0x7fc00001)}),
              TrapKind::invalid_conversion);
  EXPECT_EQ(inst_.call("trunc_sat", {Value::f64(NAN)})[0], Value::i32(0));
}

TEST_P(TrapsTest, IndirectCall) {
  EXPECT_TRAP(inst_.call("call_v_i", {Value::i32(2)}), TrapKind::indirect_call);  // null entry
  expect_still_usable();
  EXPECT_TRAP(inst_.call("call_v_i", {Value::i32(1)}), TrapKind::indirect_call);  // type mismatch
  EXPECT_TRAP(inst_.call("call_v_i", {Value::i32(4)}), TrapKind::indirect_call);  // past the end
  EXPECT_TRAP(inst_.call("call_v_i", {Value::i32(-1)}), TrapKind::indirect_call);
  EXPECT_EQ(inst_.call("call_v_i", {Value::i32(0)})[0], Value::i32(42));
}

TEST_P(TrapsTest, TypedCallsTrapToo) {
  auto div = inst_.func<int32_t(int32_t, int32_t)>("div_s");
  EXPECT_EQ(div(7, 2), 3);
  EXPECT_TRAP(div(7, 0), TrapKind::divide_by_zero);
  EXPECT_EQ(div(-8, 2), -4);
  auto unreachable = inst_.func<void()>("unreachable");
  EXPECT_TRAP(unreachable(), TrapKind::unreachable);
  auto load = inst_.func<int32_t(int32_t)>("load");
  EXPECT_TRAP(load(70000), TrapKind::out_of_bounds);
  EXPECT_TRUE(inst_.trapped());
}

WISP_INSTANTIATE_TIERS(TrapsTest);

TEST(TrapKindTest, NamesAndMessages) {
  EXPECT_STREQ(trap_kind_name(TrapKind::out_of_bounds), "out_of_bounds");
  EXPECT_STREQ(trap_kind_name(TrapKind::stack_exhausted), "stack_exhausted");
  EXPECT_STREQ(trap_kind_name(TrapKind::host_error), "host_error");
  EXPECT_STREQ(trap_kind_name(TrapKind::timeout), "timeout");
  Trap t(TrapKind::divide_by_zero, "in f");
  EXPECT_EQ(t.kind(), TrapKind::divide_by_zero);
  EXPECT_EQ(t.detail(), "in f");
  const Error& base = t;  // every wisp error derives from wisp::Error
  EXPECT_NE(std::string(base.what()).find("in f"), std::string::npos);
}

}  // namespace
}  // namespace wisp::test
