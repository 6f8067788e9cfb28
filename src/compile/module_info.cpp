// Module interface (imports, exports, types), features used, section sizes and data segments.
#include "compile/module_info.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "compile/wabt_front.hpp"
#include "wabt/cast.h"
#include "wabt/ir.h"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

ValType to_val_type(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32:
      return ValType::i32;
    case wabt::Type::I64:
      return ValType::i64;
    case wabt::Type::F32:
      return ValType::f32;
    case wabt::Type::F64:
      return ValType::f64;
    case wabt::Type::FuncRef:
      return ValType::funcref;
    case wabt::Type::ExternRef:
      return ValType::externref;
    default:
      throw CompileError("unsupported value type " + std::string(t.GetName()));
  }
}

FuncType to_func_type(const wabt::FuncSignature& sig) {
  FuncType ft;
  for (auto t : sig.param_types) ft.params.push_back(to_val_type(t));
  for (auto t : sig.result_types) ft.results.push_back(to_val_type(t));
  return ft;
}

Limits32 to_limits(const wabt::Limits& l) {
  Limits32 out;
  out.min = static_cast<uint32_t>(l.initial);
  if (l.has_max) out.max = static_cast<uint32_t>(l.max);
  return out;
}

ExternType table_type(const wabt::Table& t) {
  ExternType e;
  e.kind = ExternKind::table;
  e.table.elem = to_val_type(t.elem_type);
  e.table.limits = to_limits(t.elem_limits);
  return e;
}

ExternType memory_type(const wabt::Memory& m) {
  ExternType e;
  e.kind = ExternKind::memory;
  e.memory.limits = to_limits(m.page_limits);
  return e;
}

ExternType global_type(const wabt::Global& g) {
  ExternType e;
  e.kind = ExternKind::global;
  e.global.type = to_val_type(g.type);
  e.global.mut = g.mutable_;
  return e;
}

ExternType func_type(const wabt::Func& f) {
  ExternType e;
  e.kind = ExternKind::func;
  e.func = to_func_type(f.decl.sig);
  return e;
}

// Which post-MVP features the code uses.
struct FeatureScan {
  bool sign_ext = false, sat = false, bulk = false, refs = false, multi = false;

  void scan(const wabt::ExprList& exprs) {
    for (const wabt::Expr& e : exprs) scan(e);
  }
  void block(const wabt::Block& b) {
    if (b.decl.GetNumResults() > 1 || b.decl.GetNumParams() > 0) multi = true;
    scan(b.exprs);
  }
  void scan(const wabt::Expr& e) {
    using wabt::ExprType;
    switch (e.type()) {
      case ExprType::Block:
        block(wabt::cast<wabt::BlockExpr>(&e)->block);
        break;
      case ExprType::Loop:
        block(wabt::cast<wabt::LoopExpr>(&e)->block);
        break;
      case ExprType::If: {
        auto* i = wabt::cast<wabt::IfExpr>(&e);
        block(i->true_);
        scan(i->false_);
        break;
      }
      case ExprType::Unary: {
        auto op = wabt::cast<wabt::UnaryExpr>(&e)->opcode;
        if (op == wabt::Opcode::I32Extend8S || op == wabt::Opcode::I32Extend16S ||
            op == wabt::Opcode::I64Extend8S || op == wabt::Opcode::I64Extend16S ||
            op == wabt::Opcode::I64Extend32S)
          sign_ext = true;
        break;
      }
      case ExprType::Convert: {
        auto op = wabt::cast<wabt::ConvertExpr>(&e)->opcode;
        if (op.GetName() && std::string(op.GetName()).find("trunc_sat") != std::string::npos)
          sat = true;
        break;
      }
      case ExprType::MemoryCopy:
      case ExprType::MemoryFill:
      case ExprType::MemoryInit:
      case ExprType::DataDrop:
      case ExprType::TableCopy:
      case ExprType::TableInit:
      case ExprType::ElemDrop:
        bulk = true;
        break;
      case ExprType::TableGet:
      case ExprType::TableSet:
      case ExprType::TableGrow:
      case ExprType::TableSize:
      case ExprType::TableFill:
      case ExprType::RefFunc:
      case ExprType::RefNull:
      case ExprType::RefIsNull:
        refs = true;
        break;
      default:
        break;
    }
  }
};

bool is_ref(wabt::Type t) {
  return t == wabt::Type::FuncRef || t == wabt::Type::ExternRef;
}

std::vector<std::string> scan_features(const wabt::Module& ir) {
  FeatureScan s;
  for (const wabt::Func* f : ir.funcs) {
    if (f->decl.GetNumResults() > 1) s.multi = true;
    for (auto t : f->decl.sig.param_types) s.refs |= is_ref(t);
    for (auto t : f->decl.sig.result_types) s.refs |= is_ref(t);
    s.scan(f->exprs);
  }
  for (const wabt::Global* g : ir.globals) s.refs |= is_ref(g->type);
  for (const wabt::Table* t : ir.tables) s.refs |= t->elem_type != wabt::Type::FuncRef;
  if (ir.tables.size() > 1) s.refs = true;
  for (const wabt::DataSegment* d : ir.data_segments)
    s.bulk |= d->kind != wabt::SegmentKind::Active;
  for (const wabt::ElemSegment* e : ir.elem_segments)
    s.bulk |= e->kind != wabt::SegmentKind::Active;
  std::vector<std::string> out;
  if (s.bulk) out.push_back("bulk-memory");
  if (s.multi) out.push_back("multi-value");
  if (s.refs) out.push_back("reference-types");
  if (s.sat) out.push_back("saturating-float-to-int");
  if (s.sign_ext) out.push_back("sign-extension");
  return out;
}

}  // namespace

std::vector<SectionSize> read_section_sizes(std::span<const uint8_t> bytes) {
  static const char* kNames[] = {"custom", "type",   "import",   "function", "table",
                                 "memory", "global", "export",   "start",    "element",
                                 "code",   "data",   "datacount"};
  std::vector<SectionSize> out;
  size_t pos = 8;
  auto leb = [&](size_t& p, uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 35 && p < bytes.size(); shift += 7) {
      uint8_t b = bytes[p++];
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  };
  while (pos < bytes.size()) {
    uint8_t id = bytes[pos++];
    uint64_t size = 0;
    if (!leb(pos, size) || size > bytes.size() - pos) break;
    SectionSize s;
    s.bytes = size;
    if (id == 0) {
      size_t p = pos;
      uint64_t len = 0;
      if (leb(p, len) && len <= bytes.size() - p) {
        s.name = "custom:" + std::string(reinterpret_cast<const char*>(&bytes[p]), len);
      } else {
        s.name = "custom";
      }
    } else {
      s.name = id < std::size(kNames) ? kNames[id] : "unknown(" + std::to_string(id) + ")";
    }
    out.push_back(std::move(s));
    pos += size;
  }
  return out;
}

const std::vector<std::string>& module_features(ModuleImpl& m) {
  std::call_once(m.features_once, [&] {
    if (!m.features_pending) return;
    on_big_stack([&] { m.features = scan_features(*read_trusted(m.bytes, true)); });
    m.features_pending = false;
  });
  return m.features;
}

void extract_module_info(const wabt::Module& ir, std::span<const uint8_t> bytes, ModuleImpl& out,
                         bool has_bodies) {
  // wabt 1.0.32 accepts some empty constant expressions; the spec calls them type mismatches.
  // Implementation limits (as in V8 and the JS embedding): an absurd declaration is an error,
  // never an attempt to allocate gigabytes.
  constexpr size_t kMaxFunctions = 1000000, kMaxLocals = 50000, kMaxParams = 1000;
  if (ir.funcs.size() > kMaxFunctions)
    throw CompileError("module declares " + std::to_string(ir.funcs.size()) + " functions (limit " +
                       std::to_string(kMaxFunctions) + ")");
  // Block nesting is limited before the IR is built (translation_limits.cpp).
  for (const wabt::Func* f : ir.funcs) {
    if (f->GetNumLocals() > kMaxLocals)
      throw CompileError("function declares " + std::to_string(f->GetNumLocals()) +
                         " locals (limit " + std::to_string(kMaxLocals) + ")");
    if (f->GetNumParams() > kMaxParams || f->GetNumResults() > kMaxParams)
      throw CompileError("function has more than " + std::to_string(kMaxParams) +
                         " parameters or results");
  }
  for (size_t i = ir.num_global_imports; i < ir.globals.size(); ++i) {
    if (ir.globals[i]->init_expr.empty())
      throw CompileError("type mismatch: a global initializer must be one constant expression");
  }
  for (const wabt::ElemSegment* e : ir.elem_segments) {
    if (e->kind == wabt::SegmentKind::Active && e->offset.size() != 1)
      throw CompileError(
          "type mismatch: an element segment offset must be one constant i32 expression");
  }
  // Imports, and the import index of each imported global (for data segment offsets).
  std::vector<uint32_t> global_import_to_import;
  for (size_t i = 0; i < ir.imports.size(); ++i) {
    const wabt::Import* imp = ir.imports[i];
    ImportDesc d;
    d.module = imp->module_name;
    d.name = imp->field_name;
    switch (imp->kind()) {
      case wabt::ExternalKind::Func:
        d.type = func_type(wabt::cast<wabt::FuncImport>(imp)->func);
        break;
      case wabt::ExternalKind::Table:
        d.type = table_type(wabt::cast<wabt::TableImport>(imp)->table);
        break;
      case wabt::ExternalKind::Memory:
        d.type = memory_type(wabt::cast<wabt::MemoryImport>(imp)->memory);
        if (!out.memory0_import) out.memory0_import = static_cast<uint32_t>(i);
        break;
      case wabt::ExternalKind::Global:
        d.type = global_type(wabt::cast<wabt::GlobalImport>(imp)->global);
        global_import_to_import.push_back(static_cast<uint32_t>(i));
        break;
      default:
        throw CompileError("unsupported import kind (tags need exception handling)");
    }
    out.imports.push_back(std::move(d));
  }
  for (const wabt::Export* e : ir.exports) {
    ExportDesc d;
    d.name = e->name;
    switch (e->kind) {
      case wabt::ExternalKind::Func:
        d.type = func_type(*ir.GetFunc(e->var));
        break;
      case wabt::ExternalKind::Table:
        d.type = table_type(*ir.GetTable(e->var));
        break;
      case wabt::ExternalKind::Memory:
        d.type = memory_type(*ir.GetMemory(e->var));
        break;
      case wabt::ExternalKind::Global:
        d.type = global_type(*ir.GetGlobal(e->var));
        break;
      default:
        throw CompileError("unsupported export kind (tags need exception handling)");
    }
    out.export_index.emplace(d.name, static_cast<uint32_t>(out.exports.size()));
    out.exports.push_back(std::move(d));
  }
  if (!ir.starts.empty()) {
    out.start = ir.GetFuncIndex(*ir.starts.front());
    out.start_export = static_cast<uint32_t>(ir.exports.size());  // see translate_to_c
  }
  if (has_bodies) {
    out.features = scan_features(ir);
  } else {
    out.features_pending = true;
  }
  out.sections = read_section_sizes(bytes);

  for (const wabt::DataSegment* seg : ir.data_segments) {
    if (seg->kind != wabt::SegmentKind::Active) continue;
    DataSegmentInit init;
    init.memory_index = ir.GetMemoryIndex(seg->memory_var);
    init.bytes = seg->data;
    if (seg->offset.size() != 1) {
      throw CompileError(
          "type mismatch: a data segment offset must be one constant i32 expression");
    }
    const wabt::Expr& e = seg->offset.front();
    if (e.type() == wabt::ExprType::Const) {
      if (wabt::cast<wabt::ConstExpr>(&e)->const_.type() != wabt::Type::I32)
        throw CompileError("type mismatch: a data segment offset must be an i32");
      init.offset = wabt::cast<wabt::ConstExpr>(&e)->const_.u32();
    } else if (e.type() == wabt::ExprType::GlobalGet) {
      wabt::Index g = ir.GetGlobalIndex(wabt::cast<wabt::GlobalGetExpr>(&e)->var);
      if (g >= global_import_to_import.size())
        throw CompileError("data segment offset reads a global that is not imported");
      init.offset_from_global = true;
      init.global_import_index = global_import_to_import[g];
    } else {
      throw CompileError("unsupported data segment offset expression");
    }
    out.data_segments.push_back(std::move(init));
  }
}

}  // namespace wisp::detail
