// Runs Ruby code in ruby.wasm (CRuby 3.3 for WASI, from npm's @ruby/3.3-wasm-wasi) through wisp's
// public API: WASI preview 1 for the runtime, the module's canonical-ABI exports (ruby-init,
// rb-eval-string-protect) for the code, traps for its JavaScript imports (never called here).
// usage: wisp_ruby_eval [--tier 0|1] [--dir HOST::GUEST] [--timings] ruby.wasm CODE
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "wisp/wisp.hpp"

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The export whose name starts with `prefix` (ruby.wasm's names carry their WIT signature).
std::string export_named(const wisp::Module& m, const std::string& prefix) {
  for (const wisp::ExportDesc& e : m.exports())
    if (e.name.rfind(prefix, 0) == 0) return e.name;
  throw wisp::Error("ruby.wasm has no export " + prefix);
}

int run(int argc, char** argv) {
  wisp::Tier tier = wisp::Tier::tier0;
  wisp::WasiConfig config;
  bool timings = false;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--tier" && i + 1 < argc) {
      tier = std::string(argv[++i]) == "1" ? wisp::Tier::tier1 : wisp::Tier::tier0;
    } else if (a == "--dir" && i + 1 < argc) {
      std::string d = argv[++i];
      size_t sep = d.find("::");
      config.preopens.push_back(
          {d.substr(0, sep), sep == std::string::npos ? d : d.substr(sep + 2)});
    } else if (a == "--timings") {
      timings = true;
    } else {
      pos.push_back(a);
    }
  }
  if (pos.size() != 2) {
    std::fprintf(stderr, "usage: wisp_ruby_eval [--tier 0|1] [--dir H::G] ruby.wasm CODE\n");
    return 1;
  }
  wisp::EngineConfig ec;
  ec.enable_tier1 = tier == wisp::Tier::tier1;
  ec.background_tier1 = false;
  wisp::Engine engine(ec);
  auto t0 = std::chrono::steady_clock::now();
  wisp::Module module = engine.compile_file(pos[0]);
  double compile_ms = ms_since(t0);

  wisp::Linker linker;
  wisp::add_wasi(linker);
  // Canonical-ABI resource handles (the eval result is returned as one): a plain table.
  auto reps = std::make_shared<std::vector<int32_t>>();
  linker.func_wrap("canonical_abi", "resource_new_rb-abi-value", [reps](int32_t rep) {
    reps->push_back(rep);
    return static_cast<int32_t>(reps->size());
  });
  linker.func_wrap("canonical_abi", "resource_get_rb-abi-value",
                   [reps](int32_t handle) { return reps->at(static_cast<size_t>(handle - 1)); });
  for (const wisp::ImportDesc& imp : module.imports()) {
    if (imp.type.kind != wisp::ExternKind::func || imp.module == "wasi_snapshot_preview1") continue;
    if (imp.name.rfind("resource_new_rb", 0) == 0 || imp.name.rfind("resource_get_rb", 0) == 0)
      continue;
    std::string what = imp.module + "." + imp.name;
    linker.define_func(imp.module, imp.name, imp.type.func,
                       [what](wisp::Caller&, std::span<const wisp::Value>, std::span<wisp::Value>) {
                         throw wisp::Trap(wisp::TrapKind::host_error, what + " is not provided");
                       });
  }
  wisp::TemplateOptions options;
  options.tier = tier;
  t0 = std::chrono::steady_clock::now();
  wisp::Instance inst = linker.instantiate(module, options);
  config.args = {"ruby"};
  wisp::WasiCtx::attach(inst, config);
  double instantiate_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  inst.call("_initialize");

  auto realloc = inst.func<int32_t(int32_t, int32_t, int32_t, int32_t)>("cabi_realloc");
  wisp::Memory mem = inst.memory();
  auto put = [&](const std::string& s) {
    int32_t p = realloc(0, 0, 1, static_cast<int32_t>(s.size()));
    mem.write(static_cast<uint32_t>(p),
              std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
    return p;
  };
  // ruby-init(args: list<string>): a list is (pointer, count) of (pointer, length) pairs.
  std::vector<std::string> args = {"ruby", "--disable-all", "-EUTF-8", "-e_=0"};
  int32_t list = realloc(0, 0, 4, static_cast<int32_t>(8 * args.size()));
  for (size_t i = 0; i < args.size(); ++i) {
    mem.store<int32_t>(static_cast<uint32_t>(list) + 8 * i, put(args[i]));
    mem.store<int32_t>(static_cast<uint32_t>(list) + 8 * i + 4,
                       static_cast<int32_t>(args[i].size()));
  }
  inst.call(export_named(module, "ruby-init:"),
            {wisp::Value::i32(list), wisp::Value::i32(static_cast<int32_t>(args.size()))});
  inst.call(export_named(module, "ruby-init-loadpath:"));
  double init_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  int32_t code = put(pos[1]);
  std::vector<wisp::Value> r =
      inst.call(export_named(module, "rb-eval-string-protect:"),
                {wisp::Value::i32(code), wisp::Value::i32(static_cast<int32_t>(pos[1].size()))});
  // The result is a pointer to (value handle, state); state != 0 means an exception.
  int32_t state = mem.load<int32_t>(static_cast<uint32_t>(r[0].as_i32()) + 4);
  double eval_ms = ms_since(t0);
  if (timings) {
    wisp::CompileStats s = module.stats();
    std::fprintf(stderr,
                 "timings: compile %.1f ms (translate %.1f ms, %zu bytes of C, tier 0 %.1f ms, "
                 "tier 1 %.1f ms), instantiate %.1f ms, ruby init %.1f ms, eval %.1f ms (%s)\n",
                 compile_ms, s.translate_ms, s.c_source_bytes, s.tier0_ms, s.tier1_ms,
                 instantiate_ms, init_ms, eval_ms, wisp::tier_name(inst.tier()));
  }
  if (state != 0) {
    std::fprintf(stderr, "ruby raised an exception (state %d)\n", state);
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const wisp::Error& e) {
    std::fprintf(stderr, "wisp_ruby_eval: %s\n", e.what());
    return 3;
  }
}
