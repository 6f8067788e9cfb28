// libwabt front end: read + validate bytes into wabt IR with the supported feature set, and
// name the unsupported feature a failing module uses.
#pragma once

#include <cstdint>
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

// Throws CompileError (with byte offset and wabt's message, or naming an unsupported feature).
std::unique_ptr<wabt::Module> read_and_validate(std::span<const uint8_t> bytes);

}  // namespace wisp::detail
