// The C API's functions (host functions, calls), globals, tables, memories and externs.
#include <algorithm>
#include <cstring>

#include "capi/capi_impl.hpp"
#include "runtime/memory.hpp"

namespace wisp::capi {

namespace {
struct TrampolineCall {
  const ExternObject* f;
  const wisp_raw_t* args;
  wisp_raw_t* results;
};
void run_trampoline(void* p) {
  auto* c = static_cast<TrampolineCall*>(p);
  c->f->trampoline(c->f->funcref.func, c->f->funcref.module_instance, c->args, c->results);
}
}  // namespace

void call_through_trampoline(const ExternObject& f, const wisp_raw_t* args, wisp_raw_t* results) {
  TrampolineCall call{&f, args, results};
  detail::guarded_call(f.owner.get(), run_trampoline, &call);
}

}  // namespace wisp::capi

using namespace wisp;
using namespace wisp::capi;

namespace {

// A host function's trap: its message becomes the message of the trap the caller sees.
struct HostTrap : std::exception {
  explicit HostTrap(std::string m) : message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
  std::string message;
};

// Runs when nothing can call the host function any more.
struct Environment {
  void* env = nullptr;
  void (*finalizer)(void*) = nullptr;
  ~Environment() {
    if (finalizer) finalizer(env);
  }
};

wasm_func_t* new_host_func(wasm_store_t* store, const wasm_functype_t* type,
                           wasm_func_callback_t plain, wasm_func_callback_with_env_t with_env,
                           std::shared_ptr<Environment> environment) {
  if (!store || !type) return nullptr;
  FuncType ft = to_func_type(type);
  StoreState* st = &store->state;
  HostFunction fn = [st, ft, plain, with_env, environment](
                        Caller& caller, std::span<const Value> params, std::span<Value> results) {
    std::shared_ptr<detail::InstanceImpl> context = caller.instance()->shared_from_this();
    std::vector<wasm_val_t> args(params.size()), res(results.size());
    for (size_t i = 0; i < params.size(); ++i)
      args[i] = from_raw(st, context, detail::to_raw(params[i]), ft.params[i]);
    for (size_t i = 0; i < results.size(); ++i) {
      res[i].kind = to_valkind(ft.results[i]);
      res[i].of.i64 = 0;
    }
    wasm_val_vec_t a{args.size(), args.data()}, r{res.size(), res.data()};
    wasm_trap_t* trap = with_env ? with_env(environment->env, &a, &r) : plain(&a, &r);
    for (auto& v : args) wasm_val_delete(&v);
    std::string failure;
    if (trap) {
      auto* t = object_of<TrapObject>(trap);
      failure = t ? t->message : "host function trapped";
      wasm_trap_delete(trap);
    }
    for (size_t i = 0; i < results.size() && failure.empty(); ++i) {
      wisp_raw_t raw;
      if (!to_raw(st, res[i], ft.results[i], &raw))
        failure = "host function result " + std::to_string(i + 1) + " is not a " +
                  val_type_name(ft.results[i]);
      else
        results[i] = detail::from_raw(raw, ft.results[i]);
    }
    for (auto& v : res) wasm_val_delete(&v);
    if (!failure.empty()) throw HostTrap(failure);
  };
  try {
    return new_handle<wasm_func_t>(host_function(st, ft, std::move(fn)));
  } catch (const std::exception& e) {
    trace(std::string("wasm_func_new: ") + e.what());
    return nullptr;
  }
}

// wasm_func_call for any function and arguments: references, many values, and the checks with
// their messages.
__attribute__((noinline)) wasm_trap_t* call_general(const ExternObject* f,
                                                    const wasm_val_vec_t* args,
                                                    wasm_val_vec_t* results) {
  const FuncType& ft = f->func_type;
  size_t nargs = args ? args->size : 0, nresults = results ? results->size : 0;
  // Too few arguments is an error; room for fewer results than the function returns is not (as
  // in the reference implementation): the results that do not fit are dropped.
  if (nargs != ft.params.size()) {
    return new_trap("wasm_func_call: the function has type " + ft.to_string() + ", called with " +
                    std::to_string(nargs) + " arguments");
  }
  for (const std::vector<ValType>* ts : {&ft.params, &ft.results}) {
    for (ValType t : *ts) {
      if (t == ValType::v128)
        return new_trap("wasm_func_call: the function has type " + ft.to_string() +
                        ": v128 values cannot cross the C API (wasm_val_t has no room for them)");
    }
  }
  std::vector<wisp_raw_t> raw_args(nargs + 1), raw_results(ft.results.size() + 1);
  for (size_t i = 0; i < nargs; ++i) {
    if (!to_raw(f->store, args->data[i], ft.params[i], &raw_args[i])) {
      return new_trap("wasm_func_call: argument " + std::to_string(i + 1) + " is not a " +
                      val_type_name(ft.params[i]));
    }
  }
  try {
    call_through_trampoline(*f, raw_args.data(), raw_results.data());
  } catch (const std::exception& e) {
    return trap_from_exception(e);
  }
  for (size_t i = 0; i < ft.results.size() && i < nresults; ++i)
    results->data[i] = from_raw(f->store, f->owner, raw_results[i], ft.results[i]);
  return nullptr;
}

wasm_rt_memory_t* memory_of(const wasm_memory_t* m) {
  return static_cast<wasm_rt_memory_t*>(extern_of(m, ExternKind::memory)->storage());
}

// The maximum a table or memory was declared with (wasm_limits_max_default: none).
uint32_t declared_max(const ExternObject* e) {
  const ExternType& t = e->owner->mod().exports[e->export_index].type;
  const auto& max = t.kind == ExternKind::table ? t.table.limits.max : t.memory.limits.max;
  return max ? *max : wasm_limits_max_default;
}

// A table's element as a raw value of its type (false: the reference does not fit it).
bool table_element(const ExternObject* t, const wasm_ref_t* ref, wisp_raw_t* out) {
  if (t->table_elem == ValType::funcref) return funcref_of(ref, &out->funcref);
  out->externref = externref_of(t->store, ref);
  return true;
}

}  // namespace

extern "C" {

// ---- functions ----

wasm_func_t* wasm_func_new(wasm_store_t* store, const wasm_functype_t* type,
                           wasm_func_callback_t callback) {
  return new_host_func(store, type, callback, nullptr, nullptr);
}

wasm_func_t* wasm_func_new_with_env(wasm_store_t* store, const wasm_functype_t* type,
                                    wasm_func_callback_with_env_t callback, void* env,
                                    void (*finalizer)(void*)) {
  auto environment = std::make_shared<Environment>();
  environment->env = env;
  environment->finalizer = finalizer;
  return new_host_func(store, type, nullptr, callback, std::move(environment));
}

wasm_functype_t* wasm_func_type(const wasm_func_t* f) {
  return new_functype(extern_of(f, ExternKind::func)->func_type);
}
size_t wasm_func_param_arity(const wasm_func_t* f) {
  return extern_of(f, ExternKind::func)->func_type.params.size();
}
size_t wasm_func_result_arity(const wasm_func_t* f) {
  return extern_of(f, ExternKind::func)->func_type.results.size();
}

wasm_trap_t* wasm_func_call(const wasm_func_t* func, const wasm_val_vec_t* args,
                            wasm_val_vec_t* results) {
  // The common call, kept small: up to two numeric parameters and one numeric result, of the
  // right kinds, called directly with the C values. Everything else is call_general's.
  const ExternObject* f = extern_of(func, ExternKind::func);
  if (!f) return new_trap("wasm_func_call: not a function");
  if (__builtin_expect(f->direct && args && args->size == f->direct_params && results &&
                           results->size >= f->direct_results,
                       1)) {
    const size_t np = f->direct_params;
    if (np == 0 || (args->data[0].kind == f->direct_param_kinds[0] &&
                    (np == 1 || args->data[1].kind == f->direct_param_kinds[1]))) {
      DirectCall call{f->funcref.func, f->funcref.module_instance, args->data, results->data};
      try {
        detail::guarded_call(f->owner.get(), f->direct, &call);
      } catch (const std::exception& e) {
        return trap_from_exception(e);
      }
      return nullptr;
    }
  }
  return call_general(f, args, results);
}

// ---- globals ----

wasm_global_t* wasm_global_new(wasm_store_t* store, const wasm_globaltype_t* type,
                               const wasm_val_t* value) {
  if (!store || !type || !value) return nullptr;
  GlobalType gt{to_val_type(type->content.kind), type->mutability == WASM_VAR};
  wisp_raw_t raw;
  if (!to_raw(&store->state, *value, gt.type, &raw)) {
    trace("wasm_global_new: the value is not a " + std::string(val_type_name(gt.type)));
    return nullptr;
  }
  try {
    auto g = host_global(&store->state, gt);
    detail::store_global(g->storage(), gt.type, raw);
    return new_handle<wasm_global_t>(std::move(g));
  } catch (const std::exception& e) {
    trace(std::string("wasm_global_new: ") + e.what());
    return nullptr;
  }
}

wasm_globaltype_t* wasm_global_type(const wasm_global_t* g) {
  const ExternObject* e = extern_of(g, ExternKind::global);
  auto* t = new wasm_globaltype_t;
  t->content.kind = to_valkind(e->global_type.type);
  t->mutability = e->global_type.mut ? WASM_VAR : WASM_CONST;
  return t;
}

void wasm_global_get(const wasm_global_t* g, wasm_val_t* out) {
  const ExternObject* e = extern_of(g, ExternKind::global);
  *out = from_raw(e->store, e->owner, detail::load_global(e->storage(), e->global_type.type),
                  e->global_type.type);
}

void wasm_global_set(wasm_global_t* g, const wasm_val_t* value) {
  ExternObject* e = extern_of(g, ExternKind::global);
  wisp_raw_t raw;
  if (!e || !value || !e->global_type.mut || !to_raw(e->store, *value, e->global_type.type, &raw)) {
    trace("wasm_global_set: immutable global or a value of the wrong type; nothing set");
    return;
  }
  detail::store_global(e->storage(), e->global_type.type, raw);
}

// ---- tables ----

wasm_table_t* wasm_table_new(wasm_store_t* store, const wasm_tabletype_t* type, wasm_ref_t* init) {
  if (!store || !type) return nullptr;
  TableType tt;
  tt.elem = to_val_type(type->element.kind);
  tt.limits.min = type->limits.min;
  if (type->limits.max != wasm_limits_max_default) tt.limits.max = type->limits.max;
  try {
    auto t = host_table(&store->state, tt);
    if (init) {
      wisp_raw_t raw;
      if (!table_element(t.get(), init, &raw)) {
        trace("wasm_table_new: the initial element is not a function");
        return nullptr;
      }
      for (uint32_t i = 0; i < tt.limits.min; ++i) {
        if (tt.elem == ValType::funcref)
          static_cast<wasm_rt_funcref_table_t*>(t->storage())->data[i] = raw.funcref;
        else
          static_cast<wasm_rt_externref_table_t*>(t->storage())->data[i] = raw.externref;
      }
    }
    return new_handle<wasm_table_t>(std::move(t));
  } catch (const std::exception& e) {
    trace(std::string("wasm_table_new: ") + e.what());
    return nullptr;
  }
}

wasm_tabletype_t* wasm_table_type(const wasm_table_t* t) {
  const ExternObject* e = extern_of(t, ExternKind::table);
  auto* tt = new wasm_tabletype_t;
  tt->element.kind = to_valkind(e->table_elem);
  tt->limits = {wasm_table_size(t), declared_max(e)};
  return tt;
}

wasm_table_size_t wasm_table_size(const wasm_table_t* t) {
  const ExternObject* e = extern_of(t, ExternKind::table);
  if (e->table_elem == ValType::funcref)
    return static_cast<wasm_rt_funcref_table_t*>(e->storage())->size;
  return static_cast<wasm_rt_externref_table_t*>(e->storage())->size;
}

wasm_ref_t* wasm_table_get(const wasm_table_t* t, wasm_table_size_t index) {
  const ExternObject* e = extern_of(t, ExternKind::table);
  if (index >= wasm_table_size(t)) return nullptr;
  if (e->table_elem == ValType::funcref) {
    auto* s = static_cast<wasm_rt_funcref_table_t*>(e->storage());
    return ref_from_funcref(e->store, e->owner, s->data[index]);
  }
  return ref_from_externref(static_cast<wasm_rt_externref_table_t*>(e->storage())->data[index]);
}

bool wasm_table_set(wasm_table_t* t, wasm_table_size_t index, wasm_ref_t* ref) {
  ExternObject* e = extern_of(t, ExternKind::table);
  wisp_raw_t raw;
  if (!e || index >= wasm_table_size(t) || !table_element(e, ref, &raw)) return false;
  if (e->table_elem == ValType::funcref)
    static_cast<wasm_rt_funcref_table_t*>(e->storage())->data[index] = raw.funcref;
  else
    static_cast<wasm_rt_externref_table_t*>(e->storage())->data[index] = raw.externref;
  return true;
}

bool wasm_table_grow(wasm_table_t* t, wasm_table_size_t delta, wasm_ref_t* init) {
  ExternObject* e = extern_of(t, ExternKind::table);
  wisp_raw_t raw;
  if (!e || !table_element(e, init, &raw)) return false;
  uint32_t old =
      e->table_elem == ValType::funcref
          ? rt::grow_funcref_table(static_cast<wasm_rt_funcref_table_t*>(e->storage()), delta,
                                   raw.funcref)
          : rt::grow_externref_table(static_cast<wasm_rt_externref_table_t*>(e->storage()), delta,
                                     raw.externref);
  return old != UINT32_MAX;
}

// ---- memories ----

wasm_memory_t* wasm_memory_new(wasm_store_t* store, const wasm_memorytype_t* type) {
  if (!store || !type) return nullptr;
  MemoryType mt;
  mt.limits.min = type->limits.min;
  if (type->limits.max != wasm_limits_max_default) mt.limits.max = type->limits.max;
  try {
    return new_handle<wasm_memory_t>(host_memory(&store->state, mt));
  } catch (const std::exception& e) {
    trace(std::string("wasm_memory_new: ") + e.what());
    return nullptr;
  }
}

wasm_memorytype_t* wasm_memory_type(const wasm_memory_t* m) {
  auto* t = new wasm_memorytype_t;
  t->limits = {memory_of(m)->pages, declared_max(extern_of(m, ExternKind::memory))};
  return t;
}
byte_t* wasm_memory_data(wasm_memory_t* m) {
  return reinterpret_cast<byte_t*>(memory_of(m)->data);
}
size_t wasm_memory_data_size(const wasm_memory_t* m) {
  return memory_of(m)->size;
}
wasm_memory_pages_t wasm_memory_size(const wasm_memory_t* m) {
  return memory_of(m)->pages;
}
bool wasm_memory_grow(wasm_memory_t* m, wasm_memory_pages_t delta) {
  try {
    return rt::grow_memory(memory_of(m), delta) != UINT32_MAX;
  } catch (const std::exception& e) {
    trace(std::string("wasm_memory_grow: ") + e.what());
    return false;
  }
}

// ---- externs ----

wasm_externkind_t wasm_extern_kind(const wasm_extern_t* e) {
  switch (object_of<ExternObject>(e)->kind) {
    case ExternKind::func:
      return WASM_EXTERN_FUNC;
    case ExternKind::global:
      return WASM_EXTERN_GLOBAL;
    case ExternKind::table:
      return WASM_EXTERN_TABLE;
    case ExternKind::memory:
      return WASM_EXTERN_MEMORY;
    case ExternKind::tag:  // never made (wasm_module_new refuses tag imports and exports)
      break;
  }
  return WASM_EXTERN_FUNC;
}

wasm_externtype_t* wasm_extern_type(const wasm_extern_t* e) {
  switch (object_of<ExternObject>(e)->kind) {
    case ExternKind::func:
      return wasm_func_type(reinterpret_cast<const wasm_func_t*>(e));
    case ExternKind::global:
      return wasm_global_type(reinterpret_cast<const wasm_global_t*>(e));
    case ExternKind::table:
      return wasm_table_type(reinterpret_cast<const wasm_table_t*>(e));
    case ExternKind::memory:
      return wasm_memory_type(reinterpret_cast<const wasm_memory_t*>(e));
    case ExternKind::tag:
      break;
  }
  return nullptr;
}

#define WISP_C_EXTERN_VIEWS(T, KIND)                                                \
  wasm_extern_t* wasm_##T##_as_extern(wasm_##T##_t* h) {                            \
    return reinterpret_cast<wasm_extern_t*>(h);                                     \
  }                                                                                 \
  const wasm_extern_t* wasm_##T##_as_extern_const(const wasm_##T##_t* h) {          \
    return reinterpret_cast<const wasm_extern_t*>(h);                               \
  }                                                                                 \
  wasm_##T##_t* wasm_extern_as_##T(wasm_extern_t* e) {                              \
    return extern_of(e, KIND) ? reinterpret_cast<wasm_##T##_t*>(e) : nullptr;       \
  }                                                                                 \
  const wasm_##T##_t* wasm_extern_as_##T##_const(const wasm_extern_t* e) {          \
    return extern_of(e, KIND) ? reinterpret_cast<const wasm_##T##_t*>(e) : nullptr; \
  }
WISP_C_EXTERN_VIEWS(func, ExternKind::func)
WISP_C_EXTERN_VIEWS(global, ExternKind::global)
WISP_C_EXTERN_VIEWS(table, ExternKind::table)
WISP_C_EXTERN_VIEWS(memory, ExternKind::memory)

}  // extern "C"
