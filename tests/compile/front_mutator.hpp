// Test support for the front end's differential test: deterministic mutations of wasm binaries
// that mostly keep the section and function-body sizes right (so that the mutants reach the
// validators rather than the readers): opcode swaps within a signature group, byte changes,
// inserts and deletes, LEB128 overwrites, neutral instructions, longer LEB128 encodings;
// sometimes a raw bit flip, truncation or insert anywhere. The same idea as
// mutation_fuzz_test.cpp's mutators, aimed at validation rather than at crashes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <sstream>
#include <vector>

#include "support/binary.hpp"
#include "support/rng.hpp"

namespace wisp::test::front_mutator {

using wisp::test::Rng;

inline bool read_leb(const Bytes& b, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; pos < b.size() && shift < 64; shift += 7) {
    uint8_t byte = b[pos++];
    v |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

inline Bytes leb(uint64_t v) {
  Bytes out;
  put_leb(out, v);
  return out;
}

inline void splice(Bytes& b, size_t pos, size_t erase, const Bytes& insert) {
  pos = std::min(pos, b.size());
  erase = std::min(erase, b.size() - pos);
  b.erase(b.begin() + static_cast<ptrdiff_t>(pos), b.begin() + static_cast<ptrdiff_t>(pos + erase));
  b.insert(b.begin() + static_cast<ptrdiff_t>(pos), insert.begin(), insert.end());
}

// A span of bytes whose length is recorded in LEB128 size fields (a section, or a function body
// and its section), so that a mutation inside it can keep the sizes consistent.
struct Region {
  size_t start = 0, end = 0;
  std::vector<size_t> size_fields;  // innermost first: positions of the size LEBs to adjust
};

inline std::vector<Region> regions_of(const Bytes& b) {
  std::vector<Region> out;
  size_t pos = 8;
  while (pos < b.size()) {
    uint8_t id = b[pos];
    size_t size_pos = pos + 1, p = size_pos;
    uint64_t size = 0;
    if (!read_leb(b, p, size) || size > b.size() - p) break;
    size_t end = p + static_cast<size_t>(size);
    if (id != 0 && end > p) out.push_back({p, end, {size_pos}});
    if (id == 10) {  // each function body, with its own size field
      uint64_t count = 0;
      size_t q = p;
      if (read_leb(b, q, count)) {
        for (uint64_t i = 0; i < count && q < end; ++i) {
          size_t body_size_pos = q;
          uint64_t body = 0;
          if (!read_leb(b, q, body) || body > end - q) break;
          if (body > 0)
            out.push_back({q, q + static_cast<size_t>(body), {body_size_pos, size_pos}});
          q += static_cast<size_t>(body);
        }
      }
    }
    pos = end;
  }
  return out;
}

// Re-encodes the size fields of `r` after its contents grew by `delta` (outermost last, so the
// positions of inner fields stay valid while they are rewritten).
inline void fix_sizes(Bytes& b, const Region& r, int64_t delta) {
  for (size_t field : r.size_fields) {
    size_t p = field;
    uint64_t old = 0;
    if (!read_leb(b, p, old)) return;
    Bytes enc = leb(static_cast<uint64_t>(static_cast<int64_t>(old) + delta));
    delta += static_cast<int64_t>(enc.size()) - static_cast<int64_t>(p - field);
    splice(b, field, p - field, enc);
  }
}

inline const uint8_t kInteresting[] = {
    0x00, 0x01, 0x02, 0x0b, 0x0c, 0x0d, 0x0e, 0x1a, 0x1b, 0x1c, 0x20, 0x21, 0x23, 0x24, 0x40, 0x41,
    0x42, 0x45, 0x6a, 0x6f, 0x70, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0xd0, 0xd2, 0xfc, 0xff};

// Opcodes of one signature (and loads/stores of one value type): a swap keeps the body's shape
// and often its validity (a load's alignment may become too large: that is tested too).
inline const std::vector<std::vector<uint8_t>> kOpGroups = {
    {0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f},
    {0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a},
    {0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60},
    {0x61, 0x62, 0x63, 0x64, 0x65, 0x66},
    {0x67, 0x68, 0x69},
    {0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78},
    {0x79, 0x7a, 0x7b},
    {0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a},
    {0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91},
    {0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98},
    {0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f},
    {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6},
    {0x28, 0x2c, 0x2d, 0x2e, 0x2f},
    {0x29, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35},
    {0x36, 0x3a, 0x3b},
    {0x37, 0x3c, 0x3d, 0x3e},
    {0x02, 0x03},
    {0x20, 0x21, 0x22},
    {0x0c, 0x0d},
};

inline const std::vector<uint8_t>* group_of(uint8_t op) {
  for (const auto& g : kOpGroups)
    if (std::find(g.begin(), g.end(), op) != g.end()) return &g;
  return nullptr;
}

// One mutation; appends a description to `d`.
inline void mutate(Rng& r, Bytes& b, std::ostringstream& d) {
  std::vector<Region> regions = regions_of(b);
  if (!regions.empty() && r.chance(80)) {  // inside a section or body, sizes kept consistent
    // Prefer function bodies: their operators are where the validators differ most.
    std::vector<size_t> bodies;
    for (size_t i = 0; i < regions.size(); ++i)
      if (regions[i].size_fields.size() == 2) bodies.push_back(i);
    const Region& reg = !bodies.empty() && r.chance(70) ? regions[bodies[r.below(bodies.size())]]
                                                        : regions[r.below(regions.size())];
    size_t pos = reg.start + r.below(reg.end - reg.start);
    Bytes ins;
    size_t erase = 0;
    switch (r.below(7)) {
      case 0: {  // swap an opcode for another of its group (the first one from `pos` on)
        for (size_t p = pos; p < reg.end; ++p) {
          if (const auto* g = group_of(b[p])) {
            uint8_t op = b[p];
            b[p] = (*g)[r.below(g->size())];
            d << "swap@" << p << ":" << int(op) << "->" << int(b[p]) << " ";
            return;
          }
        }
        d << "no-swap ";
        return;
      }
      case 1:
        b[pos] = r.chance(60) ? kInteresting[r.below(sizeof kInteresting)]
                              : static_cast<uint8_t>(r.next());
        d << "set@" << pos << "=" << int(b[pos]) << " ";
        return;
      case 2:
        erase = 1 + r.below(std::min<size_t>(3, reg.end - pos));
        d << "delete@" << pos << "-" << erase << " ";
        break;
      case 3:
        ins = {kInteresting[r.below(sizeof kInteresting)]};
        if (r.chance(50)) put_leb(ins, r.below(r.chance(70) ? 4 : 70000));
        d << "insert@" << pos << "+" << ins.size() << " ";
        break;
      case 4:
        ins = leb(r.chance(50) ? r.below(8) : r.next() & 0xffffffffu);
        erase = std::min(ins.size(), reg.end - pos);
        d << "leb@" << pos << " ";
        break;
      case 5: {  // a neutral instruction (neutral where `pos` starts an instruction)
        const Bytes neutral[] = {{0x01}, {0x41, 0x00, 0x1a}, {0x02, 0x40, 0x0b}, {0x00}};
        ins = neutral[r.below(std::size(neutral))];
        d << "neutral@" << pos << "+" << ins.size() << " ";
        break;
      }
      default: {  // the LEB at `pos` one byte longer (still legal for a u32 up to 5 bytes)
        size_t p = pos;
        uint64_t v = 0;
        if (!read_leb(b, p, v) || p > reg.end) return;
        ins = leb(v);
        ins.back() |= 0x80;
        ins.push_back(0x00);
        erase = p - pos;
        d << "longer-leb@" << pos << " ";
        break;
      }
    }
    splice(b, pos, erase, ins);
    fix_sizes(b, reg, static_cast<int64_t>(ins.size()) - static_cast<int64_t>(erase));
    return;
  }
  size_t pos = b.size() > 8 ? 8 + r.below(b.size() - 8) : r.below(b.size() + 1);
  switch (r.below(3)) {
    case 0:
      if (pos < b.size()) b[pos] ^= static_cast<uint8_t>(1u << r.below(8));
      d << "flip@" << pos << " ";
      break;
    case 1:
      b.resize(pos);
      d << "truncate=" << pos << " ";
      break;
    default:
      splice(b, pos, 0, {kInteresting[r.below(sizeof kInteresting)]});
      d << "raw-insert@" << pos << " ";
      break;
  }
}

}  // namespace wisp::test::front_mutator
