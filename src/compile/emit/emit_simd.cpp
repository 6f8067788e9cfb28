// The C emitter's SIMD operators (v128, prefix 0xfd): every one is a call of a prelude helper
// named after the operator (c_simd.cpp: `i8x16.add_sat_s` is wisp_i8x16_add_sat_s), with its
// operands, then its immediates (a lane index; a shuffle's 16 lanes packed into two u64). Loads
// pass the effective address and stay pending like scalar loads (deferred: evaluated before the
// next statement with effects); stores and lane stores are statements.
#include <string>

#include "compile/emit/c_emitter.hpp"

namespace wisp::detail::emit {

using front::Imm;
using front::Op;
using front::Operator;

namespace {

// "wisp_i8x16_add_sat_s(" for "i8x16.add_sat_s".
std::string helper_call(const char* text) {
  std::string s = "wisp_";
  for (const char* c = text; *c; ++c) s += *c == '.' ? '_' : *c;
  s += '(';
  return s;
}

std::string u64_literal(uint64_t v) {
  return std::to_string(v) + "ull";
}

// If `text` is one call of `callee` ("callee(...)" and nothing around it): its argument text.
bool single_call(const std::string& text, const std::string& callee, std::string* arg) {
  if (text.size() < callee.size() + 2 || text.compare(0, callee.size(), callee) != 0 ||
      text[callee.size()] != '(' || text.back() != ')')
    return false;
  int depth = 0;
  for (size_t i = callee.size(); i + 1 < text.size(); ++i) {
    depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
    if (depth == 0) return false;  // the first call closes before the end
  }
  *arg = text.substr(callee.size() + 1, text.size() - callee.size() - 2);
  return true;
}

// i32x4.extend_low_i16x8_{s,u} of a pending i16x8.extend_low_i8x16 of the same sign: one
// extension from bytes (c_simd_float_mem.cpp's wisp_x_ helpers), from memory if the bytes come
// from v128.load32_zero. Empty if the operand is not such a call.
std::string fused_extend(const std::string& operand, bool is_signed) {
  const char* sfx = is_signed ? "s" : "u";
  std::string bytes, address;
  if (!single_call(operand, std::string("wisp_i16x8_extend_low_i8x16_") + sfx, &bytes)) return {};
  if (single_call(bytes, "wisp_v128_load32_zero", &address))
    return std::string("wisp_x_load8x4_") + sfx + "(" + address + ")";
  return std::string("wisp_x_extend_i8_i32_") + sfx + "(" + bytes + ")";
}

// A v128.const as C: four equal 32-bit lanes in the short form wisp_k32x4 (which keeps the
// expressions that use it short enough to stay pending, so fused forms can see them).
std::string v128_const_text(uint64_t lo, uint64_t hi) {
  const uint32_t lane = static_cast<uint32_t>(lo);
  if (lo == hi && (lo >> 32) == lane) return "wisp_k32x4(" + std::to_string(lane) + "u)";
  return "wisp_v128_const(" + u64_literal(lo) + ", " + u64_literal(hi) + ")";
}

bool is_v128_const_text(const std::string& text) {
  std::string arg;
  return single_call(text, "wisp_k32x4", &arg) || single_call(text, "wisp_v128_const", &arg);
}

// If `expr` is f32x4.min(A, K) with K a v128.const: its argument text "A, K".
bool min_against_constant(const std::string& expr, std::string* args) {
  if (!single_call(expr, "wisp_f32x4_min", args)) return false;
  int depth = 0;
  size_t comma = std::string::npos;  // the last top-level one
  for (size_t i = 0; i < args->size(); ++i) {
    if ((*args)[i] == '(') ++depth;
    if ((*args)[i] == ')') --depth;
    if ((*args)[i] == ',' && depth == 0) comma = i;
  }
  return comma != std::string::npos && comma + 2 <= args->size() &&
         is_v128_const_text(args->substr(comma + 2));  // after ", "
}

}  // namespace

bool CEmitter::simd_op(const Operator& op) {
  if ((op.code >> 16) != 0xfd) return false;
  const char* sig = op.info->sig;
  uint32_t arity = 0;
  while (sig[arity] != '>') ++arity;
  const ValType result = front::sig_letter_type(sig[arity + 1]);  // unknown: no result
  const uint32_t base = n_ - arity;
  const bool memory = op.info->imm == Imm::Memarg || op.info->imm == Imm::MemargLane;

  if (op.code == Op::V128Const) {
    push_pure(ValType::v128, v128_const_text(op.value, op.value_hi), -1);
    return true;
  }

  // i32x4.trunc_sat_f32x4_s of f32x4.min against a constant: one fused helper. The min is
  // either pending, or (its operands were in slots) the statement just written to its slot,
  // which is then rewritten in place: the slot's value is used by this operator alone.
  if (op.code == Op::I32x4TruncSatF32x4S) {
    std::string args;
    if (vs_[base].pending) {
      if (min_against_constant(vs_[base].text, &args)) {
        replace_pending_top("wisp_x_trunc_sat_min_k(" + args + ")");
        return true;
      }
    } else {
      const std::string head = vs_[base].text + " = ";
      const size_t line = body_.rfind('\n', body_.size() >= 2 ? body_.size() - 2 : 0);
      const size_t from = line == std::string::npos ? 0 : line + 1;
      const std::string stmt = body_.substr(from);
      if (stmt.size() > head.size() + 2 && stmt.compare(0, head.size(), head) == 0 &&
          stmt.compare(stmt.size() - 2, 2, ";\n") == 0 &&
          min_against_constant(stmt.substr(head.size(), stmt.size() - head.size() - 2), &args)) {
        body_.replace(from, std::string::npos, head + "wisp_x_trunc_sat_min_k(" + args + ");\n");
        pop(1);
        push_slot(ValType::v128);
        return true;
      }
    }
  }

  if ((op.code == Op::I32x4ExtendLowI16x8U || op.code == Op::I32x4ExtendLowI16x8S) &&
      vs_[base].pending) {
    Val& v = vs_[base];
    std::string fused = fused_extend(v.text, op.code == Op::I32x4ExtendLowI16x8S);
    if (!fused.empty()) {
      replace_pending_top(std::move(fused));
      return true;
    }
  }

  std::string e = helper_call(op.info->text);
  bool pend = true, deferred = memory, loads = memory;
  for (uint32_t k = 0; k < arity; ++k) {
    const Val& v = vs_[base + k];
    pend = pend && v.pending;
    deferred = deferred || (v.pending && v.deferred);
    loads = loads || (v.pending && v.loads);
    if (k) e += ", ";
    e += memory && k == 0 ? effective_address(op, base) : v.text;
  }
  switch (op.info->imm) {
    case Imm::Lane:
    case Imm::MemargLane:
      e += ", " + std::to_string(op.lane);
      break;
    case Imm::Shuffle:
      e += ", " + v128_halves(op.lanes);
      break;
    default:
      break;
  }
  e += ')';
  const int32_t local = locals_of(base, arity);
  pop(arity);
  if (result == ValType::unknown) {  // v128.store, v128.storeN_lane
    settle();
    body_ += e + ";\n";
    return true;
  }
  push_pure(result, std::move(e), local, pend, deferred, loads);
  return true;
}

}  // namespace wisp::detail::emit
