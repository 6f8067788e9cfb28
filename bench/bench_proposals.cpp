// What proposals cost, on tier 0 and tier 1 (issue 11's targets):
// - tail calls: a bytecode interpreter whose handlers tail-call the next one (return_call_indirect)
//   against the same handlers called from a loop (call_indirect) and the same logic as a loop over
//   a switch (bench/guests/interp.c); target: the tail-call form within 1.5x of the loop;
// - memory64: SHA-256 (bench/guests/sha.c) built for wasm64 against the same C built for wasm32
//   (both freestanding); target: the 64-bit memory's bounds checks cost at most 15 %;
// - SIMD: the bilinear resize (bench/guests/resize.c) with each pixel's channels as one f32x4,
//   built with -msimd128, against the scalar guest and against the same C built natively with
//   SSE4.1/4.2 (and the scalar C natively); targets: tier 1's SIMD resize at least 2x the scalar
//   guest's speed and within 1.3x of native SSE. Every form must give the scalar checksum.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "bench_support.hpp"
#include "wisp/wisp.hpp"

extern "C" int32_t native_resize_init(void);
extern "C" int32_t native_resize_run(void);
extern "C" int32_t native_simd_resize_init(void);
extern "C" int32_t native_simd_resize_run(void);
extern "C" void native_resize_frame(void);
extern "C" void native_simd_resize_frame(void);

namespace {

using wisp::Tier;
using wisp::bench::guarded;
using wisp::bench::guests_dir;

constexpr uint32_t kSteps = 1000000;
constexpr int32_t kShaLen = 1 << 20;
constexpr int32_t kShaRounds = 4;

wisp::EngineConfig engine_config() {
  wisp::EngineConfig c;
  c.cache_dir = WISP_BENCH_CACHE_DIR;
  c.background_tier1 = false;
  return c;
}

wisp::Module compile_guest(wisp::Engine& engine, const std::string& name) {
  wisp::Module m = engine.compile_file(guests_dir() / (name + ".wasm"));
  if (!m.tier1_ready())
    throw wisp::Error(name + ".wasm: tier 1 unavailable: " + m.tier1_error().value_or("?"));
  return m;
}

struct Env {
  wisp::Engine engine{engine_config()};
  wisp::Module module = compile_guest(engine, "interp");
  wisp::Module sha32 = compile_guest(engine, "sha32");
  wisp::Module sha64 = compile_guest(engine, "sha64");
  wisp::Module resize = compile_guest(engine, "resize");
  wisp::Module resize_simd = compile_guest(engine, "resize_simd");
  int32_t resize_checksum = (native_resize_init(), native_resize_run());
};
std::unique_ptr<Env> g_env;

wisp::Instance start(const wisp::Module& m, Tier tier) {
  wisp::TemplateOptions o;
  o.tier = tier;
  wisp::Instance inst = wisp::Linker().instantiate(m, o);
  if (inst.tier() != tier) throw wisp::Error("instance is not on the requested tier");
  if (m.find_export("_initialize")) inst.call("_initialize");
  return inst;
}

// SHA-256 of a 1 MiB buffer, 4 rounds, on a 32-bit or a 64-bit memory: both must give the
// digest word the 32-bit build gives.
void run_sha(benchmark::State& st, Tier tier, bool is64) {
  wisp::Instance ref = start(g_env->sha32, tier);
  ref.call("sha_init_buffer", {wisp::Value::i32(kShaLen)});
  const wisp::Value args[] = {wisp::Value::i32(kShaLen), wisp::Value::i32(kShaRounds)};
  const wisp::Value expected = ref.call("sha_run", args)[0];
  wisp::Instance inst = start(is64 ? g_env->sha64 : g_env->sha32, tier);
  inst.call("sha_init_buffer", {wisp::Value::i32(kShaLen)});
  for (auto _ : st) {
    wisp::Value got = inst.call("sha_run", args)[0];
    if (got != expected) {
      st.SkipWithError("the 64-bit build's digest differs");
      break;
    }
    benchmark::DoNotOptimize(got);
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * kShaLen * kShaRounds);
}

// The resize guest (scalar or SIMD) on a tier: one frame per iteration (resize_frame, the
// resize alone), the output's checksum (resize_run) checked against the native scalar one before
// and after.
void run_resize(benchmark::State& st, Tier tier, bool simd) {
  wisp::Instance inst = start(simd ? g_env->resize_simd : g_env->resize, tier);
  inst.call("resize_init");
  auto frame = inst.func<void()>("resize_frame");
  if (inst.call("resize_run")[0].as_i32() != g_env->resize_checksum) {
    st.SkipWithError("the checksum differs from the native scalar resize's");
    return;
  }
  for (auto _ : st) frame();
  if (inst.call("resize_run")[0].as_i32() != g_env->resize_checksum)
    st.SkipWithError("the checksum differs from the native scalar resize's");
}

void run_native_resize(benchmark::State& st, bool simd) {
  if (simd) native_simd_resize_init();
  if ((simd ? native_simd_resize_run() : native_resize_run()) != g_env->resize_checksum) {
    st.SkipWithError("the native SIMD checksum differs from the scalar one");
    return;
  }
  for (auto _ : st) {
    simd ? native_simd_resize_frame() : native_resize_frame();
    benchmark::ClobberMemory();
  }
}

// Runs `form` (interp_tail, interp_call or interp_switch); each must give the switch's answer.
void run(benchmark::State& st, Tier tier, const char* form) {
  wisp::Instance inst = start(g_env->module, tier);
  inst.call("interp_init");
  const wisp::Value steps = wisp::Value::i32(static_cast<int32_t>(kSteps));
  const wisp::Value expected = inst.call("interp_switch", {steps})[0];
  for (auto _ : st) {
    wisp::Value got = inst.call(form, {steps})[0];
    if (got != expected) {
      st.SkipWithError("the interpreters disagree");
      break;
    }
    benchmark::DoNotOptimize(got);
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * kSteps);
}

void register_all() {
  for (Tier tier : {Tier::tier0, Tier::tier1}) {
    for (const char* form : {"interp_switch", "interp_call", "interp_tail"}) {
      std::string name = std::string("BM_Interp/") + wisp::tier_name(tier) + "/" + form;
      benchmark::RegisterBenchmark(
          name.c_str(), guarded([tier, form](benchmark::State& st) { run(st, tier, form); }))
          ->Unit(benchmark::kMillisecond);
    }
    for (bool is64 : {false, true}) {
      std::string name =
          std::string("BM_Sha/") + wisp::tier_name(tier) + (is64 ? "/memory64" : "/memory32");
      benchmark::RegisterBenchmark(
          name.c_str(), guarded([tier, is64](benchmark::State& st) { run_sha(st, tier, is64); }))
          ->Unit(benchmark::kMillisecond);
    }
    for (bool simd : {false, true}) {
      std::string name =
          std::string("BM_Resize/") + wisp::tier_name(tier) + (simd ? "/simd128" : "/scalar");
      benchmark::RegisterBenchmark(
          name.c_str(), guarded([tier, simd](benchmark::State& st) { run_resize(st, tier, simd); }))
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (bool simd : {false, true}) {
    benchmark::RegisterBenchmark(
        simd ? "BM_Resize/native/sse4" : "BM_Resize/native/scalar",
        guarded([simd](benchmark::State& st) { run_native_resize(st, simd); }))
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  try {
    g_env = std::make_unique<Env>();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wisp_bench_proposals: %s\n", e.what());
    return 1;
  }
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  g_env.reset();
  benchmark::Shutdown();
  return 0;
}
