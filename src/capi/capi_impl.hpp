// Internals of the standard C API (include/wasm.h) and wisp.h: what the opaque C types are.
//
// Type descriptions (valtype, functype, ...) are plain values. Runtime objects (func, global,
// table, memory, instance, module, trap, foreign) are Objects owned by shared pointers; a C
// handle (wasm_ref_t and the types derived from it) holds one such pointer, so copying a handle
// shares the object and `same` compares objects. Every function, global, table and memory is an
// export of some wisp instance: those the host creates (wasm_func_new, wasm_global_new, ...)
// are exports of a tiny module made for the purpose (host_modules.cpp), which lets WebAssembly
// call a host function through a table and import a host global like any other.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "instance/instance_impl.hpp"
#include "runtime/func_types.hpp"
#include "wasm.h"
#include "wisp.h"
#include "wisp/engine.hpp"
#include "wisp/linker.hpp"
#include "wisp/template.hpp"

namespace wisp::capi {

struct StoreState;

// What an Object is (checked on every handle conversion; cheaper than dynamic_cast on the call
// path).
enum class ObjectKind : uint8_t { trap, foreign, module, instance, external };

// A runtime object with the C API's host info and finalizer (run when the object dies).
struct Object : std::enable_shared_from_this<Object> {
  explicit Object(ObjectKind k) : object_kind(k) {}
  virtual ~Object();
  const ObjectKind object_kind;
  void* host_info = nullptr;
  void (*finalizer)(void*) = nullptr;
};

struct TrapObject : Object {
  static constexpr ObjectKind kKind = ObjectKind::trap;
  TrapObject() : Object(kKind) {}
  std::string message;
};

struct ForeignObject : Object {
  static constexpr ObjectKind kKind = ObjectKind::foreign;
  ForeignObject() : Object(kKind) {}
};

struct ModuleObject : Object {
  static constexpr ObjectKind kKind = ObjectKind::module;
  explicit ModuleObject(Module m) : Object(kKind), module(std::move(m)) {}
  Module module;
};

struct InstanceObject : Object {
  static constexpr ObjectKind kKind = ObjectKind::instance;
  InstanceObject() : Object(kKind) {}
  std::shared_ptr<detail::InstanceImpl> instance;
  StoreState* store = nullptr;
};

// A function, global, table or memory: export `export_index` of `owner`. A function read from
// a table or a funcref value may be no export at all (export_index == kNoExport): it is then the
// raw funcref, called through a trampoline of its signature.
struct ExternObject : Object {
  static constexpr ObjectKind kKind = ObjectKind::external;
  static constexpr uint32_t kNoExport = UINT32_MAX;
  ExternObject() : Object(kKind) {}
  ExternKind kind = ExternKind::func;
  std::shared_ptr<detail::InstanceImpl> owner;
  uint32_t export_index = kNoExport;
  StoreState* store = nullptr;
  // Functions: the type and, for signatures of up to two numeric parameters and at most one
  // numeric result, a caller of the entry point itself with the parameters' C value kinds
  // (wasm_func_call's fast path; direct_calls.cpp).
  FuncType func_type;
  void (*direct)(void* call) = nullptr;
  uint8_t direct_params = 0, direct_results = 0;
  wasm_valkind_t direct_param_kinds[2] = {};
  void set_func_type(FuncType t);
  wasm_rt_funcref_t funcref = wasm_rt_funcref_null_value;
  wisp_trampoline_t trampoline = nullptr;
  // Globals.
  GlobalType global_type;
  // Tables.
  ValType table_elem = ValType::funcref;

  void* storage() const { return owner->export_storage(export_index); }
};

// The engine: one wisp::Engine for the embedder's modules and one (tier 0 only) for the small
// modules that carry host-created functions, globals, tables and memories.
struct EngineState {
  explicit EngineState(EngineConfig config);
  Engine engine;
  Engine helpers;
  std::mutex mutex;
  std::unordered_map<std::string, Module> helper_modules;  // by their bytes
  // One helper function instance per signature, for its trampoline (trampoline_for).
  std::unordered_map<std::string, std::shared_ptr<detail::InstanceImpl>> trampolines;
  // Compiles (once per distinct bytes) a helper module.
  Module helper_module(const std::vector<uint8_t>& bytes);
};

struct StoreState {
  EngineState* engine = nullptr;
  TemplateOptions options;  // of the instances wasm_instance_new makes (wisp_store_set_limits)
  // Objects handed to WebAssembly as externrefs: the guest holds a raw pointer, so they live as
  // long as the store.
  std::mutex mutex;
  std::set<std::shared_ptr<Object>> retained;
};

}  // namespace wisp::capi

// The C types. Every runtime-object handle is a wasm_ref_t (allocated as one, never as a derived
// type); the derived types only keep the C types distinct, so a handle can be viewed as another
// (wasm_func_as_extern) without a new allocation. Handles are reached through handle_of(), never
// through a derived type's members.
struct wasm_config_t {
  wisp::EngineConfig config;
};
struct wasm_engine_t {
  std::unique_ptr<wisp::capi::EngineState> state;
};
struct wasm_store_t {
  wisp::capi::StoreState state;
};
struct wasm_ref_t {
  std::shared_ptr<wisp::capi::Object> object;
};
struct wasm_trap_t : wasm_ref_t {};
struct wasm_foreign_t : wasm_ref_t {};
struct wasm_module_t : wasm_ref_t {};
struct wasm_func_t : wasm_ref_t {};
struct wasm_global_t : wasm_ref_t {};
struct wasm_table_t : wasm_ref_t {};
struct wasm_memory_t : wasm_ref_t {};
struct wasm_extern_t : wasm_ref_t {};
struct wasm_instance_t : wasm_ref_t {};
struct wasm_shared_module_t {
  wisp::Module module;
};
struct wasm_frame_t {
  uint32_t func_index = 0;
};

struct wasm_valtype_t {
  wasm_valkind_t kind;
};
struct wasm_externtype_t {
  explicit wasm_externtype_t(wasm_externkind_t k) : kind(k) {}
  virtual ~wasm_externtype_t() = default;
  wasm_externkind_t kind;
};
struct wasm_functype_t : wasm_externtype_t {
  wasm_functype_t() : wasm_externtype_t(WASM_EXTERN_FUNC) {}
  ~wasm_functype_t() override;
  wasm_valtype_vec_t params{0, nullptr};
  wasm_valtype_vec_t results{0, nullptr};
};
struct wasm_globaltype_t : wasm_externtype_t {
  wasm_globaltype_t() : wasm_externtype_t(WASM_EXTERN_GLOBAL) {}
  wasm_valtype_t content{WASM_I32};
  wasm_mutability_t mutability = WASM_CONST;
};
struct wasm_tabletype_t : wasm_externtype_t {
  wasm_tabletype_t() : wasm_externtype_t(WASM_EXTERN_TABLE) {}
  wasm_valtype_t element{WASM_FUNCREF};
  wasm_limits_t limits{0, wasm_limits_max_default};
};
struct wasm_memorytype_t : wasm_externtype_t {
  wasm_memorytype_t() : wasm_externtype_t(WASM_EXTERN_MEMORY) {}
  wasm_limits_t limits{0, wasm_limits_max_default};
};
struct wasm_importtype_t {
  wasm_name_t module{0, nullptr};
  wasm_name_t name{0, nullptr};
  wasm_externtype_t* type = nullptr;
};
struct wasm_exporttype_t {
  wasm_name_t name{0, nullptr};
  wasm_externtype_t* type = nullptr;
};

namespace wisp::capi {

// Conversions between the C and the C++ descriptions of types.
ValType to_val_type(wasm_valkind_t k);
wasm_valkind_t to_valkind(ValType t);
FuncType to_func_type(const wasm_functype_t* t);
wasm_functype_t* new_functype(const FuncType& t);
wasm_externtype_t* new_externtype(const ExternType& t);
std::string to_string(const wasm_name_t& name);
void new_name(wasm_name_t* out, const std::string& s, bool nul_terminated = false);

// The handle behind a C pointer of any handle type.
template <typename H>
const wasm_ref_t* handle_of(const H* h) {
  return reinterpret_cast<const wasm_ref_t*>(h);
}
template <typename H>
wasm_ref_t* handle_of(H* h) {
  return reinterpret_cast<wasm_ref_t*>(h);
}
// A new handle of C type H for `object`.
template <typename H>
H* new_handle(std::shared_ptr<Object> object) {
  return reinterpret_cast<H*>(new wasm_ref_t{std::move(object)});
}
template <typename T, typename H>
T* object_of(const H* handle) {
  Object* o = handle ? handle_of(handle)->object.get() : nullptr;
  return o && o->object_kind == T::kKind ? static_cast<T*>(o) : nullptr;
}
inline ExternObject* extern_of(const wasm_ref_t* handle, ExternKind kind) {
  ExternObject* e = object_of<ExternObject>(handle);
  return e && e->kind == kind ? e : nullptr;
}

wasm_trap_t* new_trap(const std::string& message);
// The trap a failed call reports (the message of a host function's trap, unchanged).
wasm_trap_t* trap_from_exception(const std::exception& e);

// Values: the C value <-> the raw ABI value of type `t`. References cross as handles: to_raw
// retains the object in the store (the guest may keep it); from_raw makes a new handle.
bool to_raw(StoreState* store, const wasm_val_t& v, ValType t, wisp_raw_t* out);
wasm_val_t from_raw(StoreState* store, const std::shared_ptr<detail::InstanceImpl>& context,
                    const wisp_raw_t& r, ValType t);
// Element or global storage of a reference type.
wasm_ref_t* ref_from_funcref(StoreState* store,
                             const std::shared_ptr<detail::InstanceImpl>& context,
                             const wasm_rt_funcref_t& f);
wasm_ref_t* ref_from_externref(void* p);
bool funcref_of(const wasm_ref_t* ref, wasm_rt_funcref_t* out);
void* externref_of(StoreState* store, const wasm_ref_t* ref);

// Functions, globals, tables and memories made by the host (host_modules.cpp).
std::shared_ptr<ExternObject> export_object(StoreState* store,
                                            const std::shared_ptr<detail::InstanceImpl>& inst,
                                            uint32_t export_index);
std::shared_ptr<ExternObject> host_function(StoreState* store, const FuncType& type,
                                            HostFunction fn);
std::shared_ptr<ExternObject> host_global(StoreState* store, const GlobalType& type);
std::shared_ptr<ExternObject> host_table(StoreState* store, const TableType& type);
std::shared_ptr<ExternObject> host_memory(StoreState* store, const MemoryType& type);
// A trampoline for calls of signature `type` (from a helper module's export).
wisp_trampoline_t trampoline_for(StoreState* store, const FuncType& type);
// Calls function `f` through its trampoline with raw arguments and results, as a guarded call on
// its owner (throws wisp::Trap).
void call_through_trampoline(const ExternObject& f, const wisp_raw_t* args, wisp_raw_t* results);

// Defines the module's imports in `linker` from `imports` (in the module's import order),
// skipping those from "wasi_snapshot_preview1" when `skip_wasi`. Returns an error message, or
// an empty string.
std::string define_imports(Linker& linker, const Module& module, const wasm_extern_vec_t* imports,
                           bool skip_wasi);
wasm_instance_t* new_instance(StoreState* store, const Instance& inst);

// The fast path's calls: `call` is a DirectCall. direct_caller(type) is null for signatures it
// does not cover (more than two parameters or one result, references).
struct DirectCall {
  wasm_rt_function_ptr_t fn;
  void* instance;
  const wasm_val_t* args;  // of the right kinds (checked before)
  wasm_val_t* results;     // room for the result, if the function has one
};
void (*direct_caller(const FuncType& type))(void* call);

// Records why a call failed, for WISP_C_API_TRACE=1.
void trace(const std::string& what);

}  // namespace wisp::capi
