// The threads strategy (StrategyKind::threads): N instances of one template over one shared
// memory serve leases at once, each lease one instance exclusively; state is shared through the
// memory and the guest's atomics (a lock, atomic read-modify-writes, wait/notify) synchronise it.
//
// The memory is the template's: the module imports it as shared, and the template's linker bound
// that import to one memory (wisp::define_shared_memories, or a memory the embedder exports from
// another instance), so every instance made from the template uses it. A module that defines its
// memory would give each instance its own, and is refused: there is no clean way to make an
// instance adopt another's defined memory (its growth lives in the defining instance's struct).
//
// The instances are made by the queue core (src/share/queue_core.cpp): at most N, kept between
// leases (release keeps; reset is refused: the memory is not one lease's to restore), waiters
// served FIFO. Each instance has its own globals (a C guest's __stack_pointer included, all
// starting at the same value: exports that use the C stack need a stack per instance, which the
// guest must arrange; exports on scalars and static data need nothing).
//
// A trap, timeout or exit in one lease discards that instance only, as in every strategy; the
// next lease that needs one instantiates a new one over the same memory (the start function of a
// clang module sees the memory already initialised and leaves it). The memory keeps its state,
// whatever the failed call left half done: a lock it held stays held (the guest's to avoid, e.g.
// by never trapping inside a critical section). tests/share/threads_strategy_test.cpp checks it.
#include <string>

#include "share/strategy_core.hpp"
#include "wisp/shared_memories.hpp"

namespace wisp::detail {

void check_threads_strategy(const Template& tmpl, const Policy& policy) {
  const Module& m = tmpl.module();
  if (!imports_shared_memory(m)) {
    bool defines = false;
    for (const ExportDesc& e : m.exports())
      defines = defines || (e.type.kind == ExternKind::memory && e.type.memory.shared);
    throw Error(std::string("the threads strategy needs a module that imports a shared memory ") +
                "(clang: -matomics -mbulk-memory -Wl,--shared-memory,--import-memory)" +
                (defines ? ": this one defines its own, and each instance would get a copy" : ""));
  }
  if (policy.on_release == ReleaseAction::reset)
    throw Error(
        "threads policy: on_release = reset is not possible (the instances' memory is shared: "
        "no lease has a state of its own to restore); use keep or recycle");
  if (policy.memory_high_water_bytes)
    throw Error(
        "threads policy: memory_high_water_bytes does nothing (the memory is shared: recycling "
        "an instance does not shrink it)");
}

}  // namespace wisp::detail
