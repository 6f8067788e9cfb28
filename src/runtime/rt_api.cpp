// The table of runtime entry points handed to generated code, and the host-call bridge.
#include <exception>
#include <string>

#include "runtime/atomic_wait.hpp"
#include "runtime/call_boundary.hpp"
#include "runtime/exceptions.hpp"
#include "runtime/func_types.hpp"
#include "runtime/host_call.hpp"
#include "runtime/lazy_code.hpp"
#include "runtime/memory.hpp"
#include "runtime/watchdog.hpp"
#include "wisp/exception.hpp"

namespace wisp::rt {

namespace {

static_assert(WISP_TRAP_EXCEPTION_TOO_LARGE > WASM_RT_TRAP_EXHAUSTION &&
                  WISP_TRAP_NULL_EXNREF > WASM_RT_TRAP_EXHAUSTION && WISP_TRAP_NULL_EXNREF < 16,
              "wisp's trap codes must follow wasm-rt.h's and stay in wasm_rt_trap_t's range");

void trap_from_generated(wasm_rt_trap_t t) {
  if (static_cast<int>(t) == WISP_TRAP_NULL_EXNREF) {
    set_trap_message("throw_ref of a null exception reference");
    raise_trap(trap_code(TrapKind::null_reference));
  }
  if (static_cast<int>(t) == WISP_TRAP_UNALIGNED_ATOMIC) {
    set_trap_message("unaligned atomic");
    raise_trap(trap_code(TrapKind::unaligned_atomic));
  }
  if (static_cast<int>(t) == WISP_TRAP_EXPECTED_SHARED) {
    set_trap_message("expected shared memory");
    raise_trap(trap_code(TrapKind::expected_shared_memory));
  }
  if (static_cast<int>(t) == WISP_TRAP_EXCEPTION_TOO_LARGE) {
    set_trap_message(
        "a catch_all rethrew an exception with more values than this module's largest tag "
        "(wisp saves caught exceptions in that much room)");
    raise_trap(trap_code(TrapKind::resource_limit));
  }
  TrapKind kind = TrapKind::unreachable;
  switch (t) {
    case WASM_RT_TRAP_NONE:
      kind = TrapKind::unreachable;
      break;
    case WASM_RT_TRAP_OOB:
      kind = TrapKind::out_of_bounds;
      break;
    case WASM_RT_TRAP_INT_OVERFLOW:
      kind = TrapKind::integer_overflow;
      break;
    case WASM_RT_TRAP_DIV_BY_ZERO:
      kind = TrapKind::divide_by_zero;
      break;
    case WASM_RT_TRAP_INVALID_CONVERSION:
      kind = TrapKind::invalid_conversion;
      break;
    case WASM_RT_TRAP_UNREACHABLE:
      kind = TrapKind::unreachable;
      break;
    case WASM_RT_TRAP_CALL_INDIRECT:
      kind = TrapKind::indirect_call;
      break;
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION:
      kind = TrapKind::uncaught_exception;
      break;
    case WASM_RT_TRAP_EXHAUSTION:
      kind = TrapKind::stack_exhausted;
      break;
  }
  set_trap_message({});
  raise_trap(trap_code(kind));
}

}  // namespace

// An interrupt or deadline that came while host code ran (the signal handler leaves those to
// the host code's return): the guest call ends with Trap(timeout) now. The message is built as
// host code: this runs on the guest's side of the boundary, where the watchdog's signal would
// otherwise unwind out of the allocation (a leak, or malloc's lock left held).
void trap_if_interrupted(const char* during) {
  CallFrame* f = tls_frame;
  const char* what = nullptr;
  if (f != nullptr && f->interrupt != nullptr &&
      f->interrupt->requested.load(std::memory_order_acquire) == f->call_id) {
    what = "interrupted during ";
  } else if (call_deadline_passed()) {
    what = "the call's deadline passed during ";
  }
  if (what == nullptr) return;
  {
    InHostScope in_runtime;
    set_trap_message(std::string(what) + during);
  }
  raise_trap(trap_code(TrapKind::timeout));
}

namespace {

// Runs the host function; returns a trap code instead of throwing (no C++ frames may be
// skipped by the unwind that follows).
__attribute__((noinline)) TrapCode invoke_host(HostTarget* target, const wisp_raw_t* args,
                                               wisp_raw_t* results) noexcept {
  try {
    target->invoke(target->self, args, results);
    return kNoTrap;
  } catch (const Exception& e) {
    if (!store_exception(e.tag_id(), static_cast<uint32_t>(e.raw().size()), e.raw().data())) {
      set_trap_message("a host function threw an exception with too many values");
      return trap_code(TrapKind::resource_limit);
    }
    return kHostThrewCode;
  } catch (const Trap& t) {
    set_trap_message(t.detail());
    return trap_code(t.kind());
  } catch (const WasiExit& e) {
    set_exit_code(e.code());
    set_trap_message({});
    return kWasiExitCode;
  } catch (const std::exception& e) {
    set_trap_message(e.what());
    return trap_code(TrapKind::host_error);
  } catch (...) {
    set_trap_message("unknown exception in host function");
    return trap_code(TrapKind::host_error);
  }
}

void host_call(wisp_binding_t* b, const wisp_raw_t* args, wisp_raw_t* results) {
  auto* target = static_cast<HostTarget*>(b->host);
  if (stack_low(kHostCallStackReserve)) {
    set_trap_message("not enough stack left to call a host function");
    raise_trap(trap_code(TrapKind::stack_exhausted));
  }
  TrapCode code;
  {
    InHostScope in_host;
    code = invoke_host(target, args, results);
  }
  if (code == kHostThrewCode) throw_exception();  // to the guest's innermost try, or a trap
  if (code != kNoTrap) raise_trap(code);
  trap_if_interrupted("a host call");
}

__attribute__((noinline)) void* compile_lazily(LazyCompiler* compiler, uint32_t func,
                                               TrapCode* code) noexcept {
  try {
    return compiler->compile_function(func);
  } catch (const std::exception& e) {
    set_trap_message("tier 0 could not compile function " + std::to_string(func) + ": " + e.what());
  } catch (...) {
    set_trap_message("tier 0 could not compile function " + std::to_string(func));
  }
  *code = trap_code(TrapKind::host_error);
  return nullptr;
}

}  // namespace

void* lazy_compile_entry(void* ctx, uint32_t func) {
  if (stack_low(kHostCallStackReserve)) {
    set_trap_message("not enough stack left to compile a function");
    raise_trap(trap_code(TrapKind::stack_exhausted));
  }
  TrapCode code = kNoTrap;
  void* fn;
  {
    InHostScope in_host;
    DeadlinePause not_the_guests_time;  // call_timeout bounds the guest, not the compiler
    fn = compile_lazily(static_cast<LazyCompiler*>(ctx), func, &code);
  }
  if (!fn) raise_trap(code);
  trap_if_interrupted("tier 0's compilation of a function");
  return fn;
}

namespace {

const wisp_rt_api_t kApi = {
    WISP_ABI_VERSION,
    trap_from_generated,
    static_cast<uint32_t (*)(uint32_t, uint32_t, const wasm_rt_type_t*)>(register_func_type),
    register_tag,
    load_exception,
    throw_exception,
    get_unwind_target,
    set_unwind_target,
    exception_tag,
    exception_size,
    exception_data,
    capture_exception,
    allocate_memory,
    grow_memory,
    free_memory,
    allocate_funcref_table,
    free_funcref_table,
    grow_funcref_table,
    allocate_externref_table,
    free_externref_table,
    grow_externref_table,
    host_call,
    atomic_wait,
    atomic_notify,
    load_exception_refs,
    exception_refs,
    exnref_load,
    exnref_fill,
    exnref_copy,
    exnref_release,
};

}  // namespace

const wisp_rt_api_t* runtime_api() {
  return &kApi;
}

}  // namespace wisp::rt
