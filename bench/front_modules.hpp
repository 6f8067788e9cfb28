// Generated modules for the front-end benchmarks (bench_front.cpp), written as bytes: straight-line
// arithmetic in many functions, one function of deeply nested blocks (the same operators), many
// small functions, many globals. Deterministic (a fixed pseudo-random sequence), valid
// WebAssembly 2.0.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "support/binary.hpp"

namespace wisp::bench::front_gen {

using test::Bytes;
using test::put_leb;
using test::put_name;
using test::put_section;

inline void put_sleb(Bytes& out, int64_t v) {
  for (;;) {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    out.push_back(done ? byte : byte | 0x80);
    if (done) return;
  }
}

// xorshift64: the same sequence on every run.
struct Rng {
  uint64_t s = 0x9e3779b97f4a7c15ull;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<uint32_t>(s >> 11);
  }
};

namespace op {
inline constexpr uint8_t block = 0x02, end = 0x0b, br_if = 0x0d, br_table = 0x0e, call = 0x10;
inline constexpr uint8_t local_get = 0x20, local_set = 0x21, local_tee = 0x22, global_get = 0x23;
inline constexpr uint8_t i32_load = 0x28, i32_store = 0x36;
inline constexpr uint8_t i32_const = 0x41, i64_const = 0x42, f32_const = 0x43, f64_const = 0x44;
inline constexpr uint8_t i32_add = 0x6a, i32_sub = 0x6b, i32_mul = 0x6c, i32_and = 0x71;
inline constexpr uint8_t i32_xor = 0x73, i32_rotl = 0x77, i64_mul = 0x7e, f64_mul = 0xa2;
inline constexpr uint8_t i32_wrap_i64 = 0xa7, i64_extend_i32_u = 0xad, f64_convert_i32_s = 0xb7;
inline constexpr uint8_t i64_reinterpret_f64 = 0xbd;
}  // namespace op

// One step of straight-line arithmetic over the i32 on top of the stack (it stays the only value
// the step leaves): locals 0 and 1 are i32 params, local 2 an i32 local; memory 0 exists.
inline void arithmetic_step(Bytes& b, Rng& rng) {
  uint32_t r = rng.next();
  switch (r % 10) {
    case 0:
      b.insert(b.end(), {op::local_get, 1, op::i32_add});
      break;
    case 1:
      b.push_back(op::i32_const);
      put_sleb(b, static_cast<int32_t>(r >> 8) | 1);
      b.push_back(op::i32_mul);
      break;
    case 2:
      b.push_back(op::i32_const);
      put_sleb(b, static_cast<int32_t>(r >> 20));
      b.push_back(op::i32_xor);
      break;
    case 3:
      b.insert(b.end(), {op::local_tee, 2});
      break;
    case 4:
      b.insert(b.end(), {op::i32_const, static_cast<uint8_t>((r >> 8) & 31), op::i32_rotl});
      break;
    case 5:
      b.insert(b.end(), {op::i64_extend_i32_u, op::i64_const});
      put_sleb(b, static_cast<int64_t>(r) * 2654435761);
      b.insert(b.end(), {op::i64_mul, op::i32_wrap_i64});
      break;
    case 6: {
      b.insert(b.end(), {op::f64_convert_i32_s, op::f64_const});
      double x = 1.0 + static_cast<double>(r % 1000) / 1000.0;
      const auto* p = reinterpret_cast<const uint8_t*>(&x);
      b.insert(b.end(), p, p + 8);
      b.insert(b.end(), {op::f64_mul, op::i64_reinterpret_f64, op::i32_wrap_i64});
      break;
    }
    case 7:  // a load from the value masked into the first page
      b.push_back(op::i32_const);
      put_sleb(b, 0xfffc);
      b.insert(b.end(), {op::i32_and, op::i32_load, 2});
      put_leb(b, (r >> 8) & 0xfc);
      break;
    case 8:  // a store of the value, then the value again
      b.insert(b.end(), {op::local_set, 1, op::i32_const});
      put_sleb(b, (r >> 8) & 0xfffc);
      b.insert(b.end(), {op::local_get, 1, op::i32_store, 2, 0, op::local_get, 1});
      break;
    default:
      b.insert(b.end(), {op::local_get, 2, op::i32_sub});
      break;
  }
}

// A function body (locals and code, without its size) from its code.
inline Bytes body_with_locals(const Bytes& code, uint32_t i32_locals) {
  Bytes b;
  if (i32_locals == 0) {
    b.push_back(0);
  } else {
    b.insert(b.end(), {1});
    put_leb(b, i32_locals);
    b.push_back(0x7f);
  }
  b.insert(b.end(), code.begin(), code.end());
  return b;
}

inline void put_code_section(Bytes& module, const std::vector<Bytes>& bodies) {
  Bytes code;
  put_leb(code, bodies.size());
  for (const Bytes& body : bodies) {
    put_leb(code, body.size());
    code.insert(code.end(), body.begin(), body.end());
  }
  put_section(module, 10, code);
}

// The type section: type 0 (i32 i32) -> i32, type 1 (i32) -> i32.
inline Bytes type_section() {
  return {2, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 0x60, 1, 0x7f, 1, 0x7f};
}

// Type, function (all of `type`), memory (one page, if `memory`) and export (function 0 as
// `name`) sections, in order; the code section follows.
inline Bytes module_head(uint32_t funcs, uint8_t type, bool memory, const std::string& name) {
  Bytes m = test::wasm_header();
  put_section(m, 1, type_section());
  Bytes fs;
  put_leb(fs, funcs);
  fs.insert(fs.end(), funcs, type);
  put_section(m, 3, fs);
  if (memory) put_section(m, 5, {1, 0, 1});
  Bytes ex;
  put_leb(ex, 1);
  put_name(ex, name);
  ex.insert(ex.end(), {0, 0});
  put_section(m, 7, ex);
  return m;
}

// `funcs` functions (i32 i32) -> i32 of `steps` arithmetic steps each.
inline Bytes flat(uint32_t funcs, uint32_t steps) {
  Rng rng;
  std::vector<Bytes> bodies;
  for (uint32_t f = 0; f < funcs; ++f) {
    Bytes code = {op::local_get, 0};
    for (uint32_t s = 0; s < steps; ++s) arithmetic_step(code, rng);
    code.push_back(op::end);
    bodies.push_back(body_with_locals(code, 1));
  }
  Bytes m = module_head(funcs, 0, true, "f0");
  put_code_section(m, bodies);
  return m;
}

// One function (i32 i32) -> i32 of `depth` nested blocks: the innermost a br_table over
// `targets` labels (at most `depth`), then at each level's end `steps` arithmetic steps on
// local 1 and a br_if outwards.
inline Bytes nested(uint32_t depth, uint32_t steps, uint32_t targets = 16) {
  Rng rng;
  Bytes code;
  for (uint32_t d = 0; d < depth; ++d) code.insert(code.end(), {op::block, 0x40});
  code.insert(code.end(), {op::local_get, 0, op::br_table});
  put_leb(code, targets);
  for (uint32_t l = 0; l < targets; ++l) put_leb(code, l);
  code.push_back(0);
  for (uint32_t d = 0; d < depth; ++d) {
    code.push_back(op::end);
    uint32_t blocks_left = depth - d - 1;  // the function's own frame not counted
    code.insert(code.end(), {op::local_get, 1});
    for (uint32_t s = 0; s < steps; ++s) arithmetic_step(code, rng);
    code.insert(code.end(), {op::local_set, 1});
    if (blocks_left > 0) {
      code.insert(code.end(), {op::local_get, 0, op::br_if});
      put_leb(code, d % std::min<uint32_t>(blocks_left, 3));
    }
  }
  code.insert(code.end(), {op::local_get, 1, op::end});
  Bytes m = module_head(1, 0, true, "nested");
  put_code_section(m, {body_with_locals(code, 1)});
  return m;
}

// `funcs` functions (i32) -> i32 of a few bytes each; every eighth calls its predecessor.
inline Bytes small_functions(uint32_t funcs) {
  Rng rng;
  std::vector<Bytes> bodies;
  bodies.reserve(funcs);
  for (uint32_t f = 0; f < funcs; ++f) {
    Bytes code = {0, op::local_get, 0};
    if (f > 0 && f % 8 == 0) {
      code.push_back(op::call);
      put_leb(code, f - 1);
    }
    code.push_back(op::i32_const);
    put_sleb(code, static_cast<int32_t>(rng.next() % 300));
    code.insert(code.end(), {op::i32_add, op::end});
    bodies.push_back(std::move(code));
  }
  Bytes m = module_head(funcs, 1, false, "f0");
  put_code_section(m, bodies);
  return m;
}

// `count` globals of the four number types, every other one mutable, every hundredth exported;
// one function reads the last i32 global.
inline Bytes globals(uint32_t count) {
  Rng rng;
  Bytes m = test::wasm_header();
  put_section(m, 1, {1, 0x60, 0, 1, 0x7f});
  put_section(m, 3, {1, 0});
  Bytes gs;
  put_leb(gs, count);
  uint32_t last_i32 = 0;
  for (uint32_t g = 0; g < count; ++g) {
    uint32_t r = rng.next();
    bool mut = g % 2;
    switch (g % 4) {
      case 0:
        gs.insert(gs.end(), {0x7f, mut, op::i32_const});
        put_sleb(gs, static_cast<int32_t>(r));
        last_i32 = g;
        break;
      case 1:
        gs.insert(gs.end(), {0x7e, mut, op::i64_const});
        put_sleb(gs, static_cast<int64_t>(r) << 20);
        break;
      case 2: {
        gs.insert(gs.end(), {0x7d, mut, op::f32_const});
        float x = static_cast<float>(r % 100000) / 7.0f;
        const auto* p = reinterpret_cast<const uint8_t*>(&x);
        gs.insert(gs.end(), p, p + 4);
        break;
      }
      default: {
        gs.insert(gs.end(), {0x7c, mut, op::f64_const});
        double x = static_cast<double>(r) / 3.0;
        const auto* p = reinterpret_cast<const uint8_t*>(&x);
        gs.insert(gs.end(), p, p + 8);
        break;
      }
    }
    gs.push_back(op::end);
  }
  put_section(m, 6, gs);
  Bytes ex;
  uint32_t exports = (count + 99) / 100;
  put_leb(ex, exports + 1);
  for (uint32_t g = 0; g < count; g += 100) {
    put_name(ex, "g" + std::to_string(g));
    ex.push_back(3);
    put_leb(ex, g);
  }
  put_name(ex, "get");
  ex.insert(ex.end(), {0, 0});
  put_section(m, 7, ex);
  Bytes code = {op::global_get};
  put_leb(code, last_i32);
  code.push_back(op::end);
  put_code_section(m, {body_with_locals(code, 0)});
  return m;
}

// The size of the first section with id `id` (0 if none).
inline size_t section_size(const Bytes& module, uint8_t id) {
  size_t pos = 8;
  while (pos < module.size()) {
    uint8_t sid = module[pos++];
    uint64_t size = 0;
    for (int shift = 0; pos < module.size(); shift += 7) {
      uint8_t b = module[pos++];
      size |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (sid == id) return size;
    pos += size;
  }
  return 0;
}

}  // namespace wisp::bench::front_gen
