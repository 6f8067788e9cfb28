// Test support: hand-built wasm binaries (LEB128, sections) for malformed and absurd modules.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
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

// A function type's encoding (0x60, the parameter and result value types).
inline Bytes func_type_of(std::initializer_list<uint8_t> params,
                          std::initializer_list<uint8_t> results) {
  Bytes t{0x60};
  put_leb(t, params.size());
  t.insert(t.end(), params);
  put_leb(t, results.size());
  t.insert(t.end(), results);
  return t;
}

// A function of a hand-built module, exported under its name: its type index, its local
// declarations ({0}: none) and its body (`end` included).
struct ExportedFunc {
  const char* name;
  uint32_t type;
  Bytes body;
  Bytes locals = {0};
};

inline void put_name(Bytes& out, std::string_view name);

// The payloads of the function (3), export (7) and code (10) sections of `funcs`.
struct FuncSections {
  Bytes funcs, exports, code;
};
inline FuncSections exported_funcs(const std::vector<ExportedFunc>& funcs) {
  FuncSections s;
  put_leb(s.funcs, funcs.size());
  put_leb(s.exports, funcs.size());
  put_leb(s.code, funcs.size());
  for (uint32_t i = 0; i < funcs.size(); ++i) {
    put_leb(s.funcs, funcs[i].type);
    put_name(s.exports, funcs[i].name);
    s.exports.push_back(0x00);
    put_leb(s.exports, i);
    Bytes body = funcs[i].locals;
    body.insert(body.end(), funcs[i].body.begin(), funcs[i].body.end());
    put_leb(s.code, body.size());
    s.code.insert(s.code.end(), body.begin(), body.end());
  }
  return s;
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

// A module exporting "f" () -> () whose body is `open` × depth, `middle`, `end` × depth.
inline Bytes nested(size_t depth, std::initializer_list<uint8_t> open, const Bytes& middle = {}) {
  Bytes body{0x00};  // no locals
  body.reserve(depth * (open.size() + 1) + middle.size() + 2);
  for (size_t i = 0; i < depth; ++i) body.insert(body.end(), open.begin(), open.end());
  body.insert(body.end(), middle.begin(), middle.end());
  body.insert(body.end(), depth + 1, 0x0b);
  Bytes code{0x01};
  put_leb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  Bytes exports{0x01};
  put_name(exports, "f");
  put_bytes(exports, {0x00, 0x00});
  return module_with({{1, {0x01, 0x60, 0x00, 0x00}}, {3, {0x01, 0x00}}, {7, exports}, {10, code}});
}

inline const std::initializer_list<uint8_t> kBlock{0x02, 0x40};
inline const std::initializer_list<uint8_t> kLoop{0x03, 0x40};
inline const std::initializer_list<uint8_t> kIf{0x41, 0x01, 0x04, 0x40};  // i32.const 1; if

// Sections from raw parts: types (each a func type), function type indices, bodies, exports.
inline Bytes module_of(const std::vector<Bytes>& types, const std::vector<uint32_t>& funcs,
                       const std::vector<Bytes>& bodies, const Bytes& exports = {}) {
  Bytes t, f, c;
  put_leb(t, types.size());
  for (const Bytes& x : types) t.insert(t.end(), x.begin(), x.end());
  put_leb(f, funcs.size());
  for (uint32_t x : funcs) put_leb(f, x);
  put_leb(c, bodies.size());
  for (const Bytes& b : bodies) {
    put_leb(c, b.size());
    c.insert(c.end(), b.begin(), b.end());
  }
  Bytes m = wasm_header();
  put_section(m, 1, t);
  put_section(m, 3, f);
  if (!exports.empty()) put_section(m, 7, exports);
  put_section(m, 10, c);
  return m;
}

// A func type with `params` and `results` i32s.
inline Bytes func_type(size_t params, size_t results) {
  Bytes t{0x60};
  put_leb(t, params);
  t.insert(t.end(), params, 0x7f);
  put_leb(t, results);
  t.insert(t.end(), results, 0x7f);
  return t;
}

}  // namespace wisp::test
