// Tail calls: a bytecode interpreter whose handlers tail-call the next one (return_call_indirect)
// against the same handlers called from a loop (call_indirect) and the same logic as a loop over
// a switch (bench/guests/interp.c), on tier 0 and tier 1. Issue 11's target: the tail-call form
// within 1.5x of the loop.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "bench_support.hpp"
#include "wisp/wisp.hpp"

namespace {

using wisp::Tier;
using wisp::bench::guarded;
using wisp::bench::guests_dir;

constexpr uint32_t kSteps = 1000000;

wisp::EngineConfig engine_config() {
  wisp::EngineConfig c;
  c.cache_dir = WISP_BENCH_CACHE_DIR;
  c.background_tier1 = false;
  return c;
}

struct Env {
  wisp::Engine engine{engine_config()};
  wisp::Module module = engine.compile_file(guests_dir() / "interp.wasm");
  Env() {
    if (!module.tier1_ready())
      throw wisp::Error("interp.wasm: tier 1 unavailable: " + module.tier1_error().value_or("?"));
  }
};
std::unique_ptr<Env> g_env;

wisp::Instance start(Tier tier) {
  wisp::TemplateOptions o;
  o.tier = tier;
  wisp::Instance inst = wisp::Linker().instantiate(g_env->module, o);
  if (inst.tier() != tier) throw wisp::Error("instance is not on the requested tier");
  inst.call("_initialize");
  inst.call("interp_init");
  return inst;
}

// Runs `form` (interp_tail, interp_call or interp_switch); each must give the switch's answer.
void run(benchmark::State& st, Tier tier, const char* form) {
  wisp::Instance inst = start(tier);
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
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  try {
    g_env = std::make_unique<Env>();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wisp_bench_tail_call: %s\n", e.what());
    return 1;
  }
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  g_env.reset();
  benchmark::Shutdown();
  return 0;
}
