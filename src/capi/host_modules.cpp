// Functions, globals, tables and memories the C API's host creates, as exports of tiny modules
// made for them: a host function is the re-export of an import (so WebAssembly can also reach it
// through a table), a global, table or memory is a module's own. The modules are compiled once
// per distinct bytes (EngineState::helper_module, tier 0 only); each object is an instance.
#include "capi/capi_impl.hpp"
#include "runtime/func_types.hpp"

namespace wisp::capi {

namespace {

// A minimal WebAssembly binary encoder: just what the helper modules need.
class Encoder {
 public:
  Encoder() { bytes_ = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }
  static void leb(std::vector<uint8_t>& out, uint64_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      out.push_back(static_cast<uint8_t>(b | (v ? 0x80 : 0)));
    } while (v);
  }
  static void name(std::vector<uint8_t>& out, const std::string& s) {
    leb(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  static uint8_t valtype(ValType t) {
    switch (t) {
      case ValType::i32:
        return 0x7f;
      case ValType::i64:
        return 0x7e;
      case ValType::f32:
        return 0x7d;
      case ValType::f64:
        return 0x7c;
      case ValType::funcref:
        return 0x70;
      case ValType::externref:
        return 0x6f;
      case ValType::v128:
        return 0x7b;
    }
    return 0x7f;
  }
  static void limits(std::vector<uint8_t>& out, const Limits32& l) {
    out.push_back(l.max ? 0x01 : 0x00);
    leb(out, l.min);
    if (l.max) leb(out, *l.max);
  }
  // One section holding a vector of one entry.
  void section(uint8_t id, const std::vector<uint8_t>& entry) {
    std::vector<uint8_t> body{0x01};
    body.insert(body.end(), entry.begin(), entry.end());
    bytes_.push_back(id);
    leb(bytes_, body.size());
    bytes_.insert(bytes_.end(), body.begin(), body.end());
  }
  void export_first(const std::string& field, uint8_t kind) {
    std::vector<uint8_t> e;
    name(e, field);
    e.push_back(kind);
    e.push_back(0x00);
    section(7, e);
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// (import "" "f" (func (type 0))) (export "f" (func 0))
std::vector<uint8_t> function_module(const FuncType& type) {
  Encoder m;
  std::vector<uint8_t> t{0x60};
  Encoder::leb(t, type.params.size());
  for (ValType v : type.params) t.push_back(Encoder::valtype(v));
  Encoder::leb(t, type.results.size());
  for (ValType v : type.results) t.push_back(Encoder::valtype(v));
  m.section(1, t);
  std::vector<uint8_t> imp;
  Encoder::name(imp, "");
  Encoder::name(imp, "f");
  imp.push_back(0x00);
  imp.push_back(0x00);
  m.section(2, imp);
  m.export_first("f", 0x00);
  return m.bytes();
}

std::vector<uint8_t> global_module(const GlobalType& type) {
  Encoder m;
  std::vector<uint8_t> g{Encoder::valtype(type.type), static_cast<uint8_t>(type.mut ? 1 : 0)};
  switch (type.type) {  // a zero (or null) initialiser; the value is stored after instantiation
    case ValType::i32:
      g.insert(g.end(), {0x41, 0x00});
      break;
    case ValType::i64:
      g.insert(g.end(), {0x42, 0x00});
      break;
    case ValType::f32:
      g.insert(g.end(), {0x43, 0, 0, 0, 0});
      break;
    case ValType::f64:
      g.insert(g.end(), {0x44, 0, 0, 0, 0, 0, 0, 0, 0});
      break;
    case ValType::funcref:
    case ValType::externref:
      g.insert(g.end(), {0xd0, Encoder::valtype(type.type)});
      break;
    case ValType::v128:  // v128.const 0
      g.insert(g.end(), {0xfd, 0x0c});
      g.insert(g.end(), 16, 0);
      break;
  }
  g.push_back(0x0b);
  m.section(6, g);
  m.export_first("g", 0x03);
  return m.bytes();
}

std::vector<uint8_t> table_module(const TableType& type) {
  Encoder m;
  std::vector<uint8_t> t{Encoder::valtype(type.elem)};
  Encoder::limits(t, type.limits);
  m.section(4, t);
  m.export_first("t", 0x01);
  return m.bytes();
}

std::vector<uint8_t> memory_module(const MemoryType& type) {
  Encoder m;
  std::vector<uint8_t> mem;
  Encoder::limits(mem, type.limits);
  m.section(5, mem);
  m.export_first("m", 0x02);
  return m.bytes();
}

std::shared_ptr<ExternObject> first_export(StoreState* store, const Module& module,
                                           const Linker& linker = Linker()) {
  Instance inst = linker.instantiate(module);
  return export_object(store, inst.impl(), 0);
}

}  // namespace

std::shared_ptr<ExternObject> export_object(StoreState* store,
                                            const std::shared_ptr<detail::InstanceImpl>& inst,
                                            uint32_t export_index) {
  const ExportDesc& d = inst->mod().exports[export_index];
  auto e = std::make_shared<ExternObject>();
  e->kind = d.type.kind;
  e->owner = inst;
  e->export_index = export_index;
  e->store = store;
  switch (d.type.kind) {
    case ExternKind::func: {
      const wisp_export_desc_t& x = inst->desc->exports[export_index];
      e->set_func_type(d.type.func);
      e->funcref.func_type = rt::register_func_type(d.type.func);
      e->funcref.func = x.fn;
      e->funcref.module_instance = inst->vm;
      e->trampoline = x.trampoline;
      break;
    }
    case ExternKind::global:
      e->global_type = d.type.global;
      break;
    case ExternKind::table:
      e->table_elem = d.type.table.elem;
      break;
    case ExternKind::memory:
    case ExternKind::tag:  // (modules with tag exports are refused by wasm_module_new)
      break;
  }
  return e;
}

std::shared_ptr<ExternObject> host_function(StoreState* store, const FuncType& type,
                                            HostFunction fn) {
  Linker linker;
  linker.define_func("", "f", type, std::move(fn));
  return first_export(store, store->engine->helper_module(function_module(type)), linker);
}

std::shared_ptr<ExternObject> host_global(StoreState* store, const GlobalType& type) {
  return first_export(store, store->engine->helper_module(global_module(type)));
}

std::shared_ptr<ExternObject> host_table(StoreState* store, const TableType& type) {
  return first_export(store, store->engine->helper_module(table_module(type)));
}

std::shared_ptr<ExternObject> host_memory(StoreState* store, const MemoryType& type) {
  return first_export(store, store->engine->helper_module(memory_module(type)));
}

wisp_trampoline_t trampoline_for(StoreState* store, const FuncType& type) {
  EngineState& engine = *store->engine;
  std::string key = type.to_string();
  {
    std::lock_guard lock(engine.mutex);
    auto it = engine.trampolines.find(key);
    if (it != engine.trampolines.end()) return it->second->desc->exports[0].trampoline;
  }
  // The trampoline of a helper function module of this type calls any function of the type.
  Linker linker;
  linker.define_func("", "f", type, [](Caller&, std::span<const Value>, std::span<Value>) {
    throw Trap(TrapKind::host_error, "placeholder function");
  });
  Instance inst = linker.instantiate(engine.helper_module(function_module(type)));
  std::lock_guard lock(engine.mutex);
  auto [it, inserted] = engine.trampolines.emplace(key, inst.impl());
  return it->second->desc->exports[0].trampoline;
}

}  // namespace wisp::capi
