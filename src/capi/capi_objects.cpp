// The C API's runtime environment and references: config, engine, store, values, the generic
// reference operations (copy, same, host info) of every object type, traps, frames, foreign
// objects, modules and instances.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "capi/capi_impl.hpp"

namespace wisp::capi {

Object::~Object() {
  if (finalizer) finalizer(host_info);
}

EngineState::EngineState(EngineConfig config)
    : engine(std::move(config)), helpers([] {
        EngineConfig c;
        c.enable_tier1 = false;  // a few instructions each: tier 0 is all they need
        c.lazy_tier0 = false;
        return c;
      }()) {}

Module EngineState::helper_module(const std::vector<uint8_t>& bytes) {
  std::string key(bytes.begin(), bytes.end());
  std::lock_guard lock(mutex);
  auto it = helper_modules.find(key);
  if (it != helper_modules.end()) return it->second;
  Module m = helpers.compile(bytes);
  helper_modules.emplace(std::move(key), m);
  return m;
}

void trace(const std::string& what) {
  static const bool on = [] {
    const char* v = std::getenv("WISP_C_API_TRACE");
    return v && std::strcmp(v, "1") == 0;
  }();
  if (on) std::fprintf(stderr, "wisp C API: %s\n", what.c_str());
}

wasm_trap_t* new_trap(const std::string& message) {
  auto t = std::make_shared<TrapObject>();
  t->message = message;
  return new_handle<wasm_trap_t>(std::move(t));
}

wasm_trap_t* trap_from_exception(const std::exception& e) {
  // A host function's trap keeps its message as given; others say what kind of trap it was.
  if (const auto* t = dynamic_cast<const Trap*>(&e);
      t && t->kind() == TrapKind::host_error && !t->detail().empty()) {
    return new_trap(t->detail());
  }
  return new_trap(e.what());
}

void ExternObject::set_func_type(FuncType t) {
  func_type = std::move(t);
  direct = direct_caller(func_type);
  direct_params = static_cast<uint8_t>(func_type.params.size());
  direct_results = static_cast<uint8_t>(func_type.results.size());
  for (size_t i = 0; direct && i < direct_params; ++i)
    direct_param_kinds[i] = to_valkind(func_type.params[i]);
}

wasm_ref_t* ref_from_externref(void* p) {
  if (!p) return nullptr;
  return new_handle<wasm_ref_t>(static_cast<Object*>(p)->shared_from_this());
}

void* externref_of(StoreState* store, const wasm_ref_t* ref) {
  if (!ref || !ref->object) return nullptr;
  std::lock_guard lock(store->mutex);
  store->retained.insert(ref->object);
  return ref->object.get();
}

bool funcref_of(const wasm_ref_t* ref, wasm_rt_funcref_t* out) {
  if (!ref) {
    *out = wasm_rt_funcref_null_value;
    return true;
  }
  auto* f = extern_of(ref, ExternKind::func);
  if (!f) return false;
  *out = f->funcref;
  return true;
}

wasm_ref_t* ref_from_funcref(StoreState* store,
                             const std::shared_ptr<detail::InstanceImpl>& context,
                             const wasm_rt_funcref_t& f) {
  if (f.func == nullptr) return nullptr;
  auto e = std::make_shared<ExternObject>();
  e->kind = ExternKind::func;
  e->owner = context;  // runs the call (its interrupt and timeout); keeps the code alive
  e->store = store;
  e->funcref = f;
  e->set_func_type(rt::func_type_of(f.func_type));
  e->trampoline = trampoline_for(store, e->func_type);
  return new_handle<wasm_ref_t>(std::move(e));
}

namespace {

// Calls a function known only by its funcref, with the C++ API's values.
void call_funcref(const ExternObject& fn, std::span<const Value> params, std::span<Value> results) {
  std::vector<wisp_raw_t> a(params.size() + 1), r(results.size() + 1);
  for (size_t k = 0; k < params.size(); ++k) a[k] = detail::to_raw(params[k]);
  call_through_trampoline(fn, a.data(), r.data());
  for (size_t k = 0; k < results.size(); ++k)
    results[k] = detail::from_raw(r[k], fn.func_type.results[k]);
}

}  // namespace

bool to_raw(StoreState* store, const wasm_val_t& v, ValType t, wisp_raw_t* out) {
  std::memset(out, 0, sizeof *out);
  switch (t) {
    case ValType::i32:
      if (v.kind != WASM_I32) return false;
      out->i32 = static_cast<uint32_t>(v.of.i32);
      return true;
    case ValType::i64:
      if (v.kind != WASM_I64) return false;
      out->i64 = static_cast<uint64_t>(v.of.i64);
      return true;
    case ValType::f32:
      if (v.kind != WASM_F32) return false;
      out->f32 = v.of.f32;
      return true;
    case ValType::f64:
      if (v.kind != WASM_F64) return false;
      out->f64 = v.of.f64;
      return true;
    case ValType::externref:
      // Any reference may be held as an externref (a null one is accepted under either kind).
      if (v.kind != WASM_EXTERNREF && v.kind != WASM_FUNCREF) return false;
      out->externref = externref_of(store, v.of.ref);
      return true;
    case ValType::funcref:
      if (v.kind != WASM_FUNCREF && !(v.kind == WASM_EXTERNREF && v.of.ref == nullptr) &&
          v.kind != WASM_EXTERNREF) {
        return false;
      }
      return funcref_of(v.of.ref, &out->funcref);
    case ValType::v128:  // wasm_val_t has no room for 16 bytes (WISP_V128)
      return false;
  }
  return false;
}

wasm_val_t from_raw(StoreState* store, const std::shared_ptr<detail::InstanceImpl>& context,
                    const wisp_raw_t& r, ValType t) {
  wasm_val_t v;
  v.kind = to_valkind(t);
  switch (t) {
    case ValType::i32:
      v.of.i32 = static_cast<int32_t>(r.i32);
      break;
    case ValType::i64:
      v.of.i64 = static_cast<int64_t>(r.i64);
      break;
    case ValType::f32:
      v.of.f32 = r.f32;
      break;
    case ValType::f64:
      v.of.f64 = r.f64;
      break;
    case ValType::externref:
      v.of.ref = ref_from_externref(r.externref);
      break;
    case ValType::funcref:
      v.of.ref = ref_from_funcref(store, context, r.funcref);
      break;
    case ValType::v128:  // not representable in wasm_val_t: the low 64 bits (WISP_V128)
      v.of.i64 = static_cast<int64_t>(r.v128.u64x2[0]);
      break;
  }
  return v;
}

std::string define_imports(Linker& linker, const Module& module, const wasm_extern_vec_t* imports,
                           bool skip_wasi) {
  size_t next = 0, given = imports ? imports->size : 0;
  for (const ImportDesc& imp : module.imports()) {
    if (skip_wasi && imp.module == "wasi_snapshot_preview1") continue;
    if (next >= given) {
      return "no extern given for import " + std::to_string(next + 1) + " (\"" + imp.module +
             "\" \"" + imp.name + "\", " + imp.type.to_string() + "): " + std::to_string(given) +
             " were given";
    }
    auto* e = object_of<ExternObject>(imports->data[next++]);
    if (!e) return "import \"" + imp.module + "\" \"" + imp.name + "\" is given no extern";
    if (e->export_index != ExternObject::kNoExport) {
      linker.define(imp.module, imp.name, Extern{e->kind, e->owner, e->export_index});
      continue;
    }
    // A function known only as a funcref (read from a table): called through its trampoline.
    auto fn = std::static_pointer_cast<ExternObject>(e->shared_from_this());
    linker.define_func(imp.module, imp.name, fn->func_type,
                       [fn](Caller&, std::span<const Value> params, std::span<Value> results) {
                         call_funcref(*fn, params, results);
                       });
  }
  return {};
}

wasm_instance_t* new_instance(StoreState* store, const Instance& inst) {
  auto obj = std::make_shared<InstanceObject>();
  obj->instance = inst.impl();
  obj->store = store;
  return new_handle<wasm_instance_t>(std::move(obj));
}

}  // namespace wisp::capi

using namespace wisp;
using namespace wisp::capi;

extern "C" {

// ---- config, engine, store ----

wasm_config_t* wasm_config_new(void) {
  return new wasm_config_t;
}
void wasm_config_delete(wasm_config_t* c) {
  delete c;
}

wasm_engine_t* wasm_engine_new_with_config(wasm_config_t* config) {
  EngineConfig c = config ? config->config : EngineConfig{};
  delete config;
  try {
    auto e = std::make_unique<wasm_engine_t>();  // freed if the engine cannot start
    e->state = std::make_unique<EngineState>(std::move(c));
    return e.release();
  } catch (const std::exception& ex) {
    trace(std::string("wasm_engine_new: ") + ex.what());
    return nullptr;
  }
}
wasm_engine_t* wasm_engine_new(void) {
  return wasm_engine_new_with_config(nullptr);
}
void wasm_engine_delete(wasm_engine_t* e) {
  delete e;
}

wasm_store_t* wasm_store_new(wasm_engine_t* engine) {
  if (!engine) return nullptr;
  auto* s = new wasm_store_t;
  s->state.engine = engine->state.get();
  return s;
}
void wasm_store_delete(wasm_store_t* s) {
  delete s;
}

// ---- values ----

void wasm_val_delete(wasm_val_t* v) {
  if (v && wasm_valkind_is_ref(v->kind) && v->of.ref) {
    wasm_ref_delete(v->of.ref);
    v->of.ref = nullptr;
  }
}
void wasm_val_copy(wasm_val_t* out, const wasm_val_t* in) {
  *out = *in;
  if (wasm_valkind_is_ref(in->kind) && in->of.ref) out->of.ref = wasm_ref_copy(in->of.ref);
}

// ---- the reference operations of every object type ----

#define WISP_C_REF_COMMON_IMPL(T)                                                                 \
  void wasm_##T##_delete(wasm_##T##_t* h) {                                                       \
    delete handle_of(h);                                                                          \
  }                                                                                               \
  wasm_##T##_t* wasm_##T##_copy(const wasm_##T##_t* h) {                                          \
    return h ? new_handle<wasm_##T##_t>(handle_of(h)->object) : nullptr;                          \
  }                                                                                               \
  bool wasm_##T##_same(const wasm_##T##_t* a, const wasm_##T##_t* b) {                            \
    return same_object(a, b);                                                                     \
  }                                                                                               \
  void* wasm_##T##_get_host_info(const wasm_##T##_t* h) {                                         \
    return h ? handle_of(h)->object->host_info : nullptr;                                         \
  }                                                                                               \
  void wasm_##T##_set_host_info(wasm_##T##_t* h, void* info) {                                    \
    handle_of(h)->object->host_info = info;                                                       \
    handle_of(h)->object->finalizer = nullptr;                                                    \
  }                                                                                               \
  void wasm_##T##_set_host_info_with_finalizer(wasm_##T##_t* h, void* info, void (*fin)(void*)) { \
    handle_of(h)->object->host_info = info;                                                       \
    handle_of(h)->object->finalizer = fin;                                                        \
  }

#define WISP_C_REF_IMPL(T, OBJECT_OK)                                              \
  WISP_C_REF_COMMON_IMPL(T)                                                        \
  wasm_ref_t* wasm_##T##_as_ref(wasm_##T##_t* h) {                                 \
    return handle_of(h);                                                           \
  }                                                                                \
  const wasm_ref_t* wasm_##T##_as_ref_const(const wasm_##T##_t* h) {               \
    return handle_of(h);                                                           \
  }                                                                                \
  wasm_##T##_t* wasm_ref_as_##T(wasm_ref_t* r) {                                   \
    return r && OBJECT_OK(r) ? reinterpret_cast<wasm_##T##_t*>(r) : nullptr;       \
  }                                                                                \
  const wasm_##T##_t* wasm_ref_as_##T##_const(const wasm_ref_t* r) {               \
    return r && OBJECT_OK(r) ? reinterpret_cast<const wasm_##T##_t*>(r) : nullptr; \
  }

}  // extern "C"

namespace {

// Two handles name the same object; two views of one export are the same too.
bool same_object(const wasm_ref_t* a, const wasm_ref_t* b) {
  if (!a || !b) return a == b;
  if (a->object == b->object) return true;
  const ExternObject* x = object_of<ExternObject>(a);
  const ExternObject* y = object_of<ExternObject>(b);
  if (!x || !y || x->kind != y->kind) return false;
  if (x->kind == ExternKind::func)
    return x->funcref.func == y->funcref.func &&
           x->funcref.module_instance == y->funcref.module_instance;
  return x->storage() == y->storage();
}

template <typename T>
bool is(const wasm_ref_t* r) {
  return object_of<T>(r) != nullptr;
}
bool is_trap(const wasm_ref_t* r) {
  return is<TrapObject>(r);
}
bool is_foreign(const wasm_ref_t* r) {
  return is<ForeignObject>(r);
}
bool is_module(const wasm_ref_t* r) {
  return is<ModuleObject>(r);
}
bool is_instance(const wasm_ref_t* r) {
  return is<InstanceObject>(r);
}
bool is_extern(const wasm_ref_t* r) {
  return is<ExternObject>(r);
}
bool is_func(const wasm_ref_t* r) {
  return extern_of(r, ExternKind::func) != nullptr;
}
bool is_global(const wasm_ref_t* r) {
  return extern_of(r, ExternKind::global) != nullptr;
}
bool is_table(const wasm_ref_t* r) {
  return extern_of(r, ExternKind::table) != nullptr;
}
bool is_memory(const wasm_ref_t* r) {
  return extern_of(r, ExternKind::memory) != nullptr;
}

}  // namespace

extern "C" {

WISP_C_REF_COMMON_IMPL(ref)
WISP_C_REF_IMPL(trap, is_trap)
WISP_C_REF_IMPL(foreign, is_foreign)
WISP_C_REF_IMPL(module, is_module)
WISP_C_REF_IMPL(instance, is_instance)
WISP_C_REF_IMPL(extern, is_extern)
WISP_C_REF_IMPL(func, is_func)
WISP_C_REF_IMPL(global, is_global)
WISP_C_REF_IMPL(table, is_table)
WISP_C_REF_IMPL(memory, is_memory)

// ---- traps and frames ----

wasm_trap_t* wasm_trap_new(wasm_store_t*, const wasm_message_t* message) {
  std::string m = message ? to_string(*message) : std::string();
  if (!m.empty() && m.back() == '\0') m.pop_back();
  return new_trap(m);
}
void wasm_trap_message(const wasm_trap_t* trap, wasm_message_t* out) {
  auto* t = object_of<TrapObject>(trap);
  new_name(out, t ? t->message : std::string(), /*nul_terminated=*/true);
}
// wisp's generated code keeps no map from native code back to function offsets: traps carry
// no frames.
wasm_frame_t* wasm_trap_origin(const wasm_trap_t*) {
  return nullptr;
}
void wasm_trap_trace(const wasm_trap_t*, wasm_frame_vec_t* out) {
  wasm_frame_vec_new_empty(out);
}
void wasm_frame_delete(wasm_frame_t* f) {
  delete f;
}
wasm_frame_t* wasm_frame_copy(const wasm_frame_t* f) {
  return new wasm_frame_t(*f);
}
wasm_instance_t* wasm_frame_instance(const wasm_frame_t*) {
  return nullptr;
}
uint32_t wasm_frame_func_index(const wasm_frame_t* f) {
  return f->func_index;
}
size_t wasm_frame_func_offset(const wasm_frame_t*) {
  return 0;
}
size_t wasm_frame_module_offset(const wasm_frame_t*) {
  return 0;
}

wasm_foreign_t* wasm_foreign_new(wasm_store_t*) {
  return new_handle<wasm_foreign_t>(std::make_shared<ForeignObject>());
}

// ---- modules ----

wasm_module_t* wasm_module_new(wasm_store_t* store, const wasm_byte_vec_t* binary) {
  if (!store || !binary) return nullptr;
  try {
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(binary->data), binary->size);
    Module m = store->state.engine->engine.compile(bytes);
    // wasm.h has no extern kind for exception tags: such a module is refused, not half-typed.
    for (const ImportDesc& i : m.imports())
      if (i.type.kind == ExternKind::tag)
        throw Error("tag import \"" + i.module + "\" \"" + i.name +
                    "\": the C API (wasm.h) has no extern kind for tags");
    for (const ExportDesc& e : m.exports())
      if (e.type.kind == ExternKind::tag)
        throw Error("tag export \"" + e.name +
                    "\": the C API (wasm.h) has no extern kind for tags");
    return new_handle<wasm_module_t>(std::make_shared<ModuleObject>(std::move(m)));
  } catch (const std::exception& e) {
    trace(std::string("wasm_module_new: ") + e.what());
    return nullptr;
  }
}

bool wasm_module_validate(wasm_store_t*, const wasm_byte_vec_t* binary) {
  if (!binary) return false;
  try {
    Engine::validate(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(binary->data), binary->size));
    return true;
  } catch (const std::exception& e) {
    trace(std::string("wasm_module_validate: ") + e.what());
    return false;
  }
}

void wasm_module_imports(const wasm_module_t* module, wasm_importtype_vec_t* out) {
  const auto& imports = object_of<ModuleObject>(module)->module.imports();
  wasm_importtype_vec_new_uninitialized(out, imports.size());
  for (size_t i = 0; i < imports.size(); ++i) {
    auto* t = new wasm_importtype_t;
    new_name(&t->module, imports[i].module);
    new_name(&t->name, imports[i].name);
    t->type = new_externtype(imports[i].type);
    out->data[i] = t;
  }
}

void wasm_module_exports(const wasm_module_t* module, wasm_exporttype_vec_t* out) {
  const auto& exports = object_of<ModuleObject>(module)->module.exports();
  wasm_exporttype_vec_new_uninitialized(out, exports.size());
  for (size_t i = 0; i < exports.size(); ++i) {
    auto* t = new wasm_exporttype_t;
    new_name(&t->name, exports[i].name);
    t->type = new_externtype(exports[i].type);
    out->data[i] = t;
  }
}

// A serialized module is its WebAssembly bytes: deserializing compiles them again, which finds
// tier 1 in wisp's code cache (keyed by the bytes' SHA-256) when it was built before.
void wasm_module_serialize(const wasm_module_t* module, wasm_byte_vec_t* out) {
  const auto& bytes = object_of<ModuleObject>(module)->module.impl()->bytes;
  wasm_byte_vec_new(out, bytes.size(), reinterpret_cast<const wasm_byte_t*>(bytes.data()));
}
wasm_module_t* wasm_module_deserialize(wasm_store_t* store, const wasm_byte_vec_t* bytes) {
  return wasm_module_new(store, bytes);
}

wasm_shared_module_t* wasm_module_share(const wasm_module_t* module) {
  return new wasm_shared_module_t{object_of<ModuleObject>(module)->module};
}
wasm_module_t* wasm_module_obtain(wasm_store_t*, const wasm_shared_module_t* shared) {
  return new_handle<wasm_module_t>(std::make_shared<ModuleObject>(shared->module));
}
void wasm_shared_module_delete(wasm_shared_module_t* m) {
  delete m;
}

// ---- instances ----

wasm_instance_t* wasm_instance_new(wasm_store_t* store, const wasm_module_t* module,
                                   const wasm_extern_vec_t* imports, wasm_trap_t** trap) {
  if (trap) *trap = nullptr;
  auto fail = [&](const std::string& message) -> wasm_instance_t* {
    trace("wasm_instance_new: " + message);
    if (trap) *trap = new_trap(message);
    return nullptr;
  };
  auto* m = object_of<ModuleObject>(module);
  if (!store || !m) return fail("no store or no module");
  try {
    Linker linker;
    std::string error = define_imports(linker, m->module, imports, /*skip_wasi=*/false);
    if (!error.empty()) return fail(error);
    return new_instance(&store->state, linker.instantiate(m->module, store->state.options));
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

void wasm_instance_exports(const wasm_instance_t* instance, wasm_extern_vec_t* out) {
  auto* i = object_of<InstanceObject>(instance);
  const auto& exports = i->instance->mod().exports;
  wasm_extern_vec_new_uninitialized(out, exports.size());
  for (uint32_t k = 0; k < exports.size(); ++k)
    out->data[k] = new_handle<wasm_extern_t>(export_object(i->store, i->instance, k));
}

}  // extern "C"
