// `wisp run [options] m.wasm [ARGS...]`: runs a WASI program (Wasmtime's conventions): a command
// runs `_start`; a reactor runs `_initialize`, then `--invoke NAME` if given. The exit status is
// the guest's exit code; a trap prints its kind and the export and exits with 4. A wasi-threads
// program (it imports `wasi` `thread-spawn`) runs its threads on a pool (--max-threads).
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/cli.hpp"
#include "wisp/wisp.hpp"

extern char** environ;

namespace wisp::cli {
namespace {

struct RunOptions {
  std::vector<std::string> dirs, dirs_ro, env;
  bool inherit_env = false;
  bool trap_unknown_imports = false;
  bool timings = false;
  std::string tier = "auto";
  std::string invoke;
  uint32_t max_threads = WasiConfig{}.max_threads;
  std::vector<std::string> rest;  // module, then the guest's arguments
};

// "HOST[::GUEST]" (GUEST defaults to HOST).
WasiPreopen parse_dir(const std::string& spec, bool readonly) {
  size_t sep = spec.find("::");
  WasiPreopen p;
  p.host = spec.substr(0, sep);
  p.guest = sep == std::string::npos ? spec : spec.substr(sep + 2);
  p.readonly = readonly;
  if (p.host.empty() || p.guest.empty()) throw Error("bad --dir '" + spec + "': use HOST[::GUEST]");
  return p;
}

void set_env(std::vector<std::string>& env, const std::string& kv) {
  size_t eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) throw Error("bad --env '" + kv + "': use KEY=VALUE");
  std::string key = kv.substr(0, eq + 1);
  std::erase_if(env, [&](const std::string& e) { return e.compare(0, key.size(), key) == 0; });
  env.push_back(kv);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Wasmtime's --trap-unknown-imports: every function import that nothing defines becomes a host
// function that traps when called (programs built for a richer host still start).
void define_trapping_imports(Linker& linker, const Module& module) {
  for (const ImportDesc& imp : module.imports()) {
    if (imp.type.kind != ExternKind::func || imp.module == "wasi_snapshot_preview1") continue;
    std::string what = imp.module + "." + imp.name;
    try {
      linker.define_func(imp.module, imp.name, imp.type.func,
                         [what](Caller&, std::span<const Value>, std::span<Value>) {
                           throw Trap(TrapKind::host_error, "unknown import " + what + " called");
                         });
    } catch (const LinkError&) {
      // already defined (the same import listed twice)
    }
  }
}

bool has_func(const Module& m, const std::string& name, bool nullary) {
  auto e = m.find_export(name);
  return e && e->type.kind == ExternKind::func && (!nullary || e->type.func == FuncType{});
}

int exit_status(const WasiExit& e) {
  if (e.code() < 0 || e.code() > 255) {
    std::fprintf(stderr, "wisp: guest exit code %d is not a valid exit status\n", e.code());
    return kUsage;
  }
  return e.code();
}

// "wisp: trap: KIND: DETAIL (in WHERE)" on stderr; the trap exit status.
int report_trap(const Trap& e, const std::string& where) {
  std::string msg = std::string("wisp: trap: ") + trap_kind_name(e.kind());
  if (!e.detail().empty()) msg += ": " + e.detail();
  std::fprintf(stderr, "%s (in %s)\n", msg.c_str(), where.c_str());
  return kTrap;
}

// Instantiates `module` (its start function runs) and runs the guest; the exit status.
int run_instance(const RunOptions& o, const Module& module, const Linker& linker,
                 TemplateOptions options, Instance& instance, double compile_ms) {
  const std::string& file = o.rest[0];
  auto t0 = std::chrono::steady_clock::now();
  try {
    instance = linker.instantiate(module, std::move(options));
  } catch (const WasiExit& e) {
    return exit_status(e);
  } catch (const Trap& e) {
    return report_trap(e, "the start function");
  }
  double instantiate_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  // --timings: where the time went, on stderr, however the guest ends.
  struct Report {
    const RunOptions& o;
    const Module& m;
    const Instance& inst;
    double compile_ms, instantiate_ms;
    std::chrono::steady_clock::time_point run_start;
    ~Report() {
      if (!o.timings) return;
      CompileStats s = m.stats();
      std::string how = s.tier1_from_cache  ? " from cache"
                        : s.tier1_units > 1 ? " in " + std::to_string(s.tier1_units) + " units"
                                            : "";
      std::fprintf(stderr,
                   "wisp: timings: compile %.1f ms (translate %.1f ms, %zu bytes of C; tier 0 "
                   "%.1f ms; tier 1 %.1f ms%s), instantiate %.1f ms, run %.1f ms on %s\n",
                   compile_ms, s.translate_ms, s.c_source_bytes, s.tier0_ms, s.tier1_ms,
                   how.c_str(), instantiate_ms, ms_since(run_start), tier_name(inst.tier()));
      if (s.tier0_lazy)
        std::fprintf(stderr,
                     "wisp: timings: lazy tier 0 compiled %zu functions in %zu batches (%zu bytes "
                     "of C) while it ran\n",
                     s.tier0_functions_compiled, s.tier0_batches, s.tier0_batch_c_bytes);
    }
  } report{o, module, instance, compile_ms, instantiate_ms, t0};

  std::string current;
  try {
    if (!o.invoke.empty()) {
      if (!has_func(module, o.invoke, false))
        throw LinkError("module " + file + " has no exported function '" + o.invoke + "'");
      if (has_func(module, "_initialize", true)) {
        current = "_initialize";
        instance.call(current);
      }
      current = o.invoke;
      const FuncType ft = module.find_export(o.invoke)->type.func;
      if (o.rest.size() - 1 != ft.params.size()) {
        throw Error("'" + o.invoke + "' takes " + std::to_string(ft.params.size()) +
                    " argument(s) " + ft.to_string() + ", got " +
                    std::to_string(o.rest.size() - 1));
      }
      std::vector<Value> args;
      for (size_t i = 0; i < ft.params.size(); ++i)
        args.push_back(parse_value(o.rest[i + 1], ft.params[i]));
      std::vector<Value> results = instance.call(current, args);
      std::fflush(stdout);
      for (const Value& v : results) std::printf("%s\n", format_value(v).c_str());
    } else if (has_func(module, "_start", true)) {
      current = "_start";
      instance.call(current);
    } else if (has_func(module, "_initialize", true)) {
      current = "_initialize";
      instance.call(current);
    } else {
      throw LinkError("module " + file +
                      " exports neither _start nor _initialize (name a function with --invoke)");
    }
  } catch (const WasiExit& e) {
    return exit_status(e);
  } catch (const Trap& e) {
    return report_trap(e, "export '" + current + "'");
  }
  return kOk;
}

// A wasi-threads program: _start on the main thread, spawned threads on a bounded pool; the
// first trap or proc_exit in any thread ends them all (wisp/wasi_threads.hpp).
int run_threads(const RunOptions& o, Engine& engine, const Module& module, const Linker& linker,
                const WasiConfig& config, TemplateOptions options) {
  if (!o.invoke.empty() || !has_func(module, "_start", true))
    throw Error(
        "a wasi-threads module runs as a command: it needs _start (--invoke is not "
        "supported for it)");
  try {
    WasiThreads group(engine, module, linker, config, std::move(options));
    group.run("_start");
  } catch (const WasiExit& e) {
    return exit_status(e);
  } catch (const Trap& e) {
    return report_trap(e, "export '_start' or a thread it spawned");
  }
  return kOk;
}

int run(const RunOptions& o) {
  if (o.rest.empty()) throw Error("missing the module to run");
  const std::string& file = o.rest[0];
  // A guest writing to a closed pipe gets EPIPE, not a SIGPIPE that kills wisp.
  ::signal(SIGPIPE, SIG_IGN);
  Tier tier = parse_tier(o.tier);
  EngineConfig engine_config = engine_config_for(tier);
  // The guest starts on tier 0 when tier 1 is not cached; a detached process builds it for the
  // next run, so this one exits as soon as the guest is done.
  engine_config.tier1_cache_only = tier == Tier::automatic;
  Engine engine(engine_config);
  auto t0 = std::chrono::steady_clock::now();
  Module module = engine.compile_file(file);
  double compile_ms = ms_since(t0);
  if (tier == Tier::automatic && !module.tier1_ready()) spawn_background_compile(file);

  WasiConfig config;
  config.args = o.rest;
  if (o.inherit_env) {
    for (char** e = environ; e && *e; ++e) config.env.emplace_back(*e);
  }
  for (const std::string& kv : o.env) set_env(config.env, kv);
  for (const std::string& d : o.dirs) config.preopens.push_back(parse_dir(d, false));
  for (const std::string& d : o.dirs_ro) config.preopens.push_back(parse_dir(d, true));

  Linker linker;
  add_wasi(linker, module);  // only what the module imports: the linker serves this module alone
  if (o.trap_unknown_imports) define_trapping_imports(linker, module);
  TemplateOptions options;
  options.tier = tier;
  config.max_threads = o.max_threads;
  int status;
  if (imports_wasi_threads(module)) {
    status = run_threads(o, engine, module, linker, config, std::move(options));
  } else {
    // The context exists before the start function runs (it may call WASI).
    options.host_state = WasiCtx::factory(std::move(config));
    Instance instance;
    status = run_instance(o, module, linker, std::move(options), instance, compile_ms);
  }
  // With tier 1 settled (loaded from the cache, built, or failed) nothing runs in the
  // background: tearing down the instance, the module's code and the engine would only delay
  // the exit. Otherwise the engine's destructor waits for the tier-1 build to reach the cache.
  if (module.tier1_ready() || module.tier1_error()) {
    std::fflush(nullptr);
    std::_Exit(status);
  }
  return status;
}

}  // namespace

void add_run(CLI::App& app, Action& action) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand("run", "Run a WASI program (wasi_snapshot_preview1)");
  sub->footer(
      "Usage: wisp run [OPTIONS] MODULE [ARGS...]\n"
      "Options come before the module; everything after it is the guest's argv[1..].\n"
      "A command module runs _start; a reactor runs _initialize, then --invoke NAME (whose\n"
      "arguments are parsed from its signature, as `wisp call` does). Only the --dir and\n"
      "--dir-ro directories are reachable; stdio is inherited. The exit status is the guest's\n"
      "exit code (0 when _start returns); a trap prints its kind and the export and exits 4.\n"
      "A wasi-threads module (it imports wasi thread-spawn) runs its threads on a pool of at\n"
      "most --max-threads; a trap or proc_exit in any thread ends them all.");
  sub->add_option("--dir", o->dirs, "Preopen HOST[::GUEST] read-write (repeatable)")
      ->allow_extra_args(false);
  sub->add_option("--dir-ro", o->dirs_ro,
                  "Preopen HOST[::GUEST] read-only: no writes, creation, removal, renames")
      ->allow_extra_args(false);
  sub->add_option("--env", o->env, "Set KEY=VALUE in the guest's environment (repeatable)")
      ->allow_extra_args(false);
  sub->add_flag("--inherit-env", o->inherit_env, "Pass wisp's whole environment to the guest");
  sub->add_option("--tier", o->tier, "0 (libtcc), 1 (wait for cc -O2), auto (tier 1 if cached)")
      ->check(tier_validator());
  sub->add_option("--invoke", o->invoke, "Call this export (after _initialize) instead of _start");
  sub->add_option("--max-threads", o->max_threads,
                  "wasi-threads: most spawned threads at once (thread-spawn fails past it)")
      ->check(CLI::Range(1u, 4096u));
  sub->add_flag("--trap-unknown-imports", o->trap_unknown_imports,
                "Define function imports nothing provides as traps (instead of a link error)");
  sub->add_flag("--timings", o->timings,
                "Print compile (translate, tier 0, tier 1), instantiate and run times to stderr");
  sub->prefix_command();  // the first unrecognised word is the module; the rest go to the guest
  sub->callback([o, sub, &action] {
    o->rest = sub->remaining();
    action = [o] {
      int status = run(*o);  // every wisp object is gone (the engine waited for tier 1)
      // Static destructors and atexit handlers have nothing left to do for wisp: skip them.
      std::fflush(nullptr);
      std::_Exit(status);
      return status;
    };
  });
}

}  // namespace wisp::cli
