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
    push_pure(ValType::v128,
              "wisp_v128_const(" + u64_literal(op.value) + ", " + u64_literal(op.value_hi) + ")",
              -1);
    return true;
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
