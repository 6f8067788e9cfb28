// Limits on what a module may make the translation do, checked on the raw bytes before libwabt
// builds its IR: the IR's destructor and the C writer recurse once per nesting level, and some
// small inputs make wabt's C writer emit enormous C (measured with wabt 1.0.32's wasm2c: 821
// bytes declaring 100 × 50,000 locals → 83 MB of C and 550 MB of memory; 10,000 nested ifs in
// 50 KB → 300 MB; 8 KB of calls between 1,000-value signatures → 36 MB).
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
// by two more spaces, so its C grows with the square of this depth (1,000 nested ifs → 3 MB of
// C, 2,000 → 12 MB, 4,000 → 48 MB, 10,000 → 300 MB).
inline constexpr size_t kMaxIndentNesting = 2000;
// Budget for the C that does not grow with the module's size but with what its bytes declare:
// indentation (2 bytes per open if/loop/try per instruction), each declared local, and each value
// of a signature where the C writer spells it out (function definitions, imports, exports,
// calls, block types, branches carrying values; about 20 bytes each): 16 MiB plus 128 bytes per
// byte of the sections that are translated (all but data and custom sections, which would
// otherwise buy budget for free). Measured estimates: the bench and WASI guests 0.1-1.8 bytes per
// module byte, the spec corpus at most 16.7 (i32.wast: many small exported functions); the
// hostile inputs above 400 to 100,000. WISP_DEBUG_C_ESTIMATE=1 prints a module's estimate.
inline constexpr uint64_t kCBudgetBase = 16u << 20;
inline constexpr uint64_t kCBudgetPerTranslatedByte = 128;

// Reads the module with `features` (the same decoding as the IR reader that follows) and throws
// CompileError, with the offset where a limit was crossed. Malformed bytes are left to the IR
// reader to report.
void check_translation_limits(std::span<const uint8_t> bytes, const wabt::Features& features);

}  // namespace wisp::detail
