// The Contexts strategy through the lease API: each lease is a fresh zeroed context of one shared
// instance; back-pressure at max_contexts with a deadline; traps counted as discards; many
// threads at once (run under TSan in CI).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kKvWat = R"((module
  (memory (export "memory") 1)
  (func (export "update_value") (param $ctx i32) (param $v i32) (result i32)
    (i32.store offset=4 (local.get $ctx) (i32.add (i32.load offset=4 (local.get $ctx)) (i32.const 1)))
    (i32.store (local.get $ctx) (local.get $v))
    (i32.load offset=4 (local.get $ctx)))
  (func (export "get_value") (param $ctx i32) (result i32) (i32.load (local.get $ctx)))
  (func (export "boom") (param $ctx i32) unreachable)))";

class ContextsStrategyTest : public TierTest {
 protected:
  std::unique_ptr<Strategy> make(Policy p = {}) {
    Template t = Linker().instantiate_template(compile(kKvWat), options());
    return make_strategy(StrategyKind::contexts, t, p);
  }
};

TEST_P(ContextsStrategyTest, EachLeaseIsAFreshContextOfOneInstance) {
  auto s = make();
  uint32_t first_ptr = 0;
  for (int i = 0; i < 4; ++i) {
    Lease l = s->acquire();
    ASSERT_NE(l.context(), nullptr);
    if (i == 0) first_ptr = l.context()->ptr();
    EXPECT_EQ(l.context()->ptr(), first_ptr);       // the region is reused...
    EXPECT_EQ(l.call("get_value")[0].as_i32(), 0);  // ...zeroed
    EXPECT_EQ(l.call("update_value", {Value::i32(40 + i)})[0].as_i32(), 1);
    EXPECT_EQ(l.call("update_value", {Value::i32(50 + i)})[0].as_i32(), 2);
    EXPECT_THROW(l.instance(), Error);  // no instance of its own to misuse
  }
  StrategyStats st = s->stats();
  EXPECT_EQ(st.leases, 4u);
  EXPECT_EQ(st.creates, 1u);
}

TEST_P(ContextsStrategyTest, TwoLeasesAtOnceAreIsolated) {
  auto s = make();
  Lease a = s->acquire();
  Lease b = s->acquire();
  EXPECT_NE(a.context()->ptr(), b.context()->ptr());
  a.call("update_value", {Value::i32(1)});
  b.call("update_value", {Value::i32(2)});
  EXPECT_EQ(a.call("get_value")[0].as_i32(), 1);
  EXPECT_EQ(b.call("get_value")[0].as_i32(), 2);
}

TEST_P(ContextsStrategyTest, BackPressureAtMaxContextsEndsAtTheDeadline) {
  Policy p;
  p.contexts.max_contexts = 2;
  auto s = make(p);
  Lease a = s->acquire();
  Lease b = s->acquire();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(s->acquire(50ms), Unavailable);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
  EXPECT_EQ(s->stats().timeouts, 1u);
  // A waiter gets the place of the lease that ends.
  std::thread releaser([&] {
    std::this_thread::sleep_for(20ms);
    a.release();
  });
  Lease c = s->acquire(5s);
  releaser.join();
  EXPECT_EQ(c.call("get_value")[0].as_i32(), 0);
}

// A place handed from an ending lease to a waiter is counted once: after the hand-over and the
// end of every lease, all max_contexts places are free again.
TEST_P(ContextsStrategyTest, AHandedOverPlaceIsCountedOnce) {
  Policy p;
  p.contexts.max_contexts = 1;
  auto s = make(p);
  for (int round = 0; round < 3; ++round) {
    Lease a = s->acquire(1s);
    std::thread releaser([&] {
      std::this_thread::sleep_for(50ms);  // (most likely) after the acquire below queued
      a.release();
    });
    {
      Lease waited = s->acquire(5s);  // waits, then gets a's place
      EXPECT_EQ(waited.call("get_value")[0].as_i32(), 0);
    }
    releaser.join();
  }
  // Nothing is leased now: the one place is free.
  Lease again = s->acquire(200ms);
  EXPECT_EQ(again.call("update_value", {Value::i32(1)})[0].as_i32(), 1);
}

TEST_P(ContextsStrategyTest, ATrapIsCountedAndTheStrategyGoesOn) {
  auto s = make();
  Lease keep = s->acquire();
  keep.call("update_value", {Value::i32(77)});
  {
    Lease l = s->acquire();
    EXPECT_TRAP(l.call("boom"), TrapKind::unreachable);
  }
  StrategyStats st = s->stats();
  EXPECT_EQ(st.discards[static_cast<size_t>(DiscardReason::trapped)], 1u);
  EXPECT_EQ(st.discarded(), 1u);
  EXPECT_EQ(st.creates, 2u);
  EXPECT_EQ(keep.call("get_value")[0].as_i32(), 77);  // another lease's context survived
}

TEST_P(ContextsStrategyTest, EightThreadsHammer) {
  Policy p;
  p.contexts.max_contexts = 5;
  auto s = make(p);
  std::atomic<bool> bad{false};
  std::atomic<int> leases{0};
  const auto until = std::chrono::steady_clock::now() + 700ms;
  std::vector<std::thread> threads;
  for (int th = 0; th < 8; ++th) {
    threads.emplace_back([&, th] {
      while (std::chrono::steady_clock::now() < until) {
        try {
          Lease l = s->acquire(5s);
          // A fresh context: its counter starts at 1, and its value is its own.
          if (l.call("update_value", {Value::i32(th)})[0].as_i32() != 1) bad = true;
          std::this_thread::yield();
          if (l.call("get_value")[0].as_i32() != th) bad = true;
          if (th == 0 && leases % 40 == 0) {
            EXPECT_TRAP(l.call("boom"), TrapKind::unreachable);
          }
          ++leases;
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
          bad = true;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(bad.load());
  EXPECT_EQ(s->stats().leases, static_cast<uint64_t>(leases.load()));
}

INSTANTIATE_TEST_SUITE_P(Tiers, ContextsStrategyTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
