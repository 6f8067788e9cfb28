// Translation of a validated module to C: wabt's C writer plus the wisp glue, as one source.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "compile/module_impl.hpp"

namespace wabt {
struct Module;
}

namespace wisp::detail {

// Rewrites `ir` (active data segments become dropped passive ones applied by the runtime,
// the start function becomes the synthetic export number exports.size(), names become C-safe,
// and with `consume_fuel` the code is fuel-metered: see fuel_instrument.hpp), runs the C writer
// and appends the glue. Returns one self-contained C translation unit.
std::string translate_to_c(wabt::Module& ir, bool consume_fuel);

// Re-reads the module's bytes and translates them (when the C was not kept).
std::string translate_bytes_to_c(std::span<const uint8_t> bytes, bool consume_fuel);

}  // namespace wisp::detail
