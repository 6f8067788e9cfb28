// A module's interface and facts (imports, exports, features, sections, start, active data
// segments) from the declarations decoded by wisp's own front end, into ModuleImpl; section sizes
// from the bytes alone.
#include "compile/decl_info.hpp"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "compile/front/reader.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

ValType to_val_type(front::ValType t) {
  switch (t) {
    case front::ValType::i32:
      return ValType::i32;
    case front::ValType::i64:
      return ValType::i64;
    case front::ValType::f32:
      return ValType::f32;
    case front::ValType::f64:
      return ValType::f64;
    case front::ValType::funcref:
      return ValType::funcref;
    case front::ValType::externref:
      return ValType::externref;
    case front::ValType::v128:
      return ValType::v128;
    default:
      throw CompileError(std::string("unsupported value type ") + front::val_type_name(t) +
                         " in the module's interface");
  }
}

FuncType to_func_type(const front::FuncType& ft) {
  FuncType out;
  for (front::ValType t : ft.params) out.params.push_back(to_val_type(t));
  for (front::ValType t : ft.results) out.results.push_back(to_val_type(t));
  return out;
}

Limits32 to_limits(const front::Limits& l) {
  Limits32 out;
  // memory64 limits may pass 32 bits; wisp runs at most 65536 pages of any memory.
  out.min = static_cast<uint32_t>(std::min<uint64_t>(l.min, UINT32_MAX));
  if (l.has_max) out.max = static_cast<uint32_t>(std::min<uint64_t>(l.max, UINT32_MAX));
  return out;
}

ExternType extern_type(const front::ModuleDecl& m, front::ExternKind kind, uint32_t index) {
  ExternType e;
  switch (kind) {
    case front::ExternKind::func:
      e.kind = ExternKind::func;
      e.func = to_func_type(m.func_type(index));
      break;
    case front::ExternKind::table:
      e.kind = ExternKind::table;
      e.table.elem = to_val_type(m.tables[index].elem);
      e.table.limits = to_limits(m.tables[index].limits);
      break;
    case front::ExternKind::memory:
      e.kind = ExternKind::memory;
      e.memory.limits = to_limits(m.memories[index].limits);
      e.memory.is64 = m.memories[index].limits.is64;
      e.memory.shared = m.memories[index].limits.shared;
      break;
    case front::ExternKind::global:
      e.kind = ExternKind::global;
      e.global.type = to_val_type(m.globals[index].type);
      e.global.mut = m.globals[index].mut;
      break;
    case front::ExternKind::tag:
      e.kind = ExternKind::tag;
      e.func = to_func_type(m.types[m.tags[index].type_index]);
      break;
  }
  return e;
}

std::vector<std::string> wasm2_feature_names(uint32_t bits) {
  using F = front::Wasm2Feature;
  std::vector<std::string> out;
  auto has = [&](F f) { return (bits & static_cast<uint32_t>(f)) != 0; };
  if (has(F::bulk_memory)) out.push_back("bulk-memory");
  if (has(F::multi_value)) out.push_back("multi-value");
  if (has(F::reference_types)) out.push_back("reference-types");
  if (has(F::sat_conversions)) out.push_back("saturating-float-to-int");
  if (has(F::sign_extension)) out.push_back("sign-extension");
  return out;
}

// A data segment's validated offset (a constant, global.get of an imported global, or
// extended-const's add, sub, mul of those) as postfix steps for the runtime.
std::vector<OffsetOp> offset_ops(const front::ConstExpr& e, std::span<const uint8_t> bytes,
                                 const std::vector<uint32_t>& global_import_to_import) {
  std::vector<OffsetOp> ops;
  for (const front::ConstStep& s : front::const_expr_steps(e, bytes)) {
    switch (s.kind) {
      case front::ConstStep::i32:
      case front::ConstStep::i64:
        ops.push_back({OffsetOp::constant, s.value});
        break;
      case front::ConstStep::global_get:
        if (s.value >= global_import_to_import.size())
          throw CompileError("data segment offset reads a global that is not imported");
        ops.push_back({OffsetOp::global, global_import_to_import[s.value]});
        break;
      case front::ConstStep::add:
        ops.push_back({OffsetOp::add, 0});
        break;
      case front::ConstStep::sub:
        ops.push_back({OffsetOp::sub, 0});
        break;
      case front::ConstStep::mul:
        ops.push_back({OffsetOp::mul, 0});
        break;
    }
  }
  return ops;
}

}  // namespace

void fill_module_info(const front::ModuleDecl& m, std::span<const uint8_t> bytes, ModuleImpl& out) {
  std::vector<uint32_t> global_import_to_import;
  for (size_t i = 0; i < m.imports.size(); ++i) {
    const front::Import& imp = m.imports[i];
    ImportDesc d;
    d.module = imp.module;
    d.name = imp.name;
    d.type = extern_type(m, imp.kind, imp.index);
    if (imp.kind == front::ExternKind::memory && !out.memory0_import)
      out.memory0_import = static_cast<uint32_t>(i);
    if (imp.kind == front::ExternKind::global)
      global_import_to_import.push_back(static_cast<uint32_t>(i));
    out.imports.push_back(std::move(d));
  }
  for (const front::Export& e : m.exports) {
    ExportDesc d;
    d.name = e.name;
    d.type = extern_type(m, e.kind, e.index);
    out.export_index.emplace(d.name, static_cast<uint32_t>(out.exports.size()));
    out.exports.push_back(std::move(d));
  }
  if (m.start) {
    out.start = *m.start;
    out.start_export = static_cast<uint32_t>(m.exports.size());  // the emitter's synthetic export
  }
  out.defined_memories = static_cast<uint32_t>(m.memories.size() - m.num_imported_memories);
  out.defined_shared_memories = 0;
  for (size_t i = m.num_imported_memories; i < m.memories.size(); ++i)
    out.defined_shared_memories += m.memories[i].limits.shared ? 1 : 0;
  out.exnref_storage.clear();
  for (const front::GlobalType& g : m.globals)
    if (g.type == front::ValType::exnref && out.exnref_storage.empty())
      out.exnref_storage =
          "the module has an exnref global (wisp does not snapshot exception references)";
  for (const front::TableType& t : m.tables)
    if (t.elem == front::ValType::exnref && out.exnref_storage.empty())
      out.exnref_storage =
          "the module has an exnref table (wisp does not snapshot exception references)";
  out.features = wasm2_feature_names(m.wasm2_features);
  if (!m.features.empty()) {
    // Proposals (only those enabled can be here): by their names.
    for (uint32_t bit = 1; bit != 0 && bit <= m.features.bits(); bit <<= 1)
      if (m.features.bits() & bit) out.features.push_back(front::feature_flag(front::Feature(bit)));
  }
  out.sections.clear();
  for (const front::Section& s : m.sections) {
    SectionSize sz;
    sz.bytes = s.size;
    sz.name = s.id == 0 ? "custom:" + s.name : s.name;
    out.sections.push_back(std::move(sz));
  }
  for (const front::DataSegment& seg : m.datas) {
    if (seg.mode != front::SegmentMode::active) continue;
    DataSegmentInit init;
    init.memory_index = seg.memory;
    init.is64 = m.memories[seg.memory].limits.is64;
    init.bytes_offset = seg.bytes_offset;
    init.bytes.assign(bytes.begin() + seg.bytes_offset,
                      bytes.begin() + seg.bytes_offset + seg.size);
    init.offset_ops = offset_ops(seg.offset, bytes, global_import_to_import);
    out.data_segments.push_back(std::move(init));
  }
}

}  // namespace wisp::detail
