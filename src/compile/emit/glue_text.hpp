// Glue text of every module's C: the ABI header and wasm-rt.h as text, and the runtime forwarders
// the emitter's tail defines.
#pragma once

namespace wisp::detail {

// runtime/wisp_abi.h and wabt's wasm-rt.h as text without their #include lines (embedded at
// build time by cmake/embed_text.cmake).
extern const char* const kAbiHeaderText;
extern const char* const kWasmRtHeaderText;

// The wasm_rt_* functions generated code calls, as thin forwarders into the runtime's table
// (wisp_rt, set by wisp_bind), and WISP_API for the descriptor symbol. Needs <stdarg.h>,
// <stdlib.h> and the ABI header before it.
extern const char* const kRuntimeForwarders;

}  // namespace wisp::detail
