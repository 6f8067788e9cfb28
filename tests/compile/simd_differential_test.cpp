// SIMD: every operator (but memory accesses, which the spec corpus covers) gives the same bits on
// tier 0 (libtcc's lane loops) and tier 1 (cc's vector code and SSE builtins) for random and edge
// inputs: NaNs of every kind, signed zeros, infinities, integer and float extremes, conversion
// boundaries. Where float results differ, both must be NaNs (the spec lets the payload differ).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "compile/front/opcodes.hpp"
#include "support/binary.hpp"
#include "support/fixture.hpp"
#include "support/rng.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

namespace front = detail::front;

// One exported function: its operator, immediates and signature letters.
struct Case {
  const front::OpInfo* op;
  std::string name;        // export name
  std::string params;      // signature letters: v i I f F
  char result = 0;         // 0: none
  uint8_t lane = 0;        // Lane immediate
  uint8_t lanes[16] = {};  // Shuffle immediate
};

uint8_t type_byte(char c) {
  switch (c) {
    case 'i':
      return 0x7f;
    case 'I':
      return 0x7e;
    case 'f':
      return 0x7d;
    case 'F':
      return 0x7c;
    default:
      return 0x7b;
  }
}

unsigned lane_count(const char* text) {
  return text[1] == '8' ? 16 : text[1] == '1' ? 8 : text[1] == '3' ? 4 : 2;
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  const uint8_t kShuffles[][16] = {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
                                   {15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
                                   {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23},
                                   {31, 0, 30, 1, 29, 2, 28, 3, 27, 4, 26, 5, 25, 6, 24, 7},
                                   {4, 5, 6, 7, 4, 5, 6, 7, 20, 21, 22, 23, 20, 21, 22, 23}};
  for (uint32_t sub = 0; sub <= 0x113; ++sub) {
    const front::OpInfo* op = front::find_op((uint32_t{0xfd} << 16) | sub);
    if (!op || op->imm == front::Imm::Memarg || op->imm == front::Imm::MemargLane ||
        op->imm == front::Imm::V128)
      continue;
    Case c;
    c.op = op;
    const char* arrow = std::strchr(op->sig, '>');
    c.params.assign(op->sig, arrow);
    c.result = arrow[1];
    if (op->imm == front::Imm::Lane) {
      for (uint8_t lane : {uint8_t{0}, static_cast<uint8_t>(lane_count(op->text) - 1)}) {
        c.lane = lane;
        c.name = std::string(op->text) + "/" + std::to_string(lane);
        cases.push_back(c);
      }
    } else if (op->imm == front::Imm::Shuffle) {
      for (size_t k = 0; k < std::size(kShuffles); ++k) {
        std::memcpy(c.lanes, kShuffles[k], 16);
        c.name = std::string(op->text) + "/" + std::to_string(k);
        cases.push_back(c);
      }
    } else {
      c.name = op->text;
      cases.push_back(c);
    }
  }
  return cases;
}

// A module exporting one function per case (type per case, body: the params, the operator).
Bytes build_module(const std::vector<Case>& cases) {
  Bytes types, funcs, exports, code;
  put_leb(types, cases.size());
  put_leb(funcs, cases.size());
  put_leb(exports, cases.size());
  put_leb(code, cases.size());
  for (uint32_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    types.push_back(0x60);
    put_leb(types, c.params.size());
    for (char p : c.params) types.push_back(type_byte(p));
    put_leb(types, 1);
    types.push_back(type_byte(c.result));
    put_leb(funcs, i);
    put_name(exports, c.name);
    exports.push_back(0x00);
    put_leb(exports, i);
    Bytes body{0x00};  // no locals
    for (uint32_t p = 0; p < c.params.size(); ++p) {
      body.push_back(0x20);
      put_leb(body, p);
    }
    body.push_back(0xfd);
    put_leb(body, c.op->code & 0xffff);
    if (c.op->imm == front::Imm::Lane) body.push_back(c.lane);
    if (c.op->imm == front::Imm::Shuffle) body.insert(body.end(), c.lanes, c.lanes + 16);
    body.push_back(0x0b);
    put_leb(code, body.size());
    code.insert(code.end(), body.begin(), body.end());
  }
  return module_with({{1, types}, {3, funcs}, {7, exports}, {10, code}});
}

// Edge values of one lane of `bits` bits, as float or integer patterns.
uint64_t edge_lane(Rng& rng, unsigned bits) {
  static const uint32_t k32[] = {0,          0x80000000, 0x7fc00000, 0xffc00000, 0x7fa00000,
                                 0x7f800000, 0xff800000, 0x3f800000, 0xbfc00000, 0x4f000000,
                                 0xcf000000, 0x4f800000, 0x00000001, 0x807fffff, 0x7fffffff,
                                 0xffffffff, 0x3effffff, 0x3f000000, 0x4effffff, 0x7f7fffff};
  static const uint64_t k64[] = {0,
                                 0x8000000000000000ull,
                                 0x7ff8000000000000ull,
                                 0xfff8000000000000ull,
                                 0x7ff4000000000000ull,
                                 0x7ff0000000000000ull,
                                 0xfff0000000000000ull,
                                 0x3ff0000000000000ull,
                                 0x41e0000000000000ull,
                                 0xc1e0000000000000ull,
                                 0x41f0000000000000ull,
                                 0x41dfffffffc00000ull,
                                 0x0000000000000001ull,
                                 0x7fffffffffffffffull,
                                 0xffffffffffffffffull,
                                 0x3fe0000000000000ull,
                                 0x47efffffe0000000ull};
  if (bits == 32) return k32[rng.below(std::size(k32))];
  if (bits == 64) return k64[rng.below(std::size(k64))];
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  const uint64_t ints[] = {0, 1, mask, mask >> 1, (mask >> 1) + 1, 2, mask - 1};
  return ints[rng.below(std::size(ints))];
}

uint64_t scalar_arg(Rng& rng, unsigned bits) {
  uint64_t v = rng.chance(50) ? rng.next() : edge_lane(rng, bits);
  return bits == 64 ? v : v & 0xffffffffu;
}

V128 vector_arg(Rng& rng) {
  static const unsigned kWidths[] = {8, 16, 32, 64};
  const unsigned bits = kWidths[rng.below(4)];
  V128 v = V128::from_halves(rng.next(), rng.next());
  for (unsigned i = 0; i < 128 / bits; ++i)
    if (rng.chance(60)) v.set_lane(bits, i, edge_lane(rng, bits));
  return v;
}

Value make_arg(Rng& rng, char c) {
  switch (c) {
    case 'i':
      return Value::i32(static_cast<int32_t>(scalar_arg(rng, 32)));
    case 'I':
      return Value::i64(static_cast<int64_t>(scalar_arg(rng, 64)));
    case 'f':
      return Value::f32_bits(static_cast<uint32_t>(scalar_arg(rng, 32)));
    case 'F':
      return Value::f64_bits(scalar_arg(rng, 64));
    default:
      return Value::v128(vector_arg(rng));
  }
}

// The float lane width of a result that may hold NaNs (0: an integer or mask result).
unsigned float_result_bits(const Case& c) {
  if (c.result == 'f') return 32;
  if (c.result == 'F') return 64;
  if (c.result != 'v') return 0;
  const std::string text = c.op->text;
  const bool f32 = text.starts_with("f32x4."), f64 = text.starts_with("f64x2.");
  if (!f32 && !f64) return 0;
  for (const char* cmp : {".eq", ".ne", ".lt", ".gt", ".le", ".ge"})
    if (text.find(cmp) == 5) return 0;
  return f32 ? 32 : 64;
}

bool is_nan(uint64_t bits, unsigned width) {
  return width == 32 ? (bits & 0x7fffffffu) > 0x7f800000u
                     : (bits & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
}

// Equal bits, or NaNs in the same float lanes.
bool same_result(const Case& c, const Value& a, const Value& b, std::string& why) {
  const unsigned fb = float_result_bits(c);
  const unsigned width =
      c.result == 'v' ? (fb ? fb : 64) : (c.result == 'f' || c.result == 'i' ? 32 : 64);
  const unsigned n = c.result == 'v' ? 128 / width : 1;
  for (unsigned i = 0; i < n; ++i) {
    const uint64_t x = c.result == 'v' ? a.as_v128().lane(width, i) : a.bits();
    const uint64_t y = c.result == 'v' ? b.as_v128().lane(width, i) : b.bits();
    if (x == y || (fb && is_nan(x, width) && is_nan(y, width))) continue;
    why = "lane " + std::to_string(i) + ": tier 0 " + std::to_string(x) + ", tier 1 " +
          std::to_string(y);
    return false;
  }
  return true;
}

TEST(SimdDifferential, EveryOperatorGivesTheSameBitsOnBothTiers) {
  const std::vector<Case> cases = all_cases();
  ASSERT_GT(cases.size(), 250u);
  const Bytes bytes = build_module(cases);
  TempDir cache;
  Engine e0(engine_config(Tier::tier0, cache.path()));
  Engine e1(engine_config(Tier::tier1, shared_tier1_cache_or(cache.path())));
  TemplateOptions o0, o1;
  o0.tier = Tier::tier0;
  o1.tier = Tier::tier1;
  Instance t0 = Linker().instantiate(e0.compile(bytes), o0);
  Instance t1 = Linker().instantiate(e1.compile(bytes), o1);
  ASSERT_EQ(t0.tier(), Tier::tier0);
  ASSERT_EQ(t1.tier(), Tier::tier1);
  Rng rng(0x5eed51d);
  int failures = 0;
  for (const Case& c : cases) {
    for (int round = 0; round < 200 && failures < 20; ++round) {
      std::vector<Value> args;
      for (char p : c.params) args.push_back(make_arg(rng, p));
      const Value r0 = t0.call(c.name, args)[0], r1 = t1.call(c.name, args)[0];
      std::string why;
      if (!same_result(c, r0, r1, why)) {
        ADD_FAILURE() << c.name << ": " << why << " (arguments:" << [&] {
          std::string s;
          for (const Value& a : args) s += " " + a.to_string();
          return s;
        }() << ")";
        ++failures;
        break;
      }
    }
  }
}

}  // namespace
}  // namespace wisp::test
