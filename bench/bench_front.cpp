// Front-end benchmarks (issue 10): decode + validate throughput and peak heap of wisp's front end
// against libwabt's read + validate on the same bytes (support/wabt_oracle.hpp, as the tests use
// it); C emission throughput of wisp's emitter; the ~300 KB module ready on tier 0.
// Modules: generated here (flat arithmetic, 10,000 nested blocks, 100,000 small functions,
// 200,000 globals; the nested blocks also around a br_table to all of them) and real ones when
// present (CRuby, nextpnr: paths from WISP_BENCH_RUBY and WISP_BENCH_NEXTPNR, else where
// tests/wasi/large/*.sh puts them). Times are process CPU time (libwabt runs on a thread with a big
// stack); compare wisp with libwabt by the ratios printed at the end, all from this one run.
// Nested against flat emission is measured paired (emit_pair/*), since the target is a ratio
// close to 1. Run: build/bench/wisp_bench_front [--benchmark_repetitions=5
// --benchmark_report_aggregates_only=true].
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "bench_support.hpp"
#include "compile/front/func_validator.hpp"
#include "compile/front/module_decoder.hpp"
#include "front_modules.hpp"
#include "support/wabt_oracle.hpp"
#include "wisp/wisp.hpp"

#include "compile/emit/c_module.hpp"

// --- Heap accounting: every operator new / delete of the process (both front ends allocate
// through them), counted only while a measurement is on. ---
namespace {
std::atomic<bool> g_tracking{false};
std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};

void note_alloc(void* p) {
  if (!g_tracking.load(std::memory_order_relaxed)) return;
  int64_t now =
      g_live.fetch_add(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed) +
      static_cast<int64_t>(malloc_usable_size(p));
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}
void note_free(void* p) {
  if (p && g_tracking.load(std::memory_order_relaxed))
    g_live.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
}
}  // namespace

// Not inlined: GCC would see free() of operator new's memory at the call sites
// (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  note_alloc(p);
  return p;
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  note_free(p);
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  note_free(p);
  std::free(p);
}

namespace {

using wisp::bench::guarded;
namespace front = wisp::detail::front;
namespace gen = wisp::bench::front_gen;
namespace fs = std::filesystem;

// The peak of heap bytes allocated while `fn` runs (what was allocated before and is still live
// does not count; what `fn` frees of it lowers the count).
int64_t peak_heap(const std::function<void()>& fn) {
  g_live.store(0);
  g_peak.store(0);
  g_tracking.store(true);
  try {
    fn();
  } catch (...) {
    g_tracking.store(false);
    throw;
  }
  g_tracking.store(false);
  return g_peak.load();
}

struct BenchModule {
  std::string name;
  std::vector<uint8_t> bytes;
  size_t work_bytes = 0;  // the code section's size; the global section's for `globals`
  std::string skip;       // why it is absent
};

std::vector<std::unique_ptr<BenchModule>> g_modules;

BenchModule* add_generated(const std::string& name, std::vector<uint8_t> bytes, uint8_t section) {
  auto m = std::make_unique<BenchModule>();
  m->name = name;
  m->work_bytes = gen::section_size(bytes, section);
  m->bytes = std::move(bytes);
  g_modules.push_back(std::move(m));
  return g_modules.back().get();
}

// A real module: $env, else `fallback` (the build tree's copy, see tests/wasi/large/).
BenchModule* add_real(const std::string& name, const char* env, const fs::path& fallback,
                      const char* how) {
  auto m = std::make_unique<BenchModule>();
  m->name = name;
  const char* path = std::getenv(env);
  fs::path file = path && *path ? fs::path(path) : fallback;
  std::error_code ec;
  if (fs::is_regular_file(file, ec)) {
    m->bytes = wisp::read_file_bytes(file);
    m->work_bytes = gen::section_size(m->bytes, 10);
  } else {
    m->skip = "absent: " + file.string() + " (set " + env + "; " + how + ")";
  }
  g_modules.push_back(std::move(m));
  return g_modules.back().get();
}

void set_common_counters(benchmark::State& st, const BenchModule& m) {
  st.counters["module_MB"] = static_cast<double>(m.bytes.size()) / 1e6;
  st.counters["work_MB"] = static_cast<double>(m.work_bytes) / 1e6;
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * m.work_bytes));
}

void set_heap_counters(benchmark::State& st, const BenchModule& m, int64_t peak) {
  st.counters["peak_heap_MB"] = static_cast<double>(peak) / 1e6;
  st.counters["heap_x_module"] = static_cast<double>(peak) / static_cast<double>(m.bytes.size());
}

// --- decode + validate ---

void decode_own(benchmark::State& st, const BenchModule& m) {
  size_t funcs = 0;
  for (auto _ : st) {
    front::ModuleDecl d = front::decode_module(m.bytes, front::FeatureSet{});
    funcs = d.funcs.size();
    benchmark::DoNotOptimize(d.bodies.data());
  }
  st.counters["funcs"] = static_cast<double>(funcs);
  set_common_counters(st, m);
}

void validate_own(benchmark::State& st, const BenchModule& m) {
  int64_t peak = peak_heap([&] { front::validate_module(m.bytes, front::FeatureSet{}); });
  size_t funcs = 0;
  for (auto _ : st) {
    front::ModuleDecl d = front::validate_module(m.bytes, front::FeatureSet{});
    funcs = d.funcs.size();
    benchmark::DoNotOptimize(d.bodies.data());
  }
  st.counters["funcs"] = static_cast<double>(funcs);
  set_common_counters(st, m);
  set_heap_counters(st, m, peak);
}

// libwabt's reader and validator, on a 256 MiB stack (it recurses once per nesting level).
void validate_wabt(benchmark::State& st, const BenchModule& m) {
  auto once = [&] {
    if (!wisp::test::wabt_validate(m.bytes).ok) throw wisp::Error("libwabt refuses " + m.name);
  };
  int64_t peak = peak_heap(once);
  for (auto _ : st) once();
  set_common_counters(st, m);
  set_heap_counters(st, m, peak);
}

// --- C emission: bytes of C per second (bytes_per_second is the wasm code's) ---

void set_c_counters(benchmark::State& st, const BenchModule& m, size_t c_bytes) {
  st.counters["C_MB"] = static_cast<double>(c_bytes) / 1e6;
  st.counters["C_per_code_byte"] =
      static_cast<double>(c_bytes) / static_cast<double>(m.work_bytes ? m.work_bytes : 1);
  st.counters["C_bytes_per_second"] =
      benchmark::Counter(static_cast<double>(c_bytes) * static_cast<double>(st.iterations()),
                         benchmark::Counter::kIsRate);
}

// wisp's emitter over validated declarations: it validates each body again in the same pass.
void emit_own(benchmark::State& st, const BenchModule& m) {
  namespace emit = wisp::detail::emit;
  front::ModuleDecl decl = front::validate_module(m.bytes, front::FeatureSet{});
  emit::EmitOptions options;
  options.features = decl.features;
  size_t c_bytes = 0;
  int64_t peak =
      peak_heap([&] { c_bytes = emit::emit_module_c(decl, m.bytes, options).text.size(); });
  for (auto _ : st) {
    emit::CModule c = emit::emit_module_c(decl, m.bytes, options);
    c_bytes = c.text.size();
    benchmark::DoNotOptimize(c.text.data());
  }
  set_common_counters(st, m);
  set_heap_counters(st, m, peak);
  set_c_counters(st, m, c_bytes);
}

// --- nested against flat code, paired: the issue's "a function of 10,000 nested blocks no
// slower per byte than flat code" ---

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

const BenchModule& module_named(const std::string& name) {
  for (const auto& m : g_modules)
    if (m->name == name) return *m;
  throw wisp::Error("no module " + name);
}

// A function that emits the C of `m` once and returns the process CPU seconds of the emission
// alone (the validated declarations it needs are made once, untimed).
std::function<double()> timed_emission(const BenchModule& m) {
  namespace emit = wisp::detail::emit;
  auto decl = std::make_shared<front::ModuleDecl>(front::validate_module(m.bytes, {}));
  emit::EmitOptions options;
  options.features = decl->features;
  return [&m, decl, options] {
    double t0 = cpu_seconds();
    emit::CModule c = emit::emit_module_c(*decl, m.bytes, options);
    double t = cpu_seconds() - t0;
    benchmark::DoNotOptimize(c.text.data());
    return t;
  };
}

// Each iteration emits the flat module, then the nested one, each timed alone, so that drift of
// a shared machine hits both alike. Counter nested_per_flat: nested code bytes per CPU second
// over flat code bytes per CPU second (1 or more meets the target).
void emit_pair(benchmark::State& st) {
  const BenchModule& flat = module_named("flat");
  const BenchModule& nested = module_named("nested10k");
  std::function<double()> emit_flat = timed_emission(flat);
  std::function<double()> emit_nested = timed_emission(nested);
  double flat_s = 0, nested_s = 0;
  for (auto _ : st) {
    flat_s += emit_flat();
    nested_s += emit_nested();
  }
  double n = static_cast<double>(st.iterations());
  double flat_rate = static_cast<double>(flat.work_bytes) * n / flat_s;
  double nested_rate = static_cast<double>(nested.work_bytes) * n / nested_s;
  st.counters["flat_code_MBps"] = flat_rate / 1e6;
  st.counters["nested_code_MBps"] = nested_rate / 1e6;
  st.counters["nested_per_flat"] = nested_rate / flat_rate;
}

// --- the ~300 KB module (bench_core's compile_big: BUILD/guests/big.wasm) ready on tier 0 ---

// Engine::compile with tier 1 off, by a fresh Engine each time (only compile() is timed).
void compile_big_tier0(benchmark::State& st) {
  std::vector<uint8_t> bytes = wisp::read_file_bytes(wisp::bench::guests_dir() / "big.wasm");
  wisp::EngineConfig config;
  config.enable_tier1 = false;
  config.cache_dir = fs::temp_directory_path() / "wisp-bench-front-cache";
  double translate_ms = 0, tier0_ms = 0;
  size_t c_bytes = 0;
  for (auto _ : st) {
    st.PauseTiming();
    auto engine = std::make_unique<wisp::Engine>(config);
    st.ResumeTiming();
    wisp::Module module = engine->compile(bytes);
    st.PauseTiming();
    translate_ms += module.stats().translate_ms;
    tier0_ms += module.stats().tier0_ms;
    c_bytes = module.stats().c_source_bytes;
    engine.reset();
    st.ResumeTiming();
  }
  using benchmark::Counter;
  st.counters["translate_ms"] = Counter(translate_ms, Counter::kAvgIterations);
  st.counters["tier0_ms"] = Counter(tier0_ms, Counter::kAvgIterations);
  st.counters["module_KB"] = static_cast<double>(bytes.size()) / 1024;
  st.counters["C_KB"] = static_cast<double>(c_bytes) / 1024;
}

// Decode and validate with wisp's front end, validate with libwabt; C emission with wisp's if
// `emit_c`.
void register_module(BenchModule* m, bool emit_c) {
  using benchmark::RegisterBenchmark;
  using Body = void (*)(benchmark::State&, const BenchModule&);
  auto add = [&](const std::string& name, Body body) {
    RegisterBenchmark(name.c_str(), guarded([m, body](benchmark::State& st) {
                        if (!m->skip.empty()) {
                          st.SkipWithError(m->skip.c_str());
                          for (auto _ : st) {
                          }
                          return;
                        }
                        body(st, *m);
                      }))
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMillisecond);
  };
  add("decode/" + m->name + "/own", decode_own);
  add("validate/" + m->name + "/own", validate_own);
  add("validate/" + m->name + "/wabt", validate_wabt);
  if (emit_c) add("emit/" + m->name + "/own", emit_own);
}

void register_all() {
  const fs::path large = fs::path(WISP_BENCH_LARGE_DIR);
  register_module(add_generated("flat", gen::flat(500, 400), 10), true);
  register_module(add_generated("nested10k", gen::nested(10'000, 3), 10), true);
  // The same around a br_table to every level (the shape of a compiled `switch`).
  register_module(add_generated("nested10k_br_table", gen::nested(10'000, 3, 10'000), 10), true);
  register_module(add_generated("funcs100k", gen::small_functions(100'000), 10), false);
  register_module(add_generated("globals200k", gen::globals(200'000), 6), false);
  register_module(add_real("nextpnr", "WISP_BENCH_NEXTPNR",
                           large / "nextpnr-ice40-0.8.621/gen/nextpnr-ice40.core.wasm",
                           "npm pack @yowasp/nextpnr-ice40@0.8.621 -> "
                           "package/gen/nextpnr-ice40.core.wasm"),
                  true);
  register_module(add_real("ruby", "WISP_BENCH_RUBY", large / "package/dist/ruby.wasm",
                           "npm pack @ruby/3.3-wasm-wasi@2.10.1 -> package/dist/ruby.wasm"),
                  true);
  benchmark::RegisterBenchmark("emit_pair/nested10k_vs_flat/own", guarded(emit_pair))
      ->MeasureProcessCPUTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("compile_big_tier0/own", guarded(compile_big_tier0))
      ->MeasureProcessCPUTime()
      ->Unit(benchmark::kMillisecond);
}

// Console output as usual, then markdown tables of medians (or single runs): throughput of code
// bytes per CPU second and peak heap per module byte for each front end, with own/wabt ratios,
// all from this one run.
class RatioTable : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (!median && r.run_type != Run::RT_Iteration) continue;
      Row row;
      row.error = r.error_occurred;
      row.message = r.error_message;
      row.cpu_s = r.GetAdjustedCPUTime() / to_per_s(r.time_unit);
      row.wall_s = r.GetAdjustedRealTime() / to_per_s(r.time_unit);
      for (const auto& [k, c] : r.counters) row.counters[k] = c.value;
      auto& rows = median ? medians_ : singles_;
      auto& order = median ? median_order_ : single_order_;
      const std::string& name = r.run_name.function_name;
      if (!rows.count(name)) order.push_back(name);
      rows[name] = row;
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    const bool med = !medians_.empty();
    rows_ = med ? &medians_ : &singles_;
    const auto& order = med ? median_order_ : single_order_;
    std::printf(
        "\n%s CPU time; MB/s = bytes of code (globals200k: of the global section) per "
        "CPU second\n",
        med ? "medians," : "single runs,");
    std::printf(
        "\n| module | code MB | own decode (declarations) ms | own validate MB/s | wabt MB/s "
        "| own/wabt speed | own heap x module | wabt heap x module |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    for (const std::string& name : order) {
      if (name.rfind("validate/", 0) != 0 || !ends_with(name, "/own")) continue;
      std::string mod = name.substr(9, name.size() - 9 - 4);
      const Row* own = find("validate/" + mod + "/own");
      const Row* wabt = find("validate/" + mod + "/wabt");
      const Row* dec = find("decode/" + mod + "/own");
      if (!own) {
        std::printf("| %s | %s |||||||\n", mod.c_str(), why("validate/" + mod + "/own").c_str());
        continue;
      }
      std::printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", mod.c_str(),
                  fmt(own->counters.at("work_MB")).c_str(),
                  dec ? fmt(dec->cpu_s * 1e3).c_str() : "", rate(own, "work_MB").c_str(),
                  rate(wabt, "work_MB").c_str(),
                  wabt ? (fmt(wabt->cpu_s / own->cpu_s) + "x").c_str() : "",
                  fmt(own->counters.at("heap_x_module")).c_str(),
                  wabt ? fmt(wabt->counters.at("heap_x_module")).c_str() : "");
    }
    std::printf("\n| module | C MB | C MB/s | code MB/s | heap x module |\n");
    std::printf("|---|---|---|---|---|\n");
    for (const std::string& name : order) {
      if (name.rfind("emit/", 0) != 0) continue;
      std::string mod = name.substr(5, name.rfind('/') - 5);
      const Row* own = find(name);
      if (!own) {
        std::printf("| %s | %s ||||\n", mod.c_str(), why(name).c_str());
        continue;
      }
      std::printf("| %s | %s | %s | %s | %s |\n", mod.c_str(),
                  fmt(own->counters.at("C_MB")).c_str(), rate(own, "C_MB").c_str(),
                  rate(own, "work_MB").c_str(), fmt(own->counters.at("heap_x_module")).c_str());
    }
    // The target: nested code no slower per byte than flat code (1 or more meets it).
    const std::string pair = "emit_pair/nested10k_vs_flat/own";
    if (const Row* r = find(pair))
      std::printf("\n%s (paired): nested10k %s MB/s of code, flat %s MB/s; nested / flat = %s\n",
                  pair.c_str(), fmt(r->counters.at("nested_code_MBps")).c_str(),
                  fmt(r->counters.at("flat_code_MBps")).c_str(),
                  fmt(r->counters.at("nested_per_flat")).c_str());
    else if (rows_->count(pair))
      std::printf("\n%s: %s\n", pair.c_str(), why(pair).c_str());
    std::printf("\n| compile_big_tier0 | CPU ms | wall ms | translate_ms | tier0_ms | C KB |\n");
    std::printf("|---|---|---|---|---|---|\n");
    for (const std::string& name : order) {
      if (name.rfind("compile_big_tier0/", 0) != 0) continue;
      const Row* r = find(name);
      if (!r) {
        std::printf("| %s | %s |||||\n", name.c_str(), why(name).c_str());
        continue;
      }
      std::printf("| %s | %s | %s | %s | %s | %s |\n", name.c_str(), fmt(r->cpu_s * 1e3).c_str(),
                  fmt(r->wall_s * 1e3).c_str(), fmt(r->counters.at("translate_ms")).c_str(),
                  fmt(r->counters.at("tier0_ms")).c_str(), fmt(r->counters.at("C_KB")).c_str());
    }
  }

 private:
  struct Row {
    bool error = false;
    std::string message;
    double cpu_s = 0;
    double wall_s = 0;
    std::map<std::string, double> counters;
  };
  static double to_per_s(benchmark::TimeUnit u) {
    return u == benchmark::kSecond        ? 1.0
           : u == benchmark::kMillisecond ? 1e3
           : u == benchmark::kMicrosecond ? 1e6
                                          : 1e9;
  }
  static bool ends_with(const std::string& s, const char* suffix) {
    std::string t(suffix);
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
  }
  static std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.3g", v);
    return buf;
  }
  const Row* find(const std::string& name) const {
    auto it = rows_->find(name);
    return it == rows_->end() || it->second.error ? nullptr : &it->second;
  }
  std::string why(const std::string& name) const {
    auto it = rows_->find(name);
    return it == rows_->end() ? "not run" : "error: " + it->second.message;
  }
  static double per_s(const Row* r, const char* mb_counter) {
    return r->counters.at(mb_counter) / r->cpu_s;
  }
  static std::string rate(const Row* r, const char* mb_counter) {
    return r ? fmt(per_s(r, mb_counter)) : std::string();
  }

  std::map<std::string, Row> medians_, singles_;
  std::vector<std::string> median_order_, single_order_;
  const std::map<std::string, Row>* rows_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  // WISP_BENCH_MMAP_THRESHOLD=bytes fixes glibc's mmap threshold (default: glibc's dynamic one,
  // as wisp runs). The figures depend on it: glibc raises the threshold after large blocks are
  // freed, and then big buffers come from the reused heap instead of fresh, page-faulting pages
  // (2026-12-05: wisp's emitter 3x slower with a fixed 128 KiB threshold; libwabt's C writer on
  // the flat module 3.3 MB/s of code run alone, 7.1 MB/s after the large modules).
  if (const char* threshold = std::getenv("WISP_BENCH_MMAP_THRESHOLD"))
    if (long bytes = std::atol(threshold); bytes > 0)
      mallopt(M_MMAP_THRESHOLD, static_cast<int>(bytes));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  RatioTable reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
