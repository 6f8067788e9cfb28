// The C emitter's exception handling (the legacy proposal: throw, try, catch, catch_all,
// delegate, rethrow). An exception is the runtime's per-thread active exception: a tag id and the
// thrown values as wisp_raw_t (wasm_rt_load_exception), thrown by a longjmp to the innermost
// active try (wasm_rt_throw). A `try` saves the active unwind target in U<k> and makes its own
// jmp_buf J<k> active; the handler H<k> restores U<k>, saves the exception in X<k> (for rethrow,
// and because a try in a catch body may throw another) and runs the catch clauses as a chain of
// tag tests. Every way out of a try body (its end, a branch, return) restores the target that is
// active at the destination. A function with a try keeps its locals and stack slots volatile
// (values set after setjmp must survive the longjmp) and its entry target in Ufn.
#include <cstdint>
#include <string>

#include "compile/emit/c_emitter.hpp"
#include "wisp/error.hpp"

namespace wisp::detail::emit {

using front::Op;
using front::Operator;

std::string CEmitter::active_target(size_t limit) const {
  for (size_t i = std::min(limit, frames_.size()); i-- > 0;) {
    const Frame& f = frames_[i];
    if (f.try_id >= 0 && !f.catching) return "&J" + num(static_cast<uint32_t>(f.try_id));
  }
  return "Ufn";
}

void CEmitter::restore_target_for(size_t dest) {
  if (num_tries_ == 0) return;
  const std::string now = active_target(frames_.size()), then = active_target(dest);
  if (now != then) body_ += "wasm_rt_set_unwind_target(" + then + ");\n";
}

void CEmitter::throw_values(uint32_t tag) {
  const front::FuncType& ft = decl_.types[decl_.tags[tag].type_index];
  const uint32_t n = static_cast<uint32_t>(ft.params.size());
  const uint32_t base = n_ - n;
  std::string e = "{\nwisp_raw_t E[" + num(n ? n : 1) + "];\n";
  for (uint32_t i = 0; i < n; ++i)
    e += "E[" + num(i) + "]." + ctype(ft.params[i]).raw + " = " + text(base + i) + ";\n";
  pop(n);
  settle();
  body_ += e;
  // Values that are exnrefs: the runtime counts the references an exnref of this one holds.
  uint64_t refs = 0;
  for (uint32_t i = 0; i < n && i < 64; ++i)
    if (ft.params[i] == ValType::exnref) refs |= uint64_t{1} << i;
  if (refs)
    body_ += "wisp_load_exception_refs(I->tg[" + num(tag) + "], " + num(n) +
             " * sizeof(wisp_raw_t), E, " + std::to_string(refs) + "ull);\n}\n";
  else
    body_ += "wasm_rt_load_exception(I->tg[" + num(tag) + "], " + num(n) +
             " * sizeof(wisp_raw_t), E);\n}\n";
  fuel_store();
  body_ += "wasm_rt_throw();\n";
  live_ = false;
}

// Ends the try body or the current catch clause of the innermost frame: its values go to the
// frame's slots and control to its end (restoring the unwind target when leaving the body).
void CEmitter::end_clause(Frame& f) {
  if (!live_) return;
  flush();
  if (!f.catching) body_ += "wasm_rt_set_unwind_target(U" + num(f.try_id) + ");\n";
  body_ += "goto B" + num(f.label) + ";\n";
  f.branched = true;
  live_ = false;
}

// The handler H<k>, where the longjmp of a throw lands; `target` becomes the active unwind target.
void CEmitter::handler_label(const Frame& f, const std::string& target) {
  body_ += "H" + num(static_cast<uint32_t>(f.try_id)) + ":;\nwasm_rt_set_unwind_target(" + target +
           ");\n";
}

// Pushes tag's values, read from the wisp_raw_t array `from`, as slots above the frame's height.
void CEmitter::push_tag_values(const Frame& f, uint32_t tag, const std::string& from) {
  const front::FuncType& ft = decl_.types[decl_.tags[tag].type_index];
  reset_stack(f.height, {});
  for (size_t i = 0; i < ft.params.size(); ++i) {
    body_ += slot(n_, ft.params[i]) + " = " + from + "[" + num(i) + "]." + ctype(ft.params[i]).raw +
             ";\n";
    push_slot(ft.params[i]);
  }
}

// The handler's entry: the try's own target is no longer active; the exception is saved.
void CEmitter::enter_handler(Frame& f) {
  const std::string k = num(f.try_id);
  handler_label(f, "U" + k);
  body_ += "X" + k + ".tag = wasm_rt_exception_tag();\nX" + k +
           ".size = wasm_rt_exception_size();\nX" + k +
           ".refs = wisp_exception_refs();\n"
           "memcpy(X" +
           k + ".v, wasm_rt_exception(), X" + k + ".size < sizeof X" + k + ".v ? X" + k +
           ".size : sizeof X" + k + ".v);\n";
  fuel_load();
  f.catching = true;
}

void CEmitter::exception_op(const Operator& op) {
  switch (op.code) {
    case Op::Throw:
      throw_values(op.index);
      return;
    case Op::Rethrow: {
      const Frame& f = frame(op.index);
      const std::string x = "X" + num(static_cast<uint32_t>(f.try_id));
      settle();
      fuel_store();
      body_ += "wisp_rethrow(" + x + ".tag, " + x + ".size, " + x + ".refs, " + x + ".v, sizeof " +
               x + ".v);\n";
      live_ = false;
      return;
    }
    case Op::ThrowRef: {
      const std::string e = text(n_ - 1);
      pop(1);
      settle();
      fuel_store();
      body_ += "wisp_throw_ref(" + e + ");\n";
      live_ = false;
      return;
    }
    case Op::Try:
    case Op::TryTable: {
      flush();
      Frame f;
      f.kind = op.code;
      if (op.code == Op::TryTable) f.catches.assign(op.catches.begin(), op.catches.end());
      f.label = next_label_++;
      f.nparams = static_cast<uint32_t>(op.block.params().size());
      f.nresults = static_cast<uint32_t>(op.block.results().size());
      f.height = n_ - f.nparams;
      f.try_id = static_cast<int32_t>(num_tries_++);
      const std::string k = num(static_cast<uint32_t>(f.try_id));
      body_ += "U" + k + " = wasm_rt_get_unwind_target();\nif (WISP_SETJMP(J" + k + ")) goto H" +
               k + ";\nwasm_rt_set_unwind_target(&J" + k + ");\n";
      frames_.push_back(f);
      return;
    }
    case Op::Catch:
    case Op::CatchAll: {
      Frame& f = frames_.back();
      if (!f.entry_live) return;  // the whole try is dead code
      end_clause(f);
      close_segment();
      if (!f.catching) {
        enter_handler(f);
      } else {
        emit_label(f.clauses, 'D');  // the previous clause's tag test failed
      }
      // Labels D<k> are numbered per function: the try's label space is shared.
      const std::string x = "X" + num(static_cast<uint32_t>(f.try_id));
      f.clauses = next_label_++;
      live_ = true;
      if (op.code == Op::CatchAll) {
        f.catch_all = true;
        reset_stack(f.height, {});
        return;
      }
      body_ += "if (" + x + ".tag != I->tg[" + num(op.index) + "]) goto D" + num(f.clauses) + ";\n";
      push_tag_values(f, op.index, x + ".v");
      return;
    }
    case Op::Delegate: {
      Frame& f = frames_.back();
      if (f.entry_live) {
        end_clause(f);
        // Rethrown as if at the label: the innermost active try at or outside that frame.
        const size_t target = frames_.size() - 1 - 1 - op.index;
        handler_label(f, active_target(target + 1));
        body_ += "wasm_rt_throw();\n";
        live_ = false;
        f.catching = f.catch_all = true;  // handled: the End below adds no handler of its own
      }
      Operator end = op;
      end.code = Op::End;
      control_op(end);
      return;
    }
    default:
      return;
  }
}

// The end of a try_table: its handler tests the catch clauses in order; one that matches branches
// to its label with the exception's values (and, for catch_ref and catch_all_ref, an exnref); an
// exception none matches is thrown on.
void CEmitter::end_try_table(Frame& f) {
  if (!f.entry_live) return;
  const std::string k = num(static_cast<uint32_t>(f.try_id));
  end_clause(f);
  close_segment();
  handler_label(f, "U" + k);
  fuel_load();
  f.catching = true;
  live_ = true;
  bool all = false;
  for (const front::CatchClause& c : f.catches) {
    const bool tagged = c.kind < 2, with_ref = c.kind == 1 || c.kind == 3;
    if (tagged) {
      body_ += "if (wasm_rt_exception_tag() == I->tg[" + num(c.tag) + "]) {\n";
      push_tag_values(f, c.tag, "((const wisp_raw_t*)wasm_rt_exception())");
    } else {
      reset_stack(f.height, {});
    }
    if (with_ref) {
      body_ += slot(n_, ValType::exnref) + " = wisp_capture_exception();\n";
      push_slot(ValType::exnref);
    }
    branch(c.label + 1);  // the clause's label counts from outside the try_table
    if (tagged) body_ += "}\n";
    if (!tagged) {
      all = true;
      break;
    }
  }
  if (!all) body_ += "wasm_rt_throw();\n";
  live_ = false;
}

// The end of a try: a try without clauses rethrows whatever reaches its handler; after the last
// catch clause an exception no clause took is rethrown (unless there was a catch_all).
void CEmitter::end_try(Frame& f) {
  if (!f.entry_live) return;
  const std::string k = num(static_cast<uint32_t>(f.try_id));
  if (!f.catching) {
    end_clause(f);
    handler_label(f, "U" + k);
    body_ += "wasm_rt_throw();\n";
    return;
  }
  if (f.catch_all) return;  // its body falls through to the end as a block's does
  end_clause(f);
  emit_label(f.clauses, 'D');
  body_ += "wisp_rethrow(X" + k + ".tag, X" + k + ".size, X" + k + ".refs, X" + k + ".v, sizeof X" +
           k + ".v);\n";
}

}  // namespace wisp::detail::emit
