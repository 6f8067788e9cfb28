// FifoWait's turns (the contended path of `shared` and pools): a waiter first in line tries
// once for what is offered, then parks and leaves a holder that keeps leasing alone until its
// turn timer expires; it still takes what a holder stopped using, and once overdue it is
// granted the next release.
#include "share/fifo_wait.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace wisp::detail {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The thing waited for: `free` when it lies idle (try_take takes it), a count of the tries.
struct Thing {
  std::mutex mutex;
  FifoWait<int> waiters;
  bool free = false;
  int tries = 0;

  std::future<std::optional<int>> wait_async(Clock::duration turn, Clock::duration patience) {
    return std::async(std::launch::async, [this, turn, patience] {
      std::unique_lock lock(mutex);
      auto try_take = [this]() -> std::optional<int> {
        ++tries;
        if (!free) return std::nullopt;
        free = false;
        return 7;
      };
      return waiters.wait(lock, Clock::now() + patience, try_take, turn);
    });
  }

  // Waits (up to 10 s) until a waiter has queued.
  void until_waiting() {
    for (int i = 0; i < 10000; ++i) {
      {
        std::lock_guard lock(mutex);
        if (!waiters.empty()) return;
      }
      std::this_thread::sleep_for(1ms);
    }
    FAIL() << "nobody queued";
  }
  int tries_now() {
    std::lock_guard lock(mutex);
    return tries;
  }
  // A release: the thing lies free (`free`) or its releaser has taken it again.
  void offer(bool now_free, bool wake_parked = false) {
    std::lock_guard lock(mutex);
    free = free || now_free;
    waiters.offer(wake_parked);
  }
};

void expect_taken(std::future<std::optional<int>>& got) {
  ASSERT_EQ(got.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(got.get(), 7);
}

TEST(FifoWait, AParkedWaiterLeavesAHolderThatKeepsLeasingAlone) {
  Thing t;
  auto got = t.wait_async(1h, 10s);  // a turn that never ends within the test
  t.until_waiting();
  // A holder that gives back and takes again in a loop (taken again at once: never free).
  const Clock::time_point end = Clock::now() + 200ms;
  int offers = 0;
  while (Clock::now() < end) {
    std::lock_guard lock(t.mutex);
    t.waiters.offer();
    ++offers;
  }
  // The first offer woke the waiter to try; after that it looks only every poll, and only
  // when nothing was offered since its last look. Woken by every offer it would try
  // thousands of times.
  EXPECT_GT(offers, 1000);
  EXPECT_LE(t.tries_now(), 20) << "of " << offers << " offers";
  // The holder stops, leaving the thing free: the waiter takes it at its next looks.
  t.offer(true);
  expect_taken(got);
}

TEST(FifoWait, AnOfferOfWhatLiesIdleWakesAParkedWaiter) {
  Thing t;
  auto got = t.wait_async(1h, 10s);
  t.until_waiting();
  t.offer(false);  // taken again at once: the waiter tries and parks
  for (int i = 0; i < 10000 && t.tries_now() < 1; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_GE(t.tries_now(), 1);  // (and it may have looked again since, finding it taken)
  t.offer(true, true);          // the owner knows another lies idle: wake it even parked
  // Other releases go on (the parked waiter's own looks would never find a quiet moment): only
  // the wake-up lets it take what lies idle.
  const Clock::time_point give_up = Clock::now() + 10s;
  while (got.wait_for(0s) != std::future_status::ready && Clock::now() < give_up) {
    {
      std::lock_guard lock(t.mutex);
      if (!t.waiters.empty()) t.waiters.offer();
    }
    std::this_thread::yield();  // the woken waiter needs the mutex too
  }
  ASSERT_EQ(got.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(got.get(), 7);
}

TEST(FifoWait, AnOfferWakesAWaiterThatHasNotTriedYet) {
  Thing t;
  auto got = t.wait_async(1h, 10s);
  t.until_waiting();
  t.offer(true);
  expect_taken(got);
  EXPECT_EQ(t.tries_now(), 1);
}

TEST(FifoWait, OnceItsTurnHasComeTheFirstInLineIsGrantedTheNextRelease) {
  Thing t;
  auto got = t.wait_async(2ms, 10s);
  t.until_waiting();
  for (int i = 0; i < 10000; ++i) {  // the holder leases on until the waiter's turn comes
    {
      std::lock_guard lock(t.mutex);
      if (t.waiters.front_overdue()) {
        t.waiters.grant(42);
        break;
      }
      t.waiters.offer();
    }
    std::this_thread::sleep_for(100us);
  }
  ASSERT_EQ(got.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(got.get(), 42);
}

TEST(FifoWait, TheNextInLineStartsItsTurnWhenTheFirstLeaves) {
  Thing t;
  auto first = t.wait_async(2ms, 10s);
  t.until_waiting();
  auto second = t.wait_async(2ms, 10s);
  // Grant the first once it is overdue; then the second, now first in line, must become
  // overdue in turn (its timer started when the first left, not when the holder noticed).
  const Clock::time_point give_up = Clock::now() + 10s;
  for (int granted = 0; granted < 2 && Clock::now() < give_up;) {
    {
      std::lock_guard lock(t.mutex);
      if (!t.waiters.empty() && t.waiters.front_overdue()) {
        t.waiters.grant(granted++);
        continue;
      }
    }
    std::this_thread::sleep_for(100us);
  }
  ASSERT_EQ(first.wait_for(10s), std::future_status::ready);
  ASSERT_EQ(second.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(first.get(), 0);
  EXPECT_EQ(second.get(), 1);
}

TEST(FifoWait, AWaiterLeavesTheLineAtItsDeadline) {
  Thing t;
  auto first = t.wait_async(1h, 20ms);
  t.until_waiting();
  auto second = t.wait_async(1h, 10s);
  ASSERT_EQ(first.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(first.get(), std::nullopt);
  {
    std::lock_guard lock(t.mutex);
    ASSERT_FALSE(t.waiters.empty());  // the second still waits, now first in line
    t.waiters.grant(5);
  }
  ASSERT_EQ(second.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(second.get(), 5);
}

}  // namespace
}  // namespace wisp::detail
