// The C emitter's memory and table operators. Loads and stores go straight through the memory's
// data pointer with no bounds check: memories live in 8 GiB guarded slots, and a 32-bit address
// plus a 32-bit offset cannot leave the guard. A 64-bit memory (memory64) checks that address and
// offset are below 4 GiB (wisp_ea64), and the guard does the rest. LD/ST (prelude) read and write
// unaligned values: direct dereferences under libtcc (which does not inline memcpy), types of
// alignment 1 for cc. Lazy tier 0's C is for libtcc only and spells the dereference out: expanding
// LD/ST took half of libtcc's time on a batch. Bulk memory and table operators call prelude helpers
// that check bounds and trap.
#include <string>

#include "compile/emit/c_emitter.hpp"
#include "wisp/error.hpp"

namespace wisp::detail::emit {

using front::Op;
using front::Operator;

namespace {

struct Access {
  const char* pre;   // text before LD(...) / the value conversion of a store
  const char* type;  // C type accessed
  ValType value;
};

Access access(uint32_t code) {
  switch (code) {
    // clang-format off
    case Op::I32Load: return {"", "u32", ValType::i32};
    case Op::I64Load: return {"", "u64", ValType::i64};
    case Op::F32Load: return {"", "f32", ValType::f32};
    case Op::F64Load: return {"", "f64", ValType::f64};
    case Op::I32Load8S: return {"(u32)(s32)", "s8", ValType::i32};
    case Op::I32Load8U: return {"(u32)", "u8", ValType::i32};
    case Op::I32Load16S: return {"(u32)(s32)", "s16", ValType::i32};
    case Op::I32Load16U: return {"(u32)", "u16", ValType::i32};
    case Op::I64Load8S: return {"(u64)(s64)", "s8", ValType::i64};
    case Op::I64Load8U: return {"(u64)", "u8", ValType::i64};
    case Op::I64Load16S: return {"(u64)(s64)", "s16", ValType::i64};
    case Op::I64Load16U: return {"(u64)", "u16", ValType::i64};
    case Op::I64Load32S: return {"(u64)(s64)", "s32", ValType::i64};
    case Op::I64Load32U: return {"(u64)", "u32", ValType::i64};
    case Op::I32Store: return {"", "u32", ValType::i32};
    case Op::I64Store: return {"", "u64", ValType::i64};
    case Op::F32Store: return {"", "f32", ValType::f32};
    case Op::F64Store: return {"", "f64", ValType::f64};
    case Op::I32Store8: case Op::I64Store8: return {"(u8)", "u8", ValType::i32};
    case Op::I32Store16: case Op::I64Store16: return {"(u16)", "u16", ValType::i32};
    case Op::I64Store32: return {"(u32)", "u32", ValType::i64};
    // clang-format on
    default:
      return {nullptr, nullptr, ValType::i32};
  }
}

bool is_store(uint32_t code) {
  return code >= Op::I32Store && code <= Op::I64Store32;
}

}  // namespace

std::string CEmitter::effective_address(const Operator& op, uint32_t addr_h) {
  std::string addr = mem_base(op.index) + " + ";
  if (decl_.memories[op.index].limits.is64) {
    addr += "WISP_EA64(" + text(addr_h) + ", " + num(op.value) + "ull)";
  } else {
    addr += text(addr_h);
    if (op.value) addr += " + " + num(op.value) + "u";
  }
  return addr;
}

bool CEmitter::memory_op(const Operator& op) {
  Access a = access(op.code);
  if (a.type) {
    const bool store = is_store(op.code);
    const uint32_t addr_h = n_ - (store ? 2 : 1);
    std::string addr = effective_address(op, addr_h);
    if (store) {
      std::string v = text(n_ - 1);
      pop(2);
      settle();
      if (shape_.lazy)  // libtcc only: the direct form (no macro to expand)
        body_ += std::string("*(") + a.type + "*)(" + addr + ") = " + a.pre + v + ";\n";
      else
        body_ += std::string("ST(") + a.type + ", " + addr + ", " + a.pre + v + ");\n";
    } else {
      // A load stays pending (deferred) when its address is pending text.
      const Val& av = vs_[addr_h];
      bool pend = av.pending;
      int32_t local = av.local;
      pop(1);
      std::string load = shape_.lazy ? std::string("(*(const ") + a.type + "*)(" + addr + "))"
                                     : std::string("LD(") + a.type + ", " + addr + ")";
      push_pure(a.value, a.pre + load, local, pend, true, true);
    }
    return true;
  }
  auto is64 = [&](uint32_t m) { return decl_.memories[m].limits.is64; };
  switch (op.code) {
    case Op::MemorySize:
      if (is64(op.index))
        push_stmt(ValType::i64, "(u64)(" + shape_.memory_ptr(op.index) + ")->pages");
      else
        push_stmt(ValType::i32, "(u32)(" + shape_.memory_ptr(op.index) + ")->pages");
      return true;
    case Op::MemoryGrow: {
      std::string delta = text(n_ - 1);
      pop(1);
      push_stmt(is64(op.index) ? ValType::i64 : ValType::i32,
                std::string(is64(op.index) ? "wisp_grow64(" : "wasm_rt_grow_memory(") +
                    shape_.memory_ptr(op.index) + ", " + delta + ")");
      return true;
    }
    case Op::MemoryFill:
    case Op::MemoryCopy:
    case Op::MemoryInit: {
      std::string d = text(n_ - 3), s = text(n_ - 2), n = text(n_ - 1);
      pop(3);
      settle();
      // memory.init on a 64-bit memory: wisp_minit64 (c_tail.cpp); fill and copy: 64 variants.
      const char* w = op.code != Op::MemoryInit && is64(op.index) ? "64(" : "(";
      if (op.code == Op::MemoryFill) {
        body_ += std::string("wisp_mfill") + w + shape_.memory_ptr(op.index) + ", " + d + ", " + s +
                 ", " + n + ");\n";
      } else if (op.code == Op::MemoryCopy) {
        body_ += std::string("wisp_mcopy") + w + shape_.memory_ptr(op.index) + ", " +
                 shape_.memory_ptr(op.index2) + ", " + d + ", " + s + ", " + n + ");\n";
      } else if (is64(op.index2)) {
        body_ += "wisp_minit64(I, " + num(op.index) + ", " + shape_.memory_ptr(op.index2) + ", " +
                 d + ", " + s + ", " + n + ");\n";
      } else {
        body_ += "wisp_minit(I, " + num(op.index) + ", " + shape_.memory_ptr(op.index2) + ", " + d +
                 ", " + s + ", " + n + ");\n";
      }
      return true;
    }
    case Op::DataDrop:
      settle();
      body_ += "I->dd[" + num(op.index) + "] = 1;\n";
      return true;
    default:
      return false;
  }
}

bool CEmitter::table_op(const Operator& op) {
  switch (op.code) {
    case Op::TableGet:
    case Op::TableSet:
    case Op::TableSize:
    case Op::TableGrow:
    case Op::TableFill:
    case Op::TableCopy:
    case Op::TableInit:
    case Op::ElemDrop:
      break;
    default:
      return false;
  }
  if (op.code == Op::ElemDrop) {
    settle();
    body_ += "I->ed[" + num(op.index) + "] = 1;\n";
    return true;
  }
  if (op.code == Op::TableInit) {
    std::string d = text(n_ - 3), s = text(n_ - 2), n = text(n_ - 1);
    pop(3);
    settle();
    body_ += "wisp_tinit(I, " + num(op.index) + ", " + shape_.table_ptr(op.index2) + ", " + d +
             ", " + s + ", " + n + ");\n";
    return true;
  }
  const front::TableType& tt = decl_.tables[op.index];
  // exnref tables ('n') go through the runtime, which counts references (c_prelude.cpp).
  const char k = tt.elem == ValType::funcref ? 'f' : tt.elem == ValType::exnref ? 'n' : 'x';
  const std::string tbl = shape_.table_ptr(op.index);
  const std::string kind = std::string(1, k);
  switch (op.code) {
    case Op::TableGet: {
      std::string i = text(n_ - 1);
      pop(1);
      push_stmt(tt.elem, "wisp_tget_" + kind + "(" + tbl + ", " + i + ")");
      return true;
    }
    case Op::TableSet: {
      std::string i = text(n_ - 2), v = text(n_ - 1);
      pop(2);
      settle();
      body_ += "wisp_tset_" + kind + "(" + tbl + ", " + i + ", " + v + ");\n";
      return true;
    }
    case Op::TableSize:
      push_stmt(ValType::i32, "(" + tbl + ")->size");
      return true;
    case Op::TableGrow: {
      std::string v = text(n_ - 2), n = text(n_ - 1);
      pop(2);
      if (k == 'n') {
        push_stmt(ValType::i32, "wisp_tgrow_n(" + tbl + ", " + v + ", " + n + ")");
        return true;
      }
      push_stmt(ValType::i32, std::string(k == 'f' ? "wasm_rt_grow_funcref_table("
                                                   : "wasm_rt_grow_externref_table(") +
                                  tbl + ", " + n + ", " + v + ")");
      return true;
    }
    case Op::TableFill: {
      std::string d = text(n_ - 3), v = text(n_ - 2), n = text(n_ - 1);
      pop(3);
      settle();
      body_ += "wisp_tfill_" + kind + "(" + tbl + ", " + d + ", " + v + ", " + n + ");\n";
      return true;
    }
    case Op::TableCopy: {
      std::string d = text(n_ - 3), s = text(n_ - 2), n = text(n_ - 1);
      pop(3);
      settle();
      body_ += "wisp_tcopy_" + kind + "(" + tbl + ", " + shape_.table_ptr(op.index2) + ", " + d +
               ", " + s + ", " + n + ");\n";
      return true;
    }
    default:
      return false;
  }
}

}  // namespace wisp::detail::emit
