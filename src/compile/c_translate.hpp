// A validated module's C, by wisp's own emitter (emit/), for the callers that hold its bytes or
// its declarations.
#pragma once

#include <cstdint>
#include <span>

#include "compile/emit/c_module.hpp"
#include "compile/front/module_decl.hpp"

namespace wisp::detail {

// The module's C (validated declarations `decl`), within its C budget (emit::c_budget).
emit::CModule translate_own(const front::ModuleDecl& decl, std::span<const uint8_t> bytes,
                            bool consume_fuel);

// Validates the module's bytes again and translates them (when the C was not kept).
// `features`: the proposals they validated with.
emit::CModule translate_bytes_to_c(std::span<const uint8_t> bytes, front::FeatureSet features,
                                   bool consume_fuel);

}  // namespace wisp::detail
