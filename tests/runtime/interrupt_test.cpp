// Interruption: another thread stops a running call with Trap(timeout); stale interrupts miss.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kLoopWat = R"((module
  (import "env" "record" (func $record))
  (memory 1)
  (func (export "spin") (loop $l (br $l)))
  (func (export "spin_memory")
    (loop $l
      (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
      (br $l)))
  (func (export "record") (call $record))
  (func (export "count") (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (i32.store (i32.const 8) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.load (i32.const 8)))
  (func (export "ok") (result i32) (i32.const 7))))";

class InterruptTest : public TierTest {
 protected:
  void SetUp() override {
    linker_.define_func("env", "record", FuncType{},
                        [this](Caller&, auto, auto) { recorded_call_ = handle_->current_call(); });
    inst_ = instantiate(kLoopWat, linker_);
    handle_.emplace(inst_.interrupt_handle());
  }

  // Runs `export_name` (an endless loop) and interrupts it from another thread once it runs,
  // using interrupt() or interrupt_call(id). Returns how long the call took after the interrupt.
  Clock::duration interrupt_running(const char* export_name, bool by_id) {
    std::atomic<bool> stop{false};
    std::atomic<int64_t> interrupted_at{0};
    std::thread killer([&] {
      while (!stop.load()) {
        uint64_t id = handle_->current_call();
        if (id != 0) {
          bool hit = by_id ? handle_->interrupt_call(id) : handle_->interrupt();
          if (hit) {
            interrupted_at = Clock::now().time_since_epoch().count();
            return;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    EXPECT_TRAP(inst_.call(export_name, {}), TrapKind::timeout);
    Clock::time_point returned = Clock::now();
    stop = true;
    killer.join();
    EXPECT_NE(interrupted_at.load(), 0);
    return returned - Clock::time_point(Clock::duration(interrupted_at.load()));
  }

  Linker linker_;
  Instance inst_;
  std::optional<InterruptHandle> handle_;
  uint64_t recorded_call_ = 0;
};

TEST_P(InterruptTest, IdleInstanceHasNoCall) {
  EXPECT_EQ(handle_->current_call(), 0u);
  EXPECT_FALSE(handle_->interrupt());
  EXPECT_EQ(inst_.call("ok")[0], Value::i32(7));
  EXPECT_FALSE(inst_.trapped());
}

TEST_P(InterruptTest, InterruptStopsAnEndlessLoop) {
  Clock::duration after = interrupt_running("spin", /*by_id=*/false);
  EXPECT_LT(after, std::chrono::seconds(5));
  EXPECT_TRUE(inst_.trapped());
  EXPECT_EQ(handle_->current_call(), 0u);
  // The instance keeps working and later calls are not hit.
  EXPECT_EQ(inst_.call("ok")[0], Value::i32(7));
  EXPECT_EQ(inst_.call("count", {Value::i32(100000)})[0], Value::i32(99999));
}

TEST_P(InterruptTest, InterruptCallStopsThatCall) {
  Clock::duration after = interrupt_running("spin_memory", /*by_id=*/true);
  EXPECT_LT(after, std::chrono::seconds(5));
  EXPECT_EQ(inst_.call("ok")[0], Value::i32(7));
  // And once more: interruption works repeatedly on one instance.
  interrupt_running("spin", /*by_id=*/true);
  EXPECT_EQ(inst_.call("ok")[0], Value::i32(7));
}

TEST_P(InterruptTest, StaleInterruptDoesNotHitTheNextCall) {
  inst_.call("record");
  uint64_t first = recorded_call_;
  EXPECT_NE(first, 0u);
  EXPECT_FALSE(handle_->interrupt_call(first));  // that call is over
  EXPECT_FALSE(handle_->interrupt());            // nothing is running
  EXPECT_EQ(inst_.call("count", {Value::i32(1000000)})[0], Value::i32(999999));
  inst_.call("record");
  EXPECT_NE(recorded_call_, first);  // every call gets a new id
  EXPECT_FALSE(inst_.trapped());
}

// A copy of the handle works, and it outlives the instance without harm.
TEST_P(InterruptTest, HandleCopiesAndLifetime) {
  InterruptHandle copy = *handle_;
  Clock::duration after = interrupt_running("spin", false);
  EXPECT_LT(after, std::chrono::seconds(5));
  inst_ = Instance();
  EXPECT_FALSE(copy.interrupt());
  EXPECT_EQ(copy.current_call(), 0u);
}

// Two instances spinning on two threads: interrupting one leaves the other running.
TEST_P(InterruptTest, InterruptHitsOnlyItsInstance) {
  Instance other = instantiate(kLoopWat, linker_);
  InterruptHandle other_handle = other.interrupt_handle();
  std::atomic<int> finished{0};
  std::thread a([&] {
    EXPECT_TRAP(inst_.call("spin"), TrapKind::timeout);
    ++finished;
  });
  std::thread b([&] {
    EXPECT_TRAP(other.call("spin_memory"), TrapKind::timeout);
    ++finished;
  });
  while (handle_->current_call() == 0 || other_handle.current_call() == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(handle_->interrupt());
  a.join();
  EXPECT_EQ(finished.load(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_NE(other_handle.current_call(), 0u);  // still spinning
  EXPECT_TRUE(other_handle.interrupt());
  b.join();
  EXPECT_EQ(finished.load(), 2);
}

WISP_INSTANTIATE_TIERS(InterruptTest);

}  // namespace
}  // namespace wisp::test
