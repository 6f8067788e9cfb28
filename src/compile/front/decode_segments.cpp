// The module decoder's element and data sections: the eight element segment encodings (function
// indices or expressions; active, passive or declarative; table 0 or an explicit table) and the
// three data segment encodings, with their index, offset and type checks. Data bytes are not
// copied: a segment records where its bytes lie in the module.
#include <string>

#include "compile/front/decoder_internal.hpp"
#include "compile/front/module_decoder.hpp"

namespace wisp::detail::front {

namespace {

// Element segment flags: bit 0 passive or declarative, bit 1 an explicit table index (active)
// or declarative (not active), bit 2 elements as expressions.
constexpr uint32_t kElemNotActive = 1, kElemExplicit = 2, kElemExprs = 4;

ElemSegment read_elem_segment(DecodeContext& c, Reader& r) {
  ModuleDecl& m = c.m;
  size_t at = r.pos();
  uint32_t flags = r.u32();
  if (flags > 7) fail_at(at, "malformed elements segment kind " + std::to_string(flags));
  ElemSegment s;
  size_t table_at = at;
  if (flags & kElemNotActive) {
    s.mode = (flags & kElemExplicit) ? SegmentMode::declarative : SegmentMode::passive;
  } else {
    s.mode = SegmentMode::active;
    if (flags & kElemExplicit) {
      table_at = r.pos();
      s.table = r.u32();
    }
    if (s.table >= m.tables.size()) fail_at(table_at, "unknown table " + std::to_string(s.table));
    s.offset = read_const_expr(c, r, m.tables[s.table].limits.is64 ? ValType::i64 : ValType::i32);
  }
  // The element kind (index encodings) or reference type (expression encodings) is explicit
  // unless the segment is active on table 0 in the original encoding (flags 0 and 4).
  if (flags & (kElemNotActive | kElemExplicit)) {
    if (flags & kElemExprs) {
      s.type = read_ref_type(c, r);
    } else {
      size_t kind_at = r.pos();
      uint8_t kind = r.u8();
      if (kind != 0x00) fail_at(kind_at, "malformed element kind " + std::to_string(kind));
      s.type = ValType::funcref;
    }
  }
  if (s.mode == SegmentMode::active && m.tables[s.table].elem != s.type)
    fail_at(table_at, std::string("type mismatch: a segment of ") + val_type_name(s.type) +
                          " for table " + std::to_string(s.table) + " of " +
                          val_type_name(m.tables[s.table].elem));
  uint32_t n = r.u32();
  reserve_bounded(s.items, n, r, 1);
  if (flags & kElemExprs) {
    for (uint32_t i = 0; i < n; ++i) s.items.push_back(read_const_expr(c, r, s.type));
  } else {
    if (n && m.declared_refs.size() < m.funcs.size()) m.declared_refs.resize(m.funcs.size());
    for (uint32_t i = 0; i < n; ++i) {
      ConstExpr e;
      e.kind = ConstExpr::Kind::ref_func;
      e.type = ValType::funcref;
      e.offset = static_cast<uint32_t>(r.pos());
      e.value = read_index(r, m.funcs.size(), "function");
      m.declared_refs[e.value] = 1;
      s.items.push_back(e);
    }
  }
  return s;
}

}  // namespace

void decode_elem_section(DecodeContext& c, Reader& r) {
  uint32_t n = read_decl_count(r, 0, "element segments");
  reserve_bounded(c.m.elems, n, r, 2);
  for (uint32_t i = 0; i < n; ++i) {
    c.entry = i;
    c.m.elems.push_back(read_elem_segment(c, r));
  }
}

void decode_data_section(DecodeContext& c, Reader& r) {
  ModuleDecl& m = c.m;
  size_t count_at = r.pos();
  uint32_t n = read_decl_count(r, 0, "data segments");
  if (m.data_count && *m.data_count != n)
    fail_at(count_at, "data count and data section have inconsistent lengths (data count " +
                          std::to_string(*m.data_count) + ", " + std::to_string(n) + " segments)");
  reserve_bounded(m.datas, n, r, 2);
  for (uint32_t i = 0; i < n; ++i) {
    c.entry = i;
    size_t at = r.pos();
    uint32_t flags = r.u32();
    if (flags > 2) fail_at(at, "malformed data segment kind " + std::to_string(flags));
    DataSegment s;
    if (flags == 1) {
      s.mode = SegmentMode::passive;
    } else {
      size_t mem_at = flags == 2 ? r.pos() : at;
      s.memory = flags == 2 ? r.u32() : 0;
      if (s.memory >= m.memories.size())
        fail_at(mem_at, "unknown memory " + std::to_string(s.memory));
      s.offset =
          read_const_expr(c, r, m.memories[s.memory].limits.is64 ? ValType::i64 : ValType::i32);
    }
    size_t size_at = r.pos();
    s.size = r.u32();
    if (s.size > r.remaining())
      fail_at(size_at, "unexpected end of section or function: data segment of " +
                           std::to_string(s.size) + " bytes, " + std::to_string(r.remaining()) +
                           " left");
    s.bytes_offset = static_cast<uint32_t>(r.pos());
    r.skip(s.size);
    m.datas.push_back(s);
  }
}

}  // namespace wisp::detail::front
