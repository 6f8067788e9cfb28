// The opcode table of wisp's front end: every operator of WebAssembly 2.0 and of the finished
// proposals, with its immediates, its type signature (for the ones checked by the table) and the
// proposal it belongs to. The lists themselves are X-macro files: opcodes_core.def (2.0 plus
// the proposals' control, reference and exception operators), opcodes_simd.def (SIMD and
// relaxed SIMD, prefix 0xfd) and opcodes_threads.def (atomics, prefix 0xfe).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "compile/front/module_decl.hpp"

namespace wisp::detail::front {

// How an operator's immediates are encoded.
enum class Imm : uint8_t {
  None,
  Block,         // block type: 0x40, a value type, or a type index (s33)
  Label,         // label index
  BrTable,       // vector of labels, then the default label
  Local,         // local index
  Global,        // global index
  Func,          // function index
  CallIndirect,  // type index, then table index
  TypeIdx,       // type index (call_ref)
  Table,         // table index
  Memarg,        // alignment (bit 6: a memory index follows, multi-memory), [memory], offset
  MemargLane,    // memarg, then a lane byte (v128.loadN_lane / storeN_lane)
  Lane,          // one lane byte
  Shuffle,       // 16 lane bytes
  I32,           // signed LEB128, 32 bits
  I64,           // signed LEB128, 64 bits
  F32,           // 4 bytes
  F64,           // 8 bytes
  V128,          // 16 bytes
  RefType,       // a heap type (ref.null)
  SelectT,       // vector of value types (exactly one)
  Memory,        // memory index (memory.size, memory.grow, memory.fill)
  MemoryCopy,    // destination memory, source memory
  MemoryInit,    // data index, memory index
  Data,          // data index
  Elem,          // element segment index
  TableCopy,     // destination table, source table
  TableInit,     // element index, table index
  Tag,           // tag index
  TryTable,      // block type, vector of catch clauses
  AtomicFence,   // one reserved zero byte
};

// Feature bits as names the .def files use ("none": WebAssembly 2.0).
namespace feat {
inline constexpr uint32_t none = 0;
#define WISP_FEAT(n) inline constexpr uint32_t n = static_cast<uint32_t>(Feature::n);
WISP_FEAT(simd)
WISP_FEAT(relaxed_simd)
WISP_FEAT(threads)
WISP_FEAT(tail_call)
WISP_FEAT(exceptions)
WISP_FEAT(exnref)
WISP_FEAT(multi_memory)
WISP_FEAT(memory64)
WISP_FEAT(extended_const)
WISP_FEAT(gc)
WISP_FEAT(function_references)
WISP_FEAT(wide_arithmetic)
#undef WISP_FEAT
}  // namespace feat

// Opcode values: one byte, or (prefix << 16) | sub-opcode for the 0xfc, 0xfd and 0xfe prefixes.
enum Op : uint32_t {
#define OP(name, code, text, imm, sig, feature, bytes) name = code,
#include "compile/front/opcodes_core.def"
#include "compile/front/opcodes_simd.def"
#include "compile/front/opcodes_threads.def"
#undef OP
};

struct OpInfo {
  uint32_t code;
  const char* text;  // "i32.add"
  Imm imm;
  const char* sig;   // "ii>i"; "" when the validator checks the operator by hand
  uint32_t feature;  // 0 or a Feature bit
  uint8_t bytes;     // memory access size (loads, stores, atomics, v128 loads)
};

// The value type of a signature letter ('i' i32, 'I' i64, 'f' f32, 'F' f64, 'v' v128); unknown
// for 'a' (the memory's address type, which the caller knows) and anything else.
constexpr ValType sig_letter_type(char c) {
  switch (c) {
    case 'i':
      return ValType::i32;
    case 'I':
      return ValType::i64;
    case 'f':
      return ValType::f32;
    case 'F':
      return ValType::f64;
    case 'v':
      return ValType::v128;
    default:
      return ValType::unknown;
  }
}

// The one-byte operators by code (nullptr: none), for find_op's inline path.
extern const std::array<const OpInfo*, 256> kOneByteOps;
const OpInfo* find_prefixed_op(uint32_t code);

// The operator with this code, or nullptr if none has it.
inline const OpInfo* find_op(uint32_t code) {
  return code < 0x100 ? kOneByteOps[code] : find_prefixed_op(code);
}

// The decoded immediates of one operator (the fields its Imm kind uses; the rest stay zero).
// A resolved block type: an empty block, one result, or a function type's params and results.
// Compact (24 bytes): a control frame holds one, and 10,000 nested blocks hold 10,000 frames.
struct BlockType {
  const ValType* param_data = nullptr;
  const ValType* result_data = nullptr;
  uint32_t num_params = 0;
  uint32_t num_results = 0;

  std::span<const ValType> params() const { return {param_data, num_params}; }
  std::span<const ValType> results() const { return {result_data, num_results}; }
  void set_params(std::span<const ValType> t) {
    param_data = t.data();
    num_params = static_cast<uint32_t>(t.size());
  }
  void set_results(std::span<const ValType> t) {
    result_data = t.data();
    num_results = static_cast<uint32_t>(t.size());
  }
};

struct CatchClause {
  uint8_t kind = 0;  // 0 catch, 1 catch_ref, 2 catch_all, 3 catch_all_ref
  uint32_t tag = 0;
  uint32_t label = 0;
};

struct Operator {
  uint32_t code = 0;
  const OpInfo* info = nullptr;
  uint32_t offset = 0;  // the operator's byte offset in the module
  // Indices: local, global, function, type, table, memory, label, data, element or tag index.
  // Two-index operators (copy, init, call_indirect): `index` is the first immediate in the
  // binary encoding (destination; data/elem segment; call_indirect's type), `index2` the second.
  uint32_t index = 0;
  uint32_t index2 = 0;
  uint64_t value = 0;     // constants' bits (zero-extended); memarg offset
  uint64_t value_hi = 0;  // v128 constants: the high 64 bits
  uint32_t align = 0;     // memarg alignment exponent
  uint8_t lane = 0;
  uint8_t lanes[16] = {};           // i8x16.shuffle
  ValType type = ValType::unknown;  // ref.null's type, select's operand type (typed or not)
  BlockType block;
  std::span<const uint32_t> targets;     // br_table: the labels, then the default one last
  std::span<const CatchClause> catches;  // try_table
};

}  // namespace wisp::detail::front
