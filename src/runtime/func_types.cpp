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
}  // namespace

uint32_t register_func_type(uint32_t params, uint32_t results, const wasm_rt_type_t* types) {
  std::vector<int> key;
  key.reserve(params + results + 1);
  key.push_back(static_cast<int>(params));
  for (uint32_t i = 0; i < params + results; ++i) key.push_back(static_cast<int>(types[i]));
  std::lock_guard lock(g_mutex);
  auto& r = registry();
  auto [it, inserted] = r.emplace(std::move(key), static_cast<uint32_t>(r.size() + 1));
  return it->second;
}

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
