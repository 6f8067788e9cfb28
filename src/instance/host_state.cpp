// Per-instance host state (Instance::set_host_state, Caller::host_state): one slot per C++ type.
#include "instance/instance_impl.hpp"

namespace wisp::detail {

void set_host_state(InstanceImpl* inst, std::type_index type, std::shared_ptr<void> state) {
  if (!inst) throw Error("set_host_state on an empty Instance");
  for (auto& [t, s] : inst->host_state) {
    if (t == type) {
      s = std::move(state);
      return;
    }
  }
  inst->host_state.emplace_back(type, std::move(state));
}

void* get_host_state(const InstanceImpl* inst, std::type_index type) {
  if (!inst) return nullptr;
  for (const auto& [t, s] : inst->host_state) {
    if (t == type) return s.get();
  }
  return nullptr;
}

}  // namespace wisp::detail
