// The spec test suite's `spectest` host module: print functions, globals, a table and a memory.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "wisp/engine.hpp"
#include "wisp/instance.hpp"
#include "wisp/linker.hpp"
#include "wisp/template.hpp"

namespace wisp::spectest {

// WAT text -> binary module through libwabt. Throws CompileError with wabt's messages.
std::vector<uint8_t> wat_to_binary(std::string_view wat);

// Defines "spectest" in `linker`: print, print_i32, print_i64, print_f32, print_f64,
// print_i32_f32, print_f64_f64 (host functions; they print when `verbose`), global_i32 = 666,
// global_i64 = 666, global_f32 = 666.6, global_f64 = 666.6, table (10..20 funcref), memory (1..2).
// Returns the instance that owns the globals, table and memory (keep it alive).
Instance define_spectest(Engine& engine, Linker& linker, const TemplateOptions& options,
                         bool verbose);

}  // namespace wisp::spectest
