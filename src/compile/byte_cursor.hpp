// A cursor over a module's bytes for the pre-passes that run before or instead of libwabt
// (constant-expression checks, data segment ranges): it gives up (returns false) on truncation,
// and throws CompileError on an instruction that cannot appear in a constant expression.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "wisp/error.hpp"

namespace wisp::detail {

struct ByteCursor {
  std::span<const uint8_t> b;
  size_t pos;
  size_t end;

  bool byte(uint8_t& out) {
    if (pos >= end) return false;
    out = b[pos++];
    return true;
  }
  bool leb(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      uint8_t x;
      if (!byte(x)) return false;
      if (shift < 64) out |= uint64_t(x & 0x7f) << shift;
      if (!(x & 0x80)) return true;
    }
    return false;
  }
  bool skip(size_t n) {
    if (end - pos < n) return false;
    pos += n;
    return true;
  }
  // One constant expression up to its `end`. Throws on an instruction that cannot appear in one.
  // clang-format off
  bool const_expr() {
    for (;;) {
      size_t at = pos;
      uint8_t op;
      uint64_t v;
      if (!byte(op)) return false;
      switch (op) {
        case 0x0b: return true;                                    // end
        case 0x41: case 0x42: case 0x23: case 0xd2:                // i32/i64.const, global.get, ref.func
          if (!leb(v)) return false;
          break;
        case 0x43: if (!skip(4)) return false; break;              // f32.const
        case 0x44: if (!skip(8)) return false; break;              // f64.const
        case 0xd0: if (!skip(1)) return false; break;              // ref.null t
        case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e:  // extended-const
          break;
        default:
          throw CompileError("constant expression required (opcode 0x" +
                                 std::string(1, "0123456789abcdef"[op >> 4]) +
                                 std::string(1, "0123456789abcdef"[op & 15]) + ")",
                             at);
      }
    }
  }
  // clang-format on
  bool vec_skip_leb() {
    uint64_t n, v;
    if (!leb(n)) return false;
    for (uint64_t i = 0; i < n; ++i)
      if (!leb(v)) return false;
    return true;
  }
  bool vec_exprs() {
    uint64_t n;
    if (!leb(n)) return false;
    for (uint64_t i = 0; i < n; ++i)
      if (!const_expr()) return false;
    return true;
  }
};

}  // namespace wisp::detail
