// Core benchmarks: trap-safe call, instantiate+free, compute on tier 0 / tier 1 / native, compile.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench_support.hpp"
#include "wisp/wisp.hpp"

// The native baselines: the same C sources compiled with -O2 (bench/guests, WISP_NATIVE).
extern "C" {
int32_t native_fib(int32_t n);
int32_t native_fib_rec(int32_t n);
int32_t native_sha_init_buffer(int32_t len);
int32_t native_sha_run(int32_t len, int32_t rounds);
int32_t native_resize_init(void);
int32_t native_resize_run(void);
}

namespace {

using wisp::bench::guarded;
using wisp::bench::guests_dir;

namespace fs = std::filesystem;
using wisp::Tier;

constexpr int32_t kFibN = 10;
constexpr int32_t kFibRecN = 30;
constexpr int32_t kShaLen = 1 << 20;
constexpr int32_t kShaRounds = 20;

struct Expected {
  int32_t fib = native_fib(kFibN);
  int32_t fib_rec = native_fib_rec(kFibRecN);
  int32_t sha = (native_sha_init_buffer(kShaLen), native_sha_run(kShaLen, kShaRounds));
  int32_t resize = (native_resize_init(), native_resize_run());
};

// The guest modules, compiled once with both tiers ready (tier 1 built before compile returns).
struct Env {
  fs::path cache;
  bool own_cache = false;
  std::unique_ptr<wisp::Engine> engine;
  wisp::Linker linker;
  std::map<std::string, wisp::Module> modules;
  std::map<std::pair<std::string, Tier>, wisp::Template> templates;
  // The same modules compiled with fuel metering (EngineConfig::consume_fuel), on first use.
  std::unique_ptr<wisp::Engine> fuel_engine;
  std::map<std::pair<std::string, Tier>, wisp::Template> fuel_templates;
  Expected expected;

  Env() {
    if (const char* dir = std::getenv("WISP_BENCH_CACHE_DIR")) {
      cache = dir;
    } else {
      std::string tmpl = (fs::temp_directory_path() / "wisp-bench-XXXXXX").string();
      if (!mkdtemp(tmpl.data())) throw wisp::Error("mkdtemp failed for " + tmpl);
      cache = tmpl;
      own_cache = true;
    }
    engine = std::make_unique<wisp::Engine>(config());
    for (const char* name : {"fib", "sha", "resize", "state"}) {
      std::fprintf(stderr, "wisp_bench_core: compiling %s.wasm (tier 0 + tier 1)\n", name);
      wisp::Module m = engine->compile_file(guests_dir() / (std::string(name) + ".wasm"));
      if (!m.tier1_ready())
        throw wisp::Error(std::string(name) +
                          ": tier 1 unavailable: " + m.tier1_error().value_or("?"));
      modules.emplace(name, m);
    }
  }
  ~Env() {
    templates.clear();
    modules.clear();
    engine.reset();
    fuel_templates.clear();
    fuel_engine.reset();
    std::error_code ec;
    if (own_cache) fs::remove_all(cache, ec);
  }
  wisp::EngineConfig config(bool tier0 = true, bool tier1 = true) const {
    wisp::EngineConfig c;
    c.cache_dir = cache;
    c.background_tier1 = false;
    c.enable_tier0 = tier0;
    c.enable_tier1 = tier1;
    return c;
  }
  const wisp::Template& tmpl(const std::string& module, Tier tier) {
    auto key = std::make_pair(module, tier);
    auto it = templates.find(key);
    if (it == templates.end()) {
      wisp::TemplateOptions opts;
      opts.tier = tier;
      it = templates.emplace(key, linker.instantiate_template(modules.at(module), opts)).first;
    }
    return it->second;
  }
  const wisp::Template& fuel_tmpl(const std::string& module, Tier tier) {
    auto key = std::make_pair(module, tier);
    auto it = fuel_templates.find(key);
    if (it == fuel_templates.end()) {
      if (!fuel_engine) {
        wisp::EngineConfig c = config();
        c.consume_fuel = true;
        fuel_engine = std::make_unique<wisp::Engine>(c);
      }
      std::fprintf(stderr, "wisp_bench_core: compiling %s.wasm with fuel\n", module.c_str());
      wisp::Module m = fuel_engine->compile_file(guests_dir() / (module + ".wasm"));
      wisp::TemplateOptions opts;
      opts.tier = tier;  // Limits::fuel = 0: unlimited, still counted
      it = fuel_templates.emplace(key, linker.instantiate_template(m, opts)).first;
    }
    return it->second;
  }
};

std::unique_ptr<Env> g_env;

// A fresh instance on exactly `tier`, reactor-initialised (fuel-metered code if `fuel`).
wisp::Instance start(const char* module, Tier tier, bool fuel = false) {
  wisp::Instance inst =
      (fuel ? g_env->fuel_tmpl(module, tier) : g_env->tmpl(module, tier)).instantiate();
  if (inst.tier() != tier) throw wisp::Error("instance is not on the requested tier");
  if (inst.module().find_export("_initialize")) inst.call("_initialize");
  return inst;
}

// Runs `fn` every iteration; stops the benchmark if its result ever differs from `expected`.
template <typename Fn>
void run_checked(benchmark::State& st, int32_t expected, Fn&& fn) {
  for (auto _ : st) {
    int32_t r = fn();
    benchmark::DoNotOptimize(r);
    if (r != expected) {
      st.SkipWithError("result differs from the native build");
      break;
    }
  }
}

void call_typed(benchmark::State& st, Tier tier) {
  wisp::Instance inst = start("fib", tier);
  auto fib = inst.func<int32_t(int32_t)>("fib");
  int32_t n = kFibN;
  run_checked(st, g_env->expected.fib, [&] {
    benchmark::DoNotOptimize(n);
    return fib(n);
  });
}

void call_dynamic(benchmark::State& st, Tier tier) {
  wisp::Instance inst = start("fib", tier);
  std::array<wisp::Value, 1> args{wisp::Value::i32(kFibN)};
  run_checked(st, g_env->expected.fib, [&] { return inst.call("fib", args).at(0).as_i32(); });
}

void instantiate(benchmark::State& st, const char* module, Tier tier) {
  const wisp::Template& t = g_env->tmpl(module, tier);
  for (auto _ : st) {
    wisp::Instance inst = t.instantiate();
    benchmark::DoNotOptimize(inst.impl().get());
  }
}

void fib_rec(benchmark::State& st, Tier tier) {
  wisp::Instance inst = start("fib", tier);
  auto f = inst.func<int32_t(int32_t)>("fib_rec");
  int32_t n = kFibRecN;
  run_checked(st, g_env->expected.fib_rec, [&] {
    benchmark::DoNotOptimize(n);
    return f(n);
  });
}

void sha(benchmark::State& st, Tier tier) {
  wisp::Instance inst = start("sha", tier);
  inst.func<int32_t(int32_t)>("sha_init_buffer")(kShaLen);
  auto run = inst.func<int32_t(int32_t, int32_t)>("sha_run");
  run_checked(st, g_env->expected.sha, [&] { return run(kShaLen, kShaRounds); });
}

// The same with a per-call timeout armed (issue 5: the cost of the timeout mechanism).
void sha_with_timeout(benchmark::State& st, Tier tier) {
  wisp::Instance inst = start("sha", tier);
  inst.set_call_timeout(std::chrono::seconds(10));
  inst.func<int32_t(int32_t)>("sha_init_buffer")(kShaLen);
  auto run = inst.func<int32_t(int32_t, int32_t)>("sha_run");
  run_checked(st, g_env->expected.sha, [&] { return run(kShaLen, kShaRounds); });
}

void call_typed_with_timeout(benchmark::State& st, Tier tier) {
  wisp::Instance inst = start("fib", tier);
  inst.set_call_timeout(std::chrono::seconds(10));
  auto fib = inst.func<int32_t(int32_t)>("fib");
  int32_t n = kFibN;
  run_checked(st, g_env->expected.fib, [&] {
    benchmark::DoNotOptimize(n);
    return fib(n);
  });
}

// The same workloads compiled with fuel metering (issue 5: the cost of consume_fuel).
void fib_rec_with_fuel(benchmark::State& st, Tier tier) {
  wisp::Instance inst = start("fib", tier, true);
  auto f = inst.func<int32_t(int32_t)>("fib_rec");
  int32_t n = kFibRecN;
  uint64_t before = inst.fuel_remaining();
  run_checked(st, g_env->expected.fib_rec, [&] {
    benchmark::DoNotOptimize(n);
    return f(n);
  });
  if (st.iterations() > 0)
    st.counters["fuel_per_call"] =
        static_cast<double>(before - inst.fuel_remaining()) / static_cast<double>(st.iterations());
}

void sha_with_fuel(benchmark::State& st, Tier tier) {
  wisp::Instance inst = start("sha", tier, true);
  inst.func<int32_t(int32_t)>("sha_init_buffer")(kShaLen);
  auto run = inst.func<int32_t(int32_t, int32_t)>("sha_run");
  uint64_t before = inst.fuel_remaining();
  run_checked(st, g_env->expected.sha, [&] { return run(kShaLen, kShaRounds); });
  if (st.iterations() > 0)
    st.counters["fuel_per_call"] =
        static_cast<double>(before - inst.fuel_remaining()) / static_cast<double>(st.iterations());
}

void resize(benchmark::State& st, Tier tier) {
  wisp::Instance inst = start("resize", tier);
  inst.func<int32_t()>("resize_init")();
  auto run = inst.func<int32_t()>("resize_run");
  run_checked(st, g_env->expected.resize, [&] { return run(); });
}

// Tier-0 compile (validate + translate + libtcc) of a module by a fresh Engine; only compile()
// is timed.
void compile_tier0(benchmark::State& st, const char* file) {
  std::vector<uint8_t> bytes = wisp::read_file_bytes(guests_dir() / file);
  wisp::CompileStats sum;
  for (auto _ : st) {
    st.PauseTiming();
    auto engine = std::make_unique<wisp::Engine>(g_env->config(true, false));
    st.ResumeTiming();
    wisp::Module m = engine->compile(bytes);
    st.PauseTiming();
    wisp::CompileStats s = m.stats();
    sum.translate_ms += s.translate_ms;
    sum.tier0_ms += s.tier0_ms;
    sum.c_source_bytes = s.c_source_bytes;
    engine.reset();
    st.ResumeTiming();
  }
  using benchmark::Counter;
  st.counters["translate_ms"] = Counter(sum.translate_ms, Counter::kAvgIterations);
  st.counters["tier0_ms"] = Counter(sum.tier0_ms, Counter::kAvgIterations);
  st.counters["module_KB"] = static_cast<double>(bytes.size()) / 1024;
  st.counters["C_KB"] = static_cast<double>(sum.c_source_bytes) / 1024;
}

// compile() of a module whose tier-1 artifact is already cached, by a fresh Engine (tier 0 off)
// each time; only compile() is timed. Counter tier1_ms: the artifact load alone.
void load_cached_tier1(benchmark::State& st, const char* file) {
  std::vector<uint8_t> bytes = wisp::read_file_bytes(guests_dir() / file);
  {
    wisp::Engine fill(g_env->config(false, true));
    wisp::Module m = fill.compile(bytes);
    if (!m.tier1_ready()) throw wisp::Error("tier 1 failed: " + m.tier1_error().value_or("?"));
  }
  double tier1_ms = 0, translate_ms = 0;
  for (auto _ : st) {
    st.PauseTiming();
    auto engine = std::make_unique<wisp::Engine>(g_env->config(false, true));
    st.ResumeTiming();
    wisp::Module m = engine->compile(bytes);
    st.PauseTiming();
    wisp::CompileStats s = m.stats();
    tier1_ms += s.tier1_ms;
    translate_ms += s.translate_ms;
    engine.reset();
    st.ResumeTiming();
    if (!s.tier1_from_cache) {
      st.SkipWithError("tier 1 was not loaded from the cache");
      break;
    }
  }
  using benchmark::Counter;
  st.counters["tier1_ms"] = Counter(tier1_ms, Counter::kAvgIterations);
  st.counters["translate_ms"] = Counter(translate_ms, Counter::kAvgIterations);
  st.counters["module_KB"] = static_cast<double>(bytes.size()) / 1024;
}

void register_all() {
  using benchmark::RegisterBenchmark;
  const std::pair<Tier, const char*> tiers[] = {{Tier::tier0, "tier0"}, {Tier::tier1, "tier1"}};
  for (auto [tier, name] : tiers) {
    RegisterBenchmark((std::string("call_fib10/typed_") + name).c_str(),
                      guarded([t = tier](benchmark::State& st) { call_typed(st, t); }))
        ->Unit(benchmark::kNanosecond);
    RegisterBenchmark((std::string("call_fib10/dynamic_") + name).c_str(),
                      guarded([t = tier](benchmark::State& st) { call_dynamic(st, t); }))
        ->Unit(benchmark::kNanosecond);
  }
  RegisterBenchmark("call_fib10/typed_tier1_timeout",
                    guarded([](benchmark::State& st) { call_typed_with_timeout(st, Tier::tier1); }))
      ->Unit(benchmark::kNanosecond);
  RegisterBenchmark("sha256_1MiBx20/tier1_timeout",
                    guarded([](benchmark::State& st) { sha_with_timeout(st, Tier::tier1); }))
      ->Unit(benchmark::kMillisecond);
  RegisterBenchmark("fib_rec30/tier1_fuel",
                    guarded([](benchmark::State& st) { fib_rec_with_fuel(st, Tier::tier1); }))
      ->Unit(benchmark::kMillisecond);
  RegisterBenchmark("sha256_1MiBx20/tier1_fuel",
                    guarded([](benchmark::State& st) { sha_with_fuel(st, Tier::tier1); }))
      ->Unit(benchmark::kMillisecond);
  RegisterBenchmark("call_fib10/native", [](benchmark::State& st) {
    int32_t n = kFibN;
    run_checked(st, g_env->expected.fib, [&] {
      benchmark::DoNotOptimize(n);
      return native_fib(n);
    });
  })->Unit(benchmark::kNanosecond);

  for (auto [tier, name] : tiers) {
    RegisterBenchmark((std::string("instantiate_fib/") + name).c_str(),
                      guarded([t = tier](benchmark::State& st) { instantiate(st, "fib", t); }))
        ->Unit(benchmark::kMicrosecond);
  }
  RegisterBenchmark("instantiate_state/tier1",
                    guarded([](benchmark::State& st) { instantiate(st, "state", Tier::tier1); }))
      ->Unit(benchmark::kMicrosecond);

  using Workload = void (*)(benchmark::State&, Tier);
  const std::pair<const char*, Workload> workloads[] = {
      {"fib_rec30", fib_rec}, {"sha256_1MiBx20", sha}, {"resize_1024x768_256x192", resize}};
  for (auto [wname, fn] : workloads) {
    for (auto [tier, tname] : tiers) {
      RegisterBenchmark((std::string(wname) + "/" + tname).c_str(),
                        guarded([f = fn, t = tier](benchmark::State& st) { f(st, t); }))
          ->Unit(benchmark::kMillisecond);
    }
    RegisterBenchmark((std::string(wname) + "/native").c_str(), [w = std::string(wname)](
                                                                    benchmark::State& st) {
      if (w == "fib_rec30") {
        int32_t n = kFibRecN;
        run_checked(st, g_env->expected.fib_rec, [&] {
          benchmark::DoNotOptimize(n);
          return native_fib_rec(n);
        });
      } else if (w == "sha256_1MiBx20") {
        native_sha_init_buffer(kShaLen);
        run_checked(st, g_env->expected.sha, [] { return native_sha_run(kShaLen, kShaRounds); });
      } else {
        native_resize_init();
        run_checked(st, g_env->expected.resize, [] { return native_resize_run(); });
      }
    })->Unit(benchmark::kMillisecond);
  }

  RegisterBenchmark("compile_big/tier0",
                    guarded([](benchmark::State& st) { compile_tier0(st, "big.wasm"); }))
      ->MeasureProcessCPUTime()
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  for (const char* file : {"big.wasm", "fib.wasm"}) {
    std::string stem = fs::path(file).stem().string();
    RegisterBenchmark(("load_cached_tier1/" + stem).c_str(),
                      guarded([file](benchmark::State& st) { load_cached_tier1(st, file); }))
        ->MeasureProcessCPUTime()
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

// Console output as usual, then a markdown table of medians (or single runs): CPU time (robust on
// a shared machine) and wall time, and each variant's CPU-time ratio to the native run of its group
// ("group/native"), all from this one run.
class MedianTable : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (!median && r.run_type != Run::RT_Iteration) continue;
      Row row{r.GetAdjustedCPUTime(), r.GetAdjustedRealTime(), r.time_unit,
              r.error_occurred,       r.error_message,         {}};
      for (const auto& [k, c] : r.counters) row.counters += k + "=" + fmt(c.value) + " ";
      auto& rows = median ? medians_ : singles_;
      const std::string& name = r.run_name.function_name;
      if (!rows.count(name)) (median ? median_order_ : single_order_).push_back(name);
      rows[name] = row;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const bool med = !medians_.empty();
    const auto& rows = med ? medians_ : singles_;
    std::printf(
        "\n| benchmark | %s CPU | %s wall | unit | CPU vs native | CPU vs plain | counters |\n",
        med ? "median" : "", med ? "median" : "");
    std::printf("|---|---|---|---|---|---|---|\n");
    for (const std::string& name : med ? median_order_ : single_order_) {
      const Row& row = rows.at(name);
      if (row.error) {
        std::printf("| %s | error: %s | | | | | |\n", name.c_str(), row.message.c_str());
        continue;
      }
      std::string vs;
      auto native = rows.find(name.substr(0, name.rfind('/')) + "/native");
      if (native != rows.end() && native->first != name && !native->second.error) {
        double base = native->second.cpu * to_ns(native->second.unit);
        double mine = row.cpu * to_ns(row.unit);
        vs = fmt(mine / base) + "x";
        if (base < 1000) vs += " (+" + fmt(mine - base) + " ns)";
      }
      // "group/tier1_fuel" against "group/tier1": the cost of an option, in this same run.
      std::string vs_plain;
      size_t slash = name.rfind('/'), option = name.rfind('_');
      auto plain = slash == std::string::npos || option == std::string::npos || option < slash
                       ? rows.end()
                       : rows.find(name.substr(0, option));
      if (plain != rows.end() && !plain->second.error) {
        vs_plain =
            fmt((row.cpu * to_ns(row.unit)) / (plain->second.cpu * to_ns(plain->second.unit))) +
            "x";
      }
      std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", name.c_str(), fmt(row.cpu).c_str(),
                  fmt(row.wall).c_str(), benchmark::GetTimeUnitString(row.unit), vs.c_str(),
                  vs_plain.c_str(), row.counters.c_str());
    }
  }

 private:
  struct Row {
    double cpu;
    double wall;
    benchmark::TimeUnit unit;
    bool error;
    std::string message;
    std::string counters;
  };
  static double to_ns(benchmark::TimeUnit u) {
    return u == benchmark::kSecond        ? 1e9
           : u == benchmark::kMillisecond ? 1e6
           : u == benchmark::kMicrosecond ? 1e3
                                          : 1.0;
  }
  static std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.3g", v);
    return buf;
  }
  std::map<std::string, Row> medians_, singles_;
  std::vector<std::string> median_order_, single_order_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    g_env = std::make_unique<Env>();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wisp_bench_core: setup failed: %s\n", e.what());
    return 1;
  }
  register_all();
  MedianTable reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  g_env.reset();
  return 0;
}
