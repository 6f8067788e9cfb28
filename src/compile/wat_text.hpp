// WebAssembly text: the nesting check run before libwabt's recursive parser (wat_to_wasm, declared
// in wisp/engine.hpp, defined in wat_text.cpp).
#pragma once

#include <cstddef>
#include <string_view>

namespace wisp::detail {

// Throws CompileError unless WAT text nests (parentheses plus open block/loop/if/try keywords)
// at most kMaxWatNesting deep: libwabt's text parser recurses once per level.
inline constexpr size_t kMaxWatNesting = 20064;
void check_wat_nesting(std::string_view text);

}  // namespace wisp::detail
