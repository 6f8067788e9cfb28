// wisp_plugins_measure: memory and load time of the plugin example's three language plugins
// (C, JSON, Markdown) loaded into one shared instance, against three instances of the main
// module with one plugin each (bench/plugins.sh runs it; figures in bench/RESULTS.md).
//
//   wisp_plugins_measure [--tier 0|1] [--reps N] [--dir DIR]
//
// Modules are compiled once and the main module's template made once, before anything is
// timed: every arrangement's main instances come from that template's snapshot, and a side
// module's code is shared by every instance that loads it. Load time: from nothing to the main
// instance(s) with the plugins loaded (main instantiation from the snapshot; per plugin: memory
// region from the main allocator, table slots, linking, instantiation, GOT, relocations,
// constructors), median and minimum of N runs. Memory: the process's RSS growth per setup with
// 256 setups alive (each plugin having highlighted one line, so that stacks, contexts and token
// buffers are touched), each arrangement measured in a child forked from the same warm parent;
// and, per main instance, what Instance::usage() reports of its linear memory (host pages
// written, resident, and the memory's size).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "wisp/dylink.hpp"
#include "wisp/wisp.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Plugin {
  std::string name, sample;
  wisp::Module module;
  wisp::DylinkInfo info;
};

uint64_t rss_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

// One line through language `lang` of `main` (writes the text into its memory, highlights it).
void highlight_once(wisp::Instance& main, int32_t lang, const std::string& text) {
  const int32_t buf = main.func<int32_t(int32_t)>("malloc")(static_cast<int32_t>(text.size()));
  main.memory().write(static_cast<uint32_t>(buf),
                      std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  main.func<int32_t(int32_t, int32_t, int32_t)>("highlight")(lang, buf,
                                                             static_cast<int32_t>(text.size()));
  main.func<void(int32_t)>("free")(buf);
}

struct Setup {
  std::vector<std::unique_ptr<wisp::SharedInstance>> instances;
};

// Three plugins in one instance (shared = true) or one plugin in each of three instances.
Setup build(wisp::Engine& engine, const wisp::Template& main, std::vector<Plugin>& plugins,
            const wisp::SharedInstanceOptions& options, bool shared) {
  Setup s;
  if (plugins.empty())
    s.instances.push_back(std::make_unique<wisp::SharedInstance>(engine, main, options));
  for (size_t i = 0; i < plugins.size(); ++i) {
    if (i == 0 || !shared)
      s.instances.push_back(std::make_unique<wisp::SharedInstance>(engine, main, options));
    s.instances.back()->load_side_module(plugins[i].module, plugins[i].info, plugins[i].name);
  }
  return s;
}

void touch(Setup& s, std::vector<Plugin>& plugins, bool shared) {
  for (size_t i = 0; i < plugins.size(); ++i) {
    wisp::Instance& main = s.instances[shared ? 0 : i]->main();
    highlight_once(main, shared ? static_cast<int32_t>(i) : 0, plugins[i].sample);
  }
}

// RSS growth per setup with `copies` setups alive, measured in a child process forked from the
// warm parent (so that no arrangement runs on heap another one freed), in KiB.
double rss_per_setup(wisp::Engine& engine, const wisp::Template& main, std::vector<Plugin>& plugins,
                     const wisp::SharedInstanceOptions& options, bool shared, int copies) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    double kib = -1;
    try {
      const uint64_t before = rss_kib();
      std::vector<Setup> alive;
      for (int c = 0; c < copies; ++c) {
        alive.push_back(build(engine, main, plugins, options, shared));
        touch(alive.back(), plugins, shared);
      }
      kib = static_cast<double>(rss_kib() - before) / copies;
    } catch (const wisp::Error& e) {
      std::fprintf(stderr, "wisp_plugins_measure (child): %s\n", e.what());
    }
    ssize_t n = write(fds[1], &kib, sizeof kib);
    _exit(n == sizeof kib ? 0 : 1);
  }
  close(fds[1]);
  double kib = -1;
  if (read(fds[0], &kib, sizeof kib) != sizeof kib) kib = -1;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return kib;
}

struct Figures {
  double median_us = 0, min_us = 0;
  uint64_t written = 0, resident = 0, memory_bytes = 0;
  double rss_kib_per_setup = 0;
};

Figures measure(wisp::Engine& engine, const wisp::Template& main, std::vector<Plugin>& plugins,
                const wisp::SharedInstanceOptions& options, bool shared, int reps, double rss) {
  Figures f;
  f.rss_kib_per_setup = rss;
  std::vector<double> us;
  for (int r = 0; r < reps; ++r) {
    auto t0 = Clock::now();
    Setup s = build(engine, main, plugins, options, shared);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  f.median_us = us[us.size() / 2];
  f.min_us = us.front();
  {
    Setup s = build(engine, main, plugins, options, shared);
    touch(s, plugins, shared);
    for (auto& inst : s.instances) {
      wisp::Instance::Usage u = inst->main().usage();
      f.written += u.written_pages;
      f.resident += u.resident_pages;
      f.memory_bytes += u.memory_bytes;
    }
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path dir = fs::absolute(argv[0]).parent_path();
  wisp::Tier tier = wisp::Tier::tier1;
  int reps = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--tier")
      tier = std::string(argv[i + 1]) == "0" ? wisp::Tier::tier0 : wisp::Tier::tier1;
    else if (a == "--reps")
      reps = std::max(1, std::stoi(argv[i + 1]));
    else if (a == "--dir")
      dir = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: wisp_plugins_measure [--tier 0|1] [--reps N] [--dir DIR]\n");
      return 2;
    }
  }
  try {
    wisp::EngineConfig config;
    config.background_tier1 = false;  // tier 1 built (or loaded from the cache) before timing
    config.enable_tier1 = tier == wisp::Tier::tier1;
    wisp::Engine engine(config);
    wisp::Module main_module = engine.compile_file(dir / "plugins_main.wasm");
    std::vector<Plugin> plugins;
    const char* const samples[] = {"int main(void) { return 42; } /* comment */",
                                   "{\"key\": [1, 2.5, true, null]}",
                                   "# Heading with *emphasis* and `code`"};
    const char* const names[] = {"lang_c", "lang_json", "lang_markdown"};
    for (int i = 0; i < 3; ++i) {
      std::vector<uint8_t> bytes =
          wisp::read_file_bytes(dir / "plugins" / (std::string(names[i]) + ".wasm"));
      plugins.push_back(
          Plugin{names[i], samples[i], engine.compile(bytes), wisp::read_dylink_info(bytes)});
    }
    wisp::SharedInstanceOptions options;
    options.main_options.tier = tier;
    options.side_tier = tier;
    // One template of the main module for every arrangement: its snapshot is captured once and
    // its image shared by all main instances, as a real host would do.
    wisp::Template main = wisp::Linker().instantiate_template(main_module, options.main_options);
    build(engine, main, plugins, options, true);  // warm: snapshot captured, code loaded

    std::printf("tier %d, %d runs; host page %ld bytes\n", tier == wisp::Tier::tier0 ? 0 : 1, reps,
                sysconf(_SC_PAGESIZE));
    std::printf("%-34s %10s %10s %9s %9s %11s %12s\n", "arrangement", "load p50", "load min",
                "written", "resident", "linear mem", "RSS/setup");
    // RSS first, each arrangement in a child of the same warm parent; then the timings.
    std::vector<Plugin> none;
    const double rss_main = rss_per_setup(engine, main, none, options, true, 256);
    const double rss_one = rss_per_setup(engine, main, plugins, options, true, 256);
    const double rss_three = rss_per_setup(engine, main, plugins, options, false, 256);
    Figures alone = measure(engine, main, none, options, true, reps, rss_main);
    Figures one = measure(engine, main, plugins, options, true, reps, rss_one);
    Figures three = measure(engine, main, plugins, options, false, reps, rss_three);
    auto row = [](const char* what, const Figures& f) {
      std::printf("%-34s %8.1f us %8.1f us %6llu pg %6llu pg %8llu KiB %8.1f KiB\n", what,
                  f.median_us, f.min_us, static_cast<unsigned long long>(f.written),
                  static_cast<unsigned long long>(f.resident),
                  static_cast<unsigned long long>(f.memory_bytes / 1024), f.rss_kib_per_setup);
    };
    row("the main instance alone", alone);
    row("3 plugins in one instance", one);
    row("3 instances, one plugin each", three);
    std::printf(
        "ratio one/three: written pages %.2f, resident %.2f, linear memory %.2f, RSS %.2f, "
        "load time %.2f\n",
        static_cast<double>(one.written) / three.written,
        static_cast<double>(one.resident) / three.resident,
        static_cast<double>(one.memory_bytes) / three.memory_bytes,
        one.rss_kib_per_setup / three.rss_kib_per_setup, one.median_us / three.median_us);
    return 0;
  } catch (const wisp::Error& e) {
    std::fprintf(stderr, "wisp_plugins_measure: %s\n", e.what());
    return 1;
  }
}
