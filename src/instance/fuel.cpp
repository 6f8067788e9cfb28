// Fuel (EngineConfig::consume_fuel): the per-instance counter seen from the host (Instance and
// Caller), and telling the fuel check's trap from a real `unreachable`.
#include <cstdint>
#include <string>

#include "instance/instance_impl.hpp"
#include "wisp/instance.hpp"
#include "wisp/linker.hpp"

namespace wisp {

namespace detail {

rt::TrapCode InstanceImpl::classify_trap(rt::TrapCode code) const {
  if (code != rt::trap_code(TrapKind::unreachable)) return code;
  if (const int64_t* f = fuel(); f && *f < 0) return rt::trap_code(TrapKind::out_of_fuel);
  // A call into a function of another instance that ran out of that instance's fuel.
  for (const auto& dep : deps) {
    if (const int64_t* f = dep->fuel(); f && *f < 0) return rt::trap_code(TrapKind::out_of_fuel);
  }
  return code;
}

}  // namespace detail

namespace {

int64_t* fuel_counter(const detail::InstanceImpl* impl, const char* what) {
  if (!impl) throw Error(std::string(what) + " on an empty Instance");
  int64_t* f = impl->fuel();
  if (!f) {
    throw Error(std::string(what) +
                ": fuel is not enabled (compile the module with EngineConfig::consume_fuel)");
  }
  return f;
}

uint64_t remaining(int64_t f) {
  return f > 0 ? static_cast<uint64_t>(f) : 0;
}

}  // namespace

bool Instance::fuel_enabled() const {
  return impl_ && impl_->fuel() != nullptr;
}

void Instance::set_fuel(uint64_t fuel) {
  constexpr auto kMax = static_cast<uint64_t>(INT64_MAX);
  *fuel_counter(impl_.get(), "set_fuel") = static_cast<int64_t>(fuel < kMax ? fuel : kMax);
}

uint64_t Instance::fuel_remaining() const {
  return remaining(*fuel_counter(impl_.get(), "fuel_remaining"));
}

bool Caller::fuel_enabled() const {
  return inst_ && inst_->fuel() != nullptr;
}

uint64_t Caller::fuel_remaining() const {
  return remaining(*fuel_counter(inst_, "fuel_remaining"));
}

void Caller::consume_fuel(uint64_t amount) {
  int64_t* f = fuel_counter(inst_, "consume_fuel");
  uint64_t left = remaining(*f);
  if (amount > left) {
    *f = -1;  // out of fuel: the instance's next charge traps too
    throw Trap(TrapKind::out_of_fuel, "a host function needed " + std::to_string(amount) +
                                          " fuel, " + std::to_string(left) + " left");
  }
  *f -= static_cast<int64_t>(amount);
}

}  // namespace wisp
