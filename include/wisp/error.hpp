// Errors wisp reports: compile, link, trap and WASI exit, all derived from wisp::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace wisp {

// Base of every error wisp throws.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// The module bytes are malformed, invalid, or use a feature wisp does not support.
// `offset` is the byte offset in the module where the problem was found (npos if unknown).
class CompileError : public Error {
 public:
  static constexpr size_t npos = static_cast<size_t>(-1);
  CompileError(const std::string& message, size_t offset = npos);
  size_t offset() const { return offset_; }
  const std::string& message() const { return message_; }

 private:
  std::string message_;
  size_t offset_;
};

// An import could not be resolved or has the wrong type.
class LinkError : public Error {
 public:
  explicit LinkError(const std::string& what) : Error(what) {}
};

// Why a call into WebAssembly stopped abnormally.
enum class TrapKind : uint8_t {
  unreachable,
  out_of_bounds,
  stack_exhausted,
  integer_overflow,
  divide_by_zero,
  invalid_conversion,
  indirect_call,
  uncaught_exception,
  timeout,
  out_of_fuel,
  resource_limit,
  host_error,
  null_reference,          // throw_ref of a null exnref
  unaligned_atomic,        // threads: an atomic access whose address is not a multiple of its size
  expected_shared_memory,  // threads: memory.atomic.wait32/wait64 on a memory that is not shared
};

// Stable lower-case name of a trap kind ("out_of_bounds").
const char* trap_kind_name(TrapKind kind);

// A call into WebAssembly trapped. The instance that trapped must not be trusted afterwards
// (the sharing strategies discard it).
class Trap : public Error {
 public:
  Trap(TrapKind kind, const std::string& detail = {});
  TrapKind kind() const { return kind_; }
  const std::string& detail() const { return detail_; }

 private:
  TrapKind kind_;
  std::string detail_;
};

// The guest called WASI proc_exit. Not a failure in itself: `code()` is the exit status.
class WasiExit : public Error {
 public:
  explicit WasiExit(int code);
  int code() const { return code_; }

 private:
  int code_;
};

}  // namespace wisp
