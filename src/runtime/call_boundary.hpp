// Trap-safe call boundary: per-thread unwind frames, trap raising, interruption state.
#pragma once

#include <sys/types.h>

#include "runtime/sanitizers.hpp"

#if WISP_TSAN
#include <setjmp.h>
#endif

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "wisp/error.hpp"

namespace wisp::rt {

// Result of a guarded call: 0 = returned normally, else a TrapKind + 1, or kWasiExitCode.
using TrapCode = int;
constexpr TrapCode kNoTrap = 0;
constexpr TrapCode kWasiExitCode = 100;
// A host function threw a WebAssembly exception (wisp::Exception), now the thread's active one:
// host_call throws it into the guest once the host's C++ frames are gone.
constexpr TrapCode kHostThrewCode = 101;
constexpr TrapCode trap_code(TrapKind k) {
  return static_cast<int>(k) + 1;
}
constexpr TrapKind trap_kind(TrapCode c) {
  return static_cast<TrapKind>(c - 1);
}

// Shared between an instance and the threads that may interrupt its running call.
struct InterruptState {
  std::atomic<uint64_t> running_call{0};  // id of the call running now, 0 when idle
  std::atomic<uint64_t> requested{0};     // id of the call asked to stop
  std::atomic<pid_t> tid{0};              // kernel thread id running the call
};

// One host→guest call in progress on this thread (lives on the caller's stack).
struct CallFrame {
#if WISP_TSAN
  // TSan build: TSan keeps a shadow call stack and per-thread "inside a signal handler" state
  // that only its interceptors of the libc setjmp/longjmp family restore. __builtin_longjmp out
  // of a fault handler leaves TSan believing the thread is still in the handler (every later
  // malloc is reported as a signal-unsafe call) and its shadow stack unbalanced. So this build
  // uses sigsetjmp/siglongjmp, and saves the signal mask: TSan's wrapper around our handlers
  // runs them with every signal blocked (sa_mask filled), and a jump out of the handler that
  // kept that mask would leave SIGSEGV blocked, so that the next guest fault kills the process.
  // (The system call per guarded call this costs is only paid in the TSan build.)
  sigjmp_buf jmpbuf;
#else
  void* jmpbuf[5];  // __builtin_setjmp buffer
#endif
  CallFrame* prev;
  InterruptState* interrupt;
  uint64_t call_id;
  int saved_in_host;
  void* saved_unwind_target;
  volatile TrapCode trap;
};

// Per-thread state read by the signal handlers (initial-exec TLS: async-signal-safe).
// Initial-exec TLS: async-signal-safe, and in position-independent code a plain %fs-relative
// access rather than a __tls_get_addr call (the call boundary's hot path uses these; a call per
// access made the compiler spill around each). The runtime's few hot variables fit easily in the
// static TLS that glibc keeps even for a libwisp.so loaded by dlopen.
#define WISP_TLS_IE __attribute__((tls_model("initial-exec")))
extern __thread CallFrame* tls_frame WISP_TLS_IE;
extern __thread int tls_in_host
    WISP_TLS_IE;  // > 0 while host or runtime code runs inside a guest call

// Details of the last trap on this thread (message of a host error, WASI exit code). Cleared
// at the start of every guarded call; kept in trivially destructible TLS (no init guard).
void set_trap_message(std::string_view message);
std::string trap_message();
void set_exit_code(int code);
int exit_code();

using Thunk = void (*)(void* ctx);

// Runs thunk(ctx) with a fresh unwind frame. Returns kNoTrap or the trap code. Never throws.
TrapCode run_guarded(Thunk thunk, void* ctx, InterruptState* interrupt);

// Unwinds to the innermost frame of this thread with `code`. Aborts if there is none.
[[noreturn]] void raise_trap(TrapCode code);

// Asks the call `call_id` running under `state` to stop. Returns false if it is not running.
bool request_interrupt(InterruptState& state, uint64_t call_id);

// Installs the fault/interrupt handlers once per process (idempotent, thread-safe).
void install_signal_handlers();
// Prepares this thread for guest code: alternate signal stack, stack bounds (once per thread).
void prepare_thread();
// The main thread's stack [lo, hi) as pthread_getattr_np reports it, without glibc's cost (it
// parses /proc/self/maps for the main thread: a few hundred µs of a short process's start-up).
// False on another thread, or when the layout is not the one expected (then ask glibc).
bool main_thread_stack(uintptr_t* lo, uintptr_t* hi);
// Is less than `reserve` bytes of this thread's stack left below the caller? (Host code needs
// stack too: guest→host→guest recursion must end in a trap, not in a crash inside host code.)
bool stack_low(uintptr_t reserve);
constexpr uintptr_t kGuestEntryStackReserve = 256 * 1024;
constexpr uintptr_t kHostCallStackReserve = 128 * 1024;

// Stack bounds of this thread, for the stack-exhaustion check in the fault handler.
bool address_in_stack_guard(uintptr_t addr);

// RAII marker: host or runtime code is running (faults there are not guest traps, and
// interrupts are deferred until it returns).
struct InHostScope {
  InHostScope() { ++tls_in_host; }
  ~InHostScope() { --tls_in_host; }
};

}  // namespace wisp::rt
