// Fills ModuleImpl's interface and facts from the declarations of wisp's own front end.
#pragma once

#include <cstdint>
#include <span>

#include "compile/front/module_decl.hpp"
#include "compile/module_impl.hpp"

namespace wisp::detail {

// Fills imports, exports, features, sections, start (and its synthetic export number), the
// active data segments and memory0_import. `m` must come from front::validate_module(bytes).
void fill_module_info(const front::ModuleDecl& m, std::span<const uint8_t> bytes, ModuleImpl& out);

}  // namespace wisp::detail
