// Exception state per thread: the active exception and the innermost try's unwind target.
#include "runtime/exceptions.hpp"

#include <setjmp.h>

#include <atomic>
#include <cstring>

#include "runtime/call_boundary.hpp"

namespace wisp::rt {

namespace {
// Thrown values are wisp_raw_t (24 bytes): a tag of up to 680 values.
constexpr uint32_t kMaxExceptionSize = 16384;
std::atomic<uint32_t> g_next_tag{1};
thread_local uint32_t tls_tag = 0;
thread_local uint32_t tls_size = 0;
thread_local uint64_t tls_refs = 0;
thread_local unsigned char tls_data[kMaxExceptionSize];
}  // namespace

__thread WASM_RT_UNWIND_TARGET* tls_unwind_target WISP_TLS_IE = nullptr;
__thread bool tls_holds_captured WISP_TLS_IE = false;

uint32_t register_tag(uint32_t /*size*/) {
  return g_next_tag.fetch_add(1);
}

bool store_exception(uint32_t tag, uint32_t size, const void* values) {
  if (size > kMaxExceptionSize) return false;
  tls_tag = tag;
  tls_size = size;
  tls_refs = 0;
  if (size) std::memcpy(tls_data, values, size);
  return true;
}

void load_exception(uint32_t tag, uint32_t size, const void* values) {
  if (!store_exception(tag, size, values)) {
    set_trap_message("exception payload too large");
    raise_trap(trap_code(TrapKind::resource_limit));
  }
}

void load_exception_refs(uint32_t tag, uint32_t size, const void* values, uint64_t refs) {
  load_exception(tag, size, values);
  tls_refs = refs;
}

void throw_exception() {
  if (tls_unwind_target == nullptr) {
    set_trap_message({});
    raise_trap(trap_code(TrapKind::uncaught_exception));
  }
  siglongjmp(*tls_unwind_target, 1);
}

WASM_RT_UNWIND_TARGET* get_unwind_target() {
  return tls_unwind_target;
}
void set_unwind_target(WASM_RT_UNWIND_TARGET* target) {
  tls_unwind_target = target;
}
uint32_t exception_tag() {
  return tls_tag;
}
uint32_t exception_size() {
  return tls_size;
}
void* exception_data() {
  return tls_data;
}
uint64_t exception_refs() {
  return tls_refs;
}

}  // namespace wisp::rt
