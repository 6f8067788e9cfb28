// Per-call wall-clock timeouts (Limits::call_timeout, Instance::set_call_timeout): an infinite
// loop with no calls, and a slow host function that honours Caller::deadline(), both end with
// Trap(timeout) within the deadline plus slack; the next call on the instance is unaffected.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kLoopWat = R"((module
  (import "env" "slow" (func $slow))
  (func (export "spin") (loop $l (br $l)))
  (func (export "wait_host") (call $slow))
  (func (export "quick") (result i32) (i32.const 42))))";

class TimeoutTest : public TierTest {
 protected:
  Template make_template(std::chrono::milliseconds timeout) {
    Linker linker;
    linker.define_func("env", "slow", FuncType{{}, {}}, [](Caller& caller, auto, auto) {
      // A cooperative blocking host function: waits for an event that never comes, but no
      // longer than the call's deadline.
      std::mutex m;
      std::condition_variable cv;
      std::unique_lock lock(m);
      auto until = std::min(caller.deadline(), Clock::now() + 10s);
      cv.wait_until(lock, until, [] { return false; });
    });
    Limits limits;
    limits.call_timeout = timeout;
    return linker.instantiate_template(compile(kLoopWat), options(limits));
  }
};

TEST_P(TimeoutTest, InfiniteLoopTimesOutWithinTheDeadlinePlusSlack) {
  Template t = make_template(100ms);
  Instance inst = t.instantiate();
  auto t0 = Clock::now();
  try {
    inst.call("spin");
    FAIL() << "an infinite loop must time out";
  } catch (const Trap& trap) {
    EXPECT_EQ(trap.kind(), TrapKind::timeout);
  }
  auto took = Clock::now() - t0;
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 600ms);  // slack: the watchdog polls every millisecond
}

TEST_P(TimeoutTest, SlowHostCallTimesOut) {
  Template t = make_template(100ms);
  Instance inst = t.instantiate();
  auto t0 = Clock::now();
  try {
    inst.call("wait_host");
    FAIL() << "a host call waiting past the deadline must time out";
  } catch (const Trap& trap) {
    EXPECT_EQ(trap.kind(), TrapKind::timeout);
  }
  EXPECT_LT(Clock::now() - t0, 600ms);
}

TEST_P(TimeoutTest, NoInterruptLeaksIntoTheNextCall) {
  Template t = make_template(50ms);
  for (int round = 0; round < 3; ++round) {
    Instance inst = t.instantiate();
    EXPECT_TRAP(inst.call("spin"), TrapKind::timeout);
    // Quick calls right after, and after the old deadline would have passed again.
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(inst.call("quick")[0].as_i32(), 42);
    std::this_thread::sleep_for(60ms);
    EXPECT_EQ(inst.call("quick")[0].as_i32(), 42);
  }
}

TEST_P(TimeoutTest, PerInstanceOverrideAndNoTimeout) {
  Template t = make_template(0ms);  // none by default
  Instance inst = t.instantiate();
  EXPECT_EQ(inst.call("quick")[0].as_i32(), 42);
  inst.set_call_timeout(30ms);
  EXPECT_TRAP(inst.call("spin"), TrapKind::timeout);
  inst.set_call_timeout(0ms);
  EXPECT_EQ(inst.call("quick")[0].as_i32(), 42);
}

TEST_P(TimeoutTest, TimedOutInstancesAreDiscardedByStrategies) {
  Template t = make_template(30ms);
  Policy p;
  p.max_instances = 1;
  auto pool = make_strategy(StrategyKind::pool, t, p);
  {
    Lease l = pool->acquire();
    EXPECT_TRAP(l->call("spin"), TrapKind::timeout);
  }
  StrategyStats st = pool->stats();
  EXPECT_EQ(st.discards[static_cast<size_t>(DiscardReason::timed_out)], 1u);
  EXPECT_EQ(st.discarded(), 1u);  // under its own reason only
  Lease l = pool->acquire(1s);
  EXPECT_EQ(l->call("quick")[0].as_i32(), 42);
}

// fork() copies the watchdog's state but not its thread: a child process (a pre-forking server's
// worker) must still have its calls timed out. The parent has armed the watchdog already.
TEST_P(TimeoutTest, TimeoutsStillWorkInAForkedChild) {
  Template t = make_template(50ms);
  Instance inst = t.instantiate();
  EXPECT_TRAP(inst.call("spin"), TrapKind::timeout);  // the watchdog thread exists now
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int status = 3;
    try {
      Instance child = t.instantiate();
      child.call("spin");
    } catch (const Trap& trap) {
      status = trap.kind() == TrapKind::timeout ? 0 : 4;
    } catch (...) {
    }
    _exit(status);
  }
  int status = -1;
  auto until = Clock::now() + 20s;
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 && Clock::now() < until)
    std::this_thread::sleep_for(10ms);
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "the child's call was never timed out";
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: returned, 4: another trap";
}

INSTANTIATE_TEST_SUITE_P(Tiers, TimeoutTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
