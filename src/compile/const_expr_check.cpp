// Checks the shape of constant expressions in the raw bytes before libwabt reads them: wabt
// 1.0.32 aborts on an assertion for some non-constant instructions there (e.g. a block in a
// global initializer), and a hostile module must get a CompileError, never an abort.
#include <string>

#include "compile/byte_cursor.hpp"
#include "compile/wabt_front.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

bool check_globals(ByteCursor c) {
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

bool check_data(ByteCursor c) {
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

bool check_elems(ByteCursor c) {
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
  ByteCursor top{bytes, 8, bytes.size()};
  while (top.pos < top.end) {
    uint8_t id;
    uint64_t size;
    if (!top.byte(id) || !top.leb(size) || size > top.end - top.pos) return;
    ByteCursor section{bytes, top.pos, top.pos + static_cast<size_t>(size)};
    if (id == 6) check_globals(section);
    if (id == 9) check_elems(section);
    if (id == 11) check_data(section);
    top.pos += size;
  }
}

}  // namespace wisp::detail
