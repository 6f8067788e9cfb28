// What the function validator knows at each operator, visible to its sink (the C emitter):
// the operand stack's types, the control frames, the function's locals.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "compile/front/module_decl.hpp"
#include "compile/front/opcodes.hpp"

namespace wisp::detail::front {

// 32 bytes: a function nested 10,000 deep holds 10,000 of them.
struct ControlFrame {
  BlockType type;            // params and results
  uint32_t height = 0;       // operand stack height at entry, below the block's params
  uint8_t kind = 0;          // Op::Block, Loop, If, Else, Try, Catch, CatchAll, TryTable; End: the
                             // function
  bool unreachable = false;  // the rest of this frame's code never runs
  // The label's types: a loop's params, every other frame's results.
  std::span<const ValType> label_types() const {
    return kind == Op::Loop ? type.params() : type.results();
  }
};
static_assert(sizeof(ControlFrame) <= 32);

// State of one operator, given to the sink before the operator's stack effect is applied.
struct OpState {
  uint32_t height = 0;  // operand stack height before the operator (0: empty at function entry)
  bool unreachable = false;  // dead code (after br, br_table, return, unreachable, throw, ...)
};

class ValidatorState {
 public:
  uint32_t height() const { return static_cast<uint32_t>(stack_.size()); }
  // The type of operand stack value `i` (0: the bottom); ValType::unknown in dead code.
  ValType type_at(uint32_t i) const { return stack_[i]; }
  // Control frames: depth() of them, the function's frame included; frame(0) is the innermost,
  // frame(depth() - 1) the function's (a br to it is a return).
  size_t depth() const { return control_.size(); }
  const ControlFrame& frame(uint32_t label) const { return control_[control_.size() - 1 - label]; }
  // Params, then declared locals.
  std::span<const ValType> locals() const { return locals_; }
  uint32_t num_params() const { return num_params_; }
  uint32_t func_index() const { return func_index_; }

 protected:
  std::vector<ValType> stack_;
  // A deque: deep nesting grows it in fixed blocks, never by copying the whole stack (a vector's
  // doubling would hold 1.5x its frames at the moment it moves them).
  std::deque<ControlFrame> control_;
  ControlFrame* top_ = nullptr;  // &control_.back(), or null when empty
  std::vector<ValType> locals_;
  uint32_t num_params_ = 0;
  uint32_t func_index_ = 0;
};

// A sink receives one function at a time:
//   void begin_function(const ValidatorState& v)   -- locals and func_index are set
//   void op(const Operator& op, const OpState& s)  -- every operator, in order, after it validated
//                                                     and before its effect on v (so v.frame(0)
//                                                     is still the frame an `end` closes)
//   void end_function()                            -- after the body's final `end`
// The body's final `end` (closing the function's frame) is passed to op() like any other.
struct NullSink {
  void begin_function(const ValidatorState&) {}
  void op(const Operator&, const OpState&) {}
  void end_function() {}
};

}  // namespace wisp::detail::front
