// The threads strategy (issue 12 item 4): throughput at 1 and 2 calling threads on an
// embarrassingly parallel export, with no lost updates.
//   BM_ThreadsStrategy/work:N/threads:T: T threads, each in a loop of lease + work(N) +
//     counter_add(1) + release, on a threads strategy of T instances over the example guest
//     (examples/guests/threads_kv.c, tier 1). work(N) is N rounds of xorshift: no memory, so the
//     calls run in parallel; counter_add is one atomic add on the shared memory. items_per_second
//     is leases per second over all threads (real time). Target: threads:2 >= 1.7x threads:1.
//   BM_NativeWork/work:N/threads:T: the same xorshift rounds in C++ on T threads, no runtime:
//     how far the machine itself scales from 1 to 2 threads at that moment (on a shared VM,
//     other processes take cores; compare the strategy's ratio with this one's).
// After each run the counter must have grown by exactly the leases made (no lost update), or
// the run is reported as an error.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "wisp/wisp.hpp"

namespace {

using wisp::Value;

struct Env {
  Env() {
    wisp::EngineConfig config;
    config.background_tier1 = false;
    engine = std::make_unique<wisp::Engine>(config);
    wisp::Module m = engine->compile_file(std::string(WISP_EXAMPLES_DIR) + "/threads_kv.wasm");
    wisp::Linker linker;
    wisp::define_shared_memories(*engine, linker, m);
    wisp::TemplateOptions o;
    o.tier = wisp::Tier::tier1;
    tmpl = std::make_unique<wisp::Template>(linker.instantiate_template(m, o));
  }
  std::unique_ptr<wisp::Engine> engine;
  std::unique_ptr<wisp::Template> tmpl;
};

Env& env() {
  static Env e;
  return e;
}

std::unique_ptr<wisp::Strategy> g_strategy;
uint32_t g_counter_before = 0;
std::atomic<int64_t> g_leases{0};

uint32_t counter(wisp::Strategy& s) {
  wisp::Lease lease = s.acquire();
  return static_cast<uint32_t>(lease.call("counter_get")[0].as_i32());
}

void threads_strategy(benchmark::State& st) {
  const auto rounds = static_cast<int32_t>(st.range(0));
  if (st.thread_index() == 0) {
    wisp::Policy policy;
    policy.max_instances = static_cast<uint32_t>(st.threads());
    policy.min_warm = policy.max_instances;
    g_strategy = wisp::make_strategy(wisp::StrategyKind::threads, *env().tmpl, policy);
    g_counter_before = counter(*g_strategy);
    g_leases = 0;
  }
  const Value work_args[] = {Value::i32(rounds)};
  const Value add_args[] = {Value::i32(1)};
  int64_t leases = 0;
  for (auto _ : st) {
    wisp::Lease lease = g_strategy->acquire();
    benchmark::DoNotOptimize(lease.call("work", work_args));
    lease.call("counter_add", add_args);
    ++leases;
    g_leases.fetch_add(1, std::memory_order_relaxed);  // before the loop's closing barrier
  }
  st.SetItemsProcessed(leases);
  if (st.thread_index() == 0) {
    // Every thread has left the loop (the benchmark's barrier): the counts are final.
    const uint32_t grown = counter(*g_strategy) - g_counter_before;
    if (grown != static_cast<uint32_t>(g_leases.load())) st.SkipWithError("lost updates");
    g_strategy.reset();
  }
}

uint32_t native_work(uint32_t n) {
  uint32_t x = 2463534242u;
  for (uint32_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    benchmark::DoNotOptimize(x);  // one round at a time, as the guest's loop
  }
  return x;
}

void native_work_bench(benchmark::State& st) {
  const auto rounds = static_cast<uint32_t>(st.range(0));
  for (auto _ : st) benchmark::DoNotOptimize(native_work(rounds));
  st.SetItemsProcessed(st.iterations());
}

}  // namespace

// Both at the same rounds of work per call and thread counts, so that each pair compares.
static void work_at_1_and_2_threads(benchmark::internal::Benchmark* b) {
  b->ArgName("work")->Arg(10000)->Arg(1000)->Threads(1)->Threads(2)->UseRealTime();
}

BENCHMARK(native_work_bench)->Name("BM_NativeWork")->Apply(work_at_1_and_2_threads);
BENCHMARK(threads_strategy)->Name("BM_ThreadsStrategy")->Apply(work_at_1_and_2_threads);

int main(int argc, char** argv) {
  env();  // compile (tier 1) before any timing
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
