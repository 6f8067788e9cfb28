// Translation of a validated module to C: wabt's C writer plus the wisp glue, as one source.
#pragma once

#include <string>

#include "compile/module_impl.hpp"

namespace wabt {
struct Module;
}

namespace wisp::detail {

// Rewrites `ir` (active data segments become dropped passive ones applied by the runtime,
// the start function becomes a synthetic export, names become C-safe), runs the C writer and
// appends the glue. Fills info.start_export. Returns one self-contained C translation unit.
std::string translate_to_c(wabt::Module& ir, ModuleImpl& info);

}  // namespace wisp::detail
