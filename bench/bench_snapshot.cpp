// Snapshot benchmarks (issue 4): instantiate from a snapshot vs from scratch (fib-sized and a
// 4 MiB-data module), reset after touching 1 and 64 pages, RSS per live instance, and 10,000
// live instances of the 4 MiB module. Tier 1; reactors are pre-initialised with their
// `_initialize` export as the snapshot's init export (so no per-instance constructor call).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "bench_support.hpp"
#include "wisp/wisp.hpp"

namespace {

using wisp::bench::guarded;
using wisp::bench::guests_dir;

namespace fs = std::filesystem;
using wisp::Tier;

uint64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// Private (not shared) resident bytes of the process: smaps_rollup Private_Clean + Private_Dirty.
uint64_t private_bytes() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string key;
  uint64_t kib = 0, total = 0;
  std::string unit;
  while (in >> key) {
    if (key == "Private_Clean:" || key == "Private_Dirty:") {
      in >> kib >> unit;
      total += kib * 1024;
    }
  }
  return total;
}

struct Env {
  std::unique_ptr<wisp::Engine> engine;
  std::map<std::string, wisp::Module> modules;
  Env() {
    wisp::EngineConfig c;
    c.cache_dir = std::getenv("WISP_BENCH_CACHE_DIR") ? std::getenv("WISP_BENCH_CACHE_DIR")
                                                      : WISP_BENCH_CACHE_DIR;
    c.background_tier1 = false;
    engine = std::make_unique<wisp::Engine>(c);
    for (const char* name : {"fib", "state"}) {
      wisp::Module m = engine->compile_file(guests_dir() / (std::string(name) + ".wasm"));
      if (!m.tier1_ready()) throw wisp::Error(std::string(name) + ": tier 1 unavailable");
      modules.emplace(name, m);
    }
  }
  wisp::Template tmpl(const std::string& module, wisp::SnapshotMode mode) {
    wisp::TemplateOptions o;
    o.tier = Tier::tier1;
    o.snapshot.mode = mode;
    o.snapshot.init_export = "_initialize";
    return wisp::Linker().instantiate_template(modules.at(module), o);
  }
};

std::unique_ptr<Env> g_env;

// instantiate + free, the cycle a fresh-instance-per-request server runs.
void instantiate_free(benchmark::State& st, const char* module, wisp::SnapshotMode mode) {
  wisp::Template t = g_env->tmpl(module, mode);
  { wisp::Instance warm = t.instantiate(); }
  for (auto _ : st) {
    wisp::Instance inst = t.instantiate();
    benchmark::DoNotOptimize(inst.impl().get());
  }
}

// instantiate alone (manual timing; the free, which resets the slot, is not counted).
void instantiate_only(benchmark::State& st, const char* module, wisp::SnapshotMode mode) {
  wisp::Template t = g_env->tmpl(module, mode);
  { wisp::Instance warm = t.instantiate(); }
  for (auto _ : st) {
    auto t0 = std::chrono::steady_clock::now();
    wisp::Instance inst = t.instantiate();
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(inst.impl().get());
    st.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
}

// reset() after the guest wrote `pages` host pages of its 4 MiB table (one word per 64 KiB
// page): manual timing of the reset alone, checking that the state really was restored.
void reset_after_touch(benchmark::State& st, int pages, uint32_t keep_resident, bool track) {
  wisp::TemplateOptions o;
  o.tier = Tier::tier1;
  o.snapshot.init_export = "_initialize";
  o.snapshot.keep_resident_pages = keep_resident;
  o.snapshot.track_writes = track;
  wisp::Template t = wisp::Linker().instantiate_template(g_env->modules.at("state"), o);
  { wisp::Instance warm = t.instantiate(); }
  wisp::Instance inst = t.instantiate();
  auto touch = inst.func<int32_t(int32_t)>("state_touch");
  const int32_t first = touch(0);  // initial value + 1
  inst.reset();
  for (auto _ : st) {
    for (int p = 0; p < pages; ++p) touch(p);
    auto t0 = std::chrono::steady_clock::now();
    inst.reset();
    auto t1 = std::chrono::steady_clock::now();
    st.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  if (touch(0) != first) st.SkipWithError("reset did not restore the table");
}

// Live instances of the 4 MiB-data module, each having written one page: RSS per instance.
void live_instances(benchmark::State& st, wisp::SnapshotMode mode, int count) {
  wisp::Template t = g_env->tmpl("state", mode);
  { wisp::Instance warm = t.instantiate(); }
  for (auto _ : st) {
    std::vector<wisp::Instance> live;
    live.reserve(count);
    uint64_t before = rss_bytes();
    uint64_t private_before = private_bytes();
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
      live.push_back(t.instantiate());
      live.back().func<int32_t(int32_t)>("state_touch")(i);
    }
    auto t1 = std::chrono::steady_clock::now();
    uint64_t after = rss_bytes();
    uint64_t private_after = private_bytes();
    st.counters["private_per_instance_KiB"] = double(private_after - private_before) / count / 1024;
    st.counters["instances"] = count;
    st.counters["rss_per_instance_KiB"] = double(after - before) / count / 1024;
    st.counters["rss_total_MiB"] = double(after) / (1 << 20);
    st.counters["create_us_each"] =
        std::chrono::duration<double, std::micro>(t1 - t0).count() / count;
  }
}

// A call through one of 8 contexts of one shared instance: checked host access only, enforced
// isolation with protection keys (a PKRU write per call), with a view per context (a pointer
// swap per call), and with mprotect (two system calls per call). The label reports the mode
// actually in force.
void contexts_call(benchmark::State& st, bool enforce, bool pkeys, bool views) {
  wisp::Module m = g_env->engine->compile(wisp::wat_to_wasm(R"((module (memory 1)
    (func (export "get_value") (param i32) (result i32) (i32.load (local.get 0)))))"));
  wisp::TemplateOptions o;
  o.tier = Tier::tier1;
  wisp::Template t = wisp::Linker().instantiate_template(m, o);
  wisp::ContextsOptions co;
  co.enforce = enforce;
  co.use_pkeys = pkeys;
  co.use_views = views;
  wisp::Contexts contexts(t, co);
  std::vector<std::unique_ptr<wisp::Contexts::Context>> open;
  for (int i = 0; i < 8; ++i) open.push_back(contexts.open());
  st.SetLabel(contexts.enforcement());
  size_t i = 0;
  for (auto _ : st) {
    auto r = open[i++ % open.size()]->call("get_value");
    benchmark::DoNotOptimize(r);
  }
}

void register_all() {
  using wisp::SnapshotMode;
  const std::pair<SnapshotMode, const char*> modes[] = {{SnapshotMode::eager, "snapshot"},
                                                        {SnapshotMode::off, "scratch"}};
  for (const char* module : {"fib", "state"}) {
    for (auto [mode, mname] : modes) {
      std::string suffix = std::string(module) + "/" + mname;
      benchmark::RegisterBenchmark(
          ("instantiate_free/" + suffix).c_str(),
          guarded([=](benchmark::State& st) { instantiate_free(st, module, mode); }))
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(
          ("instantiate_only/" + suffix).c_str(),
          guarded([=](benchmark::State& st) { instantiate_only(st, module, mode); }))
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  for (int pages : {1, 64}) {
    for (uint32_t keep : {16u, 64u}) {
      for (bool track : {true, false}) {
        if (!track && keep != 16) continue;
        std::string name = "reset_state/touch" + std::to_string(pages) + "/keep" +
                           std::to_string(keep) + (track ? "" : "/untracked");
        benchmark::RegisterBenchmark(name.c_str(), guarded([=](benchmark::State& st) {
                                       reset_after_touch(st, pages, keep, track);
                                     }))
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  const std::tuple<bool, bool, bool, const char*> context_modes[] = {
      {false, false, false, "contexts_call/checked_only"},
      {true, true, true, "contexts_call/enforced_pkeys"},
      {true, false, true, "contexts_call/enforced_views"},
      {true, false, false, "contexts_call/enforced_mprotect"}};
  for (auto [enforce, pkeys, views, name] : context_modes) {
    benchmark::RegisterBenchmark(
        name, guarded([=](benchmark::State& st) { contexts_call(st, enforce, pkeys, views); }))
        ->Unit(benchmark::kNanosecond);
  }
  benchmark::RegisterBenchmark("live_state/snapshot/1000", guarded([](benchmark::State& st) {
                                 live_instances(st, wisp::SnapshotMode::eager, 1000);
                               }))
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("live_state/scratch/200", guarded([](benchmark::State& st) {
                                 live_instances(st, wisp::SnapshotMode::off, 200);
                               }))
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("live_state/snapshot/10000", guarded([](benchmark::State& st) {
                                 live_instances(st, wisp::SnapshotMode::eager, 10000);
                               }))
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    g_env = std::make_unique<Env>();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wisp_bench_snapshot: setup failed: %s\n", e.what());
    return 1;
  }
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_env.reset();
  return 0;
}
