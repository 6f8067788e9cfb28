// A bounds-checked reader over a module's bytes for wisp's own decoder and validator: bytes,
// LEB128 integers with the spec's exact malformed-encoding rules, floats, names (UTF-8 checked)
// and vector lengths. Every failure throws CompileError with the byte offset where it happened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "wisp/error.hpp"

namespace wisp::detail::front {

[[noreturn]] inline void fail_at(size_t offset, const std::string& message) {
  throw CompileError(message, offset);
}

class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, size_t pos, size_t end)
      : data_(bytes.data()), pos_(pos), end_(end) {}

  size_t pos() const { return pos_; }
  size_t end() const { return end_; }
  bool at_end() const { return pos_ >= end_; }
  size_t remaining() const { return end_ - pos_; }
  const uint8_t* data() const { return data_; }
  void seek(size_t pos) { pos_ = pos; }

  uint8_t u8() {
    if (pos_ >= end_) eof();
    return data_[pos_++];
  }
  uint8_t peek() const {
    if (pos_ >= end_) eof();
    return data_[pos_];
  }
  void skip(size_t n) {
    if (end_ - pos_ < n) eof();
    pos_ += n;
  }
  std::span<const uint8_t> bytes(size_t n) {
    if (end_ - pos_ < n) eof();
    std::span<const uint8_t> s(data_ + pos_, n);
    pos_ += n;
    return s;
  }

  // Unsigned LEB128 of at most `bits` bits: at most ceil(bits/7) bytes ("integer representation
  // too long"), and the unused bits of the last byte zero ("integer too large").
  uint64_t uleb(unsigned bits) {
    size_t start = pos_;
    uint64_t result = 0;
    unsigned shift = 0;
    const unsigned max_bytes = (bits + 6) / 7;
    for (unsigned i = 0;; ++i) {
      if (pos_ >= end_) eof();
      uint8_t b = data_[pos_++];
      if (i + 1 == max_bytes) {
        unsigned used = bits - shift;  // value bits left in this byte
        if (b & 0x80) fail_at(start, "integer representation too long");
        if (used < 7 && (b >> used) != 0) fail_at(start, "integer too large");
        return result | (uint64_t(b) << shift);
      }
      result |= uint64_t(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) return result;
    }
  }
  uint32_t u32() { return static_cast<uint32_t>(uleb(32)); }

  // Signed LEB128 of at most `bits` bits (32, 33 or 64): the unused bits of the last byte must
  // be the sign extension of the value's top bit.
  int64_t sleb(unsigned bits) {
    size_t start = pos_;
    uint64_t result = 0;
    unsigned shift = 0;
    const unsigned max_bytes = (bits + 6) / 7;
    for (unsigned i = 0;; ++i) {
      if (pos_ >= end_) eof();
      uint8_t b = data_[pos_++];
      if (i + 1 == max_bytes) {
        if (b & 0x80) fail_at(start, "integer representation too long");
        unsigned used = bits - shift;  // value bits in this byte (1..7)
        if (used < 7) {
          // Bits [used-1, 6] must all equal the sign bit (bit used-1).
          uint8_t mask = static_cast<uint8_t>(0x7f & ~((1u << (used - 1)) - 1));
          uint8_t top = b & mask;
          if (top != 0 && top != mask) fail_at(start, "integer too large");
        }
        result |= uint64_t(b & 0x7f) << shift;
        shift += 7;
        if (shift < 64 && (b & 0x40)) result |= ~uint64_t(0) << shift;
        return static_cast<int64_t>(result);
      }
      result |= uint64_t(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) {
        if (shift < 64 && (b & 0x40)) result |= ~uint64_t(0) << shift;
        return static_cast<int64_t>(result);
      }
    }
  }
  int32_t s32() { return static_cast<int32_t>(sleb(32)); }
  int64_t s33() { return sleb(33); }
  int64_t s64() { return sleb(64); }

  uint32_t f32_bits() {
    auto s = bytes(4);
    uint32_t v;
    std::memcpy(&v, s.data(), 4);
    return v;
  }
  uint64_t f64_bits() {
    auto s = bytes(8);
    uint64_t v;
    std::memcpy(&v, s.data(), 8);
    return v;
  }

  // A vector length whose elements take at least `min_element_bytes` each: a count the rest of
  // the input cannot hold is malformed here, before anything is allocated for it.
  uint32_t count(size_t min_element_bytes = 1) {
    size_t at = pos_;
    uint32_t n = u32();
    if (min_element_bytes && uint64_t(n) * min_element_bytes > remaining())
      fail_at(at, "length out of bounds: " + std::to_string(n) + " items in " +
                      std::to_string(remaining()) + " bytes (unexpected end)");
    return n;
  }

  // A name: length-prefixed UTF-8 ("malformed UTF-8 encoding" otherwise).
  std::string_view name() {
    size_t at = pos_;
    uint32_t n = u32();
    if (n > remaining()) fail_at(at, "length out of bounds (unexpected end)");
    std::string_view s(reinterpret_cast<const char*>(data_ + pos_), n);
    if (!valid_utf8(s)) fail_at(at, "malformed UTF-8 encoding");
    pos_ += n;
    return s;
  }

  static bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
      uint8_t c = static_cast<uint8_t>(s[i]);
      if (c < 0x80) {
        ++i;
        continue;
      }
      unsigned n;
      uint32_t cp;
      if ((c & 0xe0) == 0xc0) {
        n = 1, cp = c & 0x1f;
      } else if ((c & 0xf0) == 0xe0) {
        n = 2, cp = c & 0x0f;
      } else if ((c & 0xf8) == 0xf0) {
        n = 3, cp = c & 0x07;
      } else {
        return false;
      }
      if (s.size() - i <= n) return false;
      for (unsigned k = 1; k <= n; ++k) {
        uint8_t d = static_cast<uint8_t>(s[i + k]);
        if ((d & 0xc0) != 0x80) return false;
        cp = (cp << 6) | (d & 0x3f);
      }
      if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
          cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      i += n + 1;
    }
    return true;
  }

  [[noreturn]] void eof() const { fail_at(pos_, "unexpected end"); }

 private:
  const uint8_t* data_;
  size_t pos_;
  size_t end_;
};

}  // namespace wisp::detail::front
