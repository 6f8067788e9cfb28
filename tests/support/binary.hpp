// Test support: hand-built wasm binaries (LEB128, sections) for malformed and absurd modules.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace wisp::test {

using Bytes = std::vector<uint8_t>;

// "\0asm" + version 1.
inline Bytes wasm_header() {
  return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
}

inline void put_leb(Bytes& out, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v != 0) byte |= 0x80;
    out.push_back(byte);
  } while (v != 0);
}

inline void put_bytes(Bytes& out, std::initializer_list<uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

inline void put_name(Bytes& out, std::string_view name) {
  put_leb(out, name.size());
  out.insert(out.end(), name.begin(), name.end());
}

// Appends a section: id, payload size, payload.
inline void put_section(Bytes& out, uint8_t id, const Bytes& payload) {
  out.push_back(id);
  put_leb(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
}

// A module with the given sections (each: id, payload) after the header.
inline Bytes module_with(std::initializer_list<std::pair<uint8_t, Bytes>> sections) {
  Bytes out = wasm_header();
  for (const auto& [id, payload] : sections) put_section(out, id, payload);
  return out;
}

// Byte offsets (after the header) where each section starts, and the total size.
inline std::vector<size_t> section_boundaries(const Bytes& module) {
  std::vector<size_t> bounds{8};
  size_t pos = 8;
  while (pos < module.size()) {
    ++pos;  // id
    uint64_t size = 0;
    int shift = 0;
    while (pos < module.size()) {
      uint8_t b = module[pos++];
      size |= uint64_t(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    pos += size;
    bounds.push_back(pos);
  }
  return bounds;
}

}  // namespace wisp::test
