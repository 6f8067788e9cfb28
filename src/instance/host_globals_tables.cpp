// Host globals (wisp::Global, Linker::define_global) and checked views of funcref tables
// (wisp::Table, Instance::table): what a dynamic linker needs to give a side module its bases and
// GOT entries and to place its functions in the main module's table.
#include <string>

#include "instance/instance_impl.hpp"
#include "runtime/func_types.hpp"
#include "runtime/memory.hpp"
#include "wisp/instance.hpp"

namespace wisp {

Global::Global(ValType type, bool mutable_, const Value& init) {
  if (init.type() != type) {
    throw Error(std::string("a global of type ") + val_type_name(type) + " cannot hold a " +
                val_type_name(init.type()));
  }
  state_ = std::make_shared<detail::HostGlobalState>();
  state_->type = type;
  state_->mut = mutable_;
  detail::store_global(state_->storage, type, detail::to_raw(init));
}

ValType Global::type() const {
  if (!state_) throw Error("empty Global");
  return state_->type;
}

bool Global::is_mutable() const {
  if (!state_) throw Error("empty Global");
  return state_->mut;
}

Value Global::get() const {
  if (!state_) throw Error("empty Global");
  return detail::from_raw(detail::load_global(state_->storage, state_->type), state_->type);
}

void Global::set(const Value& v) {
  if (!state_) throw Error("empty Global");
  if (!state_->mut) throw Error("set of an immutable global");
  if (v.type() != state_->type) {
    throw Error(std::string("global of type ") + val_type_name(state_->type) + " set to a " +
                val_type_name(v.type()));
  }
  detail::store_global(state_->storage, state_->type, detail::to_raw(v));
}

namespace {
wasm_rt_funcref_table_t* table_of(void* t) {
  return static_cast<wasm_rt_funcref_table_t*>(t);
}

// True if `inst` imports the table at `table` (its teardown then clears its elements there).
bool imports_table(const detail::InstanceImpl& inst, const void* table) {
  const auto& imports = inst.mod().imports;
  for (size_t i = 0; i < imports.size() && i < inst.bindings.size(); ++i) {
    if (imports[i].type.kind == ExternKind::table && inst.bindings[i].ptr == table) return true;
  }
  return false;
}

// True if `inst` defines the table at `table` itself.
bool owns_table(const detail::InstanceImpl& inst, const void* table) {
  for (uint32_t i = 0; i < inst.desc->num_tables; ++i) {
    if (static_cast<const char*>(inst.vm) + inst.desc->table_offsets[i] == table) return true;
  }
  return false;
}
}  // namespace

uint32_t Table::size() const {
  if (!table_) throw Error("invalid Table view");
  return table_of(table_)->size;
}

std::optional<uint32_t> Table::max_size() const {
  if (!table_) throw Error("invalid Table view");
  uint32_t m = table_of(table_)->max_size;
  if (m == UINT32_MAX) return std::nullopt;
  return m;
}

std::optional<uint32_t> Table::grow(uint32_t delta) {
  if (!table_) throw Error("invalid Table view");
  uint32_t old = rt::grow_funcref_table(table_of(table_), delta, wasm_rt_funcref_null_value);
  if (old == UINT32_MAX) return std::nullopt;
  return old;
}

void Table::check(uint32_t index) const {
  if (!table_) throw Error("invalid Table view");
  if (index >= table_of(table_)->size) {
    throw Trap(TrapKind::out_of_bounds, "table element " + std::to_string(index) +
                                            " outside a table of " +
                                            std::to_string(table_of(table_)->size));
  }
}

bool Table::is_null(uint32_t index) const {
  check(index);
  return table_of(table_)->data[index].func == nullptr;
}

void Table::set(uint32_t index, const Extern& func) {
  check(index);
  if (func.kind != ExternKind::func || !func.owner) throw Error("Table::set: not a function");
  const detail::InstanceImpl& src = *func.owner;
  if (func.export_index >= src.mod().exports.size() ||
      src.mod().exports[func.export_index].type.kind != ExternKind::func) {
    throw Error("Table::set: not a function export");
  }
  const bool same =
      func.owner.get() == owner_.get() && (owns_table(src, table_) || imports_table(src, table_));
  if (!same && !imports_table(src, table_)) {
    throw Error("Table::set: the function's instance neither owns nor imports this table");
  }
  wasm_rt_funcref_t r = wasm_rt_funcref_null_value;
  r.func_type = rt::register_func_type(src.mod().exports[func.export_index].type.func);
  r.func = src.desc->exports[func.export_index].fn;
  r.module_instance = src.vm;
  table_of(table_)->data[index] = r;
}

Table Instance::table(std::string_view name) const {
  if (!impl_) throw Error("table of an empty Instance");
  uint32_t idx = impl_->export_of_kind(name, ExternKind::table);
  if (impl_->mod().exports[idx].type.table.elem != ValType::funcref)
    throw Error("table \"" + std::string(name) + "\" does not hold funcrefs");
  return Table(impl_, impl_->export_storage(idx));
}

}  // namespace wisp
