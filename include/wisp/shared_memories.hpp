// Shared memories made by the host for modules that import them: what the threads strategy
// (StrategyKind::threads), `wisp bench` and `wisp serve` give a module built with
// `-Wl,--shared-memory -Wl,--import-memory`, so that every instance of one template works on the
// same memory.
//
//   wisp::Linker linker;
//   wisp::define_shared_memories(engine, linker, module);  // env.memory, as the module expects
//   wisp::Template tmpl = linker.instantiate_template(module, options);
//   auto threads = wisp::make_strategy(wisp::StrategyKind::threads, tmpl);
#pragma once

#include <cstdint>

#include "wisp/engine.hpp"
#include "wisp/linker.hpp"
#include "wisp/module.hpp"

namespace wisp {

// Defines in `linker`, for each shared memory `module` imports that `linker` does not define
// yet, a new shared memory of the import's limits (its minimum pages now, its maximum as the
// maximum). Each lives in a slot like any other, grows in place while other threads run, counts
// once against the memory budget, and is freed when the last template or instance linked to it
// (and the linker) are gone. Returns how many it defined. Throws wisp::Error for a 64-bit shared
// memory (not supported), and what instantiation throws (Trap(resource_limit) past the budget).
uint32_t define_shared_memories(Engine& engine, Linker& linker, const Module& module);

// Whether `module` imports a shared memory.
bool imports_shared_memory(const Module& module);
// Whether `module` defines a shared memory (clang's -Wl,--shared-memory without
// --import-memory). The threads strategy shares it between its instances by itself.
bool defines_shared_memory(const Module& module);

}  // namespace wisp
