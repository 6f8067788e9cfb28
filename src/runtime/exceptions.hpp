// WebAssembly exception-handling entry points of the wasm_rt contract (per-thread state).
#pragma once

#include <cstdint>

#include "runtime/call_boundary.hpp"
#include "runtime/wisp_abi.h"

namespace wisp::rt {

uint32_t register_tag(uint32_t size);
void load_exception(uint32_t tag, uint32_t size, const void* values);
// The same without trapping (host code): false if the values are too large.
bool store_exception(uint32_t tag, uint32_t size, const void* values);
[[noreturn]] void throw_exception();
WASM_RT_UNWIND_TARGET* get_unwind_target();
void set_unwind_target(WASM_RT_UNWIND_TARGET* target);
// exnref objects: a copy of the active exception (wisp_exnref_t), kept until the outermost call
// into WebAssembly on this thread returns (no exnref outlives it: modules that would store one in
// a global, a table or pass it across their interface are refused). Past 64 MiB of them in one
// call, a trap (resource_limit).
void* capture_exception();
void release_captured_exceptions();
uint32_t exception_tag();
uint32_t exception_size();
void* exception_data();

// The innermost try's unwind target on this thread; saved and restored by each call boundary.
extern __thread WASM_RT_UNWIND_TARGET* tls_unwind_target WISP_TLS_IE;
// Whether this thread holds captured exceptions (exnref) that release_captured_exceptions frees.
extern __thread bool tls_holds_captured WISP_TLS_IE;

}  // namespace wisp::rt
