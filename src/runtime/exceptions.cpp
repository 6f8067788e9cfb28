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
thread_local unsigned char tls_data[kMaxExceptionSize];
}  // namespace

__thread WASM_RT_UNWIND_TARGET* tls_unwind_target = nullptr;

uint32_t register_tag(uint32_t /*size*/) {
  return g_next_tag.fetch_add(1);
}

bool store_exception(uint32_t tag, uint32_t size, const void* values) {
  if (size > kMaxExceptionSize) return false;
  tls_tag = tag;
  tls_size = size;
  if (size) std::memcpy(tls_data, values, size);
  return true;
}

void load_exception(uint32_t tag, uint32_t size, const void* values) {
  if (size > kMaxExceptionSize) {
    set_trap_message("exception payload too large");
    raise_trap(trap_code(TrapKind::resource_limit));
  }
  tls_tag = tag;
  tls_size = size;
  if (size) std::memcpy(tls_data, values, size);
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

}  // namespace wisp::rt
