// Strategy failure paths, one per DiscardReason: each way an instance is lost (a trap, a WASI
// exit, a timeout, running out of fuel, a recycling rule, idleness, a failed reset, the caller)
// is counted under its own reason and under no other, and the strategy serves on. Under
// contexts a lost instance is the shared one, replaced: counted the same way.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "support/fixture.hpp"
#include "support/strategy_check.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

using namespace std::chrono_literals;

// Every export takes a context pointer first, so that one module serves both the instance
// strategies (which pass 0) and contexts.
constexpr const char* kWat = R"((module
  (import "env" "quit" (func $quit (param i32)))
  (memory (export "memory") 1 8)
  (global $n (mut i32) (i32.const 0))
  (func (export "next") (param $ctx i32) (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n))
  (func (export "boom") (param $ctx i32) unreachable)
  (func (export "exit3") (param $ctx i32) (call $quit (i32.const 3)))
  (func (export "spin") (param $ctx i32) (loop $l (br $l)))
  (func (export "grow") (param $ctx i32) (result i32) (memory.grow (i32.const 2)))))";

constexpr size_t kReasons = static_cast<size_t>(DiscardReason::count_);

// `n` discards for `reason`, none for any other.
void expect_only(const StrategyStats& st, DiscardReason reason, uint64_t n) {
  for (size_t i = 0; i < kReasons; ++i) {
    const auto r = static_cast<DiscardReason>(i);
    EXPECT_EQ(st.discards[i], r == reason ? n : 0u)
        << "discards[" << discard_reason_name(r) << "] (expected " << n << " "
        << discard_reason_name(reason) << ")";
  }
}

class DiscardReasonsTest : public ::testing::TestWithParam<Tier> {
 protected:
  // With fuel (Limits::fuel; 0 = unlimited) or without: the timeouts run without, since on tier 1
  // the C compiler may see that a loop doing nothing but counting fuel down ends, and go straight
  // to its end (out_of_fuel at once, even with "unlimited" fuel).
  Engine& engine(bool fuel) {
    std::unique_ptr<Engine>& e = fuel ? fuel_engine_ : engine_;
    if (!e) {
      EngineConfig cfg = engine_config(GetParam(), cache_.path());
      cfg.consume_fuel = fuel;
      e = std::make_unique<Engine>(cfg);
    }
    return *e;
  }
  Template make_template(Limits limits = {}, HostStateFactory host_state = {}, bool fuel = false) {
    Linker linker;
    linker.define_func("env", "quit", FuncType{{ValType::i32}, {}},
                       [](Caller&, std::span<const Value> args, std::span<Value>) {
                         throw WasiExit(args[0].as_i32());
                       });
    TemplateOptions o;
    o.tier = GetParam();
    o.limits = limits;
    o.host_state = std::move(host_state);
    return linker.instantiate_template(engine(fuel).compile(wat(kWat)), o);
  }
  // A pool of one instance (reset on release unless `p` says otherwise).
  CheckedStrategy pool(Template t, Policy p = {}) {
    p.max_instances = 1;
    return checked_strategy(StrategyKind::pool, std::move(t), p);
  }
  static int32_t next(Lease& l) { return l.call("next", {Value::i32(0)})[0].as_i32(); }

 private:
  TempDir cache_;
  std::unique_ptr<Engine> engine_, fuel_engine_;
};

TEST_P(DiscardReasonsTest, Trapped) {
  auto s = pool(make_template());
  {
    Lease l = s->acquire();
    EXPECT_TRAP(l.call("boom", {Value::i32(0)}), TrapKind::unreachable);
  }
  expect_only(s->stats(), DiscardReason::trapped, 1);
  Lease l = s->acquire(1s);
  EXPECT_EQ(next(l), 1);  // a replacement, from the snapshot
  EXPECT_EQ(s->stats().creates, 2u);
}

TEST_P(DiscardReasonsTest, Exited) {
  auto s = pool(make_template());
  {
    Lease l = s->acquire();
    try {
      l.call("exit3", {Value::i32(0)});
      ADD_FAILURE() << "no exit";
    } catch (const WasiExit& e) {
      EXPECT_EQ(e.code(), 3);
    }
  }
  expect_only(s->stats(), DiscardReason::exited, 1);
  Lease l = s->acquire(1s);
  EXPECT_EQ(next(l), 1);
}

TEST_P(DiscardReasonsTest, TimedOut) {
  Limits limits;
  limits.call_timeout = 30ms;
  auto s = pool(make_template(limits));
  {
    Lease l = s->acquire();
    EXPECT_TRAP(l.call("spin", {Value::i32(0)}), TrapKind::timeout);
  }
  expect_only(s->stats(), DiscardReason::timed_out, 1);
  Lease l = s->acquire(1s);
  EXPECT_EQ(next(l), 1);
}

TEST_P(DiscardReasonsTest, OutOfFuelIsAResourceLimit) {
  Limits limits;
  limits.fuel = 100'000;
  auto s = pool(make_template(limits, {}, /*fuel=*/true));
  {
    Lease l = s->acquire();
    EXPECT_TRAP(l.call("spin", {Value::i32(0)}), TrapKind::out_of_fuel);
  }
  expect_only(s->stats(), DiscardReason::resource_limit, 1);
  Lease l = s->acquire(1s);
  EXPECT_EQ(next(l), 1);
}

TEST_P(DiscardReasonsTest, RecycledAfterUses) {
  Policy p;
  p.recycle_after_uses = 2;
  auto s = pool(make_template(), p);
  for (int i = 0; i < 4; ++i) {
    Lease l = s->acquire();
    EXPECT_EQ(next(l), 1);  // reset between the uses of one instance
  }
  expect_only(s->stats(), DiscardReason::recycled_uses, 2);
  EXPECT_EQ(s->stats().resets, 2u);
}

TEST_P(DiscardReasonsTest, RecycledOnMemoryHighWater) {
  Policy p;
  p.memory_high_water_bytes = 2 * 65536;
  auto s = pool(make_template(), p);
  {
    Lease l = s->acquire();
    EXPECT_EQ(l.call("grow", {Value::i32(0)})[0].as_i32(), 1);  // 1 -> 3 pages
  }
  expect_only(s->stats(), DiscardReason::recycled_memory, 1);
}

TEST_P(DiscardReasonsTest, RecycledByPolicy) {
  // fresh: every instance goes at release; pool with on_release = recycle: the same.
  auto fresh = checked_strategy(StrategyKind::fresh, make_template());
  for (int i = 0; i < 3; ++i) {
    Lease l = fresh->acquire();
    EXPECT_EQ(next(l), 1);
  }
  expect_only(fresh->stats(), DiscardReason::recycled_policy, 3);
  Policy p;
  p.on_release = ReleaseAction::recycle;
  auto s = pool(make_template(), p);
  {
    Lease l = s->acquire();
    next(l);
  }
  expect_only(s->stats(), DiscardReason::recycled_policy, 1);
  EXPECT_EQ(s->stats().resets, 0u);
}

TEST_P(DiscardReasonsTest, NotResettableIsRecycledByPolicy) {
  // A module that imports its memory has no snapshot: a pool cannot reset it, so it recycles.
  TemplateOptions o;
  o.tier = GetParam();
  Linker linker;
  Instance provider =
      linker.instantiate(engine(false).compile(wat(R"((module (memory (export "m") 1)))")), o);
  linker.define_instance("p", provider);
  Template t =
      linker.instantiate_template(engine(false).compile(wat(R"((module (import "p" "m" (memory 1))
        (func (export "f") (result i32) (i32.const 1))))")),
                                  o);
  auto s = pool(t);
  {
    Lease l = s->acquire();
    EXPECT_FALSE(l->resettable());
  }
  expect_only(s->stats(), DiscardReason::recycled_policy, 1);
}

TEST_P(DiscardReasonsTest, Idle) {
  Policy p;
  p.max_instances = 2;
  p.idle_timeout = 20ms;
  auto s = checked_strategy(StrategyKind::pool, make_template(), p);
  {
    Lease a = s->acquire();
    Lease b = s->acquire();
  }  // two idle instances
  std::this_thread::sleep_for(60ms);
  { Lease c = s->acquire(); }  // trims both idle ones (min_warm 0), then makes one
  expect_only(s->stats(), DiscardReason::idle, 2);
}

TEST_P(DiscardReasonsTest, ResetFailedKeepsTheReason) {
  // The host-state factory runs at every reset; when it throws, the reset fails. Not only a
  // wisp::Error: anything thrown there must not escape ~Lease.
  std::atomic<int> fail{0};  // 0: no, 1: wisp::Error, 2: std::runtime_error
  Template t = make_template({}, [&](Instance&) {
    if (fail == 1) throw Error("the factory refused");
    if (fail == 2) throw std::runtime_error("the factory refused, not as a wisp::Error");
  });
  Policy p;
  p.max_instances = 1;
  auto s = make_strategy(StrategyKind::pool, t, p);  // unchecked: its resets fail on purpose
  EXPECT_EQ(s->stats().last_reset_error, "");
  for (int how : {1, 2}) {
    {
      Lease l = s->acquire();
      EXPECT_EQ(next(l), 1);
      fail = how;
    }
    fail = 0;
    StrategyStats st = s->stats();
    expect_only(st, DiscardReason::reset_failed, static_cast<uint64_t>(how));
    EXPECT_NE(st.last_reset_error.find("the factory refused"), std::string::npos)
        << st.last_reset_error;
  }
  EXPECT_NE(s->stats().last_reset_error.find("not as a wisp::Error"), std::string::npos);
  Lease l = s->acquire(1s);
  EXPECT_EQ(next(l), 1);  // the replacement
}

TEST_P(DiscardReasonsTest, DiscardedByTheCaller) {
  auto s = pool(make_template());
  {
    Lease l = s->acquire();
    next(l);
    l.discard();
  }
  expect_only(s->stats(), DiscardReason::by_caller, 1);
  EXPECT_EQ(s->stats().resets, 0u);
}

// Contexts: a failure loses the shared instance, which is replaced; the discard is counted under
// the failure's own reason (a timeout is not a trap, nor is running out of fuel).
TEST_P(DiscardReasonsTest, ContextsCountEachReplacementUnderItsReason) {
  Limits limits;
  limits.fuel = 1'000'000;
  auto s = checked_strategy(StrategyKind::contexts, make_template(limits, {}, /*fuel=*/true));
  {
    Lease l = s->acquire();
    EXPECT_TRAP(l.call("boom"), TrapKind::unreachable);
  }
  expect_only(s->stats(), DiscardReason::trapped, 1);
  {
    Lease l = s->acquire();
    EXPECT_THROW(l.call("exit3"), WasiExit);
  }
  {
    Lease l = s->acquire();
    EXPECT_TRAP(l.call("spin"), TrapKind::out_of_fuel);
  }
  StrategyStats st = s->stats();
  EXPECT_EQ(st.discards[static_cast<size_t>(DiscardReason::trapped)], 1u);
  EXPECT_EQ(st.discards[static_cast<size_t>(DiscardReason::exited)], 1u);
  EXPECT_EQ(st.discards[static_cast<size_t>(DiscardReason::resource_limit)], 1u);
  EXPECT_EQ(st.discarded(), 3u);
  EXPECT_EQ(st.creates, 4u);  // the first instance and three replacements
  Lease l = s->acquire();
  EXPECT_EQ(l.call("next")[0].as_i32(), 1);  // guest state outside the regions starts over
}

TEST_P(DiscardReasonsTest, ContextsCountATimeoutAsTimedOut) {
  Limits limits;
  limits.call_timeout = 30ms;  // no fuel limit: the watchdog ends the loop
  auto s = checked_strategy(StrategyKind::contexts, make_template(limits));
  {
    Lease l = s->acquire();
    EXPECT_TRAP(l.call("spin"), TrapKind::timeout);
  }
  expect_only(s->stats(), DiscardReason::timed_out, 1);
  EXPECT_EQ(s->stats().creates, 2u);
}

WISP_INSTANTIATE_TIERS(DiscardReasonsTest);

}  // namespace
}  // namespace wisp::test
