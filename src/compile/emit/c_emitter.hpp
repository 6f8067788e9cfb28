// The C emitter: a sink of wisp's function validator (validator_state.hpp) that turns one
// function at a time into C, in the same single pass that validates it. Linear time and memory in
// the function's size whatever its nesting: no recursion, no per-function IR; the body is appended
// to a string as the operators arrive, and the declarations it needs (stack slots, temporaries,
// the memory base) are written last and put in front.
//
// The model: the operand stack value at height h of type T lives in a C local named by T and h
// (i3, l3, g3, d3, r3, x3 for i32, i64, f32, f64, funcref, externref); wasm locals are C locals
// L0, L1, ... (params first). Values without effects (constants, local.get, non-trapping
// arithmetic of those) may stay *pending*: kept as C expression text and folded into the operator
// that consumes them, so `local.get 0; i32.const 4; i32.add; i32.load; local.set 1` is one C
// statement. Pending text never names a stack slot; it is written to its slot when a local it
// reads is set, and at each control operator (block, loop, if, else, end), so values are in their
// slots wherever control flow merges. Loads and global.get are *deferred* pending values: they
// are also evaluated before the next statement with effects (store, call, global.set, trap,
// branch), so effects and traps keep the wasm order. Blocks end with labels; branches copy the
// label's values into the target's slots and `goto` it; loops are labels at their start; `if` is
// a conditional goto (no nesting in the C). Dead code is skipped. Fuel charges (EngineConfig::
// consume_fuel) are fixed-width numbers patched when their segment closes.
//
// The fuel rule (deterministic, the same on both tiers since it is part of the C): every
// instruction costs 1 (`block`, `loop`, `if` and `try` included; `else`, `end`, `catch`,
// `catch_all` and `delegate` cost nothing, and a catch clause starts a segment), except
// instructions after an unconditional branch (br, br_table, return, unreachable) in the same
// sequence, which never run. Fuel is charged per segment, when the segment is entered, for all
// of its instructions, even if a branch leaves it early (so a call may be charged a little more
// than it executed, never less). A segment starts at function entry, at the start of each loop
// body (so each iteration is charged), at the start of each `if` arm, and right after each
// block, loop or if ends (a branch target or merge point); a block's body continues the segment
// it is in. A charge is `FUEL(cost)`:
//     fuel -= cost; if (fuel < 0) { I->fuel = fuel; trap as unreachable; }
// where `fuel` is a C local holding the instance's counter while the function runs (loaded at
// entry, stored back before every call, branch or return that leaves the function, reloaded
// after calls), so optimised code keeps it in a register. (After a trap other than out_of_fuel
// the counter may therefore show the fuel of the last such point.) The runtime tells the fuel
// check's trap from a real `unreachable` by the counter being negative (nothing else makes it
// negative: no wasm instruction can name it).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "compile/emit/c_names.hpp"
#include "compile/front/opcodes.hpp"
#include "compile/front/validator_state.hpp"

namespace wisp::detail::emit {

class CEmitter {
 public:
  explicit CEmitter(const ModuleShape& shape);

  // The sink interface.
  void begin_function(const front::ValidatorState& v);
  void op(const front::Operator& op, const front::OpState& s);
  void end_function();

  // end_function() appends the function's C definition to `out`.
  void set_output(std::string* out) { out_ = out; }
  // At most `bytes` of C in `out` (0: no limit): past it, CompileError (EmitOptions::c_budget).
  void set_budget(uint64_t bytes) { budget_ = bytes; }
  // Functions the emitted code calls directly / takes the address of (ref.func), appended as
  // they are met (duplicates included) until cleared: what a lazy batch links against.
  std::vector<uint32_t>& called() { return called_; }
  std::vector<uint32_t>& referenced() { return referenced_; }
  // Throws if `out` and the function so far hold more C than the budget (`offset`: where).
  void check_budget(size_t offset) const {
    if (budget_ && out_->size() + body_.size() > budget_) over_budget(offset);
  }
  // The prototype of defined function `f` ("WISP_FN u32 w5(M* I, u32, u64);" without `;`).
  static std::string prototype(const ModuleShape& shape, uint32_t f, bool with_names);
  // The prototype of f's tail variant (ModuleShape::tail_calls): "WISP_FN void t5(M* I)".
  static std::string tail_prototype(uint32_t f, bool with_names);
  // The next function emitted is the tail variant (ModuleShape::tail_calls).
  void set_tail_variant(bool on) { tail_variant_ = on; }

  // --- used by the operator emitters (emit_*.cpp) ---
  struct Val {
    ValType type = ValType::i32;
    bool pending = false;  // `text` is an expression not yet in the slot
    // Pending text that reads memory or globals (a load may trap): it is evaluated before the
    // next statement with effects (settle()), so effects keep their order.
    bool deferred = false;
    bool loads = false;  // deferred text with a memory load (select must not skip it)
    bool is_const = false;
    int32_t local = -1;  // pending text reads this local (-1: none, -2: several)
    uint64_t bits = 0;   // is_const: the value's bits
    std::string text;    // pending: the expression
  };
  struct Frame {
    uint32_t kind = 0;  // Op::Block, Loop, If, End (the function)
    uint32_t label = 0;
    uint32_t height = 0;  // entry height, below the params
    uint32_t nparams = 0;
    uint32_t nresults = 0;
    bool entry_live = true;
    bool branched = false;  // a branch to the end label was emitted
    bool has_else = false;
    // Op::Try frames (emit_exceptions.cpp): the try's number (J<k>, U<k>, X<k>; -1: none),
    // whether a catch clause runs (the try's own handler is no longer active), whether one is
    // catch_all, and the label of the current clause's failed tag test (D<n>).
    int32_t try_id = -1;
    bool catching = false;
    bool catch_all = false;
    uint32_t clauses = 0;
    std::vector<front::CatchClause> catches;  // Op::TryTable: its catch clauses
  };

 private:
  // Values.
  uint32_t height() const { return n_; }
  Val& at(uint32_t h) { return vs_[h]; }
  // The C expression for the value at height h (its slot's name, or its pending text).
  const std::string& text(uint32_t h);
  std::string slot(uint32_t h, ValType t);  // "i3", marking the slot used
  void push_slot(ValType t);                // a value already stored in its new slot
  // Pushes the result of an expression without effects (or only reads of memory and globals,
  // if `deferred`): pending if `may_pend` and short enough, else written to its slot now.
  void push_pure(ValType t, std::string expr, int32_t local, bool may_pend = true,
                 bool deferred = false, bool loads = false);
  void push_const(ValType t, uint64_t bits);
  // Replaces the pending value on top with `expr`, which reads what it read (a fused form of
  // the operator that consumes it): the same locals, deferred and loads.
  void replace_pending_top(std::string expr);
  // Pushes a value computed now by an expression with effects (calls, loads, traps).
  void push_stmt(ValType t, const std::string& expr);
  void pop(uint32_t n);
  void materialize(uint32_t h);
  void flush();   // every pending value to its slot
  void settle();  // deferred values to their slots (before a statement with effects)
  void settle_below(uint32_t h);  // ... those below height h (values a branch discards)
  bool any_deferred(uint32_t first, uint32_t n) const;
  void flush_local(uint32_t local);                     // pending values that read `local`
  int32_t locals_of(uint32_t first, uint32_t n) const;  // merged `local` of values

  // Control.
  Frame& frame(uint32_t label) { return frames_[frames_.size() - 1 - label]; }
  void emit_label(uint32_t n, char prefix = 'B');
  // Moves the top `n` values into the slots from height `to` (branch to a label).
  void move_values(uint32_t to, uint32_t n);
  // Branches to `label` (moves, then goto or return). Text appended to body_.
  void branch(uint32_t label);
  void emit_return();
  void reset_stack(uint32_t height, std::span<const ValType> types);

  // Fuel (EngineConfig::consume_fuel; the rule above).
  void charge();  // one instruction in the current segment
  void close_segment();
  void fuel_store() {
    if (fuel_) body_ += "I->fuel = fuel;\n";
  }
  void fuel_load() {
    if (fuel_) body_ += "fuel = I->fuel;\n";
  }

  // Operator groups.
  void control_op(const front::Operator& op);
  void br_table(const front::Operator& op);
  // Pops the table index and sets F to the checked funcref (call_indirect, return_call_indirect).
  void checked_funcref(const front::Operator& op, uint32_t type_index);
  // f_ready: call_indirect whose funcref F was already checked (the index is popped).
  void call_op(const front::Operator& op, bool f_ready = false);
  void return_call_op(const front::Operator& op);  // return_call, return_call_indirect
  // The text that stores the top `n` values (from height `base`) of types `ts` in I->tcbuf.
  std::string to_tcbuf(uint32_t base, std::span<const ValType> ts);
  // Exception handling (emit_exceptions.cpp).
  void exception_op(const front::Operator& op);
  void end_try(Frame& f);  // at a try's or try_table's `end`, before its frame is popped
  void end_try_table(Frame& f);
  void throw_values(uint32_t tag);
  void end_clause(Frame& f);
  void enter_handler(Frame& f);
  void handler_label(const Frame& f, const std::string& target);
  void push_tag_values(const Frame& f, uint32_t tag, const std::string& from);
  // The unwind target active inside frames_[0, limit): "&J<k>" of the innermost try whose
  // handler is active, or "Ufn" (the function's caller's).
  std::string active_target(size_t limit) const;
  // Before control leaves for frames_[dest] (a branch, dest 0: a return): restores its target.
  void restore_target_for(size_t dest);
  bool numeric_op(const front::Operator& op);  // emit_numeric.cpp
  bool memory_op(const front::Operator& op);   // emit_memory.cpp
  bool table_op(const front::Operator& op);    // emit_memory.cpp
  bool simd_op(const front::Operator& op);     // emit_simd.cpp
  bool atomic_op(const front::Operator& op);   // c_atomics.cpp (threads)
  // The address of a memory access: "M0 + i3 + 16u" (memarg offset; WISP_EA64 on memory64).
  std::string effective_address(const front::Operator& op, uint32_t addr_h);
  void variable_op(const front::Operator& op);
  std::string mem_base(uint32_t m);  // "M0": the memory's data pointer, declared on first use

  [[noreturn]] void over_budget(size_t offset) const;

  const ModuleShape& shape_;
  const front::ModuleDecl& decl_;
  uint64_t budget_ = 0;
  std::vector<uint32_t> called_, referenced_;
  const front::ValidatorState* v_ = nullptr;
  bool fuel_ = false;
  uint32_t func_ = 0;
  uint32_t nresults_ = 0;
  bool tail_variant_ = false;

  std::string body_;
  // The last push_stmt: `slot = expr;` ending body_ at last_end_ (local.set retargets it).
  size_t last_end_ = 0, last_pos_ = 0;
  uint32_t last_h_ = 0;
  std::string* out_ = nullptr;
  std::vector<Val> vs_;         // storage kept between values (texts reuse their capacity)
  uint32_t n_ = 0;              // the operand stack's height
  std::vector<uint32_t> pend_;  // heights of pending values, ascending
  std::vector<Frame> frames_;
  bool live_ = true;
  uint32_t next_label_ = 0;
  std::vector<uint8_t> slot_used_;  // per height: bit per C type
  std::vector<uint8_t> mem_used_;   // per memory: its base pointer is declared
  bool uses_funcref_tmp_ = false;
  bool uses_tc_tmp_ = false;  // `wisp_tc_t T` (return_call_indirect)
  uint32_t num_tries_ = 0;    // try blocks in the function (its locals are volatile)

  // Fuel: the charge of the open segment is a fixed-width number patched when it closes.
  bool seg_open_ = false;
  size_t seg_pos_ = 0;
  uint64_t seg_cost_ = 0;

  // br_table scratch (indexed by label depth): a stamp per br_table and the dense target id.
  std::vector<uint32_t> bt_stamp_, bt_dense_;
  std::vector<uint32_t> bt_targets_;  // distinct labels, in order of first appearance
  uint32_t bt_serial_ = 0;
};

}  // namespace wisp::detail::emit
