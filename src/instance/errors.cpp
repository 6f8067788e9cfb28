// Error types and their messages.
#include "wisp/error.hpp"

namespace wisp {

namespace {
std::string with_offset(const std::string& message, size_t offset) {
  if (offset == CompileError::npos) return message;
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%zx", offset);
  return message + " (at byte offset " + buf + ")";
}
}  // namespace

CompileError::CompileError(const std::string& message, size_t offset)
    : Error(with_offset(message, offset)), message_(message), offset_(offset) {}

const char* trap_kind_name(TrapKind kind) {
  switch (kind) {
    case TrapKind::unreachable:
      return "unreachable";
    case TrapKind::out_of_bounds:
      return "out_of_bounds";
    case TrapKind::stack_exhausted:
      return "stack_exhausted";
    case TrapKind::integer_overflow:
      return "integer_overflow";
    case TrapKind::divide_by_zero:
      return "divide_by_zero";
    case TrapKind::invalid_conversion:
      return "invalid_conversion";
    case TrapKind::indirect_call:
      return "indirect_call";
    case TrapKind::uncaught_exception:
      return "uncaught_exception";
    case TrapKind::timeout:
      return "timeout";
    case TrapKind::out_of_fuel:
      return "out_of_fuel";
    case TrapKind::resource_limit:
      return "resource_limit";
    case TrapKind::host_error:
      return "host_error";
    case TrapKind::null_reference:
      return "null_reference";
    case TrapKind::unaligned_atomic:
      return "unaligned_atomic";
    case TrapKind::expected_shared_memory:
      return "expected_shared_memory";
  }
  return "unknown";
}

Trap::Trap(TrapKind kind, const std::string& detail)
    : Error(std::string("trap: ") + trap_kind_name(kind) + (detail.empty() ? "" : ": " + detail)),
      kind_(kind),
      detail_(detail) {}

WasiExit::WasiExit(int code) : Error("exit with code " + std::to_string(code)), code_(code) {}

}  // namespace wisp
