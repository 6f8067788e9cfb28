// The prelude of the C emitter's output: fixed helpers plus the module's declarations (see
// c_prelude.cpp). Every translation unit of a module starts with it.
#pragma once

#include <string>

#include "compile/emit/c_names.hpp"

namespace wisp::detail::emit {

// The instance struct `M` (the layout the descriptor's offsets describe).
std::string instance_struct(const ModuleShape& shape);
// Helpers, multi-value structs, function pointer types, `M`, type ids, prototypes.
std::string prelude(const ModuleShape& shape);
// Its parts: everything but the prototypes; the prototype of import shim `f`; those of the
// segment initialisers (wisp_minit, wisp_tinit).
std::string prelude_common(const ModuleShape& shape);
std::string import_prototype(const ModuleShape& shape, uint32_t f);
std::string segment_prototypes(const ModuleShape& shape);
// The helpers of the threads operators (c_atomics.cpp), in the prelude of modules that use them.
const char* atomics_helpers();

}  // namespace wisp::detail::emit
