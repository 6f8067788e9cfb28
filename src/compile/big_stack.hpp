// A large stack for work whose stack use the caller's thread cannot be trusted to hold: libwabt's
// WAT parser recurses once per nesting level, and compilation (validation, the C emitter,
// libtcc) runs wherever it is asked for, on an application's thread or a guest's first call of
// a function (lazy tier 0), whose stack may be small.
#pragma once

#include <functional>

namespace wisp::detail {

// Runs `fn` on a thread with a 256 MiB stack (reserved address space: only touched pages cost)
// and rethrows what it throws; on this thread if no thread can be started.
void on_big_stack(const std::function<void()>& fn);

}  // namespace wisp::detail
