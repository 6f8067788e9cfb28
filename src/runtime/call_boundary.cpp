// The trap-safe call boundary: setjmp-style frames without a signal-mask system call.
#include "runtime/call_boundary.hpp"
#include "runtime/watchdog.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "runtime/exceptions.hpp"
#include "runtime/sanitizers.hpp"

#if WISP_ASAN
#include <sanitizer/asan_interface.h>
#endif

extern "C" void* __libc_stack_end;  // glibc: the initial stack pointer (exported by ld.so)

namespace wisp::rt {

__thread CallFrame* tls_frame WISP_TLS_IE = nullptr;
__thread int tls_in_host WISP_TLS_IE = 0;

namespace {

// Trivially destructible, so thread_local access needs no init guard on the hot path.
struct ThreadState {
  bool ready;
  uintptr_t stack_lo;
  uintptr_t stack_hi;
  pid_t tid;
  uint64_t next_call;
  uint64_t thread_tag;
  uintptr_t entry_floor;  // a guest entry below this stack address traps (0: bounds unknown)
};

// Owns the alternate signal stack; constructed once per thread by prepare_thread().
struct AltStack {
  void* mem = nullptr;
  size_t size = 0;
  ~AltStack() {
    if (mem) {
      stack_t ss{};
      ss.ss_flags = SS_DISABLE;
      sigaltstack(&ss, nullptr);
      munmap(mem, size);
    }
  }
};

thread_local ThreadState tls_thread WISP_TLS_IE;
std::atomic<uint64_t> g_thread_counter{1};

}  // namespace

namespace {
constexpr size_t kMaxMessage = 480;
thread_local char tls_message[kMaxMessage];
thread_local size_t tls_message_len = 0;
thread_local int tls_exit_code = 0;
}  // namespace

void set_trap_message(std::string_view message) {
  tls_message_len = std::min(message.size(), kMaxMessage);
  // An empty view may carry a null data(): memcpy with a null source is UB even for 0 bytes.
  if (tls_message_len != 0) std::memcpy(tls_message, message.data(), tls_message_len);
}
std::string trap_message() {
  return std::string(tls_message, tls_message_len);
}
void set_exit_code(int code) {
  tls_exit_code = code;
}
int exit_code() {
  return tls_exit_code;
}

bool main_thread_stack(uintptr_t* lo, uintptr_t* hi) {
  if (getpid() != static_cast<pid_t>(syscall(SYS_gettid))) return false;
  // The kernel puts the executable's name (AT_EXECFN) at the very top of the initial stack,
  // followed only by one null pointer: the stack mapping ends right after it, on a page
  // boundary. The stack may grow down to RLIMIT_STACK below that end.
  auto execfn = reinterpret_cast<const char*>(getauxval(AT_EXECFN));
  if (!execfn) return false;
  uintptr_t end = reinterpret_cast<uintptr_t>(execfn) + std::strlen(execfn) + 1 + sizeof(void*);
  auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  rlimit rl{};
  if (end % page != 0 || getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return false;
  uintptr_t size = rl.rlim_cur & ~(page - 1);
  // glibc's figures: the top is the page above __libc_stack_end (below argv and environ), the
  // bottom RLIMIT_STACK below the mapping's end.
  uintptr_t top = (reinterpret_cast<uintptr_t>(__libc_stack_end) & ~(page - 1)) + page;
  auto sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (size >= end || top > end || sp >= top || sp < end - size) return false;
  *lo = end - size;
  *hi = top;
  return true;
}

// After fork() the child's one thread is the one that forked: its cached thread id (which the
// watchdog's interrupts are aimed at) must be its new one.
void refresh_tid_after_fork() {
  if (tls_thread.ready) tls_thread.tid = static_cast<pid_t>(syscall(SYS_gettid));
}

void prepare_thread() {
  ThreadState& t = tls_thread;
  if (t.ready) return;
  static std::once_flag at_fork;
  std::call_once(at_fork, [] { pthread_atfork(nullptr, nullptr, refresh_tid_after_fork); });
  install_signal_handlers();
  pthread_attr_t attr;
  if (main_thread_stack(&t.stack_lo, &t.stack_hi)) {
    // known without glibc's /proc/self/maps parse
  } else if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    size_t size = 0;
    pthread_attr_getstack(&attr, &addr, &size);
    t.stack_lo = reinterpret_cast<uintptr_t>(addr);
    t.stack_hi = t.stack_lo + size;
    pthread_attr_destroy(&attr);
  }
  stack_t old{};
  sigaltstack(nullptr, &old);
  if (old.ss_sp == nullptr || (old.ss_flags & SS_DISABLE)) {
    static thread_local AltStack alt;
    alt.size = 64 * 1024;
    void* mem = mmap(nullptr, alt.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem != MAP_FAILED) {
      stack_t ss{};
      ss.ss_sp = mem;
      ss.ss_size = alt.size;
      if (sigaltstack(&ss, nullptr) == 0) {
        alt.mem = mem;
      } else {
        munmap(mem, alt.size);
      }
    }
  }
  t.entry_floor =
      t.stack_lo ? t.stack_lo + std::min(kGuestEntryStackReserve, (t.stack_hi - t.stack_lo) / 8)
                 : 0;
  t.tid = static_cast<pid_t>(syscall(SYS_gettid));
  t.thread_tag = g_thread_counter.fetch_add(1) << 40;
  t.next_call = t.thread_tag;  // call ids: thread tag in the high bits, never repeated
  t.ready = true;
}

bool address_in_stack_guard(uintptr_t addr) {
  const ThreadState& t = tls_thread;
  if (!t.ready || t.stack_lo == 0) return false;
  // The guard page(s) below the stack, and the gap below it that a large frame can skip into.
  constexpr uintptr_t kBelow = 1024 * 1024;
  constexpr uintptr_t kAbove = 64 * 1024;
  return addr + kBelow >= t.stack_lo && addr < t.stack_lo + kAbove;
}

bool stack_low(uintptr_t reserve) {
  const ThreadState& t = tls_thread;
  if (t.stack_lo == 0) return false;
  // Small thread stacks keep a proportionally smaller reserve.
  reserve = std::min(reserve, (t.stack_hi - t.stack_lo) / 8);
  uintptr_t sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  return sp - t.stack_lo < reserve;
}

// The hot path of every host→guest call: no system call, no lock, a handful of TLS accesses.
// (Trap messages are set by whoever raises a trap; the unwind target is restored only after a
// trap, since generated code restores it itself on normal exits from its try blocks.)
uint64_t next_call_id() {
  ThreadState& t = tls_thread;
  if (!t.ready) prepare_thread();
  return t.next_call + 1;
}

namespace {
inline void leave_frame(const CallFrame* f) {
  tls_in_host = f->saved_in_host;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  tls_frame = f->prev;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

// The setjmp half of a guarded call, a function of its own: a function that calls setjmp keeps
// every value live across it in memory, so run_guarded's bookkeeping stays out of this one.
// Returns kNoTrap, or the trap code when raise_trap unwinds to this frame (the innermost).
//
// It leaves the frame (tls_frame back to the caller's) before it returns: once it has returned,
// the jmpbuf points into a dead stack frame, and an interrupt arriving then must not unwind to
// it. The host state is restored first, with a compiler barrier between the two stores (the
// signal handler reads them on this thread): an interrupt for an enclosing guest call that
// arrives in between finds host code running and is deferred, as it must be.
__attribute__((noinline)) TrapCode enter_frame(CallFrame* frame, Thunk thunk, void* ctx) {
#if WISP_TSAN
  if (sigsetjmp(frame->jmpbuf, 1)) {  // see CallFrame::jmpbuf
#else
  if (__builtin_setjmp(frame->jmpbuf)) {
#endif
    CallFrame* f = tls_frame;  // this frame: raise_trap unwinds to the innermost
    leave_frame(f);
    return f->trap;
  }
  tls_frame = frame;
  tls_in_host = 0;
  thunk(ctx);
  leave_frame(frame);
  return kNoTrap;
}
}  // namespace

TrapCode run_guarded(Thunk thunk, void* ctx, InterruptState* interrupt) {
  ThreadState& t = tls_thread;
  uintptr_t sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (__builtin_expect(sp < t.entry_floor || !t.ready, 0)) {
    if (!t.ready) prepare_thread();
    if (sp < t.entry_floor) {
      set_trap_message("not enough stack left to enter WebAssembly");
      return trap_code(TrapKind::stack_exhausted);
    }
  }
  CallFrame frame;
  frame.prev = tls_frame;
  frame.interrupt = interrupt;
  frame.call_id = ++t.next_call;
  frame.saved_in_host = tls_in_host;
  frame.saved_unwind_target = tls_unwind_target;
  if (interrupt) {
    interrupt->tid.store(t.tid, std::memory_order_relaxed);
    interrupt->running_call.store(frame.call_id, std::memory_order_release);
  }
  const TrapCode code = enter_frame(&frame, thunk, ctx);  // leaves the frame
  // Generated code restores the unwind target itself on normal exits from its try blocks.
  if (__builtin_expect(code != kNoTrap, 0))
    tls_unwind_target = static_cast<WASM_RT_UNWIND_TARGET*>(frame.saved_unwind_target);
  if (interrupt) interrupt->running_call.store(0, std::memory_order_release);
  // No exnref outlives the outermost call.
  if (__builtin_expect(!frame.prev && tls_holds_captured, 0)) release_captured_exceptions();
  return code;
}

void raise_trap(TrapCode code) {
  CallFrame* f = tls_frame;
  if (f == nullptr) {
    std::fprintf(stderr, "wisp: trap (code %d) outside of any guest call\n", code);
    std::abort();
  }
  f->trap = code;
#if WISP_ASAN
  // ASan does not see __builtin_longjmp (only the libc longjmp family is intercepted): without
  // this, the redzones of the skipped frames (guest code, host shims, possibly a signal handler
  // on the alternate stack) stay poisoned and later calls reuse that stack as false positives.
  __asan_handle_no_return();
#endif
#if WISP_TSAN
  siglongjmp(f->jmpbuf, 1);  // see CallFrame::jmpbuf
#else
  __builtin_longjmp(f->jmpbuf, 1);
#endif
}

}  // namespace wisp::rt
