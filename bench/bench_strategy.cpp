// Strategy benchmarks (issue 5), tier 1:
//  - lease/<strategy>: acquire + one small call (fib(10)) + release, one thread — what each
//    strategy costs per request (pool: reset on release; pool_keep: no reset).
//  - lease_writes/pool/{same_page,new_page}/{tracked,untracked}: a pool lease whose call writes
//    one page of the 4 MiB-data guest: the same page every time (it stays resident: with write
//    tracking the reset needs no system call), or another page each time (every lease escapes
//    the resident set: tracking's worst case), with SnapshotOptions::track_writes on and off.
//  - scaling/<strategy>/threads:N: throughput of fib_rec(20) per lease on 1 and 2 threads.
//  - contended/shared/threads:N: leases of fib(10) per second over N threads that all lease
//    the one instance of a `shared` strategy (issue 12's "no convoy collapse": 8 threads keep
//    >= 0.8x of 1 thread). Run with --benchmark_enable_random_interleaving and repetitions:
//    this VM's speed drifts by 20-30 % within seconds, and only interleaved runs compare.
//  - resize/<strategy>[/with_input]: Fresh vs Shared on the image-resize guest; the source image
//    comes from the snapshot (init export resize_init), or every request writes it first.
// Every call's result is checked, so the optimiser cannot drop the work.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "bench_support.hpp"
#include "wisp/wisp.hpp"

namespace {

using wisp::bench::guarded;
using wisp::bench::guests_dir;

namespace fs = std::filesystem;
using wisp::StrategyKind;
using wisp::Tier;

struct Env {
  std::unique_ptr<wisp::Engine> engine;
  std::map<std::string, wisp::Module> modules;
  Env() {
    wisp::EngineConfig c;
    c.cache_dir = std::getenv("WISP_BENCH_CACHE_DIR") ? std::getenv("WISP_BENCH_CACHE_DIR")
                                                      : WISP_BENCH_CACHE_DIR;
    c.background_tier1 = false;
    engine = std::make_unique<wisp::Engine>(c);
    for (const char* name : {"fib", "resize", "state"}) {
      wisp::Module m = engine->compile_file(guests_dir() / (std::string(name) + ".wasm"));
      if (!m.tier1_ready()) throw wisp::Error(std::string(name) + ": tier 1 unavailable");
      modules.emplace(name, m);
    }
  }
  wisp::Template tmpl(const std::string& module, const std::string& init, uint32_t keep = 16,
                      bool track_writes = true) {
    wisp::TemplateOptions o;
    o.tier = Tier::tier1;
    o.snapshot.init_export = init;
    o.snapshot.keep_resident_pages = keep;
    o.snapshot.track_writes = track_writes;
    return wisp::Linker().instantiate_template(modules.at(module), o);
  }
};

std::unique_ptr<Env> g_env;

struct Variant {
  const char* name;
  StrategyKind kind;
  std::optional<wisp::ReleaseAction> on_release;
};
const Variant kVariants[] = {{"fresh", StrategyKind::fresh, {}},
                             {"shared", StrategyKind::shared, {}},
                             {"pool", StrategyKind::pool, {}},
                             {"pool_keep", StrategyKind::pool, wisp::ReleaseAction::keep},
                             {"per_thread", StrategyKind::per_thread, {}}};

std::unique_ptr<wisp::Strategy> make(const Variant& v, wisp::Template t, uint32_t max = 4) {
  wisp::Policy p;
  p.on_release = v.on_release;
  p.max_instances = max;
  return wisp::make_strategy(v.kind, std::move(t), p);
}

void check(benchmark::State& st, int32_t got, int32_t want) {
  if (got != want) st.SkipWithError("wrong result");
}

// Strategies shared by the threads of one multi-threaded benchmark (made by thread 0's setup).
std::map<std::string, std::unique_ptr<wisp::Strategy>> g_shared_strategies;

void lease_call(benchmark::State& st, const Variant& v) {
  auto s = make(v, g_env->tmpl("fib", "_initialize"));
  const wisp::Value arg[] = {wisp::Value::i32(10)};
  for (auto _ : st) {
    wisp::Lease l = s->acquire();
    check(st, l->call("fib", arg)[0].as_i32(), 55);
  }
  wisp::StrategyStats stats = s->stats();
  st.counters["creates"] = static_cast<double>(stats.creates);
  st.counters["resets"] = static_cast<double>(stats.resets);
}

// state_touch(page) adds 1 to the first word of a 64 KiB page of the table and returns it: after
// a reset it always returns the snapshot's value + 1.
void lease_writes(benchmark::State& st, bool new_page, bool track_writes) {
  Variant v{"pool", StrategyKind::pool, {}};
  auto s = make(v, g_env->tmpl("state", "_initialize", 16, track_writes));
  std::vector<int32_t> want(64);
  for (int32_t p = 0; p < 64; ++p)
    want[p] = s->acquire()->call("state_touch", {wisp::Value::i32(p)})[0].as_i32();
  int32_t page = 0;
  for (auto _ : st) {
    wisp::Lease l = s->acquire();
    check(st, l->call("state_touch", {wisp::Value::i32(page)})[0].as_i32(), want[page]);
    if (new_page) page = (page + 1) % 64;
  }
  st.counters["resets"] = static_cast<double>(s->stats().resets);
}

void scaling(benchmark::State& st, const std::string& key) {
  wisp::Strategy& s = *g_shared_strategies.at(key);
  const wisp::Value arg[] = {wisp::Value::i32(20)};
  for (auto _ : st) {
    wisp::Lease l = s.acquire();
    check(st, l->call("fib_rec", arg)[0].as_i32(), 6765);
  }
  st.SetItemsProcessed(st.iterations());
}

void contended(benchmark::State& st, const std::string& key) {
  wisp::Strategy& s = *g_shared_strategies.at(key);
  const wisp::Value arg[] = {wisp::Value::i32(10)};
  for (auto _ : st) {
    wisp::Lease l = s.acquire();
    check(st, l->call("fib", arg)[0].as_i32(), 55);
  }
  st.SetItemsProcessed(st.iterations());
}

// keep: SnapshotOptions::keep_resident_pages (written pages copied back, not dropped, on reset).
void resize(benchmark::State& st, const Variant& v, bool with_input, uint32_t keep) {
  auto s = make(v, g_env->tmpl("resize", with_input ? "_initialize" : "resize_init", keep));
  int32_t want = 0;
  {
    wisp::Lease l = s->acquire();
    if (with_input) l->call("resize_init");
    want = l->call("resize_run")[0].as_i32();
  }
  for (auto _ : st) {
    wisp::Lease l = s->acquire();
    if (with_input) l->call("resize_init");
    check(st, l->call("resize_run")[0].as_i32(), want);
  }
}

void register_all() {
  for (const Variant& v : kVariants) {
    benchmark::RegisterBenchmark((std::string("lease/") + v.name).c_str(),
                                 guarded([&v](benchmark::State& st) { lease_call(st, v); }))
        ->Unit(benchmark::kNanosecond);
  }
  for (bool new_page : {false, true}) {
    for (bool tracked : {true, false}) {
      std::string name = std::string("lease_writes/pool/") + (new_page ? "new_page" : "same_page") +
                         (tracked ? "/tracked" : "/untracked");
      benchmark::RegisterBenchmark(name.c_str(), guarded([new_page, tracked](benchmark::State& st) {
                                     lease_writes(st, new_page, tracked);
                                   }))
          ->Unit(benchmark::kNanosecond);
    }
  }
  for (const Variant& v : kVariants) {
    if (v.kind != StrategyKind::pool && v.kind != StrategyKind::per_thread) continue;
    if (v.on_release) continue;
    std::string key = v.name;
    g_shared_strategies[key] = make(v, g_env->tmpl("fib", "_initialize"));
    benchmark::RegisterBenchmark(("scaling/" + key).c_str(),
                                 guarded([key](benchmark::State& st) { scaling(st, key); }))
        ->Threads(1)
        ->Threads(2)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
  g_shared_strategies["contended_shared"] = make(kVariants[1], g_env->tmpl("fib", "_initialize"));
  benchmark::RegisterBenchmark(
      "contended/shared", guarded([](benchmark::State& st) { contended(st, "contended_shared"); }))
      ->Threads(1)
      ->Threads(8)
      ->UseRealTime()
      ->Unit(benchmark::kNanosecond);
  for (bool with_input : {false, true}) {
    for (const Variant& v : kVariants) {
      if (v.kind != StrategyKind::fresh && v.kind != StrategyKind::shared) continue;
      for (uint32_t keep : {16u, 1024u}) {
        if (keep != 16 && (!with_input || v.kind != StrategyKind::fresh)) continue;
        std::string name = std::string("resize/") + v.name + (with_input ? "/with_input" : "") +
                           (keep != 16 ? "/keep_resident_1024" : "");
        benchmark::RegisterBenchmark(name.c_str(),
                                     guarded([&v, with_input, keep](benchmark::State& st) {
                                       resize(st, v, with_input, keep);
                                     }))
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    g_env = std::make_unique<Env>();
    register_all();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wisp_bench_strategy: setup failed: %s\n", e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_shared_strategies.clear();
  g_env.reset();
  return 0;
}
