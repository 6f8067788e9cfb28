// Fuel (EngineConfig::consume_fuel): exact, deterministic consumption by the documented rule on
// both tiers, out_of_fuel traps (loops, recursion, calls into another instance, the start
// function), trapped instances discarded by strategies, reset and Limits::fuel, and the errors
// without fuel.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "support/fixture.hpp"
#include "support/strategy_check.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// Costs by the rule of src/compile/emit/c_emitter.hpp:
//   count(n): entry segment `block loop` = 2; loop body (9 instructions) runs n + 1 times;
//   after the block `local.get` = 1. Total 9n + 12.
//   down(n): entry `local.get if` = 2; then-arm `local.get i32.const i32.sub call` = 4;
//   else-arm `i32.const` = 1. n calls take the then-arm, one the else-arm: 6n + 3.
constexpr const char* kWat = R"((module
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (func (export "count") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i))
  (func $down (export "down") (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call $down (i32.sub (local.get $n) (i32.const 1))))
      (else (i32.const 0))))
  (func $forever (export "forever") (call $forever))
  (func (export "spin") (loop $l (br $l)))
  (func (export "bump") (result i32)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $g))
    (global.get $g))
  (func (export "boom") (unreachable))))";

uint64_t count_cost(uint64_t n) {
  return 9 * n + 12;
}
uint64_t down_cost(uint64_t n) {
  return 6 * n + 3;
}

constexpr uint64_t kUnlimited = static_cast<uint64_t>(INT64_MAX);

class FuelTest : public ::testing::TestWithParam<Tier> {
 protected:
  Tier tier() const { return GetParam(); }
  Engine& engine() {
    if (!engine_) {
      EngineConfig cfg = engine_config(tier(), cache_.path());
      cfg.consume_fuel = true;
      engine_ = std::make_unique<Engine>(cfg);
    }
    return *engine_;
  }
  Template make_template(std::string_view text = kWat, Limits limits = {},
                         const Linker& linker = Linker{}) {
    TemplateOptions o;
    o.tier = tier();
    o.limits = limits;
    return linker.instantiate_template(engine().compile(wat(text)), o);
  }
  Instance instantiate(Limits limits = {}) {
    Instance inst = make_template(kWat, limits).instantiate();
    EXPECT_EQ(inst.tier(), tier());
    return inst;
  }
  // Fuel a call of `name(arg)` uses, starting from `budget`.
  uint64_t used_by(Instance& inst, const char* name, int32_t arg, uint64_t budget = 1'000'000) {
    inst.set_fuel(budget);
    inst.call(name, {Value::i32(arg)});
    return budget - inst.fuel_remaining();
  }

 private:
  TempDir cache_;
  std::unique_ptr<Engine> engine_;
};

TEST_P(FuelTest, ConsumptionFollowsTheDocumentedRuleExactly) {
  Instance inst = instantiate();
  ASSERT_TRUE(inst.fuel_enabled());
  for (int n : {0, 1, 10, 1000}) {
    EXPECT_EQ(used_by(inst, "count", n), count_cost(n)) << "count(" << n << ")";
    EXPECT_EQ(used_by(inst, "down", n), down_cost(n)) << "down(" << n << ")";
  }
}

TEST_P(FuelTest, ConsumptionIsTheSameOnEveryRun) {
  Instance inst = instantiate();
  uint64_t first = used_by(inst, "count", 5000);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(used_by(inst, "count", 5000), first);
  Instance other = instantiate();
  EXPECT_EQ(used_by(other, "count", 5000), first);
}

TEST_P(FuelTest, EnoughFuelCompletesAndExactlyTooLittleTraps) {
  Instance inst = instantiate();
  inst.set_fuel(count_cost(100));
  EXPECT_EQ(inst.call("count", {Value::i32(100)})[0].as_i32(), 100);
  EXPECT_EQ(inst.fuel_remaining(), 0u);
  EXPECT_FALSE(inst.trapped());
  inst.set_fuel(count_cost(100) - 1);
  EXPECT_TRAP(inst.call("count", {Value::i32(100)}), TrapKind::out_of_fuel);
  EXPECT_TRUE(inst.trapped());
  EXPECT_EQ(inst.fuel_remaining(), 0u);
}

TEST_P(FuelTest, InfiniteLoopRunsOutOfFuel) {
  Instance inst = instantiate();
  inst.set_fuel(100'000);
  EXPECT_TRAP(inst.call("spin"), TrapKind::out_of_fuel);
  EXPECT_TRUE(inst.trapped());
  EXPECT_EQ(inst.fuel_remaining(), 0u);
  // Still out of fuel: the next call traps again at function entry.
  EXPECT_TRAP(inst.call("bump"), TrapKind::out_of_fuel);
}

TEST_P(FuelTest, RecursionIsChargedOnFunctionEntry) {
  Instance inst = instantiate();
  // Few enough calls that fuel, not the stack, ends the infinite recursion.
  inst.set_fuel(20'000);
  EXPECT_TRAP(inst.call("forever"), TrapKind::out_of_fuel);
  inst.set_fuel(down_cost(50) - 1);
  EXPECT_TRAP(inst.call("down", {Value::i32(50)}), TrapKind::out_of_fuel);
}

TEST_P(FuelTest, RealUnreachableStaysUnreachable) {
  Instance inst = instantiate();
  inst.set_fuel(1000);
  EXPECT_TRAP(inst.call("boom"), TrapKind::unreachable);
}

TEST_P(FuelTest, ZeroFuelTrapsAtOnce) {
  Instance inst = instantiate();
  inst.set_fuel(0);
  EXPECT_TRAP(inst.call("bump"), TrapKind::out_of_fuel);
  EXPECT_EQ(inst.memory().load<int32_t>(0), 0);  // nothing ran
}

TEST_P(FuelTest, LimitsFuelIsTheInitialFuelAndResetRestoresIt) {
  Limits limits;
  limits.fuel = 5000;
  Instance inst = instantiate(limits);
  EXPECT_EQ(inst.fuel_remaining(), 5000u);
  EXPECT_EQ(inst.call("bump")[0].as_i32(), 1);
  uint64_t after_one = inst.fuel_remaining();
  EXPECT_LT(after_one, 5000u);
  EXPECT_EQ(inst.call("bump")[0].as_i32(), 2);
  EXPECT_EQ(inst.fuel_remaining(), 5000u - 2 * (5000u - after_one));  // carries over
  inst.reset();
  EXPECT_EQ(inst.fuel_remaining(), 5000u);
  EXPECT_EQ(inst.call("bump")[0].as_i32(), 1);  // state restored too
  // After running out: reset makes the instance usable again with the initial fuel.
  EXPECT_TRAP(inst.call("spin"), TrapKind::out_of_fuel);
  inst.reset();
  EXPECT_FALSE(inst.trapped());
  EXPECT_EQ(inst.fuel_remaining(), 5000u);
  EXPECT_EQ(inst.call("count", {Value::i32(10)})[0].as_i32(), 10);
  EXPECT_EQ(inst.fuel_remaining(), 5000u - count_cost(10));
}

TEST_P(FuelTest, ZeroLimitMeansUnlimitedButCounted) {
  Instance inst = instantiate();
  EXPECT_EQ(inst.fuel_remaining(), kUnlimited);
  inst.call("count", {Value::i32(10)});
  EXPECT_EQ(inst.fuel_remaining(), kUnlimited - count_cost(10));
  inst.set_fuel(UINT64_MAX);  // clamped
  EXPECT_EQ(inst.fuel_remaining(), kUnlimited);
}

TEST_P(FuelTest, StartFunctionRunsOnTheBudgetAndItsUseIsGivenBack) {
  constexpr const char* kStart = R"((module
    (global $g (mut i32) (i32.const 0))
    (func $start
      (loop $l
        (global.set $g (i32.add (global.get $g) (i32.const 1)))
        (br_if $l (i32.lt_u (global.get $g) (i32.const 100)))))
    (start $start)
    (func (export "g") (result i32) (global.get $g))))";
  Limits small;
  small.fuel = 50;
  EXPECT_TRAP(make_template(kStart, small).instantiate(), TrapKind::out_of_fuel);
  Limits enough;
  enough.fuel = 10'000;
  Template t = make_template(kStart, enough);
  for (int i = 0; i < 2; ++i) {  // from scratch, then from the snapshot
    Instance inst = t.instantiate();
    EXPECT_EQ(inst.fuel_remaining(), 10'000u);
    EXPECT_EQ(inst.call("g")[0].as_i32(), 100);
  }
}

TEST_P(FuelTest, CallIntoAnotherInstanceThatRunsOutIsOutOfFuel) {
  Instance callee = instantiate();
  Linker linker;
  linker.define_instance("callee", callee);
  Template caller_t = make_template(R"((module
    (import "callee" "spin" (func $spin))
    (func (export "go") (call $spin))))",
                                    Limits{}, linker);
  Instance caller = caller_t.instantiate();
  callee.set_fuel(1000);
  EXPECT_TRAP(caller.call("go"), TrapKind::out_of_fuel);
  EXPECT_TRUE(caller.trapped());
}

TEST_P(FuelTest, HostFunctionsCanChargeFuel) {
  Linker linker;
  linker.define_func("env", "work", FuncType{{}, {}}, [](Caller& caller, auto, auto) {
    EXPECT_TRUE(caller.fuel_enabled());
    caller.consume_fuel(500);
  });
  // Per call of "go": entry `call` = 1, plus the host function's 500.
  Template t = make_template(R"((module
    (import "env" "work" (func $work))
    (func (export "go") (call $work))))",
                             Limits{}, linker);
  Instance inst = t.instantiate();
  inst.set_fuel(1003);
  inst.call("go");
  EXPECT_EQ(inst.fuel_remaining(), 502u);
  inst.call("go");
  EXPECT_EQ(inst.fuel_remaining(), 1u);
  EXPECT_TRAP(inst.call("go"), TrapKind::out_of_fuel);
  EXPECT_TRUE(inst.trapped());
  EXPECT_EQ(inst.fuel_remaining(), 0u);
}

TEST_P(FuelTest, OutOfFuelInstancesAreDiscardedAsResourceLimit) {
  Limits limits;
  limits.fuel = 10'000;
  Policy p;
  p.max_instances = 1;
  p.min_warm = 1;
  p.on_release = ReleaseAction::keep;
  auto s = checked_strategy(StrategyKind::pool, make_template(kWat, limits), p);
  {
    Lease l = s->acquire();
    EXPECT_TRAP(l->call("spin"), TrapKind::out_of_fuel);
    EXPECT_TRUE(l->trapped());
  }
  StrategyStats st = s->stats();
  EXPECT_EQ(st.discards[static_cast<size_t>(DiscardReason::resource_limit)], 1u);
  Lease l = s->acquire();
  EXPECT_EQ(l->fuel_remaining(), 10'000u);  // the replacement has its full fuel
  EXPECT_EQ(l->call("bump")[0].as_i32(), 1);
}

TEST_P(FuelTest, EveryLeaseStartsWithFuelPerLease) {
  // A shared instance keeps its state, yet each lease gets the same fuel budget.
  Policy p;
  p.fuel_per_lease = 5'000;
  auto s = checked_strategy(StrategyKind::shared, make_template(kWat, Limits{}), p);
  for (int i = 1; i <= 3; ++i) {
    Lease l = s->acquire();
    EXPECT_EQ(l->fuel_remaining(), 5'000u);
    EXPECT_EQ(l->call("bump")[0].as_i32(), i);  // state carried over
    EXPECT_LT(l->fuel_remaining(), 5'000u);
  }
  {
    Lease l = s->acquire();
    EXPECT_TRAP(l->call("spin"), TrapKind::out_of_fuel);
  }
  EXPECT_EQ(s->stats().discards[static_cast<size_t>(DiscardReason::resource_limit)], 1u);
}

WISP_INSTANTIATE_TIERS(FuelTest);

// Both tiers stop at exactly the same point, on a workload with memory, calls and branches.
TEST(FuelTiers, BothTiersConsumeExactlyTheSame) {
  constexpr const char* kWork = R"((module
    (memory 1)
    (func $mix (param $x i32) (result i32)
      (i32.xor (i32.mul (local.get $x) (i32.const 0x9e3779b1)) (i32.shr_u (local.get $x) (i32.const 15))))
    (func (export "work") (param $n i32) (result i32)
      (local $i i32) (local $acc i32)
      (loop $l
        (local.set $acc (call $mix (i32.add (local.get $acc) (local.get $i))))
        (if (i32.and (local.get $acc) (i32.const 1))
          (then (i32.store (i32.and (local.get $acc) (i32.const 0xfffc)) (local.get $i)))
          (else (local.set $acc (i32.add (local.get $acc) (i32.load (i32.and (local.get $i) (i32.const 0xfffc)))))))
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
      (local.get $acc))))";
  uint64_t used[2] = {};
  int32_t result[2] = {};
  uint64_t trapped_left[2] = {};
  TempDir cache;
  for (Tier t : {Tier::tier0, Tier::tier1}) {
    EngineConfig cfg = engine_config(t, cache.path());
    cfg.consume_fuel = true;
    Engine engine(cfg);
    TemplateOptions o;
    o.tier = t;
    Instance inst = Linker().instantiate(engine.compile(wat(kWork)), o);
    ASSERT_EQ(inst.tier(), t);
    size_t k = t == Tier::tier0 ? 0 : 1;
    inst.set_fuel(100'000'000);
    result[k] = inst.call("work", {Value::i32(100'000)})[0].as_i32();
    used[k] = 100'000'000 - inst.fuel_remaining();
    // A budget that runs out half way: the same trap on both tiers.
    inst.reset();
    inst.set_fuel(used[k] / 2);
    EXPECT_TRAP(inst.call("work", {Value::i32(100'000)}), TrapKind::out_of_fuel);
    trapped_left[k] = inst.fuel_remaining();
  }
  EXPECT_EQ(result[0], result[1]);
  EXPECT_EQ(used[0], used[1]);
  EXPECT_GT(used[0], 100'000u * 20);
  EXPECT_EQ(trapped_left[0], trapped_left[1]);
}

// Tier-1 objects built with and without fuel never stand in for each other in the cache.
TEST(FuelTiers, CacheKeySeparatesFuelFromNoFuel) {
  TempDir cache;
  for (bool fuel : {false, true, false}) {
    EngineConfig cfg = engine_config(Tier::tier1, cache.path());
    cfg.consume_fuel = fuel;
    Engine engine(cfg);
    TemplateOptions o;
    o.tier = Tier::tier1;
    Instance inst = Linker().instantiate(engine.compile(wat(kWat)), o);
    EXPECT_EQ(inst.fuel_enabled(), fuel);
    EXPECT_EQ(inst.call("count", {Value::i32(7)})[0].as_i32(), 7);
  }
}

TEST(FuelOff, FuelCallsThrowWithoutConsumeFuel) {
  TempDir cache;
  Engine engine(engine_config(Tier::tier0, cache.path()));
  TemplateOptions o;
  o.tier = Tier::tier0;
  Instance inst = Linker().instantiate(engine.compile(wat(kWat)), o);
  EXPECT_FALSE(inst.fuel_enabled());
  try {
    inst.set_fuel(10);
    FAIL() << "set_fuel must throw without consume_fuel";
  } catch (const Trap&) {
    FAIL() << "not a trap";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("consume_fuel"), std::string::npos) << e.what();
  }
  EXPECT_THROW(inst.fuel_remaining(), Error);
  EXPECT_EQ(inst.call("count", {Value::i32(3)})[0].as_i32(), 3);
  EXPECT_FALSE(Instance().fuel_enabled());
}

}  // namespace
}  // namespace wisp::test
