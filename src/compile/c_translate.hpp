// Translation of a validated module to C: wabt's C writer plus the wisp glue, as one source.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "compile/emit/c_module.hpp"
#include "compile/front/module_decl.hpp"
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

// Splits the output of translate_to_c into translation units for a parallel tier-1 build linked
// into one shared object: unit 0 is the prelude (types, prototypes, initialisers) with the exports,
// instantiation and glue; each further unit is the prelude with a run of consecutive function
// definitions of about `unit_bytes`. The functions and func_types lose `static` (the build's
// -fvisibility=hidden keeps them inside the object). Returns the source whole (one unit) when it
// is at most 2 * unit_bytes, when unit_bytes is 0, or when the C writer's output does not have
// exactly the expected shape.
std::vector<std::string> split_translation_units(const std::string& c, size_t unit_bytes);

// Re-reads the module's bytes and translates them (when the C was not kept), with wisp's own
// front end if `own_front_end`, else libwabt's.
emit::CModule translate_bytes_to_c(std::span<const uint8_t> bytes, bool consume_fuel,
                                   bool own_front_end = true);

// wisp's own C emitter: the module's C (validated declarations `decl`).
emit::CModule translate_own(const front::ModuleDecl& decl, std::span<const uint8_t> bytes,
                            bool consume_fuel);

// The translation units of a tier-1 build: the emitter's own split (CModule::units), or for
// libwabt's C (no function boundaries recorded) split_translation_units.
std::vector<std::string> translation_units(const emit::CModule& c, size_t unit_bytes);

}  // namespace wisp::detail
