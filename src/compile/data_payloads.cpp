// Walks the data section of a module binary and reports where each segment's bytes are.
#include "compile/data_payloads.hpp"

#include "compile/byte_cursor.hpp"

namespace wisp::detail {

namespace {

// An active segment's offset expression (a non-constant instruction: false, not a throw).
bool offset(ByteCursor& r) {
  try {
    return r.const_expr();
  } catch (const CompileError&) {
    return false;
  }
}

}  // namespace

std::optional<std::vector<ByteRange>> data_segment_payloads(std::span<const uint8_t> bytes) {
  constexpr uint8_t kDataSection = 11;
  std::vector<ByteRange> out;
  ByteCursor r{bytes, 8, bytes.size()};
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
      if (flags != 1 && !offset(r)) return std::nullopt;
      if (!r.leb(length) || length > r.end - r.pos) return std::nullopt;
      out.push_back({r.pos, static_cast<size_t>(length)});
      r.pos += length;
    }
    r.pos = section_end;
  }
  return out;
}

}  // namespace wisp::detail
