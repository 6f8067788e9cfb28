// The example guests (examples/guests: factorial, counter, kv; image_resize from bench/guests)
// under every strategy: what the README documents about state — kept, reset or fresh — checked
// on real C programs.
#include <gtest/gtest.h>

#include <thread>

#include "support/fixture.hpp"
#include "support/strategy_check.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

class ExampleGuestsTest : public TierTest {
 protected:
  Template load(const char* name, std::string init = "_initialize") {
    Module m = engine().compile_file(std::string(WISP_EXAMPLES_DIR) + "/" + name + ".wasm");
    TemplateOptions o = options();
    o.snapshot.init_export = std::move(init);
    return Linker().instantiate_template(m, o);
  }
  // increment() on `leases` successive leases of one strategy.
  std::vector<int32_t> counts(StrategyKind kind, Policy p = {}) {
    auto s = checked_strategy(kind, load("counter"), p);
    std::vector<int32_t> out;
    for (int i = 0; i < 3; ++i) {
      Lease l = s->acquire();
      out.push_back(l.call("increment")[0].as_i32());
    }
    return out;
  }
};

TEST_P(ExampleGuestsTest, FactorialIsTheSameUnderEveryStrategy) {
  Template t = load("factorial");
  for (StrategyKind kind :
       {StrategyKind::fresh, StrategyKind::shared, StrategyKind::pool, StrategyKind::per_thread}) {
    auto s = checked_strategy(kind, t);
    for (int32_t n : {0, 5, 20}) {
      Lease l = s->acquire();
      int64_t want = 1;
      for (int32_t i = 2; i <= n; ++i) want *= i;
      EXPECT_EQ(l.call("factorial", {Value::i32(n)})[0].as_i64(), want)
          << strategy_kind_name(kind) << " n=" << n;
    }
  }
}

TEST_P(ExampleGuestsTest, CounterStateKeptResetOrFreshPerStrategy) {
  using V = std::vector<int32_t>;
  EXPECT_EQ(counts(StrategyKind::shared), (V{1, 2, 3}));      // one instance, state kept
  EXPECT_EQ(counts(StrategyKind::pool), (V{1, 1, 1}));        // reset to the snapshot
  EXPECT_EQ(counts(StrategyKind::fresh), (V{1, 1, 1}));       // a new instance each time
  EXPECT_EQ(counts(StrategyKind::per_thread), (V{1, 2, 3}));  // this thread's instance
  Policy keep;
  keep.on_release = ReleaseAction::keep;
  keep.max_instances = 1;
  EXPECT_EQ(counts(StrategyKind::pool, keep), (V{1, 2, 3}));  // pool told to keep state
  Policy recycle;
  recycle.recycle_after_uses = 2;
  recycle.on_release = ReleaseAction::keep;
  EXPECT_EQ(counts(StrategyKind::shared, recycle), (V{1, 2, 1}));  // recycled after 2 uses
}

TEST_P(ExampleGuestsTest, PerThreadCountersAreIndependent) {
  auto s = checked_strategy(StrategyKind::per_thread, load("counter"));
  std::vector<int32_t> a, b;
  auto run = [&](std::vector<int32_t>& out) {
    for (int i = 0; i < 3; ++i) out.push_back(s->acquire().call("increment")[0].as_i32());
  };
  std::thread ta(run, std::ref(a)), tb(run, std::ref(b));
  ta.join();
  tb.join();
  EXPECT_EQ(a, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(b, (std::vector<int32_t>{1, 2, 3}));
}

TEST_P(ExampleGuestsTest, KeyValueContextsPerTenant) {
  // Long-lived tenants: Contexts; per request: the contexts strategy.
  Template t = load("kv");
  Contexts contexts(t);
  auto alice = contexts.open();
  auto bob = contexts.open();
  EXPECT_EQ(alice->call("update_value", {Value::i32(10)})[0].as_i32(), 1);
  EXPECT_EQ(alice->call("update_value", {Value::i32(11)})[0].as_i32(), 2);
  EXPECT_EQ(bob->call("update_value", {Value::i32(20)})[0].as_i32(), 1);
  EXPECT_EQ(alice->call("get_value")[0].as_i32(), 11);
  EXPECT_EQ(bob->call("get_value")[0].as_i32(), 20);
  auto per_request = checked_strategy(StrategyKind::contexts, t);
  for (int i = 0; i < 3; ++i) {
    Lease l = per_request->acquire();
    EXPECT_EQ(l.call("get_value")[0].as_i32(), 0);  // a zeroed context every time
    EXPECT_EQ(l.call("update_value", {Value::i32(i)})[0].as_i32(), 1);
  }
}

TEST_P(ExampleGuestsTest, ImageResizeFreshAndSharedAgree) {
  // The source image is made once by the snapshot's init export (resize_init).
  int32_t checksums[2] = {0, 0};
  int k = 0;
  for (StrategyKind kind : {StrategyKind::fresh, StrategyKind::shared}) {
    auto s = checked_strategy(kind, load("image_resize", "resize_init"));
    for (int i = 0; i < 2; ++i) {
      int32_t c = s->acquire().call("resize_run")[0].as_i32();
      if (i == 0) checksums[k] = c;
      EXPECT_EQ(c, checksums[k]) << strategy_kind_name(kind);
    }
    ++k;
  }
  EXPECT_EQ(checksums[0], checksums[1]);
  EXPECT_NE(checksums[0], 0);
}

INSTANTIATE_TEST_SUITE_P(Tiers, ExampleGuestsTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
