// A large stack for work whose stack use the caller's thread cannot be trusted to hold: libwabt's
// WAT parser recurses once per nesting level, and compilation (validation, the C emitter,
// libtcc) runs wherever it is asked for, on an application's thread or a guest's first call of
// a function (lazy tier 0), whose stack may be small.
#pragma once

#include <cstddef>
#include <functional>

namespace wisp::detail {

// Runs `fn` on a thread of its own with a stack of `stack_bytes` (reserved address space: only
// touched pages cost) and rethrows what it throws; on this thread if no thread can be started.
void on_stack_of(size_t stack_bytes, const std::function<void()>& fn);

// on_stack_of with 256 MiB.
inline void on_big_stack(const std::function<void()>& fn) {
  on_stack_of(size_t{256} << 20, fn);
}

}  // namespace wisp::detail
