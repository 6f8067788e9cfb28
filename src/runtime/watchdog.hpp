// Call timeouts: a guest call armed with a deadline is interrupted (Trap(timeout)) by a
// watchdog thread once the deadline passes. Arming costs two uncontended lock operations on a
// per-thread entry and, usually, no system call; the watchdog sleeps until the earliest armed
// deadline (it is woken only when a new deadline is earlier than that).
#pragma once

#include <chrono>
#include <cstdint>

#include "runtime/call_boundary.hpp"

namespace wisp::rt {

// The id the next guarded call on this thread will get (prepares the thread if needed).
uint64_t next_call_id();

// Arms this thread's watchdog entry for the call `call_id` running under `state` until
// `deadline`. Returns false (and arms nothing) if an outer call on this thread is already armed:
// its deadline covers the nested call.
bool watchdog_arm(InterruptState* state, uint64_t call_id,
                  std::chrono::steady_clock::time_point deadline);
void watchdog_disarm();

// Starts the watchdog thread now; otherwise the first armed call starts it. A new thread takes
// its creator's name, nice value and scheduling policy: a server starts it before any of its
// routes' workers (which may run at a low priority) can be that creator, so that timeouts are
// enforced at normal priority for every route.
void watchdog_start();

// Has the armed call on this thread passed its deadline? (Checked when a host function returns,
// so that a host call ending at the deadline traps even before the watchdog's next round.)
extern __thread int64_t tls_call_deadline_ns;  // steady_clock nanoseconds; 0 = none armed
inline bool call_deadline_passed() {
  return tls_call_deadline_ns != 0 &&
         std::chrono::steady_clock::now().time_since_epoch().count() >= tls_call_deadline_ns;
}

// The deadline of the armed call on this thread (time_point::max() when none).
std::chrono::steady_clock::time_point watchdog_deadline();

// Stops the armed call's clock on this thread while the runtime works on the call's behalf
// (tier 0 compiling a function on its first call): the watchdog does not fire meanwhile, and
// the deadline moves later by the time paused when the scope ends. A call that had already
// passed its deadline stays interrupted. No effect when no call is armed.
class DeadlinePause {
 public:
  DeadlinePause();
  ~DeadlinePause();
  DeadlinePause(const DeadlinePause&) = delete;
  DeadlinePause& operator=(const DeadlinePause&) = delete;

 private:
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point deadline_;  // max(): nothing paused
};

}  // namespace wisp::rt
