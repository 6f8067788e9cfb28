// Embedding wisp: compile a module, link it, instantiate it, call an export through a typed handle.
#include <cstdio>

#include "wisp/wisp.hpp"

#ifndef WISP_EXAMPLES_DIR  // built against an installed wisp: pass the module's path
#define WISP_EXAMPLES_DIR "."
#endif

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : WISP_EXAMPLES_DIR "/factorial.wasm";
  try {
    wisp::Engine engine;                              // share one per process
    wisp::Module module = engine.compile_file(path);  // validated; tier 0 ready now
    wisp::Linker linker;                              // host functions would be defined here
    wisp::Instance instance = linker.instantiate(module);
    auto factorial = instance.func<int64_t(int32_t)>("factorial");  // signature checked once
    for (int32_t n : {5, 10, 20}) {
      std::printf("factorial(%d) = %lld\n", n, static_cast<long long>(factorial(n)));
    }
  } catch (const wisp::Error& e) {  // CompileError, LinkError, Trap...
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
