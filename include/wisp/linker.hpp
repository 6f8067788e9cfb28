// The Linker resolves a module's imports (host functions, other instances' exports) into a
// Template, type-checking each import once.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "wisp/instance.hpp"
#include "wisp/module.hpp"
#include "wisp/template.hpp"
#include "wisp/value.hpp"

namespace wisp {

// What a host function sees of its caller.
class Caller {
 public:
  explicit Caller(detail::InstanceImpl* inst) : inst_(inst) {}
  // The caller's exported "memory", else its first memory (invalid Memory if it has none).
  Memory memory() const;
  Memory memory(std::string_view export_name) const;
  detail::InstanceImpl* instance() const { return inst_; }
  // When the guest call that called this host function times out (time_point::max(): never).
  // A host function that blocks should not wait past it.
  std::chrono::steady_clock::time_point deadline() const;
  // The calling instance's fuel (EngineConfig::consume_fuel; both throw wisp::Error without
  // it). consume_fuel() charges a host function's own work to the guest: if more than is left
  // is asked for, it uses up the rest and throws Trap(out_of_fuel), which ends the guest call.
  bool fuel_enabled() const;
  uint64_t fuel_remaining() const;
  void consume_fuel(uint64_t amount);
  // The calling instance's host state of type T (Instance::set_host_state), or nullptr.
  template <typename T>
  T* host_state() const {
    return static_cast<T*>(detail::get_host_state(inst_, typeid(T)));
  }

 private:
  detail::InstanceImpl* inst_;
};

// A host function. May throw: any exception becomes Trap(host_error) in the guest call (a
// wisp::Trap keeps its kind, WasiExit ends the call as WasiExit).
using HostFunction =
    std::function<void(Caller&, std::span<const Value> params, std::span<Value> results)>;

class Linker {
 public:
  Linker();
  ~Linker();
  Linker(const Linker&);
  Linker& operator=(const Linker&);

  // Defines (module, name) as a host function of type `type`.
  void define_func(const std::string& module, const std::string& name, FuncType type,
                   HostFunction fn);

  // Defines (module, name) from a C++ callable with wasm-typed arguments, e.g.
  // linker.func_wrap("env", "add", [](int32_t a, int32_t b) { return a + b; });
  template <typename F>
  void func_wrap(const std::string& module, const std::string& name, F&& f);

  // Defines (module, name) as a tag of the host's (exception handling): modules that import it
  // throw and catch its exceptions, as host functions do with wisp::Exception.
  void define_tag(const std::string& module, const std::string& name, const Tag& tag);

  // Defines (module, name) as a host global (wisp::Global): importers must expect its type and
  // mutability exactly. An instance importing a mutable one cannot be snapshotted.
  void define_global(const std::string& module, const std::string& name, const Global& global);

  // Defines one export of an instance (for example a memory or a table).
  void define(const std::string& module, const std::string& name, const Extern& ext);
  // Defines every export of `instance` under `module`.
  void define_instance(const std::string& module, const Instance& instance);

  // When false (default), defining the same (module, name) twice throws LinkError.
  void allow_shadowing(bool allow);

  // Resolves and type-checks every import once; throws LinkError naming module, field and types.
  Template instantiate_template(const Module& module, TemplateOptions options = {}) const;
  // instantiate_template(module, options).instantiate()
  Instance instantiate(const Module& module, TemplateOptions options = {}) const;

  struct Impl;
  const std::shared_ptr<Impl>& impl() const { return impl_; }

 private:
  std::shared_ptr<Impl> impl_;
};

namespace detail {
template <typename T>
T from_value(const Value& v) {
  if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, uint32_t>)
    return static_cast<T>(v.as_i32());
  else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>)
    return static_cast<T>(v.as_i64());
  else if constexpr (std::is_same_v<T, float>)
    return v.as_f32();
  else
    return v.as_f64();
}
template <typename T>
Value to_value(T x) {
  if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, uint32_t>)
    return Value::i32(static_cast<int32_t>(x));
  else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>)
    return Value::i64(static_cast<int64_t>(x));
  else if constexpr (std::is_same_v<T, float>)
    return Value::f32(x);
  else
    return Value::f64(x);
}
template <typename F>
struct CallableTraits : CallableTraits<decltype(&F::operator())> {};
template <typename C, typename R, typename... A>
struct CallableTraits<R (C::*)(A...) const> {
  using Result = R;
  using Args = std::tuple<A...>;
};
template <typename C, typename R, typename... A>
struct CallableTraits<R (C::*)(A...)> {
  using Result = R;
  using Args = std::tuple<A...>;
};
template <typename R, typename... A>
struct CallableTraits<R (*)(A...)> {
  using Result = R;
  using Args = std::tuple<A...>;
};
}  // namespace detail

template <typename F>
void Linker::func_wrap(const std::string& module, const std::string& name, F&& f) {
  using Traits = detail::CallableTraits<std::decay_t<F>>;
  using R = typename Traits::Result;
  return [&]<typename... A>(std::type_identity<std::tuple<A...>>) {
    FuncType ft;
    (ft.params.push_back(ValTypeOf<std::decay_t<A>>::value), ...);
    if constexpr (!std::is_void_v<R>) ft.results.push_back(ValTypeOf<R>::value);
    define_func(
        module, name, ft,
        [fn = std::forward<F>(f)](Caller&, std::span<const Value> p, std::span<Value> r) mutable {
          [&]<size_t... I>(std::index_sequence<I...>) {
            if constexpr (std::is_void_v<R>) {
              fn(detail::from_value<std::decay_t<A>>(p[I])...);
            } else {
              r[0] = detail::to_value<R>(fn(detail::from_value<std::decay_t<A>>(p[I])...));
            }
          }
          (std::index_sequence_for<A...>{});
        });
  }(std::type_identity<typename Traits::Args>{});
}

}  // namespace wisp
