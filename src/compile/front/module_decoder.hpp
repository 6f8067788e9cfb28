// wisp's own module decoder: reads a binary module's header and sections into a ModuleDecl and
// validates everything but the instructions of function bodies (those stay bytes, located by
// ModuleDecl::bodies, for the function validator). One pass over the bytes, linear time and
// memory in the module's size; every error is a CompileError with the byte offset, and a module
// that needs a proposal that is not enabled gets a FeatureRefused naming it.
#pragma once

#include <cstdint>
#include <span>

#include "compile/front/module_decl.hpp"

namespace wisp::detail::front {

// Implementation limits on what a module declares (hostile input gets a CompileError naming the
// limit): types, functions (imported and defined), imports, exports, globals, tables, memories,
// tags, element and data segments, each at most kMaxDeclItems; parameters and results of a
// function type each at most kMaxTypeArity.
inline constexpr uint32_t kMaxDeclItems = 1'000'000;
inline constexpr uint32_t kMaxTypeArity = 1'000;

// Decodes and validates a module's declarations with the proposals in `enabled` (WebAssembly
// 2.0 is always on). Throws CompileError (malformed or invalid), or FeatureRefused (a proposal
// that is not enabled, or that wisp cannot represent yet: GC, typed function references, stack
// switching, custom page sizes, components).
ModuleDecl decode_module(std::span<const uint8_t> bytes, FeatureSet enabled);

}  // namespace wisp::detail::front
