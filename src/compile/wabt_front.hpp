// libwabt front end: read + validate bytes into wabt IR with the supported feature set, and
// name the unsupported feature a failing module uses.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace wabt {
struct Module;
}

namespace wisp::detail {

// Rejects non-constant instructions in constant expressions (raw bytes), before libwabt sees them.
void check_const_exprs(std::span<const uint8_t> bytes);

// Runs `fn` on a thread with a 256 MiB stack (libwabt recurses once per nesting level) and
// rethrows what it throws (engine.cpp).
void on_big_stack(const std::function<void()>& fn);

// Throws CompileError unless WAT text nests (parentheses plus open block/loop/if/try keywords)
// at most kMaxWatNesting deep: libwabt's text parser recurses once per level.
inline constexpr size_t kMaxWatNesting = 20064;
void check_wat_nesting(std::string_view text);

// Throws CompileError (with byte offset and wabt's message, or naming an unsupported feature).
std::unique_ptr<wabt::Module> read_and_validate(std::span<const uint8_t> bytes);

// Reads bytes known to be valid (they passed read_and_validate before: the tier-1 cache key is
// their SHA-256) without validating them again; function bodies only if `bodies` (the
// declarations, segments and exports are all instantiation needs). Throws CompileError.
std::unique_ptr<wabt::Module> read_trusted(std::span<const uint8_t> bytes, bool bodies);

}  // namespace wisp::detail
