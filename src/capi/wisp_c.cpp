// wisp.h: wisp's own additions to the C API — engine settings, limits, instance reset, interrupt
// and fuel, WASI, and the sharing strategies with their leases — over the C++ API.
#include "wisp.h"

#include <memory>

#include "capi/capi_impl.hpp"
#include "share/strategy_core.hpp"  // Lease's inline default constructor needs LeaseSlot
#include "wisp/engine.hpp"
#include "wisp/shared_memories.hpp"
#include "wisp/strategy.hpp"
#include "wisp/wasi.hpp"

struct wisp_wasi_config_t {
  wisp::WasiConfig config;
};
struct wisp_strategy_t {
  std::unique_ptr<wisp::Strategy> strategy;
};
struct wisp_lease_t {
  wisp::Lease lease;
};

using namespace wisp;
using namespace wisp::capi;

namespace {

Limits to_limits(const wisp_limits_t* l) {
  Limits out;
  if (!l) return out;
  out.max_memory_pages = l->max_memory_pages;
  out.max_table_elements = l->max_table_elements;
  out.call_timeout = std::chrono::milliseconds(l->call_timeout_ms);
  out.fuel = l->fuel;
  return out;
}

Instance instance_of(const wasm_instance_t* i) {
  return Instance(object_of<InstanceObject>(i)->instance);
}

void set_error(wasm_trap_t** out, const std::string& message) {
  trace(message);
  if (out) *out = new_trap(message);
}

}  // namespace

extern "C" {

void wisp_config_set_tier1(wasm_config_t* c, bool enable) {
  c->config.enable_tier1 = enable;
}
void wisp_config_consume_fuel(wasm_config_t* c, bool enable) {
  c->config.consume_fuel = enable;
}

bool wisp_module_wait_tier1(const wasm_module_t* m, uint64_t timeout_ms) {
  return object_of<ModuleObject>(m)->module.wait_tier1(std::chrono::milliseconds(timeout_ms));
}

void wisp_limits_default(wisp_limits_t* out) {
  Limits d;
  out->max_memory_pages = d.max_memory_pages;
  out->max_table_elements = d.max_table_elements;
  out->call_timeout_ms = 0;
  out->fuel = d.fuel;
}
void wisp_store_set_limits(wasm_store_t* s, const wisp_limits_t* l) {
  s->state.options.limits = to_limits(l);
}

// ---- instances ----

wasm_trap_t* wisp_instance_reset(wasm_instance_t* i) {
  try {
    instance_of(i).reset();
    return nullptr;
  } catch (const std::exception& e) {
    return new_trap(std::string("reset: ") + e.what());
  }
}
bool wisp_instance_interrupt(const wasm_instance_t* i) {
  return instance_of(i).interrupt_handle().interrupt();
}
void wisp_instance_set_fuel(wasm_instance_t* i, uint64_t fuel) {
  try {
    instance_of(i).set_fuel(fuel);
  } catch (const std::exception& e) {
    trace(std::string("wisp_instance_set_fuel: ") + e.what());
  }
}
uint64_t wisp_instance_fuel_remaining(const wasm_instance_t* i) {
  try {
    return instance_of(i).fuel_remaining();
  } catch (const std::exception& e) {
    trace(std::string("wisp_instance_fuel_remaining: ") + e.what());
    return 0;
  }
}

// ---- WASI ----

wisp_wasi_config_t* wisp_wasi_config_new(void) {
  return new wisp_wasi_config_t;
}
void wisp_wasi_config_delete(wisp_wasi_config_t* c) {
  delete c;
}
void wisp_wasi_config_arg(wisp_wasi_config_t* c, const char* arg) {
  c->config.args.emplace_back(arg);
}
void wisp_wasi_config_env(wisp_wasi_config_t* c, const char* key, const char* value) {
  c->config.env.push_back(std::string(key) + "=" + value);
}
void wisp_wasi_config_preopen_dir(wisp_wasi_config_t* c, const char* host, const char* guest,
                                  bool read_only) {
  c->config.preopens.push_back(WasiPreopen{host, guest, read_only});
}
void wisp_wasi_config_capture_stdio(wisp_wasi_config_t* c, const byte_t* data, size_t size) {
  c->config.stdin_stream = WasiStdio::buffer(std::string(data ? data : "", data ? size : 0));
  c->config.stdout_stream = WasiStdio::buffer();
  c->config.stderr_stream = WasiStdio::buffer();
}

wasm_instance_t* wisp_instance_new_wasi(wasm_store_t* store, const wasm_module_t* module,
                                        const wisp_wasi_config_t* config,
                                        const wasm_extern_vec_t* imports, wasm_trap_t** trap) {
  if (trap) *trap = nullptr;
  auto* m = object_of<ModuleObject>(module);
  if (!store || !m || !config) {
    set_error(trap, "wisp_instance_new_wasi: no store, module or WASI configuration");
    return nullptr;
  }
  try {
    Linker linker;
    add_wasi(linker, m->module);
    std::string error = define_imports(linker, m->module, imports, /*skip_wasi=*/true);
    if (!error.empty()) {
      set_error(trap, "wisp_instance_new_wasi: " + error);
      return nullptr;
    }
    TemplateOptions options = store->state.options;
    options.host_state = WasiCtx::factory(config->config);
    return new_instance(&store->state, linker.instantiate(m->module, options));
  } catch (const std::exception& e) {
    set_error(trap, std::string("wisp_instance_new_wasi: ") + e.what());
    return nullptr;
  }
}

int wisp_wasi_run(wasm_instance_t* i, wasm_trap_t** trap) {
  if (trap) *trap = nullptr;
  try {
    instance_of(i).call("_start");
    return 0;
  } catch (const WasiExit& e) {
    return e.code();
  } catch (const std::exception& e) {
    set_error(trap, e.what());
    return -1;
  }
}

void wisp_wasi_stdout(const wasm_instance_t* i, wasm_byte_vec_t* out) {
  const WasiCtx* ctx = instance_of(i).host_state<WasiCtx>();
  new_name(out, ctx ? ctx->stdout_data() : std::string());
}
void wisp_wasi_stderr(const wasm_instance_t* i, wasm_byte_vec_t* out) {
  const WasiCtx* ctx = instance_of(i).host_state<WasiCtx>();
  new_name(out, ctx ? ctx->stderr_data() : std::string());
}

// ---- strategies and leases ----

wisp_strategy_t* wisp_strategy_new(const wasm_module_t* module, wisp_strategy_kind_t kind,
                                   const wisp_policy_t* policy, const wisp_wasi_config_t* wasi,
                                   const wisp_limits_t* limits, wasm_trap_t** error) {
  if (error) *error = nullptr;
  auto* m = object_of<ModuleObject>(module);
  if (!m || kind > WISP_STRATEGY_THREADS) {
    set_error(error, "wisp_strategy_new: no module, or an unknown strategy kind");
    return nullptr;
  }
  try {
    Linker linker;
    TemplateOptions options;
    if (limits) options.limits = to_limits(limits);
    if (imports_wasi(m->module)) {
      add_wasi(linker, m->module);
      options.host_state = WasiCtx::factory(wasi ? wasi->config : WasiConfig{});
    }
    if (kind == WISP_STRATEGY_THREADS) {
      // The module's engine is not at hand here: a one-memory module needs none of its settings.
      Engine engine;
      define_shared_memories(engine, linker, m->module);
    }
    Policy p;
    if (policy) {
      p.max_instances = policy->max_instances;
      p.min_warm = policy->min_warm;
      p.recycle_after_uses = policy->recycle_after_uses;
      switch (policy->on_release) {
        case WISP_RELEASE_KEEP:
          p.on_release = ReleaseAction::keep;
          break;
        case WISP_RELEASE_RESET:
          p.on_release = ReleaseAction::reset;
          break;
        case WISP_RELEASE_RECYCLE:
          p.on_release = ReleaseAction::recycle;
          break;
        default:
          break;
      }
    }
    auto s = std::make_unique<wisp_strategy_t>();  // freed if make_strategy throws
    s->strategy = make_strategy(static_cast<StrategyKind>(kind),
                                linker.instantiate_template(m->module, options), p);
    return s.release();
  } catch (const std::exception& e) {
    set_error(error, std::string("wisp_strategy_new: ") + e.what());
    return nullptr;
  }
}

void wisp_strategy_delete(wisp_strategy_t* s) {
  delete s;
}

wisp_lease_t* wisp_strategy_acquire(wisp_strategy_t* s, uint64_t timeout_ms, wasm_trap_t** error) {
  if (error) *error = nullptr;
  try {
    auto* l = new wisp_lease_t;
    l->lease = s->strategy->acquire(std::chrono::milliseconds(timeout_ms));
    return l;
  } catch (const std::exception& e) {
    set_error(error, std::string("wisp_strategy_acquire: ") + e.what());
    return nullptr;
  }
}

wasm_trap_t* wisp_lease_call(wisp_lease_t* l, const char* name, const wasm_val_vec_t* args,
                             wasm_val_vec_t* results) {
  std::vector<Value> in;
  size_t nargs = args ? args->size : 0;
  for (size_t i = 0; i < nargs; ++i) {
    const wasm_val_t& v = args->data[i];
    switch (v.kind) {
      case WASM_I32:
        in.push_back(Value::i32(v.of.i32));
        break;
      case WASM_I64:
        in.push_back(Value::i64(v.of.i64));
        break;
      case WASM_F32:
        in.push_back(Value::f32(v.of.f32));
        break;
      case WASM_F64:
        in.push_back(Value::f64(v.of.f64));
        break;
      default:
        return new_trap("wisp_lease_call: argument " + std::to_string(i + 1) +
                        " is a reference; leases take numbers only");
    }
  }
  try {
    std::vector<Value> out = l->lease.call(name, in);
    size_t room = results ? results->size : 0;
    for (size_t i = 0; i < out.size() && i < room; ++i) {
      wasm_val_t& r = results->data[i];
      r.kind = to_valkind(out[i].type());
      switch (out[i].type()) {
        case ValType::i32:
          r.of.i32 = out[i].as_i32();
          break;
        case ValType::i64:
          r.of.i64 = out[i].as_i64();
          break;
        case ValType::f32:
          r.of.f32 = out[i].as_f32();
          break;
        case ValType::f64:
          r.of.f64 = out[i].as_f64();
          break;
        default:
          r.of.ref = nullptr;  // references do not leave a lease
          break;
      }
    }
    return nullptr;
  } catch (const std::exception& e) {
    return trap_from_exception(e);
  }
}

void wisp_lease_release(wisp_lease_t* l) {
  if (!l) return;
  l->lease.release();
  delete l;
}
void wisp_lease_discard(wisp_lease_t* l) {
  if (!l) return;
  l->lease.discard();
  delete l;
}

void wisp_strategy_stats(const wisp_strategy_t* s, wisp_strategy_stats_t* out) {
  StrategyStats st = s->strategy->stats();
  out->leases = st.leases;
  out->creates = st.creates;
  out->resets = st.resets;
  out->discards = st.discarded();
  out->live = st.live;
}

}  // extern "C"
