// Contexts: per-context regions in one shared instance (the key-value guest of the examples, in
// WAT): independent state, checked host access, zeroing on close, and enforced isolation — a
// call that touches another context's region traps instead of reading it.
#include <gtest/gtest.h>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// update_value(ctx, v) / get_value(ctx) as in examples/guests/kv.c; peek(ctx, addr) reads any
// address (a hostile or buggy guest path).
constexpr const char* kKvWat = R"((module
  (memory (export "memory") 1)
  (func (export "update_value") (param $ctx i32) (param $v i32) (result i32)
    (i32.store (local.get $ctx) (local.get $v))
    (i32.store offset=4 (local.get $ctx) (i32.add (i32.load offset=4 (local.get $ctx)) (i32.const 1)))
    (i32.load offset=4 (local.get $ctx)))
  (func (export "get_value") (param $ctx i32) (result i32) (i32.load (local.get $ctx)))
  (func (export "peek") (param $ctx i32) (param $addr i32) (result i32) (i32.load (local.get $addr)))))";

class ContextsTest : public TierTest {};

TEST_P(ContextsTest, ContextsKeepTheirOwnStateInOneInstance) {
  Template t = Linker().instantiate_template(compile(kKvWat), options());
  Contexts contexts(t);
  auto a = contexts.open();
  auto b = contexts.open();
  EXPECT_NE(a->ptr(), b->ptr());
  EXPECT_EQ(a->call("update_value", {Value::i32(11)})[0].as_i32(), 1);
  EXPECT_EQ(a->call("update_value", {Value::i32(12)})[0].as_i32(), 2);
  EXPECT_EQ(b->call("update_value", {Value::i32(21)})[0].as_i32(), 1);
  EXPECT_EQ(a->call("get_value")[0].as_i32(), 12);
  EXPECT_EQ(b->call("get_value")[0].as_i32(), 21);
  EXPECT_EQ(contexts.open_contexts(), 2u);
  // Host access through the context is checked against its region.
  std::vector<uint8_t> v = a->read(0, 4);
  EXPECT_EQ(v[0], 12);
  EXPECT_THROW(a->read(a->size() - 2, 4), Trap);
  EXPECT_THROW(a->write(a->size(), std::vector<uint8_t>{1}), Trap);
}

TEST_P(ContextsTest, AClosedContextIsZeroedBeforeReuse) {
  Template t = Linker().instantiate_template(compile(kKvWat), options());
  Contexts contexts(t);
  uint32_t ptr = 0;
  {
    auto a = contexts.open();
    ptr = a->ptr();
    a->call("update_value", {Value::i32(99)});
  }
  auto again = contexts.open();
  EXPECT_EQ(again->ptr(), ptr);  // the same region, reused
  EXPECT_EQ(again->call("get_value")[0].as_i32(), 0);
  EXPECT_EQ(again->read(4, 4), std::vector<uint8_t>(4, 0));
}

TEST_P(ContextsTest, EnforcedIsolationTrapsOnANeighboursRegion) {
  Template t = Linker().instantiate_template(compile(kKvWat), options());
  Contexts contexts(t);
  auto a = contexts.open();
  auto b = contexts.open();
  b->call("update_value", {Value::i32(1234)});
  // A call through `a` that reads b's region traps: b's pages are inaccessible during a's call.
  try {
    a->call("peek", {Value::i32(static_cast<int32_t>(b->ptr()))});
    FAIL() << "reading another context's region must trap";
  } catch (const Trap& trap) {
    EXPECT_EQ(trap.kind(), TrapKind::out_of_bounds);
  }
}

TEST_P(ContextsTest, WithoutEnforcementTheGuestCanReadANeighbour) {
  // The documented difference: checked host access only.
  Template t = Linker().instantiate_template(compile(kKvWat), options());
  ContextsOptions o;
  o.enforce = false;
  Contexts contexts(t, o);
  auto a = contexts.open();
  auto b = contexts.open();
  b->call("update_value", {Value::i32(77)});
  EXPECT_EQ(a->call("peek", {Value::i32(static_cast<int32_t>(b->ptr()))})[0].as_i32(), 77);
}

TEST_P(ContextsTest, ManyContexts) {
  Template t = Linker().instantiate_template(compile(kKvWat), options());
  Contexts contexts(t);
  std::vector<std::unique_ptr<Contexts::Context>> all;
  for (int i = 0; i < 100; ++i) all.push_back(contexts.open());
  for (int i = 0; i < 100; ++i) all[i]->call("update_value", {Value::i32(i)});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(all[i]->call("get_value")[0].as_i32(), i);
}

INSTANTIATE_TEST_SUITE_P(Tiers, ContextsTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
