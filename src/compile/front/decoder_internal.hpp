// Shared by the parts of the module decoder (module_decoder.cpp: header and sections;
// decode_types.cpp: value, table, memory and global types and constant expressions;
// decode_segments.cpp: element and data segments): the decoding context and the helpers that read
// one declaration each. Internal to the front end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "compile/front/errors.hpp"
#include "compile/front/module_decl.hpp"
#include "compile/front/reader.hpp"

namespace wisp::detail::front {

struct DecodeContext {
  DecodeContext(std::span<const uint8_t> b, FeatureSet e, ModuleDecl& module)
      : bytes(b), enabled(e), m(module) {}

  std::span<const uint8_t> bytes;
  FeatureSet enabled;
  ModuleDecl& m;
  std::vector<ValType> stack;  // constant expressions' operand types, reused
  // Where decoding is, for error messages: "in section import, entry 3".
  const char* section = nullptr;
  int64_t entry = -1;

  // A proposal the module uses at `offset`: refused unless enabled, recorded in m.features.
  void use(Feature f, size_t offset, const std::string& what) {
    if (!enabled.has(f)) refuse(f, offset, what);
    m.features.add(f);
  }
  // A proposal wisp's declarations cannot represent yet (GC, typed function references, stack
  // switching, custom page sizes): refused naming it when not enabled, unsupported when it is.
  [[noreturn]] void unsupported(Feature f, size_t offset, const std::string& what) {
    if (!enabled.has(f)) refuse(f, offset, what);
    fail_at(offset, what + " (" + feature_name(f) + " proposal) is not supported yet");
  }
};

// Reads an index LEB and checks it against `limit`: "unknown <what> N" otherwise.
inline uint32_t read_index(Reader& r, size_t limit, const char* what) {
  size_t at = r.pos();
  uint32_t i = r.u32();
  if (i >= limit) fail_at(at, std::string("unknown ") + what + " " + std::to_string(i));
  return i;
}

// A vector length that must not exceed kMaxDeclItems together with the `already` items of its
// index space. Not checked against the bytes left: the items are read one by one, each at least
// one byte, so a count the input cannot hold ends in "unexpected end" at the first missing item.
uint32_t read_decl_count(Reader& r, size_t already, const char* what);

// Reserves room for `n` more items of at least `min_bytes` each, but never more than the bytes
// left could hold: memory stays proportional to the input whatever count it claims.
template <typename Vector>
void reserve_bounded(Vector& v, uint32_t n, const Reader& r, size_t min_bytes) {
  size_t fit = r.remaining() / min_bytes;
  v.reserve(v.size() + (n < fit ? n : fit));
}

// Value, reference and heap types (the function validator reads them too): types of proposals
// that are not enabled are refused by name; those used are added to `used`.
ValType read_value_type(Reader& r, FeatureSet enabled, FeatureSet& used);
ValType read_ref_type(Reader& r, FeatureSet enabled, FeatureSet& used);
ValType read_heap_type(Reader& r, FeatureSet enabled, FeatureSet& used);
inline ValType read_val_type(DecodeContext& c, Reader& r) {
  return read_value_type(r, c.enabled, c.m.features);
}
inline ValType read_ref_type(DecodeContext& c, Reader& r) {
  return read_ref_type(r, c.enabled, c.m.features);
}
TableType read_table_type(DecodeContext& c, Reader& r);
MemoryType read_memory_type(DecodeContext& c, Reader& r);
GlobalType read_global_type(DecodeContext& c, Reader& r);

// A constant expression whose value must have type `expected` ("type mismatch" otherwise).
ConstExpr read_const_expr(DecodeContext& c, Reader& r, ValType expected);

void decode_elem_section(DecodeContext& c, Reader& r);
void decode_data_section(DecodeContext& c, Reader& r);

}  // namespace wisp::detail::front
