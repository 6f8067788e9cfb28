// A minimal embedding of the runtime-only library (libwisp_runtime: no front end, no libtcc, no
// libwabt, no C compiler): loads a precompiled module (`wisp compile m.wasm -o m.wisp`, made on
// a machine with the full wisp), calls one export with i32 arguments and prints its results.
// With --rss it also prints the process's peak resident memory (VmHWM), for the README's figure
// of the RAM a minimal embedding uses.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "wisp/wisp.hpp"

namespace {

long peak_rss_kib() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) kib = std::strtol(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return kib;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<const char*> args;
  bool rss = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rss") == 0) {
      rss = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  if (args.size() < 2) {
    std::fprintf(stderr, "usage: wisp_minimal MODULE.wisp EXPORT [I32 ...] [--rss]\n");
    return 2;
  }
  try {
    wisp::Engine engine;
    // compile_file: a precompiled module is loaded; anything else is refused with the reason.
    wisp::Module module = engine.compile_file(args[0]);
    wisp::Instance instance = wisp::Linker().instantiate(module);
    std::vector<wisp::Value> params;
    for (size_t i = 2; i < args.size(); ++i)
      params.push_back(wisp::Value::i32(static_cast<int32_t>(std::strtol(args[i], nullptr, 10))));
    std::vector<wisp::Value> results = instance.call(args[1], params);
    for (size_t i = 0; i < results.size(); ++i)
      std::printf("%s%s", i ? " " : "", results[i].to_string().c_str());
    std::printf("\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wisp_minimal: %s\n", e.what());
    return 1;
  }
  if (rss) std::fprintf(stderr, "peak RSS: %ld KiB\n", peak_rss_kib());
  return 0;
}
