// Threads: memory.atomic.wait32/wait64 and memory.atomic.notify (the runtime's side; the ABI
// table's atomic_wait and atomic_notify).
#pragma once

#include <cstdint>

namespace wisp::rt {

// Waits on the word of `size` (4 or 8) bytes at `p` (aligned, in a shared memory's accessible
// pages) while it holds `expected`: 0 woken by atomic_notify, 1 not equal, 2 timed out
// (timeout_ns < 0: no timeout). An interrupt or the call's deadline ends it with Trap(timeout).
uint32_t atomic_wait(void* p, uint64_t expected, int64_t timeout_ns, uint32_t size);
// Wakes up to `count` of the threads waiting on `p`, oldest first; returns how many it woke.
uint32_t atomic_notify(void* p, uint32_t count);

// Traps with Trap(timeout) if the running guest call was interrupted or passed its deadline
// (rt_api.cpp); `during` completes the message ("interrupted during <during>").
void trap_if_interrupted(const char* during);

}  // namespace wisp::rt
