// Fuel metering of the IR: a counter global and a charge at the start of every segment.
#include "compile/fuel_instrument.hpp"

#include <memory>

#include "wabt/cast.h"
#include "wabt/ir.h"

namespace wisp::detail {

namespace {

class FuelInstrumenter {
 public:
  explicit FuelInstrumenter(uint32_t global) : global_(global) {}

  void function(wabt::Func& f) {
    // The counter lives in a new local while the function runs (a register, for cc -O2): it is
    // loaded at entry, stored back before every call and every exit, reloaded after calls.
    local_ = f.GetNumParamsAndLocals();
    f.local_types.AppendDecl(wabt::Type::I64, 1);
    sequence(f.exprs, nullptr, 0);
    wabt::Location loc = f.loc;
    f.exprs.push_front(std::make_unique<wabt::LocalSetExpr>(wabt::Var(local_, loc), loc));
    f.exprs.push_front(std::make_unique<wabt::GlobalGetExpr>(wabt::Var(global_, loc), loc));
    f.exprs.push_back(std::make_unique<wabt::LocalGetExpr>(wabt::Var(local_, loc), loc));
    f.exprs.push_back(std::make_unique<wabt::GlobalSetExpr>(wabt::Var(global_, loc), loc));
  }

 private:
  // Walks one instruction sequence nested `depth` labels deep in the function body (a branch
  // to label `depth` leaves the function). `open` is the cost constant of the segment open
  // where the sequence begins (a block's body continues the segment of the block), or null.
  void sequence(wabt::ExprList& exprs, wabt::ConstExpr* open, uint32_t depth) {
    for (auto it = exprs.begin(); it != exprs.end(); ++it) {
      if (it->type() == wabt::ExprType::CodeMetadata) continue;
      if (!open) open = insert_charge(exprs, it);
      open->const_.set_u64(open->const_.u64() + 1);
      switch (it->type()) {
        case wabt::ExprType::Block:
          sequence(wabt::cast<wabt::BlockExpr>(&*it)->block.exprs, open, depth + 1);
          open = nullptr;  // the end of a block is a branch target
          break;
        case wabt::ExprType::Loop:
          sequence(wabt::cast<wabt::LoopExpr>(&*it)->block.exprs, nullptr, depth + 1);
          open = nullptr;
          break;
        case wabt::ExprType::If: {
          auto* e = wabt::cast<wabt::IfExpr>(&*it);
          sequence(e->true_.exprs, nullptr, depth + 1);
          sequence(e->false_, nullptr, depth + 1);
          open = nullptr;
          break;
        }
        case wabt::ExprType::Try: {
          auto* e = wabt::cast<wabt::TryExpr>(&*it);
          sequence(e->block.exprs, nullptr, depth + 1);
          for (wabt::Catch& c : e->catches) sequence(c.exprs, nullptr, depth + 1);
          open = nullptr;
          break;
        }
        case wabt::ExprType::Call:
        case wabt::ExprType::CallIndirect:
        case wabt::ExprType::CallRef:
          store(exprs, it);
          it = reload_after(exprs, it);
          break;
        case wabt::ExprType::BrIf:
          if (leaves_function(wabt::cast<wabt::BrIfExpr>(&*it)->var, depth)) store(exprs, it);
          break;
        case wabt::ExprType::Br:
          if (leaves_function(wabt::cast<wabt::BrExpr>(&*it)->var, depth)) store(exprs, it);
          return;  // the rest of this sequence never runs
        case wabt::ExprType::BrTable: {
          auto* e = wabt::cast<wabt::BrTableExpr>(&*it);
          bool leaves = leaves_function(e->default_target, depth);
          for (const wabt::Var& v : e->targets) leaves = leaves || leaves_function(v, depth);
          if (leaves) store(exprs, it);
          return;
        }
        case wabt::ExprType::Return:
        case wabt::ExprType::ReturnCall:
        case wabt::ExprType::ReturnCallIndirect:
        case wabt::ExprType::Throw:
        case wabt::ExprType::Rethrow:
          store(exprs, it);
          return;
        case wabt::ExprType::Unreachable:
          return;
        default:
          break;
      }
    }
  }

  static bool leaves_function(const wabt::Var& label, uint32_t depth) {
    return !label.is_index() || label.index() >= depth;
  }

  // Inserts `global = local` before `pos`.
  void store(wabt::ExprList& exprs, wabt::ExprList::iterator pos) {
    wabt::Location loc = pos->loc;
    exprs.insert(pos, std::make_unique<wabt::LocalGetExpr>(wabt::Var(local_, loc), loc));
    exprs.insert(pos, std::make_unique<wabt::GlobalSetExpr>(wabt::Var(global_, loc), loc));
  }

  // Inserts `local = global` after `pos`; returns the last inserted instruction.
  wabt::ExprList::iterator reload_after(wabt::ExprList& exprs, wabt::ExprList::iterator pos) {
    wabt::Location loc = pos->loc;
    auto next = std::next(pos);
    exprs.insert(next, std::make_unique<wabt::GlobalGetExpr>(wabt::Var(global_, loc), loc));
    return exprs.insert(next, std::make_unique<wabt::LocalSetExpr>(wabt::Var(local_, loc), loc));
  }

  // Inserts `local -= <cost>; if (local < 0) { global = local; unreachable; }` before `pos`;
  // returns the cost constant.
  wabt::ConstExpr* insert_charge(wabt::ExprList& exprs, wabt::ExprList::iterator pos) {
    wabt::Location loc = pos->loc;
    wabt::Var fuel(local_, loc);
    exprs.insert(pos, std::make_unique<wabt::LocalGetExpr>(fuel, loc));
    auto cost = std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0, loc), loc);
    wabt::ConstExpr* cost_ptr = cost.get();
    exprs.insert(pos, std::move(cost));
    exprs.insert(pos, std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Sub, loc));
    exprs.insert(pos, std::make_unique<wabt::LocalTeeExpr>(fuel, loc));
    exprs.insert(pos, std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0, loc), loc));
    exprs.insert(pos, std::make_unique<wabt::CompareExpr>(wabt::Opcode::I64LtS, loc));
    auto check = std::make_unique<wabt::IfExpr>(loc);
    check->true_.exprs.push_back(std::make_unique<wabt::LocalGetExpr>(fuel, loc));
    check->true_.exprs.push_back(
        std::make_unique<wabt::GlobalSetExpr>(wabt::Var(global_, loc), loc));
    check->true_.exprs.push_back(std::make_unique<wabt::UnreachableExpr>(loc));
    exprs.insert(pos, std::move(check));
    return cost_ptr;
  }

  uint32_t global_;
  uint32_t local_ = 0;
};

}  // namespace

uint32_t instrument_fuel(wabt::Module& ir) {
  auto index = static_cast<uint32_t>(ir.globals.size());
  auto field = std::make_unique<wabt::GlobalModuleField>(wabt::Location(), kFuelGlobalName);
  field->global.type = wabt::Type::I64;
  field->global.mutable_ = true;
  field->global.init_expr.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0)));
  ir.AppendField(std::move(field));
  FuelInstrumenter instrumenter(index);
  for (size_t i = ir.num_func_imports; i < ir.funcs.size(); ++i)
    instrumenter.function(*ir.funcs[i]);
  return index;
}

}  // namespace wisp::detail
