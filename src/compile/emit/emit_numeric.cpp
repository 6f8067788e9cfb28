// The C emitter's numeric operators: one C expression pattern per operator ($0, $1: the operands'
// C text, deepest first). Pure patterns may stay pending (folded into their consumer); the ones
// that can trap (division, float-to-int truncation) are computed at once, in order. The helpers
// they call (wisp_div_s32, wisp_fminf, ...) are defined in the prelude (c_prelude.cpp).
#include <string>

#include "compile/emit/c_emitter.hpp"

namespace wisp::detail::emit {

using front::Op;
using front::Operator;

namespace {

struct Pattern {
  const char* expr;
  bool traps;
};

Pattern pattern(uint32_t code) {
  switch (code) {
    // clang-format off
    case Op::I32Eqz: return {"(u32)($0 == 0)", false};
    case Op::I32Eq: return {"(u32)($0 == $1)", false};
    case Op::I32Ne: return {"(u32)($0 != $1)", false};
    case Op::I32LtS: return {"(u32)((s32)$0 < (s32)$1)", false};
    case Op::I32LtU: return {"(u32)($0 < $1)", false};
    case Op::I32GtS: return {"(u32)((s32)$0 > (s32)$1)", false};
    case Op::I32GtU: return {"(u32)($0 > $1)", false};
    case Op::I32LeS: return {"(u32)((s32)$0 <= (s32)$1)", false};
    case Op::I32LeU: return {"(u32)($0 <= $1)", false};
    case Op::I32GeS: return {"(u32)((s32)$0 >= (s32)$1)", false};
    case Op::I32GeU: return {"(u32)($0 >= $1)", false};
    case Op::I64Eqz: return {"(u32)($0 == 0)", false};
    case Op::I64Eq: return {"(u32)($0 == $1)", false};
    case Op::I64Ne: return {"(u32)($0 != $1)", false};
    case Op::I64LtS: return {"(u32)((s64)$0 < (s64)$1)", false};
    case Op::I64LtU: return {"(u32)($0 < $1)", false};
    case Op::I64GtS: return {"(u32)((s64)$0 > (s64)$1)", false};
    case Op::I64GtU: return {"(u32)($0 > $1)", false};
    case Op::I64LeS: return {"(u32)((s64)$0 <= (s64)$1)", false};
    case Op::I64LeU: return {"(u32)($0 <= $1)", false};
    case Op::I64GeS: return {"(u32)((s64)$0 >= (s64)$1)", false};
    case Op::I64GeU: return {"(u32)($0 >= $1)", false};
    case Op::F32Eq: case Op::F64Eq: return {"(u32)($0 == $1)", false};
    case Op::F32Ne: case Op::F64Ne: return {"(u32)($0 != $1)", false};
    case Op::F32Lt: case Op::F64Lt: return {"(u32)($0 < $1)", false};
    case Op::F32Gt: case Op::F64Gt: return {"(u32)($0 > $1)", false};
    case Op::F32Le: case Op::F64Le: return {"(u32)($0 <= $1)", false};
    case Op::F32Ge: case Op::F64Ge: return {"(u32)($0 >= $1)", false};

    case Op::I32Clz: return {"wisp_clz32($0)", false};
    case Op::I32Ctz: return {"wisp_ctz32($0)", false};
    case Op::I32Popcnt: return {"wisp_popcnt32($0)", false};
    case Op::I32Add: case Op::I64Add: return {"($0 + $1)", false};
    case Op::I32Sub: case Op::I64Sub: return {"($0 - $1)", false};
    case Op::I32Mul: case Op::I64Mul: return {"($0 * $1)", false};
    case Op::I32DivS: return {"wisp_div_s32($0, $1)", true};
    case Op::I32DivU: return {"wisp_div_u32($0, $1)", true};
    case Op::I32RemS: return {"wisp_rem_s32($0, $1)", true};
    case Op::I32RemU: return {"wisp_rem_u32($0, $1)", true};
    case Op::I32And: case Op::I64And: return {"($0 & $1)", false};
    case Op::I32Or: case Op::I64Or: return {"($0 | $1)", false};
    case Op::I32Xor: case Op::I64Xor: return {"($0 ^ $1)", false};
    case Op::I32Shl: return {"($0 << ($1 & 31))", false};
    case Op::I32ShrS: return {"(u32)((s32)$0 >> ($1 & 31))", false};
    case Op::I32ShrU: return {"($0 >> ($1 & 31))", false};
    case Op::I32Rotl: return {"wisp_rotl32($0, $1)", false};
    case Op::I32Rotr: return {"wisp_rotr32($0, $1)", false};
    case Op::I64Clz: return {"wisp_clz64($0)", false};
    case Op::I64Ctz: return {"wisp_ctz64($0)", false};
    case Op::I64Popcnt: return {"wisp_popcnt64($0)", false};
    case Op::I64DivS: return {"wisp_div_s64($0, $1)", true};
    case Op::I64DivU: return {"wisp_div_u64($0, $1)", true};
    case Op::I64RemS: return {"wisp_rem_s64($0, $1)", true};
    case Op::I64RemU: return {"wisp_rem_u64($0, $1)", true};
    case Op::I64Shl: return {"($0 << ($1 & 63))", false};
    case Op::I64ShrS: return {"(u64)((s64)$0 >> ($1 & 63))", false};
    case Op::I64ShrU: return {"($0 >> ($1 & 63))", false};
    case Op::I64Rotl: return {"wisp_rotl64($0, $1)", false};
    case Op::I64Rotr: return {"wisp_rotr64($0, $1)", false};

    // Sign-bit operations (c_prelude.cpp: on the bits for libtcc, whose unary minus would quiet
    // NaNs; cc's andps/xorps otherwise).
    case Op::F32Abs: return {"wisp_fabsf($0)", false};
    case Op::F32Neg: return {"wisp_fnegf($0)", false};
    case Op::F32Copysign:
      return {"BITS_F32((F32_BITS($0) & 0x7fffffffu) | (F32_BITS($1) & 0x80000000u))", false};
    case Op::F64Abs: return {"wisp_fabs($0)", false};
    case Op::F64Neg: return {"wisp_fneg($0)", false};
    case Op::F64Copysign:
      return {"BITS_F64((F64_BITS($0) & 0x7fffffffffffffffull) | "
              "(F64_BITS($1) & 0x8000000000000000ull))", false};
    case Op::F32Ceil: return {"wisp_ceilf($0)", false};
    case Op::F32Floor: return {"wisp_floorf($0)", false};
    case Op::F32Trunc: return {"wisp_truncf($0)", false};
    case Op::F32Nearest: return {"wisp_nearestf($0)", false};
    case Op::F32Sqrt: return {"wisp_sqrtf($0)", false};
    case Op::F64Ceil: return {"wisp_ceil($0)", false};
    case Op::F64Floor: return {"wisp_floor($0)", false};
    case Op::F64Trunc: return {"wisp_trunc($0)", false};
    case Op::F64Nearest: return {"wisp_nearest($0)", false};
    case Op::F64Sqrt: return {"wisp_sqrt($0)", false};
    case Op::F32Add: case Op::F64Add: return {"($0 + $1)", false};
    case Op::F32Sub: case Op::F64Sub: return {"($0 - $1)", false};
    case Op::F32Mul: case Op::F64Mul: return {"($0 * $1)", false};
    case Op::F32Div: case Op::F64Div: return {"($0 / $1)", false};
    case Op::F32Min: return {"wisp_fminf($0, $1)", false};
    case Op::F32Max: return {"wisp_fmaxf($0, $1)", false};
    case Op::F64Min: return {"wisp_fmin($0, $1)", false};
    case Op::F64Max: return {"wisp_fmax($0, $1)", false};

    case Op::I32WrapI64: return {"(u32)$0", false};
    case Op::I32TruncF32S: return {"wisp_trunc_s32_f32($0)", true};
    case Op::I32TruncF32U: return {"wisp_trunc_u32_f32($0)", true};
    case Op::I32TruncF64S: return {"wisp_trunc_s32_f64($0)", true};
    case Op::I32TruncF64U: return {"wisp_trunc_u32_f64($0)", true};
    case Op::I64ExtendI32S: return {"(u64)(s64)(s32)$0", false};
    case Op::I64ExtendI32U: return {"(u64)$0", false};
    case Op::I64TruncF32S: return {"wisp_trunc_s64_f32($0)", true};
    case Op::I64TruncF32U: return {"wisp_trunc_u64_f32($0)", true};
    case Op::I64TruncF64S: return {"wisp_trunc_s64_f64($0)", true};
    case Op::I64TruncF64U: return {"wisp_trunc_u64_f64($0)", true};
    case Op::F32ConvertI32S: return {"(f32)(s32)$0", false};
    case Op::F32ConvertI32U: return {"(f32)$0", false};
    case Op::F32ConvertI64S: return {"(f32)(s64)$0", false};
    case Op::F32ConvertI64U: return {"(f32)$0", false};
    case Op::F32DemoteF64: return {"wisp_demote($0)", false};
    case Op::F64ConvertI32S: return {"(f64)(s32)$0", false};
    case Op::F64ConvertI32U: return {"(f64)$0", false};
    case Op::F64ConvertI64S: return {"(f64)(s64)$0", false};
    case Op::F64ConvertI64U: return {"(f64)$0", false};
    case Op::F64PromoteF32: return {"wisp_promote($0)", false};
    case Op::I32ReinterpretF32: return {"F32_BITS($0)", false};
    case Op::I64ReinterpretF64: return {"F64_BITS($0)", false};
    case Op::F32ReinterpretI32: return {"BITS_F32($0)", false};
    case Op::F64ReinterpretI64: return {"BITS_F64($0)", false};
    case Op::I32Extend8S: return {"(u32)(s32)(s8)$0", false};
    case Op::I32Extend16S: return {"(u32)(s32)(s16)$0", false};
    case Op::I64Extend8S: return {"(u64)(s64)(s8)$0", false};
    case Op::I64Extend16S: return {"(u64)(s64)(s16)$0", false};
    case Op::I64Extend32S: return {"(u64)(s64)(s32)$0", false};
    case Op::I32TruncSatF32S: return {"wisp_sat_s32_f32($0)", false};
    case Op::I32TruncSatF32U: return {"wisp_sat_u32_f32($0)", false};
    case Op::I32TruncSatF64S: return {"wisp_sat_s32_f64($0)", false};
    case Op::I32TruncSatF64U: return {"wisp_sat_u32_f64($0)", false};
    case Op::I64TruncSatF32S: return {"wisp_sat_s64_f32($0)", false};
    case Op::I64TruncSatF32U: return {"wisp_sat_u64_f32($0)", false};
    case Op::I64TruncSatF64S: return {"wisp_sat_s64_f64($0)", false};
    case Op::I64TruncSatF64U: return {"wisp_sat_u64_f64($0)", false};
    // clang-format on
    default:
      return {nullptr, false};
  }
}

// A cheaper pattern when the right operand is the constant `c` (no trap check, no mask, no
// NaN/zero cases).
const char* const_right(uint32_t code, uint64_t c, std::string& buf) {
  const bool is64 = code == Op::I64DivS || code == Op::I64DivU || code == Op::I64RemS ||
                    code == Op::I64RemU || code == Op::I64Shl || code == Op::I64ShrS ||
                    code == Op::I64ShrU;
  const uint64_t minus1 = is64 ? ~uint64_t{0} : 0xffffffffu;
  switch (code) {
    case Op::I32DivS:
      return c != 0 && c != minus1 ? "(u32)((s32)$0 / (s32)$1)" : nullptr;
    case Op::I64DivS:
      return c != 0 && c != minus1 ? "(u64)((s64)$0 / (s64)$1)" : nullptr;
    case Op::I32RemS:
      return c != 0 && c != minus1 ? "(u32)((s32)$0 % (s32)$1)" : nullptr;
    case Op::I64RemS:
      return c != 0 && c != minus1 ? "(u64)((s64)$0 % (s64)$1)" : nullptr;
    case Op::I32DivU:
    case Op::I64DivU:
      return c != 0 ? "($0 / $1)" : nullptr;
    case Op::I32RemU:
    case Op::I64RemU:
      return c != 0 ? "($0 % $1)" : nullptr;
    case Op::I32Shl:
    case Op::I64Shl:
    case Op::I32ShrU:
    case Op::I64ShrU:
    case Op::I32ShrS:
    case Op::I64ShrS: {
      const char* op = code == Op::I32Shl || code == Op::I64Shl ? " << " : " >> ";
      std::string k = std::to_string(c & (is64 ? 63 : 31));
      if (code == Op::I32ShrS) {
        buf = "(u32)((s32)$0 >> " + k + ")";
      } else if (code == Op::I64ShrS) {
        buf = "(u64)((s64)$0 >> " + k + ")";
      } else {
        buf = std::string("($0") + op + k + ")";
      }
      return buf.c_str();
    }
    case Op::F32Min:
    case Op::F32Max:
    case Op::F64Min:
    case Op::F64Max: {  // a constant that is not a NaN: wisp_fminf_k etc. (c_prelude.cpp)
      const bool is32 = code == Op::F32Min || code == Op::F32Max;
      const uint64_t magnitude = is32 ? c & 0x7fffffffu : c & 0x7fffffffffffffffull;
      const uint64_t inf = is32 ? 0x7f800000u : 0x7ff0000000000000ull;
      const bool is_min = code == Op::F32Min || code == Op::F64Min;
      if (magnitude > inf) return nullptr;
      if (magnitude == 0 && c != 0) {  // -0: min needs both tests, max(x, -0) is max_k
        if (is_min) return nullptr;
      } else if (magnitude == 0 && !is_min) {  // max(x, +0): ReLU
        return is32 ? "wisp_fmaxf_z($0, $1)" : "wisp_fmax_z($0, $1)";
      }
      if (code == Op::F32Min) return "wisp_fminf_k($0, $1)";
      if (code == Op::F32Max) return "wisp_fmaxf_k($0, $1)";
      return code == Op::F64Min ? "wisp_fmin_k($0, $1)" : "wisp_fmax_k($0, $1)";
    }
    default:
      return nullptr;
  }
}

}  // namespace

bool CEmitter::numeric_op(const Operator& op) {
  if (op.code == Op::I32Const || op.code == Op::I64Const || op.code == Op::F32Const ||
      op.code == Op::F64Const) {
    const ValType t = op.code == Op::I32Const   ? ValType::i32
                      : op.code == Op::I64Const ? ValType::i64
                      : op.code == Op::F32Const ? ValType::f32
                                                : ValType::f64;
    push_const(t, op.value);
    return true;
  }
  Pattern p = pattern(op.code);
  if (!p.expr) return false;
  const char* sig = op.info->sig;
  uint32_t arity = 0;
  while (sig[arity] != '>') ++arity;
  const ValType result = front::sig_letter_type(sig[arity + 1]);  // numeric: i, I, f, F
  const uint32_t base = n_ - arity;
  std::string buf;
  if (arity == 2 && vs_[base + 1].is_const) {
    if (const char* cheaper = const_right(op.code, vs_[base + 1].bits, buf)) p = {cheaper, false};
  }
  bool pend = !p.traps, deferred = false, loads = false;
  std::string e;
  e.reserve(64);
  for (const char* c = p.expr; *c; ++c) {
    if (*c == '$') {
      const Val& v = vs_[base + (c[1] - '0')];
      pend = pend && v.pending;
      deferred = deferred || (v.pending && v.deferred);
      loads = loads || (v.pending && v.loads);
      e += v.text;
      ++c;
    } else {
      e += *c;
    }
  }
  const int32_t local = locals_of(base, arity);
  pop(arity);
  push_pure(result, std::move(e), local, pend, deferred, loads);
  return true;
}

}  // namespace wisp::detail::emit
