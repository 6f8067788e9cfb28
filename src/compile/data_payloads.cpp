// Walks the data section of a module binary and reports where each segment's bytes are.
#include "compile/data_payloads.hpp"

namespace wisp::detail {

namespace {

struct Reader {
  std::span<const uint8_t> b;
  size_t pos = 0;
  size_t end = 0;

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
  // An offset expression: one i32.const, i64.const or global.get, then `end`.
  bool offset_expr() {
    uint8_t op, last;
    uint64_t v;
    if (!byte(op) || (op != 0x41 && op != 0x42 && op != 0x23) || !leb(v)) return false;
    return byte(last) && last == 0x0b;
  }
};

}  // namespace

std::optional<std::vector<ByteRange>> data_segment_payloads(std::span<const uint8_t> bytes) {
  constexpr uint8_t kDataSection = 11;
  std::vector<ByteRange> out;
  Reader r{bytes, 8, bytes.size()};
  while (r.pos < bytes.size()) {
    uint8_t id;
    uint64_t size;
    r.end = bytes.size();
    if (!r.byte(id) || !r.leb(size) || size > bytes.size() - r.pos) return std::nullopt;
    size_t section_end = r.pos + size;
    if (id != kDataSection) {
      r.pos = section_end;
      continue;
    }
    r.end = section_end;
    uint64_t count;
    if (!r.leb(count)) return std::nullopt;
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t flags, memory, length;
      if (!r.leb(flags) || flags > 2) return std::nullopt;
      if (flags == 2 && !r.leb(memory)) return std::nullopt;
      if (flags != 1 && !r.offset_expr()) return std::nullopt;
      if (!r.leb(length) || length > r.end - r.pos) return std::nullopt;
      out.push_back({r.pos, static_cast<size_t>(length)});
      r.pos += length;
    }
    r.pos = section_end;
  }
  return out;
}

}  // namespace wisp::detail
