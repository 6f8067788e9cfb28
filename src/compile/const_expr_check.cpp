// Checks the shape of constant expressions in the raw bytes before libwabt reads them: wabt
// 1.0.32 aborts on an assertion for some non-constant instructions there (e.g. a block in a
// global initializer), and a hostile module must get a CompileError, never an abort.
#include <string>

#include "compile/wabt_front.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

// A cursor that gives up (returns false) on truncation: wabt reports malformed bytes itself.
struct Cursor {
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

bool check_globals(Cursor c) {
  uint64_t n;
  if (!c.leb(n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t type, mut;
    if (!c.byte(type) || !c.byte(mut)) return false;
    // wabt 1.0.32 aborts on an initializer cut off by the section's end: reject it here.
    if (!c.const_expr()) throw CompileError("global initializer is not terminated by end", c.pos);
  }
  return true;
}

bool check_data(Cursor c) {
  uint64_t n, flags, v;
  if (!c.leb(n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    if (!c.leb(flags)) return false;
    if (flags == 2 && !c.leb(v)) return false;
    if ((flags == 0 || flags == 2) && !c.const_expr()) return false;
    if (flags > 2) return false;
    if (!c.leb(v) || !c.skip(v)) return false;
  }
  return true;
}

bool check_elems(Cursor c) {
  uint64_t n, flags, v;
  uint8_t kind;
  if (!c.leb(n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    if (!c.leb(flags) || flags > 7) return false;
    if ((flags == 2 || flags == 6) && !c.leb(v)) return false;  // table index
    if ((flags & 1) == 0 && !c.const_expr()) return false;      // active: offset
    if ((flags & 3) != 0 && !c.byte(kind)) return false;        // elemkind / reftype
    if (flags & 4) {
      if (!c.vec_exprs()) return false;
    } else if (!c.vec_skip_leb()) {
      return false;
    }
  }
  return true;
}

}  // namespace

void check_const_exprs(std::span<const uint8_t> bytes) {
  Cursor top{bytes, 8, bytes.size()};
  while (top.pos < top.end) {
    uint8_t id;
    uint64_t size;
    if (!top.byte(id) || !top.leb(size) || size > top.end - top.pos) return;
    Cursor section{bytes, top.pos, top.pos + static_cast<size_t>(size)};
    if (id == 6) check_globals(section);
    if (id == 9) check_elems(section);
    if (id == 11) check_data(section);
    top.pos += size;
  }
}

}  // namespace wisp::detail
