// IR rewriting and wabt's C writer, in-process (never a wasm2c subprocess).
#include "compile/c_translate.hpp"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <string_view>

#include "compile/c_glue.hpp"
#include "compile/front/func_validator.hpp"
#include "compile/fuel_instrument.hpp"
#include "compile/wabt_front.hpp"
#include "wabt/apply-names.h"
#include "wabt/c-writer.h"
#include "wabt/cast.h"
#include "wabt/generate-names.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

// libtcc has no __builtin_clz/ctz/popcount, which the C writer's output uses outside MSVC.
const char* kTccPrelude = R"C(#ifdef __TINYC__
static int wisp_clz32(unsigned int x) { int n = 0; if (!x) return 32; while (!(x & 0x80000000u)) { x <<= 1; ++n; } return n; }
static int wisp_clz64(unsigned long long x) { int n = 0; if (!x) return 64; while (!(x & 0x8000000000000000ull)) { x <<= 1; ++n; } return n; }
static int wisp_ctz32(unsigned int x) { int n = 0; if (!x) return 32; while (!(x & 1u)) { x >>= 1; ++n; } return n; }
static int wisp_ctz64(unsigned long long x) { int n = 0; if (!x) return 64; while (!(x & 1ull)) { x >>= 1; ++n; } return n; }
static int wisp_popcount32(unsigned int x) { int n = 0; while (x) { x &= x - 1; ++n; } return n; }
static int wisp_popcount64(unsigned long long x) { int n = 0; while (x) { x &= x - 1; ++n; } return n; }
#define __builtin_clz wisp_clz32
#define __builtin_clzll wisp_clz64
#define __builtin_ctz wisp_ctz32
#define __builtin_ctzll wisp_ctz64
#define __builtin_popcount wisp_popcount32
#define __builtin_popcountll wisp_popcount64
#endif
)C";

// f32.neg / f64.neg flip only the sign bit (NaN payloads and signalling bits survive). libtcc
// compiles C's unary minus on floats as 0 - x, which quiets NaNs; so negation is rewritten as
// reinterpret, xor of the sign bit, reinterpret (gcc turns this back into one xorps).
void rewrite_float_neg(wabt::ExprList& exprs) {
  for (auto it = exprs.begin(); it != exprs.end(); ++it) {
    switch (it->type()) {
      case wabt::ExprType::Block:
        rewrite_float_neg(wabt::cast<wabt::BlockExpr>(&*it)->block.exprs);
        break;
      case wabt::ExprType::Loop:
        rewrite_float_neg(wabt::cast<wabt::LoopExpr>(&*it)->block.exprs);
        break;
      case wabt::ExprType::If: {
        auto* e = wabt::cast<wabt::IfExpr>(&*it);
        rewrite_float_neg(e->true_.exprs);
        rewrite_float_neg(e->false_);
        break;
      }
      case wabt::ExprType::Unary: {
        wabt::Opcode op = wabt::cast<wabt::UnaryExpr>(&*it)->opcode;
        bool f32 = op == wabt::Opcode::F32Neg;
        if (!f32 && op != wabt::Opcode::F64Neg) break;
        wabt::Location loc = it->loc;
        auto pos = exprs.erase(it);
        pos = exprs.insert(
            pos, std::make_unique<wabt::ConvertExpr>(
                     f32 ? wabt::Opcode::F32ReinterpretI32 : wabt::Opcode::F64ReinterpretI64, loc));
        pos = exprs.insert(pos, std::make_unique<wabt::BinaryExpr>(
                                    f32 ? wabt::Opcode::I32Xor : wabt::Opcode::I64Xor, loc));
        pos = exprs.insert(pos, std::make_unique<wabt::ConstExpr>(
                                    f32 ? wabt::Const::I32(0x80000000u, loc)
                                        : wabt::Const::I64(0x8000000000000000ull, loc),
                                    loc));
        pos = exprs.insert(
            pos, std::make_unique<wabt::ConvertExpr>(
                     f32 ? wabt::Opcode::I32ReinterpretF32 : wabt::Opcode::I64ReinterpretF64, loc));
        it = std::next(pos, 3);
        break;
      }
      default:
        break;
    }
  }
}

// libtcc does not inline: every load and store of the C writer's output would be a function
// call. With guard pages there is no bounds check to keep, so under tcc they become direct
// (unaligned-safe on x86-64) accesses. Inserted right after the writer's last DEFINE_STORE.
const char* kTccMemoryAccess = R"C(
#ifdef __TINYC__
#define WISP_AT(m, a, t) (*(t*)((m)->data + (a)))
#define i32_load(m, a) ((u32)WISP_AT(m, a, u32))
#define i64_load(m, a) ((u64)WISP_AT(m, a, u64))
#define f32_load(m, a) ((f32)WISP_AT(m, a, f32))
#define f64_load(m, a) ((f64)WISP_AT(m, a, f64))
#define i32_load8_s(m, a) ((u32)(s32)WISP_AT(m, a, s8))
#define i64_load8_s(m, a) ((u64)(s64)WISP_AT(m, a, s8))
#define i32_load8_u(m, a) ((u32)WISP_AT(m, a, u8))
#define i64_load8_u(m, a) ((u64)WISP_AT(m, a, u8))
#define i32_load16_s(m, a) ((u32)(s32)WISP_AT(m, a, s16))
#define i64_load16_s(m, a) ((u64)(s64)WISP_AT(m, a, s16))
#define i32_load16_u(m, a) ((u32)WISP_AT(m, a, u16))
#define i64_load16_u(m, a) ((u64)WISP_AT(m, a, u16))
#define i64_load32_s(m, a) ((u64)(s64)WISP_AT(m, a, s32))
#define i64_load32_u(m, a) ((u64)WISP_AT(m, a, u32))
#define i32_store(m, a, v) (WISP_AT(m, a, u32) = (u32)(v))
#define i64_store(m, a, v) (WISP_AT(m, a, u64) = (u64)(v))
#define f32_store(m, a, v) (WISP_AT(m, a, f32) = (f32)(v))
#define f64_store(m, a, v) (WISP_AT(m, a, f64) = (f64)(v))
#define i32_store8(m, a, v) (WISP_AT(m, a, u8) = (u8)(v))
#define i32_store16(m, a, v) (WISP_AT(m, a, u16) = (u16)(v))
#define i64_store8(m, a, v) (WISP_AT(m, a, u8) = (u8)(v))
#define i64_store16(m, a, v) (WISP_AT(m, a, u16) = (u16)(v))
#define i64_store32(m, a, v) (WISP_AT(m, a, u32) = (u32)(v))
#endif
)C";

}  // namespace

std::string translate_to_c(wabt::Module& ir, bool consume_fuel) {
  // Data segment bytes never go to the C compiler: active segments become passive, empty and
  // dropped; the runtime applies the real bytes at instantiation (or maps a snapshot image).
  for (wabt::DataSegment* seg : ir.data_segments) {
    if (seg->kind == wabt::SegmentKind::Active) {
      seg->kind = wabt::SegmentKind::Passive;
      seg->data.clear();
      seg->offset.clear();
    }
  }
  for (wabt::Func* f : ir.funcs) rewrite_float_neg(f->exprs);
  if (consume_fuel) instrument_fuel(ir);
  // C-safe names: the mangled symbols become predictable, and odd export names (such as ones
  // containing "*/") cannot break the comments the C writer emits.
  for (size_t i = 0; i < ir.exports.size(); ++i) ir.exports[i]->name = "e" + std::to_string(i);
  for (size_t i = 0; i < ir.imports.size(); ++i) {
    ir.imports[i]->module_name = "w";
    ir.imports[i]->field_name = "i" + std::to_string(i);
  }
  // The start function runs after the runtime applied the data segments: export it instead.
  if (!ir.starts.empty()) {
    wabt::Var start = *ir.starts.front();
    ir.starts.clear();
    auto field = std::make_unique<wabt::ExportModuleField>();
    field->export_.name = "e" + std::to_string(ir.exports.size());
    field->export_.kind = wabt::ExternalKind::Func;
    field->export_.var = start;
    ir.AppendField(std::move(field));
  }

  // The C writer needs every item named, as the wasm2c tool does before writing (which also
  // ignores ApplyNames failures: names it cannot apply are skipped).
  if (wabt::Failed(wabt::GenerateNames(&ir))) {
    throw CompileError("internal: cannot name the module's items for the C writer");
  }
  (void)wabt::ApplyNames(&ir);
  wabt::MemoryStream c_stream;
  wabt::MemoryStream h_stream;
  wabt::WriteCOptions options;
  options.module_name = "m";
  if (wabt::Failed(wabt::WriteC(&c_stream, &h_stream, "m.h", &ir, options))) {
    throw CompileError("the C writer could not translate this module");
  }
  const auto& cbuf = c_stream.output_buffer().data;
  const auto& hbuf = h_stream.output_buffer().data;
  std::string c(cbuf.begin(), cbuf.end());
  std::string h(hbuf.begin(), hbuf.end());

  if (const char* dump = std::getenv("WISP_DUMP_C")) {  // debugging aid: the raw C writer output
    std::ofstream(std::string(dump) + ".h") << h;
    std::ofstream(std::string(dump) + ".c") << c;
  }
  GeneratedLayout layout = parse_generated_header(h);
  if (consume_fuel && layout.fuel_field.empty())
    throw CompileError("internal: the fuel counter is missing from the generated C");
  const std::string include_line = "#include \"m.h\"";
  size_t at = c.find(include_line);
  if (at == std::string::npos) throw CompileError("internal: generated C does not include m.h");
  c.replace(at, include_line.size(), h);
  const std::string last_store = "DEFINE_STORE(i64_store32, u32, u64)\n";
  size_t stores = c.find(last_store);
  if (stores == std::string::npos) throw CompileError("internal: unexpected C writer output");
  c.insert(stores + last_store.size(), kTccMemoryAccess);
  c.insert(0, kTccPrelude);
  c += generate_glue(ir, layout);
  return c;
}

std::vector<std::string> split_translation_units(const std::string& c, size_t unit_bytes) {
  std::vector<std::string> whole{c};
  if (unit_bytes == 0 || c.size() <= 2 * unit_bytes) return whole;
  // The C writer declares every defined function, in one run of lines, before any initialiser:
  // "static RET NAME(Z_m_instance_t*, ...);", then defines them in the same order after the
  // initialisers, each as "static RET NAME(Z_m_instance_t* instance, ...) {" up to a "}" alone on
  // its line, one after the other; the exports, instantiation and the glue follow.
  static const std::regex proto_re(R"(static (.+) (\w+)\(Z_m_instance_t\*(, [^()]*)?\);)");
  struct Func {
    size_t proto_at;
    std::string header;
    size_t def_at = 0, def_end = 0;
  };
  std::vector<Func> funcs;
  size_t line = 0;
  while (line < c.size()) {
    size_t eol = c.find('\n', line);
    if (eol == std::string::npos) break;
    std::string_view l(c.data() + line, eol - line);
    std::match_results<std::string_view::const_iterator> m;
    if (l.starts_with("static ") && l.ends_with(");") &&
        std::regex_match(l.begin(), l.end(), m, proto_re)) {
      funcs.push_back(
          {line, "static " + m[1].str() + " " + m[2].str() + "(Z_m_instance_t* instance"});
    } else if (!funcs.empty()) {
      break;
    }
    line = eol + 1;
  }
  if (funcs.size() < 2) return whole;
  size_t protos_end = line;
  size_t at = protos_end;
  for (Func& f : funcs) {
    size_t found = c.find("\n" + f.header, at);
    if (found == std::string::npos) return whole;
    // Only blank lines between one definition and the next.
    if (&f != &funcs.front() && c.find_first_not_of(" \n", at) != found + 1) return whole;
    f.def_at = found + 1;
    size_t close = c.find("\n}\n", f.def_at);
    if (close == std::string::npos) return whole;
    f.def_end = close + 3;
    at = f.def_end - 1;
  }
  size_t head_end = funcs.front().def_at;
  // The prelude goes into every unit: it may hold no state but func_types (shared, defined in
  // unit 0) and s_module_initialized (used by the initialisation in unit 0 only), and no static
  // function declared but defined later.
  for (size_t l = 0; l < head_end;) {
    size_t eol = c.find('\n', l);
    std::string_view s(c.data() + l, eol - l);
    bool proto = l >= funcs.front().proto_at && l < protos_end;
    if (!proto && s.starts_with("static ") && !s.starts_with("static inline ") &&
        !s.starts_with("static const ")) {
      bool variable = s.find('(') == std::string_view::npos;
      if (variable && !s.starts_with("static u32 func_types[") &&
          !s.starts_with("static bool s_module_initialized "))
        return whole;
      if (!variable && s.ends_with(";")) return whole;
    }
    l = eol + 1;
  }
  auto prelude = [&](bool defines_func_types) {
    std::string out;
    out.reserve(head_end + 64);
    size_t from = 0;
    for (const Func& f : funcs) {
      out.append(c, from, f.proto_at - from);
      from = f.proto_at + 7;  // "static "
    }
    out.append(c, from, head_end - from);
    size_t ft = out.find("\nstatic u32 func_types[");
    if (ft != std::string::npos) out.replace(ft + 1, 7, defines_func_types ? "" : "extern ");
    return out;
  };
  std::vector<std::string> units;
  units.push_back(prelude(true) + c.substr(funcs.back().def_end));
  const std::string shared = prelude(false);
  for (size_t k = 0; k < funcs.size();) {
    std::string unit = shared;
    size_t start = funcs[k].def_at;
    do {
      unit.append(c, funcs[k].def_at + 7, funcs[k].def_end - funcs[k].def_at - 7);
      unit += '\n';
      ++k;
    } while (k < funcs.size() && funcs[k].def_at - start < unit_bytes);
    units.push_back(std::move(unit));
  }
  return units;
}

emit::CModule translate_bytes_to_c(std::span<const uint8_t> bytes, bool consume_fuel,
                                   bool own_front_end) {
  if (own_front_end)
    return translate_own(front::validate_module(bytes, front::FeatureSet{}), bytes, consume_fuel);
  std::unique_ptr<wabt::Module> ir = read_and_validate(bytes);
  return emit::CModule{translate_to_c(*ir, consume_fuel), 0, {}};
}

std::vector<std::string> translation_units(const emit::CModule& c, size_t unit_bytes) {
  if (c.function_ends.empty()) return split_translation_units(c.text, unit_bytes);
  return c.units(unit_bytes);
}

}  // namespace wisp::detail

namespace wisp::detail {

emit::CModule translate_own(const front::ModuleDecl& decl, std::span<const uint8_t> bytes,
                            bool consume_fuel) {
  emit::EmitOptions options;
  options.consume_fuel = consume_fuel;
  options.features = decl.features;
  options.c_budget = emit::c_budget(decl, bytes.size());
  return emit::emit_module_c(decl, bytes, options);
}

}  // namespace wisp::detail
