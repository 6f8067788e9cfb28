// How generated code reaches host functions: a binding's `host` points to a HostTarget.
#pragma once

#include "runtime/wisp_abi.h"

namespace wisp::rt {

// `invoke` may throw anything: wisp::Trap keeps its kind, wisp::WasiExit ends the call as an
// exit, any other exception becomes Trap(host_error). After it returns, a pending interrupt of
// the current call takes effect.
struct HostTarget {
  void (*invoke)(void* self, const wisp_raw_t* args, wisp_raw_t* results);
  void* self;
};

const wisp_rt_api_t* runtime_api();

}  // namespace wisp::rt
