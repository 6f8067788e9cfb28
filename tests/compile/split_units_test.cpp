// Tier 1 of a large module: its C split into translation units, compiled in parallel and linked
// into one shared object, behaves as the single-unit build (and as tier 0).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compile/c_translate.hpp"
#include "support/fixture.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// Direct and indirect calls across functions (func_types), a passive data segment (memory.init),
// a mutable global, a funcref table filled by an element segment, a start function and a
// multi-value function: everything a function body refers to outside itself.
const char* kModule = R"((module
  (type $binop (func (param i32 i32) (result i32)))
  (memory 1)
  (global $g (mut i32) (i32.const 5))
  (table 3 funcref)
  (elem (i32.const 0) $add $mul $sub)
  (data $d "\2a\00\00\00")
  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $mul (type $binop) (i32.mul (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $pair (param i32) (result i32 i32) (local.get 0) (i32.add (local.get 0) (i32.const 1)))
  (func $init (global.set $g (i32.add (global.get $g) (i32.const 100))))
  (start $init)
  (func (export "apply") (param i32 i32 i32) (result i32)
    (call_indirect (type $binop) (local.get 1) (local.get 2) (local.get 0)))
  (func (export "data") (result i32)
    (memory.init $d (i32.const 16) (i32.const 0) (i32.const 4))
    (i32.load (i32.const 16)))
  (func (export "global") (result i32) (global.get $g))
  (func (export "pair") (param i32) (result i32)
    (call $pair (local.get 0)) (i32.mul))
  (func (export "fact") (param i64) (result i64)
    (if (result i64) (i64.le_u (local.get 0) (i64.const 1)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call 9 (i64.sub (local.get 0) (i64.const 1))))))))
)";

std::vector<int64_t> results(const Module& m, Tier tier) {
  TemplateOptions o;
  o.tier = tier;
  Instance inst = Linker().instantiate(m, o);
  EXPECT_EQ(inst.tier(), tier);
  std::vector<int64_t> r;
  for (int32_t i = 0; i < 3; ++i)
    r.push_back(inst.call("apply", {Value::i32(i), Value::i32(7), Value::i32(3)})[0].as_i32());
  r.push_back(inst.call("data")[0].as_i32());
  r.push_back(inst.call("global")[0].as_i32());
  r.push_back(inst.call("pair", {Value::i32(6)})[0].as_i32());
  r.push_back(inst.call("fact", {Value::i64(10)})[0].as_i64());
  try {
    inst.call("apply", {Value::i32(3), Value::i32(1), Value::i32(1)});
    r.push_back(-1);
  } catch (const Trap&) {
    r.push_back(-2);  // out of the table's bounds
  }
  return r;
}

TEST(SplitUnits, SplitBuildMatchesTier0) {
  TempDir cache;
  EngineConfig config = engine_config(Tier::tier1, cache.path());
  config.tier1_unit_bytes = 1;  // every function in a unit of its own
  Engine engine(config);
  Module m = engine.compile(wat(kModule));
  ASSERT_TRUE(m.tier1_ready()) << m.tier1_error().value_or("");
  // Unit 0 (prelude, exports, glue) plus one unit per defined function.
  EXPECT_EQ(m.stats().tier1_units, 11u);
  std::vector<int64_t> want = {10, 21, 4, 42, 105, 42, 3628800, -2};
  EXPECT_EQ(results(m, Tier::tier0), want);
  EXPECT_EQ(results(m, Tier::tier1), want);
}

TEST(SplitUnits, FuelMeteredCodeSplitsAndStopsAtTheSamePoint) {
  TempDir cache;
  auto fuel_left = [&](size_t unit_bytes, Tier tier) {
    EngineConfig config = engine_config(tier, cache.path());
    config.consume_fuel = true;
    config.tier1_unit_bytes = unit_bytes;
    Engine engine(config);
    Module m = engine.compile(wat(kModule));
    if (tier == Tier::tier1) {
      EXPECT_TRUE(m.tier1_ready()) << m.tier1_error().value_or("");
      EXPECT_EQ(m.stats().tier1_units, 11u);
    }
    TemplateOptions o;
    o.tier = tier;
    Instance inst = Linker().instantiate(m, o);
    inst.set_fuel(100'000);
    EXPECT_EQ(inst.call("fact", {Value::i64(10)})[0].as_i64(), 3628800);
    return inst.fuel_remaining();
  };
  uint64_t tier0 = fuel_left(1, Tier::tier0);
  EXPECT_LT(tier0, 100'000u);
  EXPECT_EQ(fuel_left(1, Tier::tier1), tier0);
}

TEST(SplitUnits, SmallModulesStayWholeAndEachFunctionIsInOneUnit) {
  detail::emit::CModule c = detail::translate_bytes_to_c(wat(kModule), {}, /*consume_fuel=*/false);
  ASSERT_EQ(c.function_ends.size(), 10u);
  EXPECT_EQ(c.units(0).size(), 1u);
  EXPECT_EQ(c.units(c.text.size()).size(), 1u);
  std::vector<std::string> units = c.units(1);
  ASSERT_EQ(units.size(), 11u);
  // Unit 0 is the prelude and the tail; every function's definition is in exactly one unit.
  EXPECT_NE(units[0].find(c.tail()), std::string::npos);
  for (size_t i = 0; i < c.function_ends.size(); ++i) {
    size_t holders = 0;
    for (const std::string& u : units) holders += u.find(c.function(i)) != std::string::npos;
    EXPECT_EQ(holders, 1u) << "function " << i;
    EXPECT_NE(units[i + 1].find(c.function(i)), std::string::npos);
  }
}

}  // namespace
}  // namespace wisp::test
