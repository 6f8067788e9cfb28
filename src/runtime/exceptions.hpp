// WebAssembly exception-handling entry points of the wasm_rt contract (per-thread state).
#pragma once

#include <cstdint>

#include "runtime/wisp_abi.h"

namespace wisp::rt {

uint32_t register_tag(uint32_t size);
void load_exception(uint32_t tag, uint32_t size, const void* values);
[[noreturn]] void throw_exception();
WASM_RT_UNWIND_TARGET* get_unwind_target();
void set_unwind_target(WASM_RT_UNWIND_TARGET* target);
uint32_t exception_tag();
uint32_t exception_size();
void* exception_data();

// Saved and restored by each call boundary.
void* exception_unwind_target();
void set_exception_unwind_target(void* target);

}  // namespace wisp::rt
