// Thread-safe function-type registry. Ids start at 1 so that 0 never matches a real type.
#include "runtime/func_types.hpp"

#include <map>
#include <mutex>
#include <vector>

namespace wisp::rt {

namespace {
std::mutex g_mutex;
std::map<std::vector<int>, uint32_t>& registry() {
  static std::map<std::vector<int>, uint32_t> r;
  return r;
}
// by_id()[id - 1] is the key registered under id.
std::vector<const std::vector<int>*>& by_id() {
  static std::vector<const std::vector<int>*> v;
  return v;
}
}  // namespace

uint32_t register_func_type(uint32_t params, uint32_t results, const wasm_rt_type_t* types) {
  std::vector<int> key;
  key.reserve(params + results + 1);
  key.push_back(static_cast<int>(params));
  for (uint32_t i = 0; i < params + results; ++i) key.push_back(static_cast<int>(types[i]));
  std::lock_guard lock(g_mutex);
  auto& r = registry();
  auto [it, inserted] = r.emplace(std::move(key), static_cast<uint32_t>(r.size() + 1));
  if (inserted) by_id().push_back(&it->first);
  return it->second;
}

FuncType func_type_of(uint32_t id) {
  FuncType t;
  std::lock_guard lock(g_mutex);
  if (id == 0 || id > by_id().size()) return t;
  const std::vector<int>& key = *by_id()[id - 1];
  auto of = [](int rt) {
    if (rt == WISP_RT_V128) return ValType::v128;
    switch (static_cast<wasm_rt_type_t>(rt)) {
      case WASM_RT_I64:
        return ValType::i64;
      case WASM_RT_F32:
        return ValType::f32;
      case WASM_RT_F64:
        return ValType::f64;
      case WASM_RT_FUNCREF:
        return ValType::funcref;
      case WASM_RT_EXTERNREF:
        return ValType::externref;
      default:
        return ValType::i32;
    }
  };
  size_t params = static_cast<size_t>(key[0]);
  for (size_t i = 1; i < key.size(); ++i)
    (i <= params ? t.params : t.results).push_back(of(key[i]));
  return t;
}

static_assert(WISP_RT_V128 == WASM_RT_EXTERNREF + 1,
              "v128's type id must stay in the enum's range");

wasm_rt_type_t to_rt_type(ValType t) {
  switch (t) {
    case ValType::i32:
      return WASM_RT_I32;
    case ValType::i64:
      return WASM_RT_I64;
    case ValType::f32:
      return WASM_RT_F32;
    case ValType::f64:
      return WASM_RT_F64;
    case ValType::funcref:
      return WASM_RT_FUNCREF;
    case ValType::externref:
      return WASM_RT_EXTERNREF;
    case ValType::v128:
      return static_cast<wasm_rt_type_t>(WISP_RT_V128);
  }
  return WASM_RT_I32;
}

uint32_t register_func_type(const FuncType& type) {
  std::vector<wasm_rt_type_t> types;
  for (ValType t : type.params) types.push_back(to_rt_type(t));
  for (ValType t : type.results) types.push_back(to_rt_type(t));
  return register_func_type(static_cast<uint32_t>(type.params.size()),
                            static_cast<uint32_t>(type.results.size()), types.data());
}

}  // namespace wisp::rt
