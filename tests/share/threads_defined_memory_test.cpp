// The threads strategy over a module that DEFINES its shared memory (clang's -Wl,--shared-memory
// without --import-memory), on both tiers, with and without a template snapshot: the first
// instance creates the memory and every later one is bound to it (instantiate_from's
// BoundMemories). 8 threads of atomic adds lose no update; a write through one lease is seen
// through another; neither an active data segment nor wasm-ld's passive ones (its
// __wasm_init_memory) are applied again when a later instance is made; the memory is counted
// once against the budget, outlives discarded instances and goes with its last user; an instance
// bound to it cannot be reset; `wisp serve` with strategy = "threads" over such a module.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "serve/serve_support.hpp"
#include "support/fixture.hpp"
#include "support/strategy_check.hpp"
#include "wisp/runtime_stats.hpp"
#include "wisp/serve.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// Word 0: a counter; word 16: set to 42 by an active data segment; 4 pages (up to 8), shared.
constexpr const char* kDefinedWat = R"((module
  (memory (export "memory") 4 8 shared)
  (data (i32.const 16) "\2a")
  (func (export "count") (result i32)
    (i32.add (i32.atomic.rmw.add (i32.const 0) (i32.const 1)) (i32.const 1)))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "boom") unreachable))
)";

// The parameter: snapshots on (the first instance from the template's snapshot, later ones bound
// from it) or off (every instance from scratch, later ones bound before the generated
// instantiate runs).
class ThreadsDefinedMemoryTest : public ::testing::TestWithParam<std::tuple<Tier, bool>> {
 protected:
  Engine& engine() {
    if (!engine_)
      engine_ =
          std::make_unique<Engine>(engine_config(tier(), shared_tier1_cache_or(cache_.path())));
    return *engine_;
  }
  Tier tier() const { return std::get<0>(GetParam()); }
  TemplateOptions options() const {
    TemplateOptions o;
    o.tier = tier();
    if (!std::get<1>(GetParam())) o.snapshot.mode = SnapshotMode::off;
    return o;
  }
  Template wat_template() {
    return Linker().instantiate_template(engine().compile(wat(kDefinedWat)), options());
  }
  Template example_template() {
    Module m = engine().compile_file(std::string(WISP_EXAMPLES_DIR) + "/threads_kv_defined.wasm");
    EXPECT_TRUE(defines_shared_memory(m));
    EXPECT_FALSE(imports_shared_memory(m));
    return Linker().instantiate_template(m, options());
  }
  static int32_t load(Lease& l, int32_t at) { return l.call("load", {Value::i32(at)})[0].as_i32(); }

 private:
  TempDir cache_;
  std::unique_ptr<Engine> engine_;
};

TEST_P(ThreadsDefinedMemoryTest, EightThreadsOfAtomicAddsLoseNoUpdate) {
  for (uint32_t n : {3u, 8u}) {  // fewer instances than threads (leases wait), and as many
    SCOPED_TRACE(n);
    Policy policy;
    policy.max_instances = n;
    policy.min_warm = n;  // n instances over the one memory from the start
    auto s = checked_strategy(StrategyKind::threads, example_template(), policy);
    constexpr int kEach = 200, kAdds = 25;  // leases per thread, atomic adds per lease
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          try {
            Lease lease = s->acquire(std::chrono::seconds(30));
            for (int k = 0; k < kAdds; ++k) lease.call("counter_add", {Value::i32(1)});
            if (i % 4 == 0) lease.call("kv_add", {Value::i32(t), Value::i64(1)});
          } catch (const std::exception&) {
            ++failures;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    Lease lease = s->acquire();
    EXPECT_EQ(lease.call("counter_get")[0].as_i32(), 8 * kEach * kAdds);
    for (int t = 0; t < 8; ++t)
      EXPECT_EQ(lease.call("kv_get", {Value::i32(t)})[0].as_i64(), kEach / 4);
    EXPECT_EQ(lease.call("seed_get")[0].as_i32(), 0x5eed1234);  // initialised once, kept
    StrategyStats st = s->stats();
    EXPECT_EQ(st.creates, n);
    EXPECT_EQ(st.discarded(), 0u);
  }
}

TEST_P(ThreadsDefinedMemoryTest, AWriteThroughOneLeaseIsSeenThroughAnother) {
  Policy policy;
  policy.max_instances = 2;
  auto s = checked_strategy(StrategyKind::threads, wat_template(), policy);
  Lease a = s->acquire();
  Lease b = s->acquire(std::chrono::milliseconds(100));  // a second instance, no waiting
  EXPECT_NE(a.instance_id(), b.instance_id());
  a.call("store", {Value::i32(64), Value::i32(7)});
  EXPECT_EQ(load(b, 64), 7);
  b.call("store", {Value::i32(68), Value::i32(8)});
  EXPECT_EQ(load(a, 68), 8);
  EXPECT_EQ(a->memory().view(0, 1).data(), b->memory().view(0, 1).data());  // the same pages
  b->memory().grow(1);  // its size is the memory's, not an instance's: the other sees it
  EXPECT_EQ(a->memory().size(), 5u * 65536);
  EXPECT_EQ(a.call("count")[0].as_i32(), 1);
  EXPECT_EQ(b.call("count")[0].as_i32(), 2);
}

// A later instance must not write the module's data into the live memory again: the active
// segment (word 16 = 42) is not re-applied, and neither is a snapshot's image.
TEST_P(ThreadsDefinedMemoryTest, DataSegmentsAreNotAppliedAgain) {
  Policy policy;
  policy.max_instances = 2;
  auto s = checked_strategy(StrategyKind::threads, wat_template(), policy);
  Lease a = s->acquire();
  EXPECT_EQ(load(a, 16), 42);  // the first instance applied it
  a.call("store", {Value::i32(16), Value::i32(99)});
  a.call("store", {Value::i32(4096), Value::i32(5)});    // a page the image has as zeros
  Lease b = s->acquire(std::chrono::milliseconds(100));  // created now
  EXPECT_EQ(s->stats().creates, 2u);
  EXPECT_EQ(load(b, 16), 99);
  EXPECT_EQ(load(a, 16), 99);
  EXPECT_EQ(load(b, 4096), 5);
}

// wasm-ld's form: passive segments applied by __wasm_init_memory (the start function) behind an
// atomic flag, which a later instance runs again and which leaves the memory alone.
TEST_P(ThreadsDefinedMemoryTest, TheStartFunctionOfAClangModuleKeepsTheState) {
  Policy policy;
  policy.max_instances = 2;
  auto s = checked_strategy(StrategyKind::threads, example_template(), policy);
  Lease a = s->acquire();
  EXPECT_EQ(a.call("seed_get")[0].as_i32(), 0x5eed1234);
  a.call("seed_set", {Value::i32(777)});
  a.call("counter_add", {Value::i32(3)});
  Lease b = s->acquire(std::chrono::milliseconds(100));
  EXPECT_EQ(b.call("seed_get")[0].as_i32(), 777);
  EXPECT_EQ(b.call("counter_get")[0].as_i32(), 3);
  // Each has a C stack of its own in the one memory.
  EXPECT_NE(a->global_get("__stack_pointer").as_i32(), b->global_get("__stack_pointer").as_i32());
}

TEST_P(ThreadsDefinedMemoryTest, TheMemoryOutlivesDiscardsCountsOnceAndGoesWithItsLastUser) {
  const uint64_t before = runtime_stats().committed_bytes;
  {
    Policy policy;
    policy.max_instances = 4;
    auto s = checked_strategy(StrategyKind::threads, wat_template(), policy);
    {
      Lease first = s->acquire();
      for (int i = 0; i < 5; ++i) first.call("count");
      EXPECT_TRAP(first.call("boom"), TrapKind::unreachable);  // the creator is discarded
    }
    EXPECT_EQ(s->stats().discards[static_cast<size_t>(DiscardReason::trapped)], 1u);
    EXPECT_EQ(s->stats().live, 0u);
    std::vector<Lease> all;
    for (int i = 0; i < 4; ++i) all.push_back(s->acquire(std::chrono::milliseconds(100)));
    EXPECT_EQ(load(all[3], 0), 5);  // the state survived its creator
    EXPECT_EQ(all[0].call("count")[0].as_i32(), 6);
    // Four live instances, one memory of 4 pages: counted once (instances have no memory of
    // their own; this guest has no C stacks to grow).
    EXPECT_EQ(runtime_stats().committed_bytes - before, 4u * 65536);
    EXPECT_FALSE(all[1]->resettable());
    EXPECT_THROW(all[1]->reset(), Error);
  }
  EXPECT_EQ(runtime_stats().committed_bytes, before);  // the strategy and its leases are gone
}

INSTANTIATE_TEST_SUITE_P(Tiers, ThreadsDefinedMemoryTest,
                         ::testing::Combine(::testing::Values(Tier::tier0, Tier::tier1),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == Tier::tier0 ? "Tier0"
                                                                                     : "Tier1") +
                                  (std::get<1>(info.param) ? "Snapshot" : "Scratch");
                         });

// A module whose memory is not shared is still refused, with a reason.
TEST(ThreadsDefinedMemory, AModuleWithNoSharedMemoryIsRefusedWithAReason) {
  TempDir cache;
  Engine engine(engine_config(Tier::tier0, cache.path()));
  Template plain =
      Linker().instantiate_template(engine.compile(wat(R"((module (memory 1 1)))")), {});
  try {
    make_strategy(StrategyKind::threads, plain);
    ADD_FAILURE() << "a module without a shared memory made a threads strategy";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs a module with a shared memory"), std::string::npos)
        << e.what();
  }
}

// `wisp serve`: a threads route over the example guest that defines its memory counts every
// request once, whichever of its instances served it.
TEST(ThreadsDefinedMemoryServe, ARouteCountsEveryRequestAcrossItsInstances) {
  RouteConfig r =
      route("/count", kExamples / "threads_kv_defined.wasm", "counter_add", StrategyKind::threads);
  r.policy.max_instances = 4;
  r.policy.min_warm = 4;
  expect_route_counts_every_request(r);
}

}  // namespace
}  // namespace wisp::test
