// Resource limits applied to every instance of a template.
#pragma once

#include <chrono>
#include <cstdint>

namespace wisp {

struct Limits {
  // Largest linear memory, in 64 KiB pages (65536 = 4 GiB). Memory declared larger is clamped;
  // an initial size above it fails instantiation with Trap(resource_limit).
  uint32_t max_memory_pages = 65536;
  // Largest table, in elements.
  uint32_t max_table_elements = 10'000'000;
  // Wall-clock limit of every call into an instance (0 = none). Covers time spent in host
  // functions: a call still running at the deadline ends with Trap(timeout) within about a
  // millisecond (a host function running then is not preempted: the trap comes as soon as it
  // returns; blocking host functions should wait no longer than Caller::deadline()). Time
  // tier 0 spends compiling a function on its first call (EngineConfig::lazy_tier0) is not
  // counted: the deadline moves later by it, so a cold instance does not time out where a warm
  // one would not (an explicit Instance::interrupt() still ends the call).
  std::chrono::nanoseconds call_timeout{0};
  // Fuel of every instance, with EngineConfig::consume_fuel (ignored without it), in units of
  // about one executed wasm instruction (the exact rule: src/compile/emit/c_emitter.hpp). A new
  // instance, and an instance after reset(), has exactly this much (the start function and the
  // init export run on it too, and end with Trap(out_of_fuel) if it is not enough, but what they
  // use is given back). 0 = unlimited: 2^63 - 1, still counted, so fuel_remaining() tells what
  // the calls used.
  uint64_t fuel = 0;

  bool operator==(const Limits&) const = default;
};

}  // namespace wisp
