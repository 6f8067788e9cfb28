// Per-template host state (TemplateOptions::host_state, WasiCtx::factory): start functions and
// init exports that call WASI, one context per instance of a sharing strategy, and what a reset
// renews.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "support/strategy_check.hpp"
#include "wasi/wasi_support.hpp"
#include "wisp/strategy.hpp"

namespace wisp::test {
namespace {

Module guest(const std::string& name) {
  return wasi_engine(Tier::tier0).compile_file(wasi_guest(name));
}

Linker wasi_linker() {
  Linker linker;
  add_wasi(linker);
  return linker;
}

TemplateOptions options_with(HostStateFactory factory) {
  TemplateOptions o;
  o.tier = Tier::tier0;
  o.snapshot.verify_reset = true;
  o.host_state = std::move(factory);
  return o;
}

const std::string& out_of(const Instance& inst) {
  WasiCtx* ctx = inst.host_state<WasiCtx>();
  if (!ctx) throw Error("the instance has no WasiCtx");
  return ctx->stdout_data();
}

// A factory that records every context it makes (the capture instance's included).
struct Recorder {
  WasiConfig config;
  std::mutex mutex;
  std::vector<std::shared_ptr<WasiCtx>> made;
  HostStateFactory factory() {
    return [this](Instance& inst) {
      auto ctx = WasiCtx::attach(inst, config);
      std::lock_guard lock(mutex);
      made.push_back(ctx);
    };
  }
};

TEST(WasiHostState, StartFunctionCallsWasiInEveryInstance) {
  Template t = wasi_linker().instantiate_template(
      guest("start"), options_with(WasiCtx::factory(buffered_config({"start"}))));
  EXPECT_TRUE(t.snapshot_info().start_runs_per_instance);
  Instance a = t.instantiate(), b = t.instantiate();
  for (Instance* i : {&a, &b}) {
    EXPECT_EQ(out_of(*i), "started\n");
    EXPECT_EQ(i->func<int32_t()>("starts")(), 1);
  }
  EXPECT_NE(a.host_state<WasiCtx>(), b.host_state<WasiCtx>());
  EXPECT_NE(a.func<int64_t()>("random")(), b.func<int64_t()>("random")());
  a.call("_start");
  EXPECT_EQ(out_of(a), "started\nmain\n");
  EXPECT_EQ(out_of(b), "started\n");

  // reset: a new context (empty buffers), then the start function runs again in it
  WasiCtx* before = a.host_state<WasiCtx>();
  a.reset();
  EXPECT_NE(a.host_state<WasiCtx>(), before);
  EXPECT_EQ(out_of(a), "started\n");
  EXPECT_EQ(a.func<int32_t()>("starts")(), 1);
}

TEST(WasiHostState, StartFunctionCallsWasiInAOneShotInstance) {
  Instance inst = wasi_linker().instantiate(
      guest("start"), options_with(WasiCtx::factory(buffered_config({"start"}))));
  EXPECT_EQ(out_of(inst), "started\n");
  inst.call("_start");
  EXPECT_EQ(out_of(inst), "started\nmain\n");
  inst.reset();  // captures the snapshot now (lazy), with a context of its own
  EXPECT_EQ(out_of(inst), "started\n");
  EXPECT_EQ(inst.func<int32_t()>("starts")(), 1);
}

TEST(WasiHostState, StartFunctionWithoutAContextTraps) {
  TemplateOptions o;
  o.tier = Tier::tier0;
  try {
    wasi_linker().instantiate(guest("start"), o);
    FAIL() << "no trap";
  } catch (const Trap& e) {
    EXPECT_EQ(e.kind(), TrapKind::host_error);
    EXPECT_NE(std::string(e.what()).find("host_state"), std::string::npos) << e.what();
  }
}

TEST(WasiHostState, StartFunctionMayExit) {
  Template t = wasi_linker().instantiate_template(
      guest("start"), options_with(WasiCtx::factory(buffered_config({"start", "x", "y"}))));
  try {
    t.instantiate();
    FAIL() << "no exit";
  } catch (const WasiExit& e) {
    EXPECT_EQ(e.code(), 3);
  }
}

// Wizer-style initialisation that calls WASI: it runs once, at capture, in the capture
// instance's own context; every instance handed out starts initialised with a fresh context.
TEST(WasiHostState, InitExportCallsWasiOnceAtCapture) {
  Recorder rec;
  rec.config = buffered_config({"init"});
  rec.config.env = {"WHO=world"};
  TemplateOptions o = options_with(rec.factory());
  o.snapshot.init_export = "_initialize";
  Template t = wasi_linker().instantiate_template(guest("init"), o);

  Instance a = t.instantiate();  // the capture instance, then handed out with a fresh context
  ASSERT_EQ(rec.made.size(), 2u);
  EXPECT_EQ(rec.made[0]->stdout_data(), "init ran\n");
  EXPECT_EQ(a.host_state<WasiCtx>(), rec.made[1].get());
  EXPECT_EQ(out_of(a), "");
  EXPECT_EQ(a.func<int32_t(int32_t)>("say")(1), 1);  // the constructor ran once
  EXPECT_EQ(out_of(a), "hello world 1\n");

  Instance b = t.instantiate();  // from the snapshot: initialised, no init output
  ASSERT_EQ(rec.made.size(), 3u);
  EXPECT_EQ(out_of(b), "");
  EXPECT_EQ(b.func<int32_t(int32_t)>("say")(2), 1);
  EXPECT_EQ(out_of(b), "hello world 2\n");
  EXPECT_EQ(out_of(a), "hello world 1\n");

  b.reset();
  ASSERT_EQ(rec.made.size(), 4u);
  EXPECT_EQ(out_of(b), "");
  EXPECT_EQ(b.func<int32_t(int32_t)>("say")(3), 1);
  EXPECT_EQ(out_of(b), "hello world 3\n");
  EXPECT_EQ(rec.made[0]->stdout_data(), "init ran\n");  // captured once, never again
}

TEST(WasiHostState, InitExportCapturedBySnapshotInfo) {
  Recorder rec;
  rec.config = buffered_config({"init"});
  TemplateOptions o = options_with(rec.factory());
  o.snapshot.init_export = "_initialize";
  Template t = wasi_linker().instantiate_template(guest("init"), o);
  EXPECT_TRUE(t.snapshot_info().captured);
  ASSERT_EQ(rec.made.size(), 1u);
  EXPECT_EQ(rec.made[0]->stdout_data(), "init ran\n");
  Instance a = t.instantiate();
  EXPECT_EQ(out_of(a), "");
  EXPECT_EQ(a.func<int32_t(int32_t)>("say")(4), 1);
  EXPECT_EQ(out_of(a), "hello nobody 4\n");
}

// Without a snapshot every instance runs the init export itself, in its own context.
TEST(WasiHostState, InitExportRunsPerInstanceWithoutSnapshot) {
  TemplateOptions o = options_with(WasiCtx::factory(buffered_config({"init"})));
  o.snapshot.mode = SnapshotMode::off;
  o.snapshot.init_export = "_initialize";
  Template t = wasi_linker().instantiate_template(guest("init"), o);
  Instance a = t.instantiate(), b = t.instantiate();
  EXPECT_EQ(out_of(a), "init ran\n");
  EXPECT_EQ(out_of(b), "init ran\n");
  EXPECT_EQ(b.func<int32_t(int32_t)>("say")(5), 1);
  EXPECT_EQ(out_of(b), "init ran\nhello nobody 5\n");
  EXPECT_EQ(out_of(a), "init ran\n");
}

// A pool: each lease's instance has its own context; a reset gives it a fresh one (fd table
// rebuilt from the config: an fd the guest closed is open again; buffers empty).
TEST(WasiHostState, PoolGivesEachInstanceItsOwnContext) {
  WasiConfig c = buffered_config({"init"});
  c.env = {"WHO=pool"};
  TemplateOptions o = options_with(WasiCtx::factory(c));
  o.snapshot.init_export = "_initialize";
  Template t = wasi_linker().instantiate_template(guest("init"), o);
  Policy policy;
  policy.max_instances = 2;
  auto pool = checked_strategy(StrategyKind::pool, t, policy);
  {
    Lease l1 = pool->acquire(), l2 = pool->acquire();
    ASSERT_NE(l1->host_state<WasiCtx>(), l2->host_state<WasiCtx>());
    l1->func<int32_t(int32_t)>("say")(1);
    l2->func<int32_t(int32_t)>("say")(2);
    EXPECT_EQ(out_of(l1.instance()), "hello pool 1\n");
    EXPECT_EQ(out_of(l2.instance()), "hello pool 2\n");
    EXPECT_EQ(l1->func<int32_t()>("close_stdout")(), 0);
    l1->func<int32_t(int32_t)>("say")(3);  // stdout is closed: nothing more arrives
    EXPECT_EQ(out_of(l1.instance()), "hello pool 1\n");
  }
  {
    Lease l1 = pool->acquire(), l2 = pool->acquire();
    for (Lease* l : {&l1, &l2}) {
      EXPECT_EQ(out_of(l->instance()), "");
      EXPECT_EQ((*l)->func<int32_t(int32_t)>("say")(7), 1);
      EXPECT_EQ(out_of(l->instance()), "hello pool 7\n");
    }
  }
  StrategyStats s = pool->stats();
  EXPECT_EQ(s.creates, 2u);
  EXPECT_EQ(s.resets, 4u);
  EXPECT_EQ(s.discarded(), 0u);
}

TEST(WasiHostState, FreshStrategyGivesEachLeaseItsOwnContext) {
  TemplateOptions o = options_with(WasiCtx::factory(buffered_config({"start"})));
  Template t = wasi_linker().instantiate_template(guest("start"), o);
  auto fresh = checked_strategy(StrategyKind::fresh, t);
  for (int i = 0; i < 3; ++i) {
    Lease l = fresh->acquire();
    EXPECT_EQ(out_of(l.instance()), "started\n");
    l->call("_start");
    EXPECT_EQ(out_of(l.instance()), "started\nmain\n");
  }
}

// Without a factory, a context attached by hand survives reset() (it is the embedder's).
TEST(WasiHostState, ResetKeepsAContextAttachedByHand) {
  TemplateOptions o;
  o.tier = Tier::tier0;
  Template t = wasi_linker().instantiate_template(guest("init"), o);
  Instance inst = t.instantiate();
  auto ctx = WasiCtx::attach(inst, buffered_config({"init"}));
  inst.func<int32_t(int32_t)>("say")(1);
  inst.reset();
  EXPECT_EQ(inst.host_state<WasiCtx>(), ctx.get());
  inst.func<int32_t(int32_t)>("say")(2);
  EXPECT_EQ(ctx->stdout_data(), "uninitialised 1\nuninitialised 2\n");
}

TEST(WasiHostState, AFailingFactoryFailsInstantiationAndReset) {
  int calls = 0;
  auto factory = WasiCtx::factory(buffered_config({"start"}));
  TemplateOptions o = options_with([&](Instance& inst) {
    if (++calls > 1) throw Error("no more contexts");
    factory(inst);
  });
  Template t = wasi_linker().instantiate_template(guest("start"), o);
  Instance a = t.instantiate();  // also the capture instance (its start runs after the capture)
  EXPECT_EQ(calls, 1);
  EXPECT_THROW(t.instantiate(), Error);
  EXPECT_THROW(a.reset(), Error);
  EXPECT_TRUE(a.trapped());
}

}  // namespace
}  // namespace wisp::test
