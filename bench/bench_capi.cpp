// The standard C API's call overhead: wasm_func_call of fib(10) against the same call through the
// C++ API, typed (Instance::func<int32_t(int32_t)>) and dynamic (Instance::call without
// allocation), on the same tier-1 code. Each iteration checks the result (55).
//   wisp_bench_capi [--benchmark_repetitions=N ...]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "wasm.h"
#include "wisp.h"
#include "wisp/wisp.hpp"

namespace {

constexpr int32_t kN = 10;
constexpr int32_t kExpected = 55;

std::filesystem::path fib_path() {
  return std::filesystem::path(WISP_GUESTS_DIR) / "fib.wasm";
}

// One C API instance of fib.wasm on tier 1 (the C API's engine shares wisp's tier-1 cache).
struct CApi {
  wasm_engine_t* engine = nullptr;
  wasm_store_t* store = nullptr;
  wasm_module_t* module = nullptr;
  wasm_instance_t* instance = nullptr;
  wasm_extern_vec_t exports{0, nullptr};
  wasm_func_t* fib = nullptr;

  CApi() {
    engine = wasm_engine_new();
    store = wasm_store_new(engine);
    std::vector<uint8_t> bytes = wisp::read_file_bytes(fib_path());
    wasm_byte_vec_t bv{bytes.size(), reinterpret_cast<wasm_byte_t*>(bytes.data())};
    module = wasm_module_new(store, &bv);
    if (!module || !wisp_module_wait_tier1(module, 600'000))
      throw std::runtime_error("fib.wasm: no tier 1 through the C API");
    wasm_extern_vec_t none = WASM_EMPTY_VEC;
    instance = wasm_instance_new(store, module, &none, nullptr);
    if (!instance) throw std::runtime_error("fib.wasm: C API instantiation failed");
    wasm_instance_exports(instance, &exports);
    wasm_exporttype_vec_t types;
    wasm_module_exports(module, &types);
    for (size_t i = 0; i < types.size; ++i) {
      const wasm_name_t* n = wasm_exporttype_name(types.data[i]);
      std::string name(n->data, n->size);
      wasm_func_t* f = wasm_extern_as_func(exports.data[i]);
      if (name == "_initialize") {
        wasm_val_vec_t no_args = WASM_EMPTY_VEC, no_results = WASM_EMPTY_VEC;
        if (wasm_trap_t* t = wasm_func_call(f, &no_args, &no_results)) wasm_trap_delete(t);
      }
      if (name == "fib") fib = f;
    }
    wasm_exporttype_vec_delete(&types);
    if (!fib) throw std::runtime_error("fib.wasm exports no fib");
  }
  ~CApi() {
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
  }
};

// The same module through the C++ API, on tier 1.
struct Cpp {
  wisp::Engine engine{[] {
    wisp::EngineConfig c;
    c.background_tier1 = false;
    return c;
  }()};
  wisp::Instance instance;
  Cpp() {
    wisp::TemplateOptions o;
    o.tier = wisp::Tier::tier1;
    instance = wisp::Linker().instantiate(engine.compile_file(fib_path()), o);
    instance.call("_initialize");
  }
};

std::unique_ptr<CApi> g_c;
std::unique_ptr<Cpp> g_cpp;

void capi_wasm_func_call(benchmark::State& st) {
  wasm_val_t arg[1] = {WASM_I32_VAL(kN)};
  wasm_val_t res[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(arg), results = WASM_ARRAY_VEC(res);
  for (auto _ : st) {
    wasm_trap_t* trap = wasm_func_call(g_c->fib, &args, &results);
    benchmark::DoNotOptimize(res[0].of.i32);
    if (trap || res[0].of.i32 != kExpected) {
      st.SkipWithError("wrong result");
      break;
    }
  }
}

void cpp_typed_call(benchmark::State& st) {
  auto fib = g_cpp->instance.func<int32_t(int32_t)>("fib");
  for (auto _ : st) {
    int32_t r = fib(kN);
    benchmark::DoNotOptimize(r);
    if (r != kExpected) {
      st.SkipWithError("wrong result");
      break;
    }
  }
}

void cpp_dynamic_call(benchmark::State& st) {
  wisp::Value arg[1] = {wisp::Value::i32(kN)};
  wisp::Value res[1];
  for (auto _ : st) {
    g_cpp->instance.call("fib", arg, res);
    benchmark::DoNotOptimize(res[0]);
    if (res[0].as_i32() != kExpected) {
      st.SkipWithError("wrong result");
      break;
    }
  }
}

BENCHMARK(capi_wasm_func_call);
BENCHMARK(cpp_typed_call);
BENCHMARK(cpp_dynamic_call);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  try {
    g_c = std::make_unique<CApi>();
    g_cpp = std::make_unique<Cpp>();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wisp_bench_capi: %s\n", e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_c.reset();
  g_cpp.reset();
  return 0;
}
