// Signal handlers: guest faults in wasm memory or the stack guard become traps, interrupts stop
// the targeted call; every other fault goes to the previous handler (real crashes stay crashes).
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

#include "runtime/sanitizers.hpp"

#if WISP_TSAN
#include <dlfcn.h>
#endif

#include "runtime/call_boundary.hpp"
#include "runtime/slots.hpp"

namespace wisp::rt {

namespace {

struct sigaction g_prev_segv;
struct sigaction g_prev_bus;
std::once_flag g_install_once;

int interrupt_signal() {
  return SIGRTMIN + 4;
}

void chain(int sig, siginfo_t* info, void* uctx) {
  const struct sigaction& prev = sig == SIGBUS ? g_prev_bus : g_prev_segv;
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction) {
      prev.sa_sigaction(sig, info, uctx);
      return;
    }
  } else if (prev.sa_handler == SIG_IGN) {
    return;
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
    return;
  }
  // Default action: restore it and return; the faulting instruction runs again and the process
  // dies with the original signal (and a core dump where enabled).
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
}

void on_fault(int sig, siginfo_t* info, void* uctx) {
  // A write to a write-tracked (read-only) page, by guest or host code: the slot is disarmed and
  // the write runs again. (Other faults there, a protection key's say, are not ours.)
  if (sig == SIGSEGV && info->si_code == SEGV_ACCERR &&
      slot_disarm_on_fault(reinterpret_cast<uintptr_t>(info->si_addr)))
    return;
  CallFrame* frame = tls_frame;
  if (frame != nullptr && tls_in_host == 0) {
    uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    if (slot_contains(addr)) {
      set_trap_message({});
      raise_trap(trap_code(TrapKind::out_of_bounds));
    }
    if (address_in_stack_guard(addr)) {
      set_trap_message({});
      raise_trap(trap_code(TrapKind::stack_exhausted));
    }
  }
  chain(sig, info, uctx);
}

void on_interrupt(int, siginfo_t*, void*) {
  CallFrame* frame = tls_frame;
  if (frame == nullptr || frame->interrupt == nullptr) return;
  if (frame->interrupt->requested.load(std::memory_order_acquire) != frame->call_id) return;
  // In host or runtime code: the host-call return path sees the request instead.
  if (tls_in_host != 0) return;
  set_trap_message({});
  raise_trap(trap_code(TrapKind::timeout));
}

#if WISP_TSAN
// TSan build only. TSan wraps every handler installed through sigaction() and runs asynchronous
// signals (all but SIGSEGV, SIGBUS, SIGILL, SIGFPE, ...) only when the thread next enters an
// intercepted libc function. Guest code is generated at run time and not instrumented: a guest
// spinning in a loop never enters one, so an interrupt would never be delivered. The interrupt
// handler is therefore installed with libc's own sigaction, bypassing TSan's interceptor, and
// runs when the kernel delivers the signal, as in the other builds. (The fault handlers stay
// behind TSan's wrapper: synchronous signals are delivered at once anyway.)
int install_interrupt_handler(int sig, const struct sigaction* sa) {
  using SigactionFn = int (*)(int, const struct sigaction*, struct sigaction*);
  if (void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD)) {
    auto real = reinterpret_cast<SigactionFn>(dlsym(libc, "sigaction"));
    dlclose(libc);
    if (real != nullptr) return real(sig, sa, nullptr);
  }
  return sigaction(sig, sa, nullptr);
}
#else
int install_interrupt_handler(int sig, const struct sigaction* sa) {
  return sigaction(sig, sa, nullptr);
}
#endif

}  // namespace

void install_signal_handlers() {
  std::call_once(g_install_once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_prev_segv);
    sigaction(SIGBUS, &sa, &g_prev_bus);

    struct sigaction si;
    std::memset(&si, 0, sizeof si);
    si.sa_sigaction = on_interrupt;
    si.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
    sigemptyset(&si.sa_mask);
    install_interrupt_handler(interrupt_signal(), &si);
  });
}

bool request_interrupt(InterruptState& state, uint64_t call_id) {
  if (call_id == 0 || state.running_call.load(std::memory_order_acquire) != call_id) return false;
  state.requested.store(call_id, std::memory_order_release);
  pid_t tid = state.tid.load(std::memory_order_relaxed);
  // A stale signal (the call ended meanwhile) is ignored by the handler: ids never repeat.
  syscall(SYS_tgkill, getpid(), tid, interrupt_signal());
  return true;
}

}  // namespace wisp::rt
