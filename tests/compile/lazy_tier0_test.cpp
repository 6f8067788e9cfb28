// Lazy tier 0 (EngineConfig::lazy_tier0): compile() builds only the base unit; a function's C is
// emitted and compiled on its first call, with its neighbours; what runs behaves as the eagerly
// compiled module (results, traps, fuel, timeouts, tables), from many threads at once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/binary.hpp"
#include "support/fixture.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// `n` filler functions between the exports, so that batches have neighbours to take.
std::string module_text(int n) {
  std::string s = R"((module
  (type $un (func (param i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $double $square)
  (elem declare func $inc)
  (global $g (mut i32) (i32.const 7))
  (func $double (type $un) (i32.mul (local.get 0) (i32.const 2)))
  (func $square (type $un) (i32.mul (local.get 0) (local.get 0)))
  (func (export "apply") (param i32 i32) (result i32)
    (call_indirect (type $un) (local.get 1) (local.get 0)))
  (func (export "set_slot") (param i32)
    (table.set 0 (local.get 0) (ref.func $inc)))
  (func $inc (type $un) (i32.add (local.get 0) (global.get $g)))
  (func (export "fact") (param i64) (result i64)
    (if (result i64) (i64.le_u (local.get 0) (i64.const 1)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call 5 (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "spin") (loop $l (br $l)))
  (func (export "count") (param $n i32) (result i32)
    (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i))
)";
  for (int i = 0; i < n; ++i)
    s += "  (func (export \"filler" + std::to_string(i) +
         "\") (param i32) (result i32) (i32.add (local.get 0) (i32.const " + std::to_string(i) +
         ")))\n";
  s += ")";
  return s;
}

constexpr int kFillers = 200;

EngineConfig config(bool lazy, size_t batch_bytes = 1) {
  EngineConfig c;
  c.enable_tier1 = false;
  c.lazy_tier0 = lazy;
  c.lazy_batch_bytes = batch_bytes;
  return c;
}

TEST(LazyTier0, CompilesNothingUntilCalledThenOnlyWhatRuns) {
  Engine engine(config(true));
  Module m = engine.compile(wat(module_text(kFillers)));
  ASSERT_TRUE(m.stats().tier0_lazy);
  EXPECT_EQ(m.stats().tier0_functions_compiled, 0u);
  Instance inst = Linker().instantiate(m);
  EXPECT_EQ(inst.call("fact", {Value::i64(10)})[0].as_i64(), 3628800);
  // One byte per batch: each batch is its first function alone; fact only calls itself.
  EXPECT_EQ(m.stats().tier0_functions_compiled, 1u);
  EXPECT_EQ(m.stats().tier0_batches, 1u);
  EXPECT_EQ(inst.call("apply", {Value::i32(0), Value::i32(21)})[0].as_i32(), 42);
  EXPECT_EQ(inst.call("apply", {Value::i32(1), Value::i32(9)})[0].as_i32(), 81);
  EXPECT_EQ(m.stats().tier0_functions_compiled, 4u);  // fact, apply, double, square
  EXPECT_GT(m.stats().tier0_batch_c_bytes, 0u);
  // A second instance shares the code: nothing compiled again.
  Instance other = Linker().instantiate(m);
  EXPECT_EQ(other.call("apply", {Value::i32(0), Value::i32(4)})[0].as_i32(), 8);
  EXPECT_EQ(m.stats().tier0_functions_compiled, 4u);
}

TEST(LazyTier0, ABatchTakesTheFollowingFunctions) {
  Engine engine(config(true, 1 << 20));
  Module m = engine.compile(wat(module_text(kFillers)));
  Instance inst = Linker().instantiate(m);
  EXPECT_EQ(inst.call("filler0", {Value::i32(5)})[0].as_i32(), 5);
  // filler0 and every function after it, in one batch; the ten before it are not compiled.
  EXPECT_EQ(m.stats().tier0_functions_compiled, static_cast<size_t>(kFillers));
  EXPECT_EQ(m.stats().tier0_batches, 1u);
  EXPECT_EQ(inst.call("filler199", {Value::i32(1)})[0].as_i32(), 200);
  EXPECT_EQ(m.stats().tier0_batches, 1u);
}

// References taken before and after their function is compiled work alike (they name the stub).
TEST(LazyTier0, TableEntriesAndRefFuncWorkBeforeAndAfterCompilation) {
  Engine engine(config(true));
  Module m = engine.compile(wat(module_text(4)));
  Instance inst = Linker().instantiate(m);
  inst.call("set_slot", {Value::i32(2)});  // ref.func $inc, $inc not compiled
  EXPECT_EQ(inst.call("apply", {Value::i32(2), Value::i32(1)})[0].as_i32(), 8);
  inst.call("set_slot", {Value::i32(3)});  // again, now compiled
  EXPECT_EQ(inst.call("apply", {Value::i32(3), Value::i32(2)})[0].as_i32(), 9);
}

TEST(LazyTier0, TrapsTimeoutsAndFuelAreThoseOfTheEagerCode) {
  for (bool lazy : {true, false}) {
    SCOPED_TRACE(lazy ? "lazy" : "eager");
    Engine engine(config(lazy));
    Module m = engine.compile(wat(module_text(4)));
    EXPECT_EQ(m.stats().tier0_lazy, lazy);
    Instance inst = Linker().instantiate(m);
    try {
      inst.call("div", {Value::i32(1), Value::i32(0)});
      ADD_FAILURE() << "no trap";
    } catch (const Trap& t) {
      EXPECT_EQ(t.kind(), TrapKind::divide_by_zero);
    }
    inst.set_call_timeout(std::chrono::milliseconds(50));
    try {
      inst.call("spin");
      ADD_FAILURE() << "no trap";
    } catch (const Trap& t) {
      EXPECT_EQ(t.kind(), TrapKind::timeout);
    }
  }
  uint64_t left[2] = {0, 0};
  for (int lazy = 0; lazy < 2; ++lazy) {
    EngineConfig c = config(lazy != 0);
    c.consume_fuel = true;
    Engine engine(c);
    Module m = engine.compile(wat(module_text(4)));
    Instance inst = Linker().instantiate(m);
    inst.set_fuel(1'000'000);
    EXPECT_EQ(inst.call("count", {Value::i32(1000)})[0].as_i32(), 1000);
    left[lazy] = inst.fuel_remaining();
    EXPECT_LT(left[lazy], 1'000'000u);
  }
  EXPECT_EQ(left[0], left[1]);
}

// The time tier 0 spends compiling a function on its first call is not the guest's: a call
// timeout a quarter of that compilation still lets the call finish, and still ends a call that
// runs too long once compiled. The compilation is timed first on a module of its own, so the
// timeout scales with the build (a sanitizer build compiles and calls more slowly alike).
TEST(LazyTier0, CompilationIsNotCountedAgainstTheCallTimeout) {
  std::string text = "(module (func (export \"long\") (param i32) (result i32) (local.get 0)";
  for (int i = 0; i < 60'000; ++i) text += " i32.const 1 i32.add";  // about 6 MB of C
  text += ") (func (export \"spin\") (loop $l (br $l))))";
  const Bytes bytes = wat(text);
  using Clock = std::chrono::steady_clock;
  auto timed_call = [](Instance& inst) {
    auto started = Clock::now();
    EXPECT_EQ(inst.call("long", {Value::i32(1)})[0].as_i32(), 60'001);
    return Clock::now() - started;
  };
  Engine probe_engine(config(true));
  Module probe = probe_engine.compile(bytes);
  Instance probe_inst = Linker().instantiate(probe);
  auto cold = timed_call(probe_inst);
  auto warm = timed_call(probe_inst);
  auto compiling = std::chrono::duration_cast<std::chrono::milliseconds>(cold - warm);
  ASSERT_GE(compiling, std::chrono::milliseconds(8)) << "the test needs a slow first call";

  Engine engine(config(true));
  Module m = engine.compile(bytes);
  Instance inst = Linker().instantiate(m);
  inst.set_call_timeout(compiling / 4);
  timed_call(inst);  // compiles "long" on the way: no Trap(timeout)
  EXPECT_EQ(m.stats().tier0_functions_compiled, 1u);
  try {
    inst.call("spin");
    ADD_FAILURE() << "no trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.kind(), TrapKind::timeout);
  }
}

// Threads calling functions that are not compiled yet, each on its own instance of one module:
// every call is right, and each function is compiled once.
TEST(LazyTier0, ConcurrentFirstCallsCompileEachFunctionOnce) {
  Engine engine(config(true));
  Module m = engine.compile(wat(module_text(kFillers)));
  constexpr int kThreads = 8;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Instance inst = Linker().instantiate(m);
      for (int i = 0; i < kFillers; ++i) {
        int k = (i * 7 + t * 13) % kFillers;  // different orders on different threads
        int32_t r = inst.call("filler" + std::to_string(k), {Value::i32(t)})[0].as_i32();
        if (r != t + k) wrong.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(m.stats().tier0_functions_compiled, static_cast<size_t>(kFillers));
  EXPECT_EQ(m.stats().tier0_batches, static_cast<size_t>(kFillers));
}

TEST(LazyTier0, EagerModeCompilesEverythingBeforeCompileReturns) {
  Engine engine(config(false));
  Module m = engine.compile(wat(module_text(kFillers)));
  EXPECT_FALSE(m.stats().tier0_lazy);
  EXPECT_EQ(m.stats().tier0_functions_compiled, 0u);
  Instance inst = Linker().instantiate(m);
  EXPECT_EQ(inst.call("filler3", {Value::i32(1)})[0].as_i32(), 4);
}

// A batch whose C goes past the module's budget (emit::c_budget) is not compiled: the call that
// needed it traps as host_error with the reason, and the module keeps working.
TEST(LazyTier0, ABatchOverTheBudgetTrapsWithTheReason) {
  // Functions 0-99 declare 50,000 locals each (40 MB of C in one batch, from 821 bytes);
  // function 100 ("big") calls them, function 101 ("small") returns 3.
  Bytes locals{0x01};
  put_leb(locals, 50'000);
  put_bytes(locals, {0x7f, 0x0b});
  std::vector<Bytes> bodies(100, locals);
  Bytes caller{0x00};
  for (uint8_t i = 0; i < 100; ++i) put_bytes(caller, {0x10, i});
  caller.push_back(0x0b);
  bodies.push_back(caller);
  bodies.push_back({0x00, 0x41, 0x03, 0x0b});
  Bytes exports{0x02};
  put_name(exports, "big");
  put_bytes(exports, {0x00, 100});
  put_name(exports, "small");
  put_bytes(exports, {0x00, 101});
  std::vector<uint32_t> funcs(102, 0);
  funcs[101] = 1;
  Bytes bytes = module_of({func_type(0, 0), func_type(0, 1)}, funcs, bodies, exports);
  Engine engine(config(true, 1 << 20));
  Module m = engine.compile(bytes);
  Instance inst = Linker().instantiate(m);
  try {
    inst.call("big");
    ADD_FAILURE() << "no trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.kind(), TrapKind::host_error);
    EXPECT_NE(std::string(t.what()).find("module too large to translate"), std::string::npos)
        << t.what();
  }
  Instance fresh = Linker().instantiate(m);
  EXPECT_EQ(fresh.call("small")[0].as_i32(), 3);
}

}  // namespace
}  // namespace wisp::test
