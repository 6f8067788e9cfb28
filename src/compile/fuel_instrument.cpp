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

  void function(wabt::Func& f) { sequence(f.exprs, nullptr); }

 private:
  // Walks one instruction sequence. `open` is the cost constant of the segment open where the
  // sequence begins (a block's body continues the segment of the block), or null.
  void sequence(wabt::ExprList& exprs, wabt::ConstExpr* open) {
    for (auto it = exprs.begin(); it != exprs.end(); ++it) {
      if (it->type() == wabt::ExprType::CodeMetadata) continue;
      if (!open) open = insert_charge(exprs, it);
      open->const_.set_u64(open->const_.u64() + 1);
      switch (it->type()) {
        case wabt::ExprType::Block:
          sequence(wabt::cast<wabt::BlockExpr>(&*it)->block.exprs, open);
          open = nullptr;  // the end of a block is a branch target
          break;
        case wabt::ExprType::Loop:
          sequence(wabt::cast<wabt::LoopExpr>(&*it)->block.exprs, nullptr);
          open = nullptr;
          break;
        case wabt::ExprType::If: {
          auto* e = wabt::cast<wabt::IfExpr>(&*it);
          sequence(e->true_.exprs, nullptr);
          sequence(e->false_, nullptr);
          open = nullptr;
          break;
        }
        case wabt::ExprType::Try: {
          auto* e = wabt::cast<wabt::TryExpr>(&*it);
          sequence(e->block.exprs, nullptr);
          for (wabt::Catch& c : e->catches) sequence(c.exprs, nullptr);
          open = nullptr;
          break;
        }
        case wabt::ExprType::Br:
        case wabt::ExprType::BrTable:
        case wabt::ExprType::Return:
        case wabt::ExprType::ReturnCall:
        case wabt::ExprType::ReturnCallIndirect:
        case wabt::ExprType::Unreachable:
        case wabt::ExprType::Throw:
        case wabt::ExprType::Rethrow:
          return;  // the rest of this sequence never runs
        default:
          break;
      }
    }
  }

  // Inserts `fuel -= <cost>; if (fuel < 0) unreachable;` before `pos`; returns the cost constant.
  wabt::ConstExpr* insert_charge(wabt::ExprList& exprs, wabt::ExprList::iterator pos) {
    wabt::Location loc = pos->loc;
    wabt::Var fuel(global_, loc);
    exprs.insert(pos, std::make_unique<wabt::GlobalGetExpr>(fuel, loc));
    auto cost = std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0, loc), loc);
    wabt::ConstExpr* cost_ptr = cost.get();
    exprs.insert(pos, std::move(cost));
    exprs.insert(pos, std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Sub, loc));
    exprs.insert(pos, std::make_unique<wabt::GlobalSetExpr>(fuel, loc));
    exprs.insert(pos, std::make_unique<wabt::GlobalGetExpr>(fuel, loc));
    exprs.insert(pos, std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0, loc), loc));
    exprs.insert(pos, std::make_unique<wabt::CompareExpr>(wabt::Opcode::I64LtS, loc));
    auto check = std::make_unique<wabt::IfExpr>(loc);
    check->true_.exprs.push_back(std::make_unique<wabt::UnreachableExpr>(loc));
    exprs.insert(pos, std::move(check));
    return cost_ptr;
  }

  uint32_t global_;
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
