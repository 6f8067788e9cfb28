// The threads strategy (StrategyKind::threads) on both tiers: N instances over the one shared
// memory their template links serve leases at once; 8 threads updating a counter (atomic add) and
// a table (plain read-modify-write under a guest lock) lose no update, with fewer instances than
// threads and with as many; leases held at once see each other's writes; a trap discards its
// instance only and the memory keeps its state; refusals (a module with no shared memory, reset
// on release); the C example guest (examples/guests/threads_kv.c: a futex-style lock on
// wait/notify) under 8 threads; `wisp serve` with strategy = "threads".
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "serve/serve_support.hpp"
#include "support/fixture.hpp"
#include "support/strategy_check.hpp"
#include "wisp/serve.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// Word 0: the counter; word 4: the lock; word 8: a plain counter only changed under the lock.
constexpr const char* kGuestWat = R"((module
  (import "env" "memory" (memory 1 1 shared))
  (func $lock
    (loop $spin
      (br_if $spin (i32.atomic.rmw.cmpxchg (i32.const 4) (i32.const 0) (i32.const 1)))))
  (func $unlock (i32.atomic.store (i32.const 4) (i32.const 0)))
  (func (export "count") (result i32)
    (i32.add (i32.atomic.rmw.add (i32.const 0) (i32.const 1)) (i32.const 1)))
  (func (export "locked_add") (param i32) (result i32) (local i32)
    (call $lock)
    (local.set 1 (i32.add (i32.load (i32.const 8)) (local.get 0)))
    (i32.store (i32.const 8) (local.get 1))
    (call $unlock)
    (local.get 1))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "boom") unreachable))
)";

class ThreadsStrategyTest : public TierTest {
 protected:
  Template guest_template(std::string_view wat_text = kGuestWat) {
    Module m = compile(wat_text);
    Linker linker;
    EXPECT_EQ(define_shared_memories(engine(), linker, m), 1u);
    return linker.instantiate_template(m, options());
  }
  static int32_t load(Lease& l, int32_t at) { return l.call("load", {Value::i32(at)})[0].as_i32(); }
  // A threads strategy over the example guest (examples/guests/threads_kv.c); `module_stack`:
  // the __stack_pointer an instance of it starts with.
  auto example_strategy(const Policy& policy, int32_t* module_stack = nullptr) {
    Module m = engine().compile_file(std::string(WISP_EXAMPLES_DIR) + "/threads_kv.wasm");
    Linker linker;
    define_shared_memories(engine(), linker, m);
    Template tmpl = linker.instantiate_template(m, options());
    if (module_stack) *module_stack = tmpl.instantiate().global_get("__stack_pointer").as_i32();
    return checked_strategy(StrategyKind::threads, tmpl, policy);
  }
  // 8 threads, `each` leases apiece: a counted add and a locked add per lease.
  void hammer(Strategy& s, int each) {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < each; ++i) {
          try {
            Lease lease = s.acquire(std::chrono::seconds(30));
            lease.call("count");
            lease.call("locked_add", {Value::i32(1)});
          } catch (const std::exception&) {
            ++failures;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
  }
};

TEST_P(ThreadsStrategyTest, EightThreadsLoseNoUpdate) {
  for (uint32_t n : {3u, 8u}) {  // fewer instances than threads (leases wait), and as many
    SCOPED_TRACE(n);
    Policy policy;
    policy.max_instances = n;
    auto s = checked_strategy(StrategyKind::threads, guest_template(), policy);
    constexpr int kEach = 500;
    hammer(*s, kEach);
    {
      Lease lease = s->acquire();
      EXPECT_EQ(load(lease, 0), 8 * kEach);
      EXPECT_EQ(load(lease, 8), 8 * kEach);
    }
    StrategyStats st = s->stats();  // leases count when they end
    EXPECT_LE(st.creates, n);
    EXPECT_EQ(st.discarded(), 0u);
    EXPECT_EQ(st.leases, 8u * kEach + 1);
  }
}

TEST_P(ThreadsStrategyTest, LeasesHeldAtOnceShareTheMemory) {
  Policy policy;
  policy.max_instances = 2;
  auto s = checked_strategy(StrategyKind::threads, guest_template(), policy);
  Lease a = s->acquire();
  Lease b = s->acquire(std::chrono::milliseconds(100));  // a second instance, no waiting
  EXPECT_NE(a.instance_id(), b.instance_id());
  a.call("store", {Value::i32(64), Value::i32(42)});
  EXPECT_EQ(load(b, 64), 42);
  // Both instances are leased: a third lease waits, then gives up.
  EXPECT_THROW(s->acquire(std::chrono::milliseconds(20)), Unavailable);
  a.release();
  Lease c = s->acquire(std::chrono::milliseconds(100));
  EXPECT_EQ(load(c, 64), 42);  // kept: the memory is the strategy's, not a lease's
}

TEST_P(ThreadsStrategyTest, ATrapDiscardsOneInstanceAndTheMemoryKeepsItsState) {
  Policy policy;
  policy.max_instances = 2;
  auto s = checked_strategy(StrategyKind::threads, guest_template(), policy);
  {
    Lease lease = s->acquire();
    for (int i = 0; i < 5; ++i) lease.call("count");
    EXPECT_TRAP(lease.call("boom"), TrapKind::unreachable);
  }
  StrategyStats st = s->stats();
  EXPECT_EQ(st.discards[static_cast<size_t>(DiscardReason::trapped)], 1u);
  EXPECT_EQ(st.live, 0u);
  Lease lease = s->acquire();  // a new instance over the same memory
  EXPECT_EQ(load(lease, 0), 5);
  EXPECT_EQ(lease.call("count")[0].as_i32(), 6);
  EXPECT_EQ(s->stats().creates, 2u);
}

// (A module that defines its shared memory is accepted: threads_defined_memory_test.cpp.)
TEST_P(ThreadsStrategyTest, RefusesAModuleWithoutASharedMemoryAndReset) {
  Template own =
      Linker().instantiate_template(compile(R"((module (memory (export "mem") 1 1)))"), options());
  try {
    make_strategy(StrategyKind::threads, own);
    ADD_FAILURE() << "a module without a shared memory made a threads strategy";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs a module with a shared memory"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("this one has none"), std::string::npos);
  }
  Policy reset;
  reset.on_release = ReleaseAction::reset;
  EXPECT_THROW(make_strategy(StrategyKind::threads, guest_template(), reset), Error);
  Policy warm;
  warm.max_instances = 2;
  warm.min_warm = 3;
  EXPECT_THROW(make_strategy(StrategyKind::threads, guest_template(), warm), Error);
}

TEST_P(ThreadsStrategyTest, TheExampleGuestKeepsEveryUpdateUnderEightThreads) {
  Policy policy;
  policy.max_instances = 4;
  auto s = example_strategy(policy);
  constexpr int kEach = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Lease lease = s->acquire(std::chrono::seconds(30));
        lease.call("counter_add", {Value::i32(1)});
        lease.call("kv_add", {Value::i32(t), Value::i64(2)});
        lease.call("kv_add", {Value::i32(100), Value::i64(1)});  // one key everyone updates
      }
    });
  }
  for (auto& t : threads) t.join();
  Lease lease = s->acquire();
  EXPECT_EQ(lease.call("counter_get")[0].as_i32(), 8 * kEach);
  for (int t = 0; t < 8; ++t)
    EXPECT_EQ(lease.call("kv_get", {Value::i32(t)})[0].as_i64(), 2 * kEach);
  EXPECT_EQ(lease.call("kv_get", {Value::i32(100)})[0].as_i64(), 8 * kEach);
  EXPECT_EQ(lease.call("kv_locked_ops")[0].as_i64(), 2 * 8 * kEach);
  EXPECT_EQ(lease.call("work", {Value::i32(0)})[0].as_i32(), static_cast<int32_t>(2463534242u));
}

// The C stack: the example guest exports its __stack_pointer, so every instance gets a stack
// region of its own (the first the module's, the others grown in the shared memory), regions
// are reused after a discard, and a function whose locals live on the stack gives the right
// answer in 8 threads at once (with one stack for all, two instances running stack_work at once
// overwrite each other's array).
TEST_P(ThreadsStrategyTest, EachInstanceGetsACStackOfItsOwn) {
  Policy policy;
  policy.max_instances = 4;
  policy.min_warm = 4;
  int32_t module_stack = 0;
  auto s = example_strategy(policy, &module_stack);
  {
    std::vector<Lease> all;
    std::vector<int64_t> tops;
    for (int i = 0; i < 4; ++i) {
      all.push_back(s->acquire());
      tops.push_back(static_cast<uint32_t>(all.back()->global_get("__stack_pointer").as_i32()));
    }
    std::sort(tops.begin(), tops.end());
    // The first keeps the module's stack, less its thread-local block at the top (16 bytes:
    // the guest's one thread-local word, aligned).
    EXPECT_EQ(tops[0], static_cast<uint32_t>(module_stack) - 16);
    for (size_t i = 1; i < tops.size(); ++i) EXPECT_GE(tops[i] - tops[i - 1], 65536);
    const uint64_t memory_bytes = all[0]->memory().size();
    EXPECT_LE(static_cast<uint64_t>(tops.back()), memory_bytes);
  }
  // Discarded instances' stacks go to their replacements: the memory does not grow.
  const uint64_t before = s->acquire()->memory().size();
  for (int round = 0; round < 3; ++round) {
    std::vector<Lease> all;
    for (int i = 0; i < 4; ++i) all.push_back(s->acquire());
    for (Lease& l : all) l.discard();
  }
  EXPECT_EQ(s->acquire()->memory().size(), before);
  EXPECT_GE(s->stats().creates, 12u);  // 4 warm, 4 in each later round, the last acquire

  auto expected = [](uint32_t seed) {
    uint32_t sum = 0;
    for (int round = 0; round < 4; ++round)
      for (uint32_t i = 0; i < 1024; ++i) sum += (seed * 2654435761u + i) ^ i;
    return static_cast<int32_t>(sum);
  };
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t i = 0; i < 400; ++i) {
        Lease lease = s->acquire(std::chrono::seconds(30));
        const uint32_t seed = static_cast<uint32_t>(t) * 100000u + i;
        if (lease.call("stack_work", {Value::i32(static_cast<int32_t>(seed))})[0].as_i32() !=
            expected(seed))
          ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_P(ThreadsStrategyTest, EachInstanceGetsThreadLocalsOfItsOwn) {
  Policy policy;
  policy.max_instances = 4;
  policy.min_warm = 4;
  auto s = example_strategy(policy);
  auto u32 = [](Lease& l, const char* f) { return static_cast<uint32_t>(l.call(f)[0].as_i32()); };
  {
    std::vector<Lease> all;
    std::vector<uint32_t> addresses;
    for (int i = 0; i < 4; ++i) {
      all.push_back(s->acquire());
      Lease& l = all.back();
      const uint32_t at = u32(l, "tls_address");
      const uint32_t sp = static_cast<uint32_t>(l->global_get("__stack_pointer").as_i32());
      EXPECT_GE(at, sp) << "the block is above the instance's stack";
      EXPECT_LT(at, sp + 16u);
      EXPECT_EQ(at % 4, 0u);
      addresses.push_back(at);
      EXPECT_EQ(u32(l, "tls_bump"), 101u) << "the block starts from the module's image";
    }
    std::sort(addresses.begin(), addresses.end());
    EXPECT_EQ(std::adjacent_find(addresses.begin(), addresses.end()), addresses.end());
    for (int k = 0; k < 3; ++k) u32(all[0], "tls_bump");
    EXPECT_EQ(u32(all[0], "tls_bump"), 105u);
    EXPECT_EQ(u32(all[1], "tls_bump"), 102u) << "another instance's counter is its own";
    all[2].discard();
  }
  // A replacement instance on a region given back starts from the image again.
  std::vector<Lease> all;
  std::vector<uint32_t> counts;
  for (int i = 0; i < 4; ++i) {
    all.push_back(s->acquire());
    counts.push_back(u32(all.back(), "tls_bump"));
  }
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, (std::vector<uint32_t>{101, 102, 103, 106}));
}

WISP_INSTANTIATE_TIERS(ThreadsStrategyTest);

// `wisp serve`: strategy = "threads" parses, and a route over the example guest counts every
// request once, whichever of its instances served it.
TEST(ThreadsStrategyServe, ARouteCountsEveryRequestAcrossItsInstances) {
  ServerConfig parsed = ServerConfig::from_toml(R"(
[[route]]
path = "/count"
module = "threads_kv.wasm"
export = "counter_add"
strategy = "threads"
max_instances = 4
)",
                                                "/srv");
  ASSERT_EQ(parsed.routes.size(), 1u);
  EXPECT_EQ(parsed.routes[0].strategy, StrategyKind::threads);
  EXPECT_EQ(parsed.routes[0].policy.max_instances, 4u);

  RouteConfig r =
      route("/count", kExamples / "threads_kv.wasm", "counter_add", StrategyKind::threads);
  r.policy.max_instances = 4;
  expect_route_counts_every_request(r);
}

}  // namespace
}  // namespace wisp::test
