// Callers of a function's C entry point for the C API's most common signatures (up to two
// numeric parameters, at most one numeric result), so that wasm_func_call skips the module's
// trampoline and the raw-value arrays: one table of template instances, indexed by the
// signature.
#include <array>
#include <cstring>

#include "capi/capi_impl.hpp"

namespace wisp::capi {

namespace {

template <typename T>
T read(const wasm_val_t& v) {
  if constexpr (std::is_same_v<T, uint32_t>) return static_cast<uint32_t>(v.of.i32);
  if constexpr (std::is_same_v<T, uint64_t>) return static_cast<uint64_t>(v.of.i64);
  if constexpr (std::is_same_v<T, float>) return v.of.f32;
  if constexpr (std::is_same_v<T, double>) return v.of.f64;
}
template <typename T>
void write(wasm_val_t& out, T v) {
  if constexpr (std::is_same_v<T, uint32_t>) {
    out.kind = WASM_I32;
    out.of.i64 = v;  // zero-extended: the unused half is not left undefined
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    out.kind = WASM_I64;
    out.of.i64 = static_cast<int64_t>(v);
  } else if constexpr (std::is_same_v<T, float>) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    out.kind = WASM_F32;
    out.of.i64 = bits;
  } else {
    out.kind = WASM_F64;
    out.of.f64 = v;
  }
}

// Calls `R fn(void* instance, A...)` with the C values; stores the result as a C value.
template <typename R, typename... A>
void call_direct(void* p) {
  auto* c = static_cast<DirectCall*>(p);
  auto fn = reinterpret_cast<R (*)(void*, A...)>(c->fn);
  [&]<size_t... I>(std::index_sequence<I...>) {
    if constexpr (std::is_void_v<R>) {
      fn(c->instance, read<A>(c->args[I])...);
    } else {
      write<R>(c->results[0], fn(c->instance, read<A>(c->args[I])...));
    }
  }
  (std::index_sequence_for<A...>{});
}

// The C type of each numeric value type, by index (i32, i64, f32, f64).
template <size_t K>
using CType = std::tuple_element_t<K, std::tuple<uint32_t, uint64_t, float, double>>;

using Caller = void (*)(void*);

// Index: result (0: none, 1 + kind), params count and kinds: 5 * (1 + 4 + 16) entries.
template <size_t R, typename... A>
constexpr Caller for_result() {
  if constexpr (R == 0) {
    return &call_direct<void, A...>;
  } else {
    return &call_direct<CType<R - 1>, A...>;
  }
}
template <size_t R>
constexpr std::array<Caller, 21> for_params() {
  std::array<Caller, 21> t{};
  t[0] = for_result<R>();
  [&]<size_t... K>(std::index_sequence<K...>) {
    ((t[1 + K] = for_result<R, CType<K>>()), ...);
  }
  (std::make_index_sequence<4>{});
  [&]<size_t... K>(std::index_sequence<K...>) {
    ((t[5 + K] = for_result<R, CType<K / 4>, CType<K % 4>>()), ...);
  }
  (std::make_index_sequence<16>{});
  return t;
}
constexpr std::array<std::array<Caller, 21>, 5> kCallers = {
    for_params<0>(), for_params<1>(), for_params<2>(), for_params<3>(), for_params<4>()};

int numeric_index(ValType t) {
  switch (t) {
    case ValType::i32:
      return 0;
    case ValType::i64:
      return 1;
    case ValType::f32:
      return 2;
    case ValType::f64:
      return 3;
    default:
      return -1;
  }
}

}  // namespace

void (*direct_caller(const FuncType& type))(void* call) {
  if (type.params.size() > 2 || type.results.size() > 1) return nullptr;
  size_t params = 0;
  for (ValType t : type.params) {
    int k = numeric_index(t);
    if (k < 0) return nullptr;
    params = params * 4 + static_cast<size_t>(k);
  }
  if (type.params.size() == 1) params += 1;
  if (type.params.size() == 2) params += 5;
  size_t result = 0;
  if (!type.results.empty()) {
    int k = numeric_index(type.results[0]);
    if (k < 0) return nullptr;
    result = 1 + static_cast<size_t>(k);
  }
  return kCallers[result][params];
}

}  // namespace wisp::capi
