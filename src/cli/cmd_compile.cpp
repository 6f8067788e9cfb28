// `wisp compile m.wasm`: compiles both tiers (filling the tier-1 cache) and prints their times;
// with -o FILE, also writes a precompiled module (for `wisp run FILE`, Engine::load_precompiled
// and the runtime-only build); with --emit-c DIR, writes the C translation instead.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include "cli/cli.hpp"
#include "wisp/engine.hpp"
#include "wisp/error.hpp"

namespace wisp::cli {
namespace {

struct CompileOptions {
  std::string file;
  std::string cache_dir;
  bool background = false;
  std::string emit_c_dir;
  std::string output;
};

// Writes the module's C to DIR/module.c, or DIR/unit0.c, unit1.c, ... when tier 1 would split
// it (unit 0: prelude and glue; the others: runs of functions).
int emit_c(const CompileOptions& o) {
  EngineConfig config = engine_config_for(Tier::tier1);
  Engine engine(config);
  std::vector<uint8_t> bytes = read_file_bytes(o.file);
  if (std::filesystem::path(o.file).extension() == ".wat")
    bytes =
        wat_to_wasm(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  std::vector<std::string> units = engine.emit_c(bytes);
  std::filesystem::path dir(o.emit_c_dir);
  std::filesystem::create_directories(dir);
  size_t total = 0;
  for (size_t k = 0; k < units.size(); ++k) {
    std::filesystem::path p =
        dir / (units.size() == 1 ? std::string("module.c") : "unit" + std::to_string(k) + ".c");
    std::ofstream out(p, std::ios::binary);
    out << units[k];
    if (!out) throw Error("cannot write " + p.string());
    total += units[k].size();
  }
  std::printf("wrote %zu bytes of C in %zu file%s to %s\n", total, units.size(),
              units.size() == 1 ? "" : "s", dir.string().c_str());
  return kOk;
}

// One background build per module file at a time: runs of a module while its tier-1 build is
// under way start no second build of the same object (each would take the same minutes of CPU).
// The lock is held until this process exits; false if another process holds it.
bool first_builder(const std::filesystem::path& cache_dir, const std::string& file) {
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(file, ec);
  auto size = std::filesystem::file_size(path, ec);
  auto mtime = std::filesystem::last_write_time(path, ec).time_since_epoch().count();
  char name[64];
  std::snprintf(name, sizeof name, "building-%016zx.lock",
                std::hash<std::string>{}(path.string() + "|" + std::to_string(size) + "|" +
                                         std::to_string(mtime)));
  std::filesystem::create_directories(cache_dir, ec);
  int fd = ::open((cache_dir / name).c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) return true;  // no lock to be had: build anyway
  return ::flock(fd, LOCK_EX | LOCK_NB) == 0;
}

int compile(const CompileOptions& o) {
  if (!o.emit_c_dir.empty()) return emit_c(o);
  EngineConfig config = engine_config_for(Tier::tier1);
  if (!o.cache_dir.empty()) config.cache_dir = o.cache_dir;
  if (o.background) {  // started by `wisp run` / `wisp call`: tier 1 only, quietly
    config.enable_tier0 = false;
    Engine engine(config);
    if (!first_builder(engine.cache_dir(), o.file)) return kOk;
    Module m = engine.compile_file(o.file);
    return m.wait_tier1() ? kOk : kCompile;
  }
  Engine engine(config);
  Module m = engine.compile_file(o.file);
  bool tier1 = m.wait_tier1();
  CompileStats s = m.stats();
  std::printf("module:    %s (%zu bytes, sha256 %s)\n", o.file.c_str(), m.byte_size(),
              m.hash().c_str());
  std::printf("translate: %.3f ms (%zu bytes of C)\n", s.translate_ms, s.c_source_bytes);
  if (s.tier0_ms > 0) {
    std::printf("tier 0:    %.3f ms (libtcc)\n", s.tier0_ms);
  } else {
    std::printf("tier 0:    not built (tier 1 was ready)\n");
  }
  if (tier1) {
    std::printf("tier 1:    %.3f ms (%s)\n", s.tier1_ms,
                s.tier1_from_cache ? "loaded from cache" : "compiled, now cached");
  } else {
    std::printf("tier 1:    unavailable\n");
  }
  std::printf("cache:     %s\n", engine.cache_dir().string().c_str());
  if (!tier1) throw CompileError("tier 1 failed: " + m.tier1_error().value_or("unknown reason"));
  if (!o.output.empty()) {
    engine.save_precompiled(m, o.output);
    std::error_code ec;
    std::printf("wrote:     %s (%ju bytes: tier 1, interface and module; a precompiled module)\n",
                o.output.c_str(), static_cast<uintmax_t>(std::filesystem::file_size(o.output, ec)));
  }
  return kOk;
}

}  // namespace

void add_compile(CLI::App& app, Action& action) {
  auto o = std::make_shared<CompileOptions>();
  CLI::App* sub = app.add_subcommand(
      "compile", "Compile a module on both tiers, fill the tier-1 cache, print compile times");
  sub->add_option("module", o->file, "The .wasm file")->required();
  sub->add_option("--cache-dir", o->cache_dir,
                  "Tier-1 cache directory (default $XDG_CACHE_HOME/wisp, else ~/.cache/wisp)");
  sub->add_flag("--background", o->background,
                "Build tier 1 only and print nothing (what `wisp run` starts on a cache miss)");
  sub->add_option("-o,--output", o->output,
                  "Also write a precompiled module to this file: tier 1's code with the module, "
                  "loaded without compiling (`wisp run FILE`, Engine::load_precompiled, the "
                  "runtime-only libwisp_runtime); only for this wisp build and this kind of CPU");
  sub->add_option("--emit-c", o->emit_c_dir,
                  "Write the module's C translation (as tier 1 compiles it) to this directory "
                  "instead of compiling; for debugging the C emitter");
  sub->callback([o, &action] { action = [o] { return compile(*o); }; });
}

}  // namespace wisp::cli
