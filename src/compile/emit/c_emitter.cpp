// The C emitter's core: one function's lifecycle, the operand stack of slots and pending
// expressions, fuel segments, and the variable, parametric and reference operators. Control flow
// is in emit_control.cpp, arithmetic in emit_numeric.cpp, memory and tables in emit_memory.cpp.
#include "compile/emit/c_emitter.hpp"

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "compile/emit/c_module.hpp"
#include "wisp/error.hpp"

namespace wisp::detail::emit {

using front::Op;
using front::Operator;

namespace {

// Pending values at most: beyond this the deepest is written to its slot (bounds the work of
// flush_local, so a local.set costs O(1)).
constexpr size_t kMaxPending = 8;
// Longest pending expression (longer ones are written to their slot: bounds the copying).
constexpr size_t kMaxPendingText = 96;
// Fuel charges are written as a fixed-width number, patched when the segment closes.
constexpr size_t kFuelWidth = 10;
constexpr const char* kFuelOpen = "FUEL(";

void append_u64(std::string& s, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

}  // namespace

CEmitter::CEmitter(const ModuleShape& shape) : shape_(shape), decl_(*shape.decl) {}

void CEmitter::over_budget(size_t offset) const {
  throw CompileError("module too large to translate: function " + std::to_string(func_) +
                         " takes its C past " + std::to_string(budget_ >> 20) +
                         " MiB, the budget for this module (" + c_budget_rule() + ")",
                     offset);
}

std::string CEmitter::prototype(const ModuleShape& shape, uint32_t f, bool with_names) {
  const front::FuncType& ft = shape.decl->func_type(f);
  return "WISP_FN " + c_return_type(ft) + " w" + std::to_string(f) +
         (with_names ? "(M* I" : "(M*") + c_params(ft, with_names ? "L" : nullptr) + ")";
}

std::string CEmitter::tail_prototype(uint32_t f, bool with_names) {
  return "WISP_FN void t" + std::to_string(f) + (with_names ? "(M* I)" : "(M*)");
}

void CEmitter::begin_function(const front::ValidatorState& v) {
  v_ = &v;
  func_ = v.func_index();
  const front::FuncType& ft = decl_.func_type(func_);
  fuel_ = shape_.consume_fuel;
  nresults_ = static_cast<uint32_t>(ft.results.size());
  body_.clear();
  // About 6 bytes of C per byte of code: reserving spares the regrowth of a big body.
  body_.reserve(size_t{8} * decl_.bodies[func_ - decl_.num_imported_funcs].size);
  n_ = 0;
  pend_.clear();
  frames_.clear();
  live_ = true;
  next_label_ = 0;
  slot_used_.clear();
  mem_used_.assign(decl_.memories.size(), 0);
  uses_funcref_tmp_ = false;
  uses_tc_tmp_ = false;
  num_tries_ = 0;
  seg_open_ = false;
  Frame f;
  f.kind = Op::End;
  f.label = next_label_++;
  f.nresults = nresults_;
  frames_.push_back(f);
}

void CEmitter::end_function() {
  close_segment();
  std::span<const ValType> locals = v_->locals();
  uint32_t np = v_->num_params();
  std::string& out = *out_;
  const front::FuncType& ft = decl_.func_type(func_);
  // A function with a try keeps every local and stack slot volatile: a value set after setjmp
  // must survive the longjmp of a throw (emit_exceptions.cpp).
  const char* vol = num_tries_ ? "volatile " : "";
  const bool params_copied = num_tries_ && !tail_variant_ && !wide(ft);
  if (params_copied) {  // params named P<n>, copied into volatile L<n>
    out += "WISP_FN " + c_return_type(ft) + " w" + std::to_string(func_) + "(M* I" +
           c_params(ft, "P") + ") {\n";
    for (uint32_t p = 0; p < np; ++p)
      out += std::string(vol) + ctype(locals[p]).c + " L" + std::to_string(p) + " = P" +
             std::to_string(p) + ";\n";
  } else {
    out += tail_variant_ ? tail_prototype(func_, true) : prototype(shape_, func_, true);
    out += " {\n";
  }
  // The params arrive as an array (wide types), or in I->tcbuf (a tail variant).
  if (tail_variant_ || wide(ft)) {
    const char* from = tail_variant_ ? "I->tcbuf[" : "A[";
    for (uint32_t p = 0; p < np; ++p) {
      const CType& t = ctype(locals[p]);
      out += std::string(vol) + t.c + " L" + std::to_string(p) + " = " + from + std::to_string(p) +
             "]." + t.raw + ";\n";
    }
  }
  // Declared locals, zero-initialised, one declaration per run of one type.
  for (size_t i = np; i < locals.size();) {
    const CType& t = ctype(locals[i]);
    out += vol;
    out += t.c;
    const char* zero =
        locals[i] == ValType::funcref || locals[i] == ValType::v128 ? " = {0}" : " = 0";
    size_t k = i;
    for (; k < locals.size() && locals[k] == locals[i]; ++k) {
      out += k == i ? " L" : ", L";
      append_u64(out, k);
      out += zero;
    }
    out += ";\n";
    i = k;
  }
  // The operand stack slots that were used.
  for (const ValType vt : kAllCTypes) {
    const CType& t = ctype(vt);
    bool any = false;
    for (size_t h = 0; h < slot_used_.size(); ++h) {
      if (!(slot_used_[h] & (1u << t.index))) continue;
      if (!any) out += vol;
      out += any ? ", " : t.c;
      if (!any) out += ' ';
      out += t.slot;
      append_u64(out, h);
      any = true;
    }
    if (any) out += ";\n";
  }
  for (uint32_t m = 0; m < mem_used_.size(); ++m) {
    if (!mem_used_[m]) continue;
    out += "u8* M" + std::to_string(m) + " = (" + shape_.memory_ptr(m) + ")->data;\n";
  }
  if (uses_funcref_tmp_) out += "const wasm_rt_funcref_t* F;\n";
  if (uses_tc_tmp_) out += "wisp_tc_t T;\n";
  if (fuel_) out += std::string(vol) + "s64 fuel = I->fuel;\n";
  if (num_tries_) {
    out += "WASM_RT_UNWIND_TARGET* Ufn = wasm_rt_get_unwind_target();\n";
    for (uint32_t k = 0; k < num_tries_; ++k) {
      const std::string n = std::to_string(k);
      out += "WASM_RT_UNWIND_TARGET J" + n + ";\nWASM_RT_UNWIND_TARGET* volatile U" + n +
             ";\nwisp_exn_t X" + n + ";\n";
    }
  }
  out += body_;
  out += "}\n";
  body_.clear();  // in `out` now (check_budget counts both)
}

// ---- values ----

std::string CEmitter::slot(uint32_t h, ValType t) {
  const CType& c = ctype(t);
  if (slot_used_.size() <= h) slot_used_.resize(size_t{h} + 1);
  slot_used_[h] |= static_cast<uint8_t>(1u << c.index);
  std::string s(1, c.slot);
  append_u64(s, h);
  return s;
}

const std::string& CEmitter::text(uint32_t h) {
  return vs_[h].text;
}

namespace {
CEmitter::Val& grow(std::vector<CEmitter::Val>& vs, uint32_t h) {
  if (vs.size() <= h) vs.resize(size_t{h} + 1);
  return vs[h];
}
}  // namespace

void CEmitter::push_slot(ValType t) {
  Val& v = grow(vs_, n_);
  v.type = t;
  v.pending = false;
  v.deferred = false;
  v.is_const = false;
  v.local = -1;
  v.text = slot(n_, t);
  ++n_;
}

void CEmitter::push_pure(ValType t, std::string expr, int32_t local, bool may_pend, bool deferred,
                         bool loads) {
  if (!may_pend || expr.size() > kMaxPendingText) {
    push_stmt(t, expr);
    return;
  }
  Val& v = grow(vs_, n_);
  v.type = t;
  v.pending = true;
  v.deferred = deferred;
  v.loads = loads;
  v.is_const = false;
  v.local = local;
  v.text = std::move(expr);
  pend_.push_back(n_);
  ++n_;
  if (pend_.size() > kMaxPending) {
    materialize(pend_.front());
    pend_.erase(pend_.begin());
  }
}

void CEmitter::replace_pending_top(std::string expr) {
  const Val& v = vs_[n_ - 1];
  const ValType type = v.type;
  const bool deferred = v.deferred, loads = v.loads;
  const int32_t local = v.local;
  pop(1);
  push_pure(type, std::move(expr), local, true, deferred, loads);
}

void CEmitter::push_const(ValType t, uint64_t bits) {
  std::string s;
  switch (t) {
    case ValType::i32:
      append_u64(s, static_cast<uint32_t>(bits));
      s += 'u';
      break;
    case ValType::i64:
      append_u64(s, bits);
      s += "ull";
      break;
    default:
      s = float_literal(t, bits);
      break;
  }
  push_pure(t, std::move(s), -1);
  Val& v = vs_[n_ - 1];
  v.is_const = true;
  v.bits = bits;
}

void CEmitter::push_stmt(ValType t, const std::string& expr) {
  settle();
  std::string s = slot(n_, t);
  last_pos_ = body_.size();
  body_ += s;
  body_ += " = ";
  body_ += expr;
  body_ += ";\n";
  last_end_ = body_.size();
  last_h_ = n_;
  push_slot(t);
}

void CEmitter::pop(uint32_t n) {
  n_ -= n;
  while (!pend_.empty() && pend_.back() >= n_) pend_.pop_back();
}

void CEmitter::materialize(uint32_t h) {
  Val& v = vs_[h];
  if (!v.pending) return;
  std::string s = slot(h, v.type);
  body_ += s;
  body_ += " = ";
  body_ += v.text;
  body_ += ";\n";
  v.pending = false;
  v.deferred = false;
  v.local = -1;
  v.text = std::move(s);
}

void CEmitter::settle() {
  size_t keep = 0;
  for (uint32_t h : pend_) {
    if (vs_[h].deferred) {
      materialize(h);
    } else {
      pend_[keep++] = h;
    }
  }
  pend_.resize(keep);
}

void CEmitter::settle_below(uint32_t limit) {
  size_t keep = 0;
  for (uint32_t h : pend_) {
    if (h < limit && vs_[h].deferred) {
      materialize(h);
    } else {
      pend_[keep++] = h;
    }
  }
  pend_.resize(keep);
}

bool CEmitter::any_deferred(uint32_t first, uint32_t n) const {
  for (uint32_t h = first; h < first + n; ++h)
    if (vs_[h].pending && vs_[h].deferred) return true;
  return false;
}

void CEmitter::flush() {
  for (uint32_t h : pend_) materialize(h);
  pend_.clear();
}

void CEmitter::flush_local(uint32_t local) {
  size_t keep = 0;
  for (uint32_t h : pend_) {
    int32_t l = vs_[h].local;
    if (l == static_cast<int32_t>(local) || l == -2) {
      materialize(h);
    } else {
      pend_[keep++] = h;
    }
  }
  pend_.resize(keep);
}

int32_t CEmitter::locals_of(uint32_t first, uint32_t n) const {
  int32_t r = -1;
  for (uint32_t h = first; h < first + n; ++h) {
    int32_t l = vs_[h].local;
    if (l == -1 || l == r) continue;
    r = r == -1 ? l : -2;
  }
  return r;
}

// ---- fuel ----

void CEmitter::charge() {
  if (!fuel_) return;
  if (!seg_open_) {
    seg_open_ = true;
    seg_cost_ = 0;
    body_ += kFuelOpen;
    seg_pos_ = body_.size();
    body_.append(kFuelWidth, ' ');
    body_ += ");\n";
  }
  ++seg_cost_;
}

void CEmitter::close_segment() {
  if (!seg_open_) return;
  seg_open_ = false;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%*" PRIu64, static_cast<int>(kFuelWidth), seg_cost_);
  body_.replace(seg_pos_, kFuelWidth, buf, kFuelWidth);
}

// ---- dispatch ----

void CEmitter::op(const Operator& op, const front::OpState& s) {
  const uint32_t code = op.code;
  if (!live_) {
    // Dead code: only the control stack is kept in step.
    if (code == Op::Block || code == Op::Loop || code == Op::If || code == Op::Try ||
        code == Op::TryTable) {
      Frame f;
      f.kind = code;
      f.entry_live = false;
      frames_.push_back(f);
    } else if (code == Op::Else || code == Op::End) {
      control_op(op);
    } else if (code == Op::Catch || code == Op::CatchAll || code == Op::Delegate) {
      exception_op(op);
    }
    return;
  }
  check_budget(op.offset);
  if (s.height != n_)
    throw CompileError("internal: the C emitter's operand stack is out of step (function " +
                           std::to_string(func_) + ")",
                       op.offset);
  if (code != Op::Else && code != Op::End && code != Op::Catch && code != Op::CatchAll &&
      code != Op::Delegate)
    charge();
  switch (code) {
    case Op::Unreachable:
    case Op::Nop:
    case Op::Block:
    case Op::Loop:
    case Op::If:
    case Op::Else:
    case Op::End:
    case Op::Br:
    case Op::BrIf:
    case Op::Return:
      control_op(op);
      return;
    case Op::BrTable:
      br_table(op);
      return;
    case Op::Call:
    case Op::CallIndirect:
      call_op(op);
      return;
    case Op::ReturnCall:
    case Op::ReturnCallIndirect:
      return_call_op(op);
      return;
    case Op::Throw:
    case Op::ThrowRef:
    case Op::TryTable:
    case Op::Rethrow:
    case Op::Try:
    case Op::Catch:
    case Op::CatchAll:
    case Op::Delegate:
      exception_op(op);
      return;
    case Op::Drop:
    case Op::Select:
    case Op::SelectT:
    case Op::LocalGet:
    case Op::LocalSet:
    case Op::LocalTee:
    case Op::GlobalGet:
    case Op::GlobalSet:
    case Op::RefNull:
    case Op::RefIsNull:
    case Op::RefFunc:
      variable_op(op);
      return;
    default:
      break;
  }
  if (numeric_op(op) || memory_op(op) || table_op(op) || simd_op(op) || atomic_op(op)) return;
  throw CompileError(std::string("the C emitter does not support ") +
                         (op.info ? op.info->text : "this operator") + " yet",
                     op.offset);
}

void CEmitter::variable_op(const Operator& op) {
  switch (op.code) {
    case Op::Drop:
      materialize(n_ - 1);  // a deferred load still runs (it may trap); others cost nothing
      pop(1);
      return;
    case Op::Select:
    case Op::SelectT: {
      uint32_t h = n_ - 3;
      ValType t = vs_[h].type;
      // ?: evaluates one operand: loads there (they may trap) are evaluated first.
      for (uint32_t k = 0; k < 2; ++k)
        if (vs_[h + k].pending && vs_[h + k].loads) materialize(h + k);
      std::string c = text(h + 2), b = text(h + 1);
      if (!is_ref(t) && t != ValType::v128) {
        bool pend = vs_[h].pending && vs_[h + 1].pending && vs_[h + 2].pending;
        bool deferred = any_deferred(h, 3), loads = vs_[h + 2].pending && vs_[h + 2].loads;
        int32_t l = locals_of(h, 3);
        std::string e = "(" + c + " ? " + vs_[h].text + " : " + b + ")";
        pop(3);
        push_pure(t, std::move(e), l, pend, deferred, loads);
        return;
      }
      // References and v128: select by assignment (no struct operands to ?: for libtcc).
      materialize(h);  // (pop drops it from pend_)
      std::string a = vs_[h].text;
      pop(3);
      body_ += "if (!(" + c + ")) " + a + " = " + b + ";\n";
      push_slot(t);
      return;
    }
    case Op::LocalGet:
      push_pure(op.type, "L" + std::to_string(op.index), static_cast<int32_t>(op.index));
      return;
    case Op::LocalSet:
    case Op::LocalTee: {
      const uint32_t h = n_ - 1;
      std::string v = text(h);
      const bool in_slot = !vs_[h].pending;
      pop(1);
      flush_local(op.index);
      std::string l = "L" + std::to_string(op.index);
      if (in_slot && last_h_ == h && last_end_ == body_.size() &&
          body_.compare(last_pos_, v.size() + 3, v + " = ") == 0) {
        body_.replace(last_pos_, v.size(), l);  // `i3 = f(x);` just computed it: `L5 = f(x);`
        last_end_ = 0;
      } else {
        body_ += l + " = " + v + ";\n";
      }
      if (op.code == Op::LocalTee) push_pure(op.type, l, static_cast<int32_t>(op.index));
      return;
    }
    case Op::GlobalGet:
      // An exnref global: loaded through the runtime, which keeps the value valid for the call.
      if (decl_.globals[op.index].type == ValType::exnref)
        push_stmt(op.type, "wisp_exn_load(&" + shape_.global_lvalue(op.index) + ")");
      else
        push_pure(op.type, shape_.global_lvalue(op.index), -1, true, true);
      return;
    case Op::GlobalSet: {
      std::string v = text(n_ - 1);
      pop(1);
      settle();
      if (decl_.globals[op.index].type == ValType::exnref)  // counted by the runtime
        body_ += "wisp_exn_fill(&" + shape_.global_lvalue(op.index) + ", " + v + ", 1);\n";
      else
        body_ += shape_.global_lvalue(op.index) + " = " + v + ";\n";
      return;
    }
    case Op::RefNull:
      push_stmt(op.type, op.type == ValType::funcref ? "wasm_rt_funcref_null_value" : "NULL");
      return;
    case Op::RefIsNull: {
      const Val& v = vs_[n_ - 1];
      std::string e =
          "(u32)(" + v.text + (op.type == ValType::funcref ? ".func" : "") + " == NULL)";
      bool pend = v.pending, deferred = v.deferred, loads = v.loads;
      int32_t l = v.local;
      pop(1);
      push_pure(ValType::i32, std::move(e), l, pend, deferred, loads);
      return;
    }
    case Op::RefFunc: {
      push_stmt(ValType::funcref, "(wasm_rt_funcref_t){wisp_ft[" +
                                      std::to_string(decl_.funcs[op.index]) + "], " +
                                      shape_.func_address(op.index) + ", I}");
      referenced_.push_back(op.index);
      return;
    }
    default:
      return;
  }
}

std::string CEmitter::mem_base(uint32_t m) {
  mem_used_[m] = 1;
  return "M" + std::to_string(m);
}

}  // namespace wisp::detail::emit
