// WebAssembly exception-handling entry points of the wasm_rt contract (per-thread state).
#pragma once

#include <cstdint>

#include "runtime/call_boundary.hpp"
#include "runtime/exnref_objects.hpp"
#include "runtime/wisp_abi.h"

namespace wisp::rt {

uint32_t register_tag(uint32_t size);
void load_exception(uint32_t tag, uint32_t size, const void* values);
// The same, with the mask of the values that are exnrefs (bit i: value i).
void load_exception_refs(uint32_t tag, uint32_t size, const void* values, uint64_t refs);
// The same without trapping (host code, whose values hold no exnref): false if the values are
// too large.
bool store_exception(uint32_t tag, uint32_t size, const void* values);
[[noreturn]] void throw_exception();
WASM_RT_UNWIND_TARGET* get_unwind_target();
void set_unwind_target(WASM_RT_UNWIND_TARGET* target);
// The active exception (capture_exception in exnref_objects.hpp copies it into an exnref).
uint32_t exception_tag();
uint32_t exception_size();
void* exception_data();
// Which of the active exception's values are exnrefs (bit i: value i; 0 for the host's).
uint64_t exception_refs();

// The innermost try's unwind target on this thread; saved and restored by each call boundary.
extern __thread WASM_RT_UNWIND_TARGET* tls_unwind_target WISP_TLS_IE;
// Whether this thread's arena holds exnrefs that release_captured_exceptions releases.
extern __thread bool tls_holds_captured WISP_TLS_IE;

}  // namespace wisp::rt
