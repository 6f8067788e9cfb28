// Nesting limits checked on the raw bytes before libwabt builds its IR (whose destructor and C
// writer recurse once per nesting level, and whose C output grows with the square of if/loop
// depth).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace wabt {
class Features;
}

namespace wisp::detail {

// Blocks, loops, ifs and trys open at once in one function body.
inline constexpr size_t kMaxNesting = 10000;
// Ifs, loops and trys open at once: each level indents every line the C writer emits inside it
// by two more spaces, so its C grows with the square of this depth (measured with wabt 1.0.32:
// 1,000 nested ifs → 3 MB of C, 2,000 → 12 MB, 4,000 → 48 MB, 10,000 → 300 MB).
inline constexpr size_t kMaxIndentNesting = 2000;
// Budget for that indentation over the whole module (estimated as two spaces per open if/loop/
// try for every instruction): 16 MiB plus 64 bytes per module byte. Ordinary code stays far
// below (average if/loop depth under 10); deep nesting with a long body inside is rejected.
inline constexpr size_t kIndentBudgetBase = 16u << 20;
inline constexpr size_t kIndentBudgetPerByte = 64;

// Reads the code section with `features` (the same decoding as the IR reader that follows) and
// throws CompileError, with the offset of the offending instruction, when a limit is exceeded.
// Malformed bytes are left to the IR reader to report.
void check_nesting(std::span<const uint8_t> bytes, const wabt::Features& features);

}  // namespace wisp::detail
