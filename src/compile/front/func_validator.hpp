// The function-body validator of wisp's own front end: one streaming pass over a body's bytes
// that decodes each operator, checks it against the spec's typing rules (operand stack, control
// stack, indices, alignment, features) and hands it to a sink (NullSink to validate only, the C
// emitter to translate in the same pass). No per-instruction heap objects: the stacks are
// vectors reused from one function to the next, so memory is linear in the deepest body.
//
// Sink contract (see validator_state.hpp): sink.op(op, state) is called after the operator's
// immediates were decoded and its operands were checked and popped, before its results are
// pushed and before any change to the control stack (an `end`'s or `else`'s frame is still
// frame(0)). `state.height` is the operand stack height before the operator: the operands lie
// at [height - n, height). For `drop` and `select`, `op.type` is the operand type.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "compile/front/errors.hpp"
#include "compile/front/module_decl.hpp"
#include "compile/front/opcodes.hpp"
#include "compile/front/reader.hpp"
#include "compile/front/validator_state.hpp"

namespace wisp::detail::front {

// Implementation limit: locals (params included) per function.
inline constexpr uint32_t kMaxLocals = 50'000;

// Value types (locals, block types, select t) and heap types (ref.null), as the module decoder
// reads them (decode_types.cpp): a proposal's types are refused by name unless enabled.
ValType read_value_type(Reader& r, FeatureSet enabled, FeatureSet& used);
ValType read_heap_type(Reader& r, FeatureSet enabled, FeatureSet& used);
// A one-element span holding `t` (static storage).
std::span<const ValType> single_type(ValType t);

template <class Sink>
class FuncValidator : public ValidatorState {
 public:
  FuncValidator(const ModuleDecl& module, std::span<const uint8_t> bytes, FeatureSet enabled)
      : m_(module), bytes_(bytes), enabled_(enabled) {}

  // Validates the defined function `defined_index` (function index num_imported_funcs +
  // defined_index), feeding `sink`. Throws CompileError with the byte offset and function index.
  void run(uint32_t defined_index, Sink& sink);

  // The proposals the bodies validated so far use.
  FeatureSet features_used() const { return used_; }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw CompileError("function " + std::to_string(func_index_) + ": " + message, op_offset_);
  }
  [[noreturn]] void fail_at(size_t offset, const std::string& message) const {
    throw CompileError("function " + std::to_string(func_index_) + ": " + message, offset);
  }
  std::string op_name() const { return op_.info ? op_.info->text : "operator"; }

  // The innermost frame, kept beside the deque (whose back() costs a branch) for pop()'s sake.
  void push_control(const ControlFrame& f) {
    control_.push_back(f);
    top_ = &control_.back();
  }
  void pop_control() {
    control_.pop_back();
    top_ = control_.empty() ? nullptr : &control_.back();
  }
  void push(ValType t) { stack_.push_back(t); }
  void push(std::span<const ValType> ts) { stack_.insert(stack_.end(), ts.begin(), ts.end()); }
  ValType pop() {
    if (stack_.size() == top_->height) [[unlikely]] {
      if (top_->unreachable) return ValType::unknown;
      fail("type mismatch in " + op_name() + ": expected a value, but the stack is empty");
    }
    ValType t = stack_.back();
    stack_.pop_back();
    return t;
  }
  ValType pop(ValType expected) {
    ValType t = pop();
    if (t != expected && t != ValType::unknown && expected != ValType::unknown) [[unlikely]]
      fail_mismatch(expected, t);
    return t;
  }
  [[noreturn]] void fail_mismatch(ValType expected, ValType got) const {
    fail("type mismatch in " + op_name() + ": expected " + val_type_name(expected) + ", got " +
         val_type_name(got));
  }
  void pop(std::span<const ValType> ts) {
    for (size_t i = ts.size(); i-- > 0;) pop(ts[i]);
  }
  ValType pop_ref() {
    ValType t = pop();
    if (t != ValType::unknown && !is_ref(t))
      fail("type mismatch in " + op_name() + ": expected a reference, got " + val_type_name(t));
    return t;
  }
  // Checks the top of the stack against `ts` without popping (br_table's labels).
  void peek_check(std::span<const ValType> ts) {
    const ControlFrame& f = *top_;
    size_t n = ts.size();
    for (size_t k = 0; k < n; ++k) {
      ValType want = ts[n - 1 - k];
      size_t avail = stack_.size() - f.height;
      ValType got;
      if (k < avail) {
        got = stack_[stack_.size() - 1 - k];
      } else if (f.unreachable) {
        got = ValType::unknown;
      } else {
        fail("type mismatch in br_table: a label expects more values than the stack holds");
      }
      if (got != want && got != ValType::unknown)
        fail(std::string("type mismatch in br_table: label expects ") + val_type_name(want) +
             ", got " + val_type_name(got));
    }
  }
  void set_unreachable() {
    ControlFrame& f = *top_;
    stack_.resize(f.height);
    f.unreachable = true;
  }
  void push_frame(uint32_t kind, const BlockType& bt) {
    ControlFrame f;
    f.kind = static_cast<uint8_t>(kind);
    f.type = bt;
    f.height = static_cast<uint32_t>(stack_.size());
    push_control(f);
    push(bt.params());
  }
  // Pops the frame's results and checks that nothing else is left in it.
  void check_frame_end(const ControlFrame& f) {
    pop(f.type.results());
    if (stack_.size() != f.height)
      fail("type mismatch at the end of a block: " + std::to_string(stack_.size() - f.height) +
           " value(s) left on the stack");
  }
  const ControlFrame& label(uint32_t l) {
    if (l >= control_.size()) fail("unknown label " + std::to_string(l));
    return control_[control_.size() - 1 - l];
  }

  void need(uint32_t feature) {
    if (!feature) return;
    Feature f = static_cast<Feature>(feature);
    if (!enabled_.has(f))
      refuse(f, op_offset_, "function " + std::to_string(func_index_) + ": " + op_name());
    used_.add(f);
  }
  const MemoryType& memory(uint32_t index) {
    if (index >= m_.memories.size()) fail("unknown memory " + std::to_string(index));
    return m_.memories[index];
  }
  ValType addr_type(uint32_t mem) { return memory(mem).limits.is64 ? ValType::i64 : ValType::i32; }
  const TableType& table(uint32_t index) {
    if (index >= m_.tables.size()) fail("unknown table " + std::to_string(index));
    return m_.tables[index];
  }
  const FuncType& type(uint32_t index) {
    if (index >= m_.types.size()) fail("unknown type " + std::to_string(index));
    return m_.types[index];
  }
  void check_data(uint32_t index) {
    if (!m_.data_count) fail("data count section required");
    if (index >= *m_.data_count) fail("unknown data segment " + std::to_string(index));
  }
  void check_elem(uint32_t index) {
    if (index >= m_.elems.size()) fail("unknown elem segment " + std::to_string(index));
  }
  // Memory index immediates: one zero byte in WebAssembly 2.0; an index with multi-memory.
  uint32_t memory_index(Reader& r) {
    size_t at = r.pos();
    if (enabled_.has(Feature::multi_memory)) {
      uint32_t i = r.u32();
      if (i != 0) used_.add(Feature::multi_memory);
      return i;
    }
    uint8_t b = r.u8();
    if (b != 0) fail_at(at, "zero byte expected");
    return 0;
  }

  BlockType block_type(Reader& r);
  void memarg(Reader& r, Operator& op, bool atomic);
  ValType sig_type(char c, uint32_t mem) { return c == 'a' ? addr_type(mem) : sig_letter_type(c); }
  void apply_sig(const char* sig, uint32_t mem, Sink& sink, OpState st);
  void lane_check(const Operator& op);
  void special(Reader& r, Sink& sink, OpState st);

  const ModuleDecl& m_;
  std::span<const uint8_t> bytes_;
  FeatureSet enabled_;
  FeatureSet used_;
  Operator op_;
  size_t op_offset_ = 0;
  std::vector<uint32_t> targets_;
  std::vector<CatchClause> catches_;
};

template <class Sink>
BlockType FuncValidator<Sink>::block_type(Reader& r) {
  BlockType bt;
  uint8_t b = r.peek();
  if (b == 0x40) {
    r.u8();
    return bt;
  }
  if (b & 0x40) {  // a negative one-byte s33: a value type
    ValType t = read_value_type(r, enabled_, used_);
    bt.set_results(single_type(t));
    return bt;
  }
  size_t at = r.pos();
  int64_t idx = r.s33();
  if (idx < 0) fail_at(at, "malformed block type");
  if (static_cast<uint64_t>(idx) >= m_.types.size())
    fail_at(at, "unknown type " + std::to_string(idx));
  const FuncType& ft = m_.types[static_cast<size_t>(idx)];
  bt.set_params(ft.params);
  bt.set_results(ft.results);
  return bt;
}

template <class Sink>
void FuncValidator<Sink>::memarg(Reader& r, Operator& op, bool atomic) {
  size_t at = r.pos();
  uint32_t align = r.u32();
  uint32_t mem = 0;
  if (align & 0x40) {  // multi-memory: a memory index follows
    if (!enabled_.has(Feature::multi_memory))
      fail_at(at, "malformed memop flags (a memory index needs the multi-memory proposal)");
    align &= ~0x40u;
    mem = r.u32();
    if (mem != 0) used_.add(Feature::multi_memory);
  }
  const MemoryType& mt = memory(mem);
  op.index = mem;
  op.align = align;
  op.value = mt.limits.is64 ? static_cast<uint64_t>(r.uleb(64)) : r.u32();
  uint32_t bytes = op.info->bytes;
  if (align >= 32 || (uint64_t{1} << align) > bytes)
    fail_at(at, "alignment must not be larger than natural");
  if (atomic && (uint64_t{1} << align) != bytes) fail_at(at, "alignment must be equal to natural");
}

template <class Sink>
void FuncValidator<Sink>::apply_sig(const char* sig, uint32_t mem, Sink& sink, OpState st) {
  const char* arrow = sig;
  while (*arrow != '>') ++arrow;
  for (const char* p = arrow; p-- > sig;) pop(sig_type(*p, mem));
  sink.op(op_, st);
  for (const char* p = arrow + 1; *p; ++p) push(sig_type(*p, mem));
}

template <class Sink>
void FuncValidator<Sink>::lane_check(const Operator& op) {
  // Lanes: from the shape in the name ("i8x16.extract_lane_s") or the access size (load lanes).
  const char* t = op.info->text;
  unsigned lanes = 16;
  if (op.info->imm == Imm::MemargLane) {
    lanes = 16 / op.info->bytes;
  } else if (t[1] == '8') {
    lanes = 16;
  } else if (t[1] == '1') {
    lanes = 8;
  } else if (t[1] == '3') {
    lanes = 4;
  } else if (t[1] == '6') {
    lanes = 2;
  }
  if (op.lane >= lanes) fail("invalid lane index " + std::to_string(op.lane));
}

template <class Sink>
void FuncValidator<Sink>::run(uint32_t defined_index, Sink& sink) {
  const FuncBody& body = m_.bodies[defined_index];
  func_index_ = m_.num_imported_funcs + defined_index;
  const FuncType& ft = m_.func_type(func_index_);
  Reader r(bytes_, body.offset, size_t{body.offset} + body.size);
  op_offset_ = body.offset;
  // Not `op_ = Operator{}`: 128 bytes through `rep stos` cost more than a small function's body.
  // Every operator sets the fields it uses; only what error messages read before the first one
  // is reset.
  op_.code = 0;
  op_.info = nullptr;

  // Locals.
  locals_.assign(ft.params.begin(), ft.params.end());
  num_params_ = static_cast<uint32_t>(ft.params.size());
  uint32_t groups = r.count(2);
  uint64_t total = ft.params.size();
  for (uint32_t g = 0; g < groups; ++g) {
    size_t at = r.pos();
    uint32_t n = r.u32();
    total += n;
    if (total > kMaxLocals)
      fail_at(at, "too many locals (wisp's limit is " + std::to_string(kMaxLocals) + ")");
    ValType t = read_value_type(r, enabled_, used_);
    locals_.insert(locals_.end(), n, t);
  }

  stack_.clear();
  control_.clear();
  ControlFrame fn;
  fn.kind = Op::End;
  fn.type.set_results(ft.results);
  push_control(fn);
  sink.begin_function(*this);

  while (!control_.empty()) {
    op_offset_ = r.pos();
    uint32_t code = r.u8();
    if (code == 0xfc || code == 0xfd || code == 0xfe || code == 0xfb) {
      uint32_t sub = r.u32();
      if (code == 0xfb) {
        op_.info = nullptr;
        refuse(Feature::gc, op_offset_,
               "function " + std::to_string(func_index_) + ": a GC operator");
      }
      if (sub > 0xffff) {  // no sub-opcode is that large: it must not alias a smaller one
        char hex[32];
        std::snprintf(hex, sizeof hex, "0x%x 0x%x", code, sub);
        fail(std::string("illegal opcode ") + hex);
      }
      code = (code << 16) | sub;
    }
    const OpInfo* info = find_op(code);
    if (!info) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%x", code);
      fail(std::string("illegal opcode ") + hex);
    }
    op_.code = code;
    op_.info = info;
    op_.offset = static_cast<uint32_t>(op_offset_);
    need(info->feature);
    OpState st{static_cast<uint32_t>(stack_.size()), top_->unreachable};

    // Table-driven operators: plain immediates and a fixed signature.
    if (info->sig[0] != '\0') {
      uint32_t mem = 0;
      switch (info->imm) {
        case Imm::None:
          break;
        case Imm::I32:
          op_.value = static_cast<uint32_t>(r.s32());
          break;
        case Imm::I64:
          op_.value = static_cast<uint64_t>(r.s64());
          break;
        case Imm::F32:
          op_.value = r.f32_bits();
          break;
        case Imm::F64:
          op_.value = r.f64_bits();
          break;
        case Imm::V128: {
          op_.value = r.f64_bits();
          op_.value_hi = r.f64_bits();
          break;
        }
        case Imm::Memarg:
          memarg(r, op_, (code >> 16) == 0xfe);
          mem = op_.index;
          break;
        case Imm::MemargLane:
          memarg(r, op_, false);
          mem = op_.index;
          op_.lane = r.u8();
          lane_check(op_);
          break;
        case Imm::Lane:
          op_.lane = r.u8();
          lane_check(op_);
          break;
        case Imm::Shuffle:
          for (uint8_t& l : op_.lanes) {
            l = r.u8();
            if (l >= 32) fail("invalid lane index " + std::to_string(l));
          }
          break;
        case Imm::Memory:
          op_.index = mem = memory_index(r);
          memory(mem);
          break;
        case Imm::AtomicFence:
          if (r.u8() != 0) fail("zero byte expected");
          break;
        default:
          fail("internal: unexpected immediate kind for " + op_name());
      }
      apply_sig(info->sig, mem, sink, st);
      continue;
    }
    special(r, sink, st);
  }
  if (!r.at_end()) fail_at(r.pos(), "operators remaining after the end of the function");
  sink.end_function();
}

template <class Sink>
void FuncValidator<Sink>::special(Reader& r, Sink& sink, OpState st) {
  Operator& op = op_;
  switch (op.code) {
    case Op::Unreachable:
      sink.op(op, st);
      set_unreachable();
      return;
    case Op::Nop:
      sink.op(op, st);
      return;
    case Op::Block:
    case Op::Loop: {
      op.block = block_type(r);
      pop(op.block.params());
      sink.op(op, st);
      push_frame(op.code, op.block);
      return;
    }
    case Op::If: {
      op.block = block_type(r);
      pop(ValType::i32);
      pop(op.block.params());
      sink.op(op, st);
      push_frame(Op::If, op.block);
      return;
    }
    case Op::Else: {
      ControlFrame& f = *top_;
      if (f.kind != Op::If) fail("else without a matching if");
      check_frame_end(f);
      sink.op(op, st);
      f.kind = Op::Else;
      f.unreachable = false;
      push(f.type.params());
      return;
    }
    case Op::End: {
      ControlFrame& f = *top_;
      check_frame_end(f);
      if (f.kind == Op::If && !std::equal(f.type.params().begin(), f.type.params().end(),
                                          f.type.results().begin(), f.type.results().end()))
        fail("type mismatch: an if without else must have the same params and results");
      sink.op(op, st);
      BlockType bt = f.type;
      pop_control();
      if (!control_.empty()) push(bt.results());
      return;
    }
    case Op::Br: {
      op.index = r.u32();
      pop(label(op.index).label_types());
      sink.op(op, st);
      set_unreachable();
      return;
    }
    case Op::BrIf: {
      op.index = r.u32();
      pop(ValType::i32);
      std::span<const ValType> ts = label(op.index).label_types();
      pop(ts);
      sink.op(op, st);
      push(ts);
      return;
    }
    case Op::BrTable: {
      uint32_t n = r.count(1);
      targets_.resize(size_t{n} + 1);
      for (uint32_t i = 0; i <= n; ++i) targets_[i] = r.u32();
      pop(ValType::i32);
      size_t arity = label(targets_[n]).label_types().size();
      for (uint32_t i = 0; i <= n; ++i) {
        std::span<const ValType> ts = label(targets_[i]).label_types();
        if (ts.size() != arity) fail("type mismatch in br_table: labels of different arity");
        peek_check(ts);
      }
      pop(label(targets_[n]).label_types());
      op.targets = targets_;
      sink.op(op, st);
      set_unreachable();
      return;
    }
    case Op::Return:
      pop(control_.front().type.results());
      sink.op(op, st);
      set_unreachable();
      return;
    case Op::Call:
    case Op::ReturnCall: {
      op.index = r.u32();
      if (op.index >= m_.funcs.size()) fail("unknown function " + std::to_string(op.index));
      const FuncType& callee = m_.func_type(op.index);
      pop(callee.params);
      if (op.code == Op::ReturnCall) {
        if (!std::equal(callee.results.begin(), callee.results.end(),
                        control_.front().type.results().begin(),
                        control_.front().type.results().end()))
          fail("type mismatch in return_call: the callee's results differ from the caller's");
        sink.op(op, st);
        set_unreachable();
        return;
      }
      sink.op(op, st);
      push(callee.results);
      return;
    }
    case Op::CallIndirect:
    case Op::ReturnCallIndirect: {
      op.index = r.u32();   // type
      op.index2 = r.u32();  // table
      const TableType& tt = table(op.index2);
      if (tt.elem != ValType::funcref)
        fail("type mismatch in call_indirect: the table is not of funcref");
      const FuncType& callee = type(op.index);
      pop(tt.limits.is64 ? ValType::i64 : ValType::i32);
      pop(callee.params);
      if (op.code == Op::ReturnCallIndirect) {
        if (!std::equal(callee.results.begin(), callee.results.end(),
                        control_.front().type.results().begin(),
                        control_.front().type.results().end()))
          fail(
              "type mismatch in return_call_indirect: the callee's results differ from the "
              "caller's");
        sink.op(op, st);
        set_unreachable();
        return;
      }
      sink.op(op, st);
      push(callee.results);
      return;
    }
    case Op::Drop:
      op.type = pop();
      sink.op(op, st);
      return;
    case Op::Select: {
      pop(ValType::i32);
      ValType a = pop();
      ValType b = pop();
      if (is_ref(a) || is_ref(b))
        fail("type mismatch in select: reference operands need a typed select");
      if (a != b && a != ValType::unknown && b != ValType::unknown)
        fail(std::string("type mismatch in select: ") + val_type_name(a) + " and " +
             val_type_name(b));
      op.type = a == ValType::unknown ? b : a;
      sink.op(op, st);
      push(op.type);
      return;
    }
    case Op::SelectT: {
      uint32_t n = r.count(1);
      if (n != 1) fail("invalid result arity in select");
      op.type = read_value_type(r, enabled_, used_);
      pop(ValType::i32);
      pop(op.type);
      pop(op.type);
      sink.op(op, st);
      push(op.type);
      return;
    }
    case Op::LocalGet:
    case Op::LocalSet:
    case Op::LocalTee: {
      op.index = r.u32();
      if (op.index >= locals_.size()) fail("unknown local " + std::to_string(op.index));
      ValType t = locals_[op.index];
      op.type = t;
      if (op.code != Op::LocalGet) pop(t);
      sink.op(op, st);
      if (op.code != Op::LocalSet) push(t);
      return;
    }
    case Op::GlobalGet:
    case Op::GlobalSet: {
      op.index = r.u32();
      if (op.index >= m_.globals.size()) fail("unknown global " + std::to_string(op.index));
      const GlobalType& g = m_.globals[op.index];
      op.type = g.type;
      if (op.code == Op::GlobalSet) {
        if (!g.mut) fail("global is immutable: global.set " + std::to_string(op.index));
        pop(g.type);
        sink.op(op, st);
      } else {
        sink.op(op, st);
        push(g.type);
      }
      return;
    }
    case Op::TableGet:
    case Op::TableSet: {
      op.index = r.u32();
      const TableType& tt = table(op.index);
      op.type = tt.elem;
      if (op.code == Op::TableSet) pop(tt.elem);
      pop(ValType::i32);
      sink.op(op, st);
      if (op.code == Op::TableGet) push(tt.elem);
      return;
    }
    case Op::MemoryInit: {
      op.index = r.u32();  // data
      op.index2 = memory_index(r);
      check_data(op.index);
      ValType a = addr_type(op.index2);
      pop(ValType::i32);
      pop(ValType::i32);
      pop(a);
      sink.op(op, st);
      return;
    }
    case Op::DataDrop:
      op.index = r.u32();
      check_data(op.index);
      sink.op(op, st);
      return;
    case Op::MemoryCopy: {
      op.index = memory_index(r);   // destination
      op.index2 = memory_index(r);  // source
      ValType d = addr_type(op.index), s = addr_type(op.index2);
      pop(d == ValType::i64 && s == ValType::i64 ? ValType::i64 : ValType::i32);  // n
      pop(s);
      pop(d);
      sink.op(op, st);
      return;
    }
    case Op::MemoryFill: {
      op.index = memory_index(r);
      ValType a = addr_type(op.index);
      pop(a);
      pop(ValType::i32);
      pop(a);
      sink.op(op, st);
      return;
    }
    case Op::TableInit: {
      op.index = r.u32();   // elem
      op.index2 = r.u32();  // table
      check_elem(op.index);
      const TableType& tt = table(op.index2);
      if (m_.elems[op.index].type != tt.elem)
        fail("type mismatch in table.init: the segment's element type differs from the table's");
      pop(ValType::i32);
      pop(ValType::i32);
      pop(ValType::i32);
      sink.op(op, st);
      return;
    }
    case Op::ElemDrop:
      op.index = r.u32();
      check_elem(op.index);
      sink.op(op, st);
      return;
    case Op::TableCopy: {
      op.index = r.u32();   // destination
      op.index2 = r.u32();  // source
      const TableType& d = table(op.index);
      const TableType& s = table(op.index2);
      if (d.elem != s.elem) fail("type mismatch in table.copy: the tables' element types differ");
      pop(ValType::i32);
      pop(ValType::i32);
      pop(ValType::i32);
      sink.op(op, st);
      return;
    }
    case Op::TableGrow:
    case Op::TableSize:
    case Op::TableFill: {
      op.index = r.u32();
      const TableType& tt = table(op.index);
      op.type = tt.elem;
      if (op.code == Op::TableGrow) {
        pop(ValType::i32);
        pop(tt.elem);
      } else if (op.code == Op::TableFill) {
        pop(ValType::i32);
        pop(tt.elem);
        pop(ValType::i32);
      }
      sink.op(op, st);
      if (op.code != Op::TableFill) push(ValType::i32);
      return;
    }
    case Op::RefNull:
      op.type = read_heap_type(r, enabled_, used_);
      sink.op(op, st);
      push(op.type);
      return;
    case Op::RefIsNull:
      op.type = pop_ref();
      sink.op(op, st);
      push(ValType::i32);
      return;
    case Op::RefFunc: {
      op.index = r.u32();
      if (op.index >= m_.funcs.size()) fail("unknown function " + std::to_string(op.index));
      if (op.index >= m_.declared_refs.size() || !m_.declared_refs[op.index])
        fail("undeclared function reference " + std::to_string(op.index));
      sink.op(op, st);
      push(ValType::funcref);
      return;
    }
    case Op::Throw: {
      op.index = r.u32();
      if (op.index >= m_.tags.size()) fail("unknown tag " + std::to_string(op.index));
      pop(type(m_.tags[op.index].type_index).params);
      sink.op(op, st);
      set_unreachable();
      return;
    }
    case Op::Try: {
      op.block = block_type(r);
      pop(op.block.params());
      sink.op(op, st);
      push_frame(Op::Try, op.block);
      return;
    }
    case Op::Catch:
    case Op::CatchAll: {
      if (op.code == Op::Catch) {
        op.index = r.u32();
        if (op.index >= m_.tags.size()) fail("unknown tag " + std::to_string(op.index));
      }
      ControlFrame& f = *top_;
      if (f.kind != Op::Try && f.kind != Op::Catch) fail(op_name() + " without a matching try");
      check_frame_end(f);
      sink.op(op, st);
      f.kind = op.code == Op::Catch ? Op::Catch : Op::CatchAll;
      f.unreachable = false;
      if (op.code == Op::Catch) push(type(m_.tags[op.index].type_index).params);
      return;
    }
    case Op::Delegate: {
      op.index = r.u32();
      ControlFrame& f = *top_;
      if (f.kind != Op::Try) fail("delegate without a matching try");
      check_frame_end(f);
      // The label counts from the try's enclosing frame.
      if (op.index + 1 >= control_.size()) fail("unknown label " + std::to_string(op.index));
      sink.op(op, st);
      BlockType bt = f.type;
      pop_control();
      push(bt.results());
      return;
    }
    case Op::Rethrow: {
      op.index = r.u32();
      const ControlFrame& f = label(op.index);
      if (f.kind != Op::Catch && f.kind != Op::CatchAll)
        fail("invalid rethrow label: not a catch block");
      sink.op(op, st);
      set_unreachable();
      return;
    }
    case Op::ThrowRef:
      pop(ValType::exnref);
      sink.op(op, st);
      set_unreachable();
      return;
    case Op::TryTable: {
      op.block = block_type(r);
      uint32_t n = r.count(2);
      catches_.resize(n);
      for (uint32_t i = 0; i < n; ++i) {
        CatchClause& c = catches_[i];
        size_t at = r.pos();
        c.kind = r.u8();
        if (c.kind > 3) fail_at(at, "malformed catch clause");
        if (c.kind < 2) {
          c.tag = r.u32();
          if (c.tag >= m_.tags.size()) fail_at(at, "unknown tag " + std::to_string(c.tag));
        }
        c.label = r.u32();
        const ControlFrame& target = label(c.label);
        std::span<const ValType> want = target.label_types();
        std::vector<ValType> got;
        if (c.kind < 2) {
          const FuncType& tag = type(m_.tags[c.tag].type_index);
          got.assign(tag.params.begin(), tag.params.end());
        }
        if (c.kind == 1 || c.kind == 3) got.push_back(ValType::exnref);
        if (!std::equal(got.begin(), got.end(), want.begin(), want.end()))
          fail_at(at, "type mismatch in try_table: a catch clause does not match its label");
      }
      op.catches = catches_;
      pop(op.block.params());
      sink.op(op, st);
      push_frame(Op::TryTable, op.block);
      return;
    }
    default:
      fail(op_name() + " is not supported by wisp's validator yet");
  }
}

// Decodes a module's declarations and validates every function body (NullSink): the whole of
// the spec's validation. A module that needs proposals outside `enabled` is refused with one
// CompileError naming every proposal it needs (found by a scan of the whole module).
ModuleDecl validate_module(std::span<const uint8_t> bytes, FeatureSet enabled);

}  // namespace wisp::detail::front
