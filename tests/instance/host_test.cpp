// Host functions: values, exceptions becoming traps, nested host/guest calls that unwind cleanly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

class HostTest : public TierTest {};

TEST_P(HostTest, ValuesOfEveryTypeCrossTheBoundary) {
  Linker linker;
  linker.define_func("env", "mix",
                     FuncType{{ValType::i32, ValType::i64, ValType::f32, ValType::f64},
                              {ValType::f64, ValType::i64}},
                     [](Caller&, std::span<const Value> p, std::span<Value> r) {
                       ASSERT_EQ(p.size(), 4u);
                       ASSERT_EQ(r.size(), 2u);
                       r[0] = Value::f64(p[0].as_i32() + static_cast<double>(p[1].as_i64()) +
                                         p[2].as_f32() + p[3].as_f64());
                       r[1] = Value::i64(p[1].as_i64() * 2);
                     });
  linker.func_wrap("env", "nan_bits", [](float f) { return f; });
  Instance inst = instantiate(R"((module
    (import "env" "mix" (func $mix (param i32 i64 f32 f64) (result f64 i64)))
    (import "env" "nan_bits" (func $nan (param f32) (result f32)))
    (func (export "mix") (result f64 i64)
      (call $mix (i32.const -3) (i64.const 0x100000000) (f32.const 0.5) (f64.const 0.25)))
    (func (export "nan") (result i32)
      (i32.reinterpret_f32 (call $nan (f32.const nan:0x423456))))))",
                              linker);
  std::vector<Value> r = inst.call("mix");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].as_f64(), 4294967293.75);
  EXPECT_EQ(r[1], Value::i64(0x200000000));
  // A NaN payload survives the trip through the host.
  EXPECT_EQ(inst.call("nan")[0], Value::i32(0x7fc23456));
}

TEST_P(HostTest, FuncWrapWithState) {
  Linker linker;
  int64_t total = 0;
  linker.func_wrap("env", "add", [&total](int64_t v) {
    total += v;
    return total;
  });
  linker.func_wrap("env", "note",
                   [&total](int32_t a, double b) { total += a + static_cast<int64_t>(b); });
  Instance inst = instantiate(R"((module
    (import "env" "add" (func $add (param i64) (result i64)))
    (import "env" "note" (func $note (param i32 f64)))
    (func (export "run") (result i64)
      (call $note (i32.const 1) (f64.const 2.9))
      (drop (call $add (i64.const 10)))
      (call $add (i64.const 100)))))",
                              linker);
  EXPECT_EQ(inst.call("run")[0], Value::i64(113));
  EXPECT_EQ(total, 113);
}

TEST_P(HostTest, CallerSeesGuestMemory) {
  Linker linker;
  std::string logged;
  linker.define_func("env", "log", FuncType{{ValType::i32, ValType::i32}, {}},
                     [&](Caller& caller, std::span<const Value> p, std::span<Value>) {
                       logged = caller.memory().read_string(static_cast<uint32_t>(p[0].as_i32()),
                                                            static_cast<uint32_t>(p[1].as_i32()));
                     });
  Instance inst = instantiate(R"((module
    (import "env" "log" (func $log (param i32 i32)))
    (memory (export "memory") 1)
    (data (i32.const 64) "from the guest")
    (func (export "run") (call $log (i32.const 64) (i32.const 14)))
    (func (export "bad") (call $log (i32.const 65530) (i32.const 100)))))",
                              linker);
  inst.call("run");
  EXPECT_EQ(logged, "from the guest");
  // A bad pointer from the guest is caught by the checked view: the host's Trap keeps its kind.
  EXPECT_TRAP(inst.call("bad"), TrapKind::out_of_bounds);
  inst.call("run");
}

constexpr const char* kThrowerWat = R"((module
  (import "env" "host" (func $host (param i32) (result i32)))
  (func (export "call_host") (param i32) (result i32)
    (i32.add (call $host (local.get 0)) (i32.const 1)))
  (func (export "ok") (result i32) (i32.const 7))))";

TEST_P(HostTest, StdExceptionBecomesHostError) {
  Linker linker;
  linker.func_wrap("env", "host", [](int32_t v) -> int32_t {
    if (v < 0) throw std::runtime_error("negative input " + std::to_string(v));
    return v * 2;
  });
  Instance inst = instantiate(kThrowerWat, linker);
  EXPECT_EQ(inst.call("call_host", {Value::i32(20)})[0], Value::i32(41));
  try {
    inst.call("call_host", {Value::i32(-5)});
    FAIL() << "no trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.kind(), TrapKind::host_error);
    EXPECT_NE(t.detail().find("negative input -5"), std::string::npos) << t.detail();
  }
  EXPECT_TRUE(inst.trapped());
  EXPECT_EQ(inst.call("call_host", {Value::i32(1)})[0], Value::i32(3));
}

TEST_P(HostTest, NonStdExceptionBecomesHostError) {
  Linker linker;
  linker.func_wrap("env", "host", [](int32_t) -> int32_t { throw 42; });
  Instance inst = instantiate(kThrowerWat, linker);
  EXPECT_TRAP(inst.call("call_host", {Value::i32(0)}), TrapKind::host_error);
  EXPECT_EQ(inst.call("ok")[0], Value::i32(7));
}

TEST_P(HostTest, HostTrapKeepsItsKind) {
  Linker linker;
  linker.func_wrap("env", "host", [](int32_t v) -> int32_t {
    if (v == 1) throw Trap(TrapKind::resource_limit, "too much");
    if (v == 2) throw Trap(TrapKind::out_of_fuel);
    return v;
  });
  Instance inst = instantiate(kThrowerWat, linker);
  try {
    inst.call("call_host", {Value::i32(1)});
    FAIL() << "no trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.kind(), TrapKind::resource_limit);
    EXPECT_EQ(t.detail(), "too much");
  }
  EXPECT_TRAP(inst.call("call_host", {Value::i32(2)}), TrapKind::out_of_fuel);
  auto typed = inst.func<int32_t(int32_t)>("call_host");
  EXPECT_TRAP(typed(1), TrapKind::resource_limit);
  EXPECT_EQ(typed(5), 6);
}

TEST_P(HostTest, WasiExitEndsTheCall) {
  Linker linker;
  linker.func_wrap("env", "host", [](int32_t v) -> int32_t { throw WasiExit(v); });
  Instance inst = instantiate(kThrowerWat, linker);
  try {
    inst.call("call_host", {Value::i32(3)});
    FAIL() << "no exit";
  } catch (const WasiExit& e) {
    EXPECT_EQ(e.code(), 3);
  }
}

// Counts host frames constructed and destroyed, to prove unwinding ran their destructors.
struct FrameCounter {
  int constructed = 0;
  int destroyed = 0;
  struct Guard {
    explicit Guard(FrameCounter& c) : c_(c) { ++c_.constructed; }
    ~Guard() { ++c_.destroyed; }
    FrameCounter& c_;
  };
};

// guest down(n): n == 0 -> innermost action; else host reenter(n) -> guest down(n - 1).
constexpr const char* kNestedWat = R"((module
  (import "env" "reenter" (func $reenter (param i32) (result i32)))
  (import "env" "leaf" (func $leaf (result i32)))
  (memory (export "memory") 1)
  (global $mode (export "mode") (mut i32) (i32.const 0))
  (func (export "down") (param i32) (result i32)
    (if (i32.eqz (local.get 0))
      (then
        (if (i32.eq (global.get $mode) (i32.const 1)) (then (unreachable)))
        (if (i32.eq (global.get $mode) (i32.const 2)) (then (drop (i32.load (i32.const -4)))))
        (return (call $leaf))))
    (i32.add (call $reenter (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "ok") (result i32) (i32.const 7))))";

class NestedTest : public TierTest {
 protected:
  void SetUp() override {
    linker_.define_func("env", "reenter", FuncType{{ValType::i32}, {ValType::i32}},
                        [this](Caller&, std::span<const Value> p, std::span<Value> r) {
                          FrameCounter::Guard guard(frames_);
                          std::string on_heap(100, 'x');  // something for the unwinder to free
                          r[0] = self_.call("down", {p[0]})[0];
                        });
    linker_.func_wrap("env", "leaf", [this]() -> int32_t {
      FrameCounter::Guard guard(frames_);
      if (leaf_throws_) throw std::runtime_error("leaf failed");
      return 100;
    });
    self_ = instantiate(kNestedWat, linker_);
  }
  Linker linker_;
  Instance self_;
  FrameCounter frames_;
  bool leaf_throws_ = false;
};

TEST_P(NestedTest, NestedCallsReturnNormally) {
  EXPECT_EQ(self_.call("down", {Value::i32(5)})[0], Value::i32(105));
  EXPECT_EQ(frames_.constructed, 6);
  EXPECT_EQ(frames_.destroyed, 6);
  EXPECT_FALSE(self_.trapped());
}

TEST_P(NestedTest, InnermostGuestTrapUnwindsEveryHostFrame) {
  self_.global_set("mode", Value::i32(1));
  EXPECT_TRAP(self_.call("down", {Value::i32(4)}), TrapKind::unreachable);
  EXPECT_EQ(frames_.constructed, 4);
  EXPECT_EQ(frames_.destroyed, 4);
  self_.global_set("mode", Value::i32(2));
  EXPECT_TRAP(self_.call("down", {Value::i32(3)}), TrapKind::out_of_bounds);
  EXPECT_EQ(frames_.destroyed, frames_.constructed);
  // Everything is back in order: plain and nested calls work again.
  self_.global_set("mode", Value::i32(0));
  EXPECT_EQ(self_.call("ok")[0], Value::i32(7));
  EXPECT_EQ(self_.call("down", {Value::i32(3)})[0], Value::i32(103));
  EXPECT_EQ(frames_.destroyed, frames_.constructed);
}

TEST_P(NestedTest, InnermostHostExceptionUnwindsEveryHostFrame) {
  leaf_throws_ = true;
  try {
    self_.call("down", {Value::i32(4)});
    FAIL() << "no trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.kind(), TrapKind::host_error);
    EXPECT_NE(t.detail().find("leaf failed"), std::string::npos) << t.detail();
  }
  EXPECT_EQ(frames_.constructed, 5);
  EXPECT_EQ(frames_.destroyed, 5);
  leaf_throws_ = false;
  EXPECT_EQ(self_.call("down", {Value::i32(2)})[0], Value::i32(102));
}

// A host function may catch the trap of a guest call it made and carry on.
TEST_P(NestedTest, HostCanCatchANestedTrap) {
  Linker linker;
  Instance inner = instantiate(kNestedWat, [&] {
    Linker l;
    l.func_wrap("env", "reenter", [](int32_t) -> int32_t { return 0; });
    l.func_wrap("env", "leaf", []() -> int32_t { return 0; });
    return l;
  }());
  inner.global_set("mode", Value::i32(1));
  linker.func_wrap("env", "host", [&](int32_t v) -> int32_t {
    try {
      return inner.call("down", {Value::i32(v)})[0].as_i32();
    } catch (const Trap& t) {
      return t.kind() == TrapKind::unreachable ? -100 : -200;
    }
  });
  Instance outer = instantiate(kThrowerWat, linker);
  EXPECT_EQ(outer.call("call_host", {Value::i32(0)})[0], Value::i32(-99));
  EXPECT_FALSE(outer.trapped());
  EXPECT_TRUE(inner.trapped());
}

// An imported host function can be re-exported and put in a table like any other function.
TEST_P(HostTest, ImportedFunctionsReexportedAndInTables) {
  Linker linker;
  int calls = 0;
  linker.func_wrap("env", "inc", [&calls](int32_t v) {
    ++calls;
    return v + 1;
  });
  Instance inst = instantiate(R"((module
    (type $i_i (func (param i32) (result i32)))
    (import "env" "inc" (func $inc (type $i_i)))
    (export "inc_again" (func $inc))
    (table 1 funcref)
    (elem (i32.const 0) $inc)
    (func (export "via_table") (param i32) (result i32)
      (call_indirect (type $i_i) (local.get 0) (i32.const 0)))))",
                              linker);
  EXPECT_EQ(inst.call("inc_again", {Value::i32(1)})[0], Value::i32(2));
  EXPECT_EQ(inst.func<int32_t(int32_t)>("inc_again")(10), 11);
  EXPECT_EQ(inst.call("via_table", {Value::i32(20)})[0], Value::i32(21));
  EXPECT_EQ(calls, 3);
  // The re-export can be linked into a third module.
  Linker second;
  second.define_instance("first", inst);
  Instance other =
      instantiate(R"((module (import "first" "inc_again" (func $f (param i32) (result i32)))
    (func (export "twice") (param i32) (result i32) (call $f (call $f (local.get 0))))))",
                  second);
  EXPECT_EQ(other.call("twice", {Value::i32(0)})[0], Value::i32(2));
  EXPECT_EQ(calls, 5);
}

TEST_P(HostTest, ExternrefThroughHostFunctions) {
  Linker linker;
  int object = 0;
  linker.define_func("env", "make", FuncType{{}, {ValType::externref}},
                     [&](Caller&, std::span<const Value>, std::span<Value> r) {
                       r[0] = Value::externref(&object);
                     });
  linker.define_func("env", "check", FuncType{{ValType::externref}, {ValType::i32}},
                     [&](Caller&, std::span<const Value> p, std::span<Value> r) {
                       r[0] = Value::i32(p[0].as_externref() == &object ? 1 : 0);
                     });
  Instance inst = instantiate(R"((module
    (import "env" "make" (func $make (result externref)))
    (import "env" "check" (func $check (param externref) (result i32)))
    (func (export "round_trip") (result i32) (call $check (call $make)))
    (func (export "null_check") (result i32) (call $check (ref.null extern)))))",
                              linker);
  EXPECT_EQ(inst.call("round_trip")[0], Value::i32(1));
  EXPECT_EQ(inst.call("null_check")[0], Value::i32(0));
}

WISP_INSTANTIATE_TIERS(HostTest);
// Unbounded guest -> host -> guest recursion ends in Trap(stack_exhausted) and unwinds every host
// frame, wherever the stack runs out. In a child process, so that a crash fails only this test.
TEST_P(NestedTest, UnboundedHostGuestRecursionIsStackExhausted) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto run = [&] {
    bool ok = false;
    try {
      self_.call("down", {Value::i32(1 << 30)});
    } catch (const Trap& t) {
      ok = t.kind() == TrapKind::stack_exhausted;
      if (!ok) std::fprintf(stderr, "trap %s\n", trap_kind_name(t.kind()));
    }
    ok = ok && frames_.constructed == frames_.destroyed && frames_.constructed > 100;
    ok = ok && self_.call("down", {Value::i32(3)})[0] == Value::i32(103);
    std::_Exit(ok ? 0 : 1);
  };
  EXPECT_EXIT(run(), ::testing::ExitedWithCode(0), "");
}

WISP_INSTANTIATE_TIERS(NestedTest);

}  // namespace
}  // namespace wisp::test
