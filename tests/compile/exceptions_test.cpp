// Exception handling (the legacy proposal) on both tiers: values of every type through throw and
// catch, locals set in a try body seen by its handler (the C keeps them volatile across the
// longjmp), branches and returns out of try bodies (a later throw must not land in a try that
// was left), rethrow after a nested try in the catch body, delegate, tags imported from another
// instance and instances on the other tier, uncaught exceptions as traps, fuel, the switch, and
// the host's side: host tags, host functions that throw, wisp::Exception out of a call.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kThrower = R"((module
  (tag $e (export "e") (param i32))
  (func (export "throw") (param i32) (throw $e (local.get 0)))))";

class ExceptionsTest : public TierTest {};

TEST_P(ExceptionsTest, ValuesOfEveryTypeTravelWithTheException) {
  Instance inst = instantiate(R"((module
    (tag $t (param i32 i64 f32 f64 v128 externref))
    (func $thrower (param i32 i64 f32 f64 v128 externref)
      (throw $t (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
                (local.get 5)))
    (func (export "roundtrip") (param i32 i64 f32 f64 v128 externref)
                               (result i32 i64 f32 f64 v128 externref)
      (try (result i32 i64 f32 f64 v128 externref)
        (do (call $thrower (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                           (local.get 4) (local.get 5))
            (unreachable))
        (catch $t)))))");
  int marker = 0;
  const std::vector<Value> args = {Value::i32(-7),
                                   Value::i64(1ll << 40),
                                   Value::f32_bits(0x7fa00001u),  // a signalling NaN's bits
                                   Value::f64(-0.0),
                                   Value::v128(V128::from_halves(0x0102030405060708ull, ~0ull)),
                                   Value::externref(&marker)};
  EXPECT_EQ(inst.call("roundtrip", args), args);
}

TEST_P(ExceptionsTest, LocalsSetInTheTryBodyReachTheHandler) {
  Instance inst = instantiate(R"((module
    (tag $e)
    (func $maybe_throw (param i32) (if (local.get 0) (then (throw $e))))
    (func (export "count") (param $n i32) (result i32)
      (local $i i32) (local $sum i32)
      (try
        (do (loop $next
              (local.set $sum (i32.add (local.get $sum) (local.get $i)))
              (call $maybe_throw (i32.eq (local.get $i) (local.get $n)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
        (catch $e))
      (i32.add (i32.mul (local.get $i) (i32.const 1000)) (local.get $sum)))))");
  // i reaches n (the throw), sum = 0 + 1 + ... + n.
  EXPECT_EQ(inst.call("count", {Value::i32(10)})[0], Value::i32(10 * 1000 + 55));
  EXPECT_EQ(inst.call("count", {Value::i32(0)})[0], Value::i32(0));
}

TEST_P(ExceptionsTest, LeavingATryBodyRestoresTheOuterHandler) {
  Instance inst = instantiate(R"((module
    (tag $e (param i32))
    (func $throw (param i32) (throw $e (local.get 0)))
    ;; br out of a try body, then a throw: the try that was left must not catch it.
    (func (export "br_out") (result i32)
      (try (result i32)
        (do (block $out (try (do (br $out)) (catch $e (drop) (return (i32.const -1)))))
            (call $throw (i32.const 5))
            (i32.const 0))
        (catch $e)))
    ;; return out of a try body: the caller's handler is the active one again.
    (func $returns_from_try (result i32) (try (result i32) (do (return (i32.const 3))) (catch_all (i32.const -2))))
    (func (export "return_out") (result i32)
      (try (result i32)
        (do (drop (call $returns_from_try)) (call $throw (i32.const 7)) (i32.const 0))
        (catch $e)))
    ;; br_table out of a try body.
    (func (export "br_table_out") (param i32) (result i32)
      (try (result i32)
        (do (block $a (block $b (try (do (br_table $a $b (local.get 0))) (catch_all)))
              (call $throw (i32.const 11)))
            (call $throw (i32.const 12))
            (i32.const 0))
        (catch $e)))
    (func (export "uncaught_after") (block $out (try (do (br $out)) (catch_all)))
      (call $throw (i32.const 1)))))");
  EXPECT_EQ(inst.call("br_out")[0], Value::i32(5));
  EXPECT_EQ(inst.call("return_out")[0], Value::i32(7));
  EXPECT_EQ(inst.call("br_table_out", {Value::i32(0)})[0], Value::i32(12));
  EXPECT_EQ(inst.call("br_table_out", {Value::i32(1)})[0], Value::i32(11));
  EXPECT_TRAP(inst.call("uncaught_after"), TrapKind::uncaught_exception);
}

TEST_P(ExceptionsTest, RethrowKeepsItsExceptionAcrossANestedTry) {
  Instance inst = instantiate(R"((module
    (tag $a (param i32))
    (tag $b (param i32))
    (func (export "f") (result i32)
      (try (result i32)
        (do (try (result i32)
              (do (throw $a (i32.const 1)))
              (catch $a
                (drop)
                ;; another exception thrown and caught inside the catch body
                (try (do (throw $b (i32.const 2))) (catch $b (drop)))
                (rethrow 0))))
        (catch $a)))
    (func (export "delegated") (result i32)
      (try (result i32)
        (do (try (do (throw $b (i32.const 9))) (delegate 0)) (i32.const 0))
        (catch $b)))
    (func (export "to_caller") (try (do (throw $a (i32.const 3))) (delegate 0)))))");
  EXPECT_EQ(inst.call("f")[0], Value::i32(1));
  EXPECT_EQ(inst.call("delegated")[0], Value::i32(9));
  EXPECT_TRAP(inst.call("to_caller"), TrapKind::uncaught_exception);
}

TEST_P(ExceptionsTest, TagsAreSharedThroughImportsAcrossInstancesAndTiers) {
  // The thrower on the other tier: its exceptions cross into this tier's catch clauses.
  const Tier other = tier() == Tier::tier0 ? Tier::tier1 : Tier::tier0;
  Engine other_engine(engine_config(other, cache_dir()));
  TemplateOptions other_options;
  other_options.tier = other;
  Instance thrower = Linker().instantiate(other_engine.compile(wat(kThrower)), other_options);
  Linker linker;
  linker.define_instance("lib", thrower);
  Instance inst = instantiate(R"((module
    (import "lib" "e" (tag $e (param i32)))
    (import "lib" "throw" (func $throw (param i32)))
    (tag $mine (param i32))
    (func (export "catch_imported") (param i32) (result i32)
      (try (result i32) (do (call $throw (local.get 0)) (i32.const -1))
        (catch $mine (drop) (i32.const -2))
        (catch $e (i32.add (i32.const 100)))))
    (func (export "uncaught") (call $throw (i32.const 1)))))",
                              linker);
  EXPECT_EQ(inst.call("catch_imported", {Value::i32(5)})[0], Value::i32(105));
  EXPECT_TRAP(inst.call("uncaught"), TrapKind::uncaught_exception);
  EXPECT_TRAP(thrower.call("throw", {Value::i32(1)}), TrapKind::uncaught_exception);
  // A tag of another type does not link.
  Linker mismatch;
  mismatch.define_instance("lib", thrower);
  EXPECT_THROW(
      mismatch.instantiate(compile(R"((module (import "lib" "e" (tag (param i64)))))"), options()),
      LinkError);
  ASSERT_EQ(inst.module().imports()[0].type.to_string(), "tag (i32)");
}

TEST_P(ExceptionsTest, ACatchAllRethrowOfALargerForeignExceptionIsAResourceLimit) {
  // A module saves a caught exception in as many values as its largest tag holds; a catch_all
  // that rethrows a foreign exception with more values traps rather than truncating it.
  Instance a = instantiate(R"((module
    (tag $big (param i32 i32 i32))
    (func (export "throw_big") (throw $big (i32.const 1) (i32.const 2) (i32.const 3)))))");
  Linker linker;
  linker.define_instance("a", a);
  Instance b = instantiate(R"((module
    (import "a" "throw_big" (func $t))
    (func (export "swallow") (result i32) (try (result i32) (do (call $t) (i32.const 0))
                                                (catch_all (i32.const 1))))
    (func (export "rethrow") (try (do (call $t)) (catch_all (rethrow 0))))))",
                           linker);
  EXPECT_EQ(b.call("swallow")[0], Value::i32(1));
  EXPECT_TRAP(b.call("rethrow"), TrapKind::resource_limit);
}

TEST_P(ExceptionsTest, ExceptionsWorkWithFuelAndTheSwitchTurnsThemOff) {
  const char* text = R"((module
    (tag $e)
    (func (export "spin") (param i32) (result i32)
      (local $k i32)
      (loop $again
        (try (do (throw $e)) (catch $e (local.set $k (i32.add (local.get $k) (i32.const 1)))))
        (br_if $again (i32.lt_u (local.get $k) (local.get 0))))
      (local.get $k))))";
  EngineConfig fuelled = engine_config(tier(), cache_dir());
  fuelled.consume_fuel = true;
  Engine engine(fuelled);
  TemplateOptions o = options();
  o.limits.fuel = 100000;
  Instance inst = Linker().instantiate(engine.compile(wat(text)), o);
  EXPECT_EQ(inst.call("spin", {Value::i32(100)})[0], Value::i32(100));
  EXPECT_TRAP(inst.call("spin", {Value::i32(1000000)}), TrapKind::out_of_fuel);

  EngineConfig off = engine_config(tier(), cache_dir());
  off.proposals.exceptions = false;
  try {
    Engine(off).compile(wat(text));
    FAIL() << "compiled with exceptions off";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("exception handling (turned off"), std::string::npos)
        << e.what();
  }
}

TEST_P(ExceptionsTest, TheHostThrowsAndCatchesGuestExceptions) {
  // A tag of the host's, imported by the module; a host function that throws it.
  const Tag host_tag({ValType::i32, ValType::f64});
  Linker linker;
  linker.define_tag("host", "oops", host_tag);
  linker.define_func("host", "fail", FuncType{{ValType::i32}, {}},
                     [&](Caller&, std::span<const Value> args, std::span<Value>) {
                       if (args[0].as_i32() > 0)
                         throw Exception(host_tag, {args[0], Value::f64(2.5)});
                     });
  Instance inst = instantiate(R"((module
    (import "host" "oops" (tag $oops (param i32 f64)))
    (import "host" "fail" (func $fail (param i32)))
    (tag $own (export "own") (param i64))
    (func (export "guarded") (param i32) (result i32)
      (try (result i32)
        (do (call $fail (local.get 0)) (i32.const 0))
        (catch $oops (drop) (i32.add (i32.const 1000)))))
    (func (export "unguarded") (param i32) (call $fail (local.get 0)))
    (func (export "throw_own") (param i64) (throw $own (local.get 0)))))",
                              linker);
  EXPECT_EQ(inst.call("guarded", {Value::i32(7)})[0], Value::i32(1007));
  EXPECT_EQ(inst.call("guarded", {Value::i32(0)})[0], Value::i32(0));
  // Uncaught, the host's exception comes back to the caller with its values.
  try {
    inst.call("unguarded", {Value::i32(3)});
    FAIL() << "no exception";
  } catch (const Exception& e) {
    EXPECT_EQ(e.kind(), TrapKind::uncaught_exception);
    ASSERT_TRUE(e.is(host_tag));
    EXPECT_EQ(e.values(host_tag), (std::vector<Value>{Value::i32(3), Value::f64(2.5)}));
  }
  // A guest tag, caught by the host through Instance::tag.
  const Tag own = inst.tag("own");
  EXPECT_EQ(own.params(), std::vector<ValType>{ValType::i64});
  try {
    inst.call("throw_own", {Value::i64(-5)});
    FAIL() << "no exception";
  } catch (const Exception& e) {
    EXPECT_TRUE(e.is(own));
    EXPECT_FALSE(e.is(host_tag));
    EXPECT_EQ(e.values(own), std::vector<Value>{Value::i64(-5)});
    EXPECT_THROW(e.values(host_tag), Error);
  }
  // Values that do not fit the tag are the host's error, not an exception.
  EXPECT_THROW(Exception(host_tag, {Value::i32(1)}), Error);
  EXPECT_THROW(Exception(host_tag, {Value::i64(1), Value::f64(1)}), Error);
}

WISP_INSTANTIATE_TIERS(ExceptionsTest);

}  // namespace
}  // namespace wisp::test
