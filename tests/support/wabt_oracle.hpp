// libwabt (1.0.32) as an oracle for wisp's own validator: its binary reader and validator with
// WebAssembly 2.0's features plus the proposals asked for, on a big stack (it recurses once per
// nesting level). Used by the differential tests (compile/front_conformance_test.cpp) and the
// front-end benchmark; nothing in src/ reads a binary module with libwabt.
//
// libwabt 1.0.32 aborts on an assertion on some constant expressions (a `block` in a global
// initialiser, an initialiser cut off by its section's end), so the oracle looks at them first
// and refuses those itself: such modules are invalid, and a test must never abort on one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "compile/big_stack.hpp"
#include "compile/front/module_decl.hpp"
#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/error.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/validator.h"
#include "wisp/error.hpp"

namespace wisp::test {

// libwabt's features for WebAssembly 2.0 plus `extra`.
inline wabt::Features wabt_features(detail::front::FeatureSet extra = {}) {
  using detail::front::Feature;
  wabt::Features f;
  f.disable_simd();
  f.disable_exceptions();
  f.disable_threads();
  f.disable_tail_call();
  f.disable_multi_memory();
  f.disable_memory64();
  f.disable_extended_const();
  f.disable_relaxed_simd();
  f.disable_function_references();
  f.disable_gc();
  f.disable_annotations();
  f.disable_code_metadata();
  f.enable_mutable_globals();
  f.enable_sat_float_to_int();
  f.enable_sign_extension();
  f.enable_multi_value();
  f.enable_bulk_memory();
  f.enable_reference_types();
  if (extra.has(Feature::simd)) f.enable_simd();
  if (extra.has(Feature::relaxed_simd)) f.enable_relaxed_simd();
  if (extra.has(Feature::threads)) f.enable_threads();
  if (extra.has(Feature::tail_call)) f.enable_tail_call();
  if (extra.has(Feature::exceptions)) f.enable_exceptions();
  if (extra.has(Feature::multi_memory)) f.enable_multi_memory();
  if (extra.has(Feature::memory64)) f.enable_memory64();
  if (extra.has(Feature::extended_const)) f.enable_extended_const();
  return f;
}

namespace wabt_guard {

// A cursor over the raw bytes that gives up (false) on truncation.
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
  bool skip(uint64_t n) {
    if (end - pos < n) return false;
    pos += n;
    return true;
  }
  // One constant expression up to its `end`; throws CompileError on an instruction that cannot
  // appear in one.
  bool const_expr() {
    for (;;) {
      size_t at = pos;
      uint8_t op;
      uint64_t v;
      if (!byte(op)) return false;
      switch (op) {
        case 0x0b:  // end
          return true;
        case 0x41:  // i32.const
        case 0x42:  // i64.const
        case 0x23:  // global.get
        case 0xd2:  // ref.func
          if (!leb(v)) return false;
          break;
        case 0x43:  // f32.const
          if (!skip(4)) return false;
          break;
        case 0x44:  // f64.const
          if (!skip(8)) return false;
          break;
        case 0xd0:  // ref.null t
          if (!skip(1)) return false;
          break;
        case 0x6a:  // extended-const: i32.add, sub, mul, i64.add, sub, mul
        case 0x6b:
        case 0x6c:
        case 0x7c:
        case 0x7d:
        case 0x7e:
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

inline bool globals(Cursor c) {
  uint64_t n;
  if (!c.leb(n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t type, mut;
    if (!c.byte(type) || !c.byte(mut)) return false;
    if (!c.const_expr()) throw CompileError("global initializer is not terminated by end", c.pos);
  }
  return true;
}

inline bool datas(Cursor c) {
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

inline bool elems(Cursor c) {
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

// Throws CompileError on a constant expression libwabt might abort on; leaves anything
// malformed to libwabt.
inline void check_const_exprs(std::span<const uint8_t> bytes) {
  Cursor top{bytes, 8, bytes.size()};
  while (top.pos < top.end) {
    uint8_t id;
    uint64_t size;
    if (!top.byte(id) || !top.leb(size) || size > top.end - top.pos) return;
    Cursor section{bytes, top.pos, top.pos + static_cast<size_t>(size)};
    if (id == 6) globals(section);
    if (id == 9) elems(section);
    if (id == 11) datas(section);
    top.pos += size;
  }
}

}  // namespace wabt_guard

struct WabtVerdict {
  bool ok = false;
  std::string message;  // why it was refused
  size_t offset = CompileError::npos;
};

// libwabt's verdict on `bytes` with WebAssembly 2.0 plus `extra`.
inline WabtVerdict wabt_validate(std::span<const uint8_t> bytes,
                                 detail::front::FeatureSet extra = {}) {
  try {
    wabt_guard::check_const_exprs(bytes);
  } catch (const CompileError& e) {
    return {false, e.what(), e.offset()};
  }
  WabtVerdict v;
  detail::on_big_stack([&] {
    wabt::Features f = wabt_features(extra);
    wabt::Module m;
    wabt::Errors errors;
    wabt::ReadBinaryOptions options(f, nullptr, /*read_debug_names=*/false,
                                    /*stop_on_first_error=*/true,
                                    /*fail_on_custom_section_error=*/true);
    v.ok = wabt::Succeeded(wabt::ReadBinaryIr("module.wasm", bytes.data(), bytes.size(), options,
                                              &errors, &m)) &&
           wabt::Succeeded(wabt::ValidateModule(&m, &errors, wabt::ValidateOptions(f)));
    if (!v.ok) {
      v.message = errors.empty() ? "invalid module" : errors.front().message;
      if (!errors.empty() && errors.front().loc.offset != wabt::kInvalidOffset)
        v.offset = errors.front().loc.offset;
    }
  });
  return v;
}

}  // namespace wisp::test
