// The C emitter's control flow: blocks, loops and ifs as labels and gotos, branches that move
// the label's values into the target's slots, br_table (a switch, or a table of target numbers
// when it is large), return, and calls (direct, through import shims, and call_indirect).
#include <string>

#include "compile/emit/c_emitter.hpp"
#include "compile/emit/c_guarded_trunc.hpp"

namespace wisp::detail::emit {

using front::Op;
using front::Operator;

namespace {

// br_table: up to this many entries a `switch` over the index; above, a static array maps the
// index to a dense target number and the switch is over the distinct targets (a million entries
// are data then, not a million case labels for the C compiler).
constexpr size_t kSmallBrTable = 64;

}  // namespace

void CEmitter::emit_label(uint32_t n, char prefix) {
  body_ += prefix;
  body_ += num(n);
  body_ += ":;\n";
}

void CEmitter::reset_stack(uint32_t h, std::span<const ValType> types) {
  n_ = h;
  pend_.clear();  // pending values are never older than the innermost control operator
  for (ValType t : types) push_slot(t);
}

void CEmitter::move_values(uint32_t to, uint32_t n) {
  uint32_t from = n_ - n;
  // Ascending: the target slots lie at or below the sources, and pending text names no slot.
  for (uint32_t k = 0; k < n; ++k) {
    const Val& v = vs_[from + k];
    if (to + k == from + k && !v.pending) continue;
    body_ += slot(to + k, v.type);
    body_ += " = ";
    body_ += v.text;
    body_ += ";\n";
  }
}

void CEmitter::emit_return() {
  settle_below(n_ - nresults_);  // discarded loads still run
  restore_target_for(0);
  fuel_store();
  if (tail_variant_) {  // the results go to I->tcbuf (ModuleShape::tail_calls)
    body_ += to_tcbuf(n_ - nresults_, decl_.func_type(func_).results);
    body_ += "return;\n";
    return;
  }
  if (nresults_ == 0) {
    body_ += "return;\n";
    return;
  }
  if (nresults_ == 1) {
    body_ += "return " + text(n_ - 1) + ";\n";
    return;
  }
  body_ += "return (" + c_multi_name(decl_.func_type(func_)) + "){";
  for (uint32_t k = 0; k < nresults_; ++k) {
    if (k) body_ += ", ";
    body_ += text(n_ - nresults_ + k);
  }
  body_ += "};\n";
}

void CEmitter::branch(uint32_t label) {
  check_budget(0);  // a br_table may branch to many labels, each moving many values
  Frame& t = frame(label);
  if (t.kind == Op::End) {
    emit_return();
    return;
  }
  bool loop = t.kind == Op::Loop;
  const uint32_t n = loop ? t.nparams : t.nresults;
  settle_below(n_ - n);  // discarded loads still run
  move_values(t.height, n);
  restore_target_for(frames_.size() - 1 - label);
  body_ += "goto B" + num(t.label) + ";\n";
  if (!loop) t.branched = true;
}

void CEmitter::control_op(const Operator& op) {
  switch (op.code) {
    case Op::Nop:
      return;
    case Op::Unreachable:
      settle();
      body_ += shape_.lazy ? "wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);\n" : "TRAP(UNREACHABLE);\n";
      live_ = false;
      return;
    case Op::Block:
    case Op::Loop:
    case Op::If: {
      std::string cond;
      if (op.code == Op::If) {
        cond = text(n_ - 1);
        pop(1);
      }
      flush();
      Frame f;
      f.kind = op.code;
      f.label = next_label_++;
      f.nparams = static_cast<uint32_t>(op.block.params().size());
      f.nresults = static_cast<uint32_t>(op.block.results().size());
      f.height = n_ - f.nparams;
      frames_.push_back(f);
      if (op.code == Op::Loop) {
        emit_label(f.label);
        close_segment();  // each iteration is charged
      } else if (op.code == Op::If) {
        body_ += "if (!(" + cond + ")) goto E" + num(f.label) + ";\n";
        close_segment();
      }
      return;
    }
    case Op::Else: {
      Frame& f = frames_.back();
      if (live_) {
        flush();
        body_ += "goto B" + num(f.label) + ";\n";
        f.branched = true;
      }
      f.has_else = true;
      close_segment();
      live_ = f.entry_live;
      if (f.entry_live) {
        emit_label(f.label, 'E');
        reset_stack(f.height, v_->frame(0).type.params());
      }
      return;
    }
    case Op::End: {
      if (frames_.back().kind == Op::Try) end_try(frames_.back());
      if (frames_.back().kind == Op::TryTable) end_try_table(frames_.back());
      Frame f = frames_.back();
      frames_.pop_back();
      if (f.kind == Op::End) {  // the function's end
        if (live_) emit_return();
        return;
      }
      bool fall = live_;
      if (live_) flush();
      close_segment();
      bool reach = fall;
      if (f.kind == Op::If && !f.has_else && f.entry_live) {
        emit_label(f.label, 'E');  // the false path of an if without else
        reach = true;
      }
      if (f.kind != Op::Loop && f.branched) {
        emit_label(f.label);
        if (f.kind == Op::Block && f.nresults == 1) fuse_guarded_trunc(body_);
        reach = true;
      }
      live_ = reach;
      if (f.entry_live) reset_stack(f.height, v_->frame(0).type.results());
      return;
    }
    case Op::Br:
      branch(op.index);
      live_ = false;
      return;
    case Op::BrIf: {
      std::string cond = text(n_ - 1);
      pop(1);
      settle();  // the values stay for the fallthrough: evaluated before the branch
      if (frame(op.index).kind == Op::End) fuel_store();  // (as the fuel rule stores)
      body_ += "if (" + cond + ") {\n";
      branch(op.index);
      body_ += "}\n";
      return;
    }
    case Op::Return:
      emit_return();
      live_ = false;
      return;
    default:
      return;
  }
}

void CEmitter::br_table(const Operator& op) {
  std::string index = text(n_ - 1);
  pop(1);
  settle();
  const size_t n = op.targets.size() - 1;  // the default target is last
  // Distinct targets, by first appearance; bt_dense_[label] is the target's number.
  if (bt_stamp_.size() < frames_.size()) {
    bt_stamp_.resize(frames_.size(), 0);
    bt_dense_.resize(frames_.size(), 0);
  }
  ++bt_serial_;
  bt_targets_.clear();
  bool leaves = false;
  for (uint32_t l : op.targets) {
    if (bt_stamp_[l] == bt_serial_) continue;
    bt_stamp_[l] = bt_serial_;
    bt_dense_[l] = static_cast<uint32_t>(bt_targets_.size());
    bt_targets_.push_back(l);
    leaves = leaves || frame(l).kind == Op::End;
  }
  live_ = false;
  if (leaves) fuel_store();
  if (bt_targets_.size() == 1) {
    branch(bt_targets_[0]);
    return;
  }
  const uint32_t dflt = bt_dense_[op.targets[n]];
  if (n <= kSmallBrTable) {
    body_ += "switch (" + index + ") {\n";
    for (uint32_t d = 0; d < bt_targets_.size(); ++d) {
      for (size_t i = 0; i < n; ++i) {
        if (bt_dense_[op.targets[i]] != d) continue;
        body_ += "case " + num(i) + ":";
      }
      if (d == dflt) body_ += "default:";
      body_ += "\n";
      branch(bt_targets_[d]);
    }
    body_ += "}\n";
    return;
  }
  const size_t distinct = bt_targets_.size();
  const char* elem = distinct <= 256 ? "u8" : distinct <= 65536 ? "u16" : "u32";
  body_ += "{\nstatic const ";
  body_ += elem;
  body_ += " T[" + num(n) + "] = {";
  for (size_t i = 0; i < n; ++i) {
    if (i) body_ += (i % 32) ? "," : ",\n";
    body_ += num(bt_dense_[op.targets[i]]);
  }
  body_ += "};\n";
  body_ += "switch (" + index + " < " + num(n) + "u ? T[" + index + "] : " + num(dflt) + ") {\n";
  for (uint32_t d = 0; d < distinct; ++d) {
    body_ += d == dflt ? "default:\n" : "case " + num(d) + ":\n";
    branch(bt_targets_[d]);
  }
  body_ += "}\n}\n";
}

void CEmitter::checked_funcref(const Operator& op, uint32_t type_index) {
  std::string index = text(n_ - 1);
  pop(1);
  settle();  // the arguments' loads come before the table checks
  uses_funcref_tmp_ = true;
  fuel_store();
  body_ += "F = wisp_ci(" + shape_.table_ptr(op.index2) + ", " + index + ", wisp_ft[" +
           num(type_index) + "]);\n";
}

void CEmitter::call_op(const Operator& op, bool f_ready) {
  const bool indirect = op.code == Op::CallIndirect;
  const uint32_t type_index = indirect ? op.index : decl_.funcs[op.index];
  const front::FuncType& ft = decl_.types[type_index];
  const uint32_t np = static_cast<uint32_t>(ft.params.size());
  const uint32_t nr = static_cast<uint32_t>(ft.results.size());
  std::string call;
  if (indirect) {
    if (!f_ready) checked_funcref(op, type_index);
    call = "((wisp_t" + num(type_index) + ")F->func)(F->module_instance";
  } else {
    settle_below(n_ - np);
    fuel_store();
    call = shape_.func_name(op.index) + "(I";
    called_.push_back(op.index);
  }
  const uint32_t base = n_ - np;
  const bool as_array = wide(ft);  // the arguments go in an array (c_names.hpp)
  if (as_array) {
    body_ += "{\nwisp_raw_t A[" + num(np) + "];\n";
    for (uint32_t k = 0; k < np; ++k)
      body_ += "A[" + num(k) + "]." + ctype(ft.params[k]).raw + " = " + vs_[base + k].text + ";\n";
    call += ", A";
  } else {
    for (uint32_t k = 0; k < np; ++k) {
      call += ", ";
      call += vs_[base + k].text;
    }
  }
  call += ")";
  pop(np);
  if (nr == 0) {
    body_ += call + ";\n";
  } else if (nr == 1) {
    last_pos_ = body_.size();
    body_ += slot(n_, ft.results[0]) + " = " + call + ";\n";
    last_end_ = body_.size();
    last_h_ = n_;
    push_slot(ft.results[0]);
  } else {
    body_ += "{ " + c_multi_name(ft) + " R = " + call + ";";
    for (uint32_t k = 0; k < nr; ++k) {
      const CType& t = ctype(ft.results[k]);
      body_ += " " + slot(n_, ft.results[k]) + " = R." + t.multi + num(k) + ";";
      push_slot(ft.results[k]);
    }
    body_ += " }\n";
  }
  if (as_array) body_ += "}\n";
  fuel_load();
}

std::string CEmitter::to_tcbuf(uint32_t base, std::span<const ValType> ts) {
  std::string s;
  for (uint32_t k = 0; k < ts.size(); ++k)
    s += "I->tcbuf[" + num(k) + "]." + ctype(ts[k]).raw + " = " + vs_[base + k].text + ";\n";
  return s;
}

// return_call f / return_call_indirect (ModuleShape::tail_calls): the callee's arguments go to
// I->tcbuf and its tail variant to I->tcnext. A tail variant then returns to the loop that runs
// them; an ordinary function runs that loop itself (wisp_tc_run) and returns what the last tail
// variant left in I->tcbuf. A function of another instance or a host function has no tail
// variant here: it is called as by `call` and its results returned (it returns to us, so the
// stack does not grow with the chain).
void CEmitter::return_call_op(const Operator& op) {
  const bool indirect = op.code == Op::ReturnCallIndirect;
  const uint32_t type_index = indirect ? op.index : decl_.funcs[op.index];
  const front::FuncType& ft = decl_.types[type_index];
  const uint32_t np = static_cast<uint32_t>(ft.params.size());
  if (!indirect && shape_.func_imported(op.index)) {
    Operator call = op;
    call.code = Op::Call;
    call_op(call);
    emit_return();
    live_ = false;
    return;
  }
  std::string target = "t" + num(op.index);
  if (indirect) {
    checked_funcref(op, type_index);
    body_ += "if (F->module_instance == (void*)I && (T = wisp_tc_find(F->func)) != 0) {\n";
    uses_tc_tmp_ = true;
    target = "T";
  } else {
    settle_below(n_ - np);
    fuel_store();
  }
  const uint32_t base = n_ - np;
  body_ += to_tcbuf(base, ft.params);
  if (!indirect) pop(np);
  restore_target_for(0);
  body_ += "I->tcnext = " + target + ";\n";
  if (tail_variant_) {
    body_ += "return;\n";
  } else {
    body_ += "wisp_tc_run(I);\n";
    const uint32_t nr = static_cast<uint32_t>(ft.results.size());
    if (nr == 0) {
      body_ += "return;\n";
    } else if (nr == 1) {
      body_ += "return I->tcbuf[0]." + std::string(ctype(ft.results[0]).raw) + ";\n";
    } else {
      body_ += "return (" + c_multi_name(ft) + "){";
      for (uint32_t k = 0; k < nr; ++k)
        body_ += (k ? ", I->tcbuf[" : "I->tcbuf[") + num(k) + "]." + ctype(ft.results[k]).raw;
      body_ += "};\n";
    }
  }
  if (indirect) {
    // Not a function of this instance: an ordinary call through F, then return its results.
    body_ += "}\n";
    Operator call = op;
    call.code = Op::CallIndirect;
    call_op(call, /*f_ready=*/true);
    emit_return();
  }
  live_ = false;
}

}  // namespace wisp::detail::emit
