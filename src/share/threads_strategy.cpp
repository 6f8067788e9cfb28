// The threads strategy (StrategyKind::threads): N instances of one template over one shared
// memory serve leases at once, each lease one instance exclusively; state is shared through the
// memory and the guest's atomics (a lock, atomic read-modify-writes, wait/notify) synchronise it.
//
// The memory is one of two kinds. A module that imports it as shared: the template's linker bound
// that import to one memory (wisp::define_shared_memories, or a memory the embedder exports from
// another instance), so every instance made from the template uses it. A module that defines it
// as shared (clang without --import-memory): the first instance creates it as usual (from the
// template's snapshot when it has one), then it is detached from that instance into a hold
// (detach_shared_memories) and every later instance is bound to it in place of its own
// (instantiate_from's BoundMemories): no snapshot image or active data segment is written into
// it again, and the start function runs as usual (wasm-ld's __wasm_init_memory sees the memory
// initialised and leaves it). The code reaches a defined shared memory through a pointer in the
// instance struct (wisp_abi.h, memory_ptr_offsets), so that one memory, with its size, serves
// every instance. ThreadMemories keeps the holds as long as the strategy: the memory outlives
// every discarded instance, counted once against the budget, freed with its last user. A module
// with no shared memory at all is refused.
//
// The instances are made by the queue core (src/share/queue_core.cpp): at most N, kept between
// leases (release keeps; reset is refused: the memory is not one lease's to restore), waiters
// served FIFO. Each instance has its own globals, a C guest's __stack_pointer included, all
// starting at the same value. When the module exports it (-Wl,--export=__stack_pointer), each
// instance gets a stack region of its own (ThreadStacks, below): the first the module's own, the
// others grown at the end of the shared memory (memory.grow is atomic, so the guest's allocator,
// growing too, never hands those pages out), kept for the next instance when one is discarded.
// Without the export the instances share the module's stack, and only exports that keep to
// scalars and static data (no C stack: no address-taken locals, no large arrays) are safe.
// Thread-local storage (C's _Thread_local; clang -ftls-model=local-exec) the same way: when the
// module also exports __wasm_init_tls and __tls_size (and __tls_align), each instance's block is
// carved from the top of its stack region and set up by __wasm_init_tls (the first instance's
// too: a module without a libc never sets its own up), so no two instances share one.
//
// A trap, timeout or exit in one lease discards that instance only, as in every strategy; the
// next lease that needs one instantiates a new one over the same memory (the start function of a
// clang module sees the memory already initialised and leaves it). The memory keeps its state,
// whatever the failed call left half done: a lock it held stays held (the guest's to avoid, e.g.
// by never trapping inside a critical section). tests/share/threads_strategy_test.cpp checks it.
#include <algorithm>
#include <optional>
#include <string>

#include "instance/instance_impl.hpp"
#include "runtime/slots.hpp"
#include "share/strategy_core.hpp"
#include "wisp/shared_memories.hpp"

namespace wisp::detail {

namespace {
constexpr uint32_t kPage = static_cast<uint32_t>(rt::kWasmPageSize);
constexpr const char* kStackPointer = "__stack_pointer";

bool exports_stack_pointer(const Module& m) {
  std::optional<ExportDesc> e = m.find_export(kStackPointer);
  return e && e->type.kind == ExternKind::global && e->type.global.mut &&
         e->type.global.type == ValType::i32;
}

// wasm-ld's thread-local storage, when the module exports it (-Wl,--export=__wasm_init_tls,
// --export=__tls_size, --export=__tls_align): the block's size and alignment; nullopt without
// __wasm_init_tls (i32) -> () and __tls_size.
struct TlsLayout {
  uint32_t size = 0;
  uint32_t align = 16;
};
std::optional<TlsLayout> exported_tls(const Instance& inst) {
  const Module& m = inst.module();
  std::optional<ExportDesc> init = m.find_export("__wasm_init_tls");
  std::optional<ExportDesc> size = m.find_export("__tls_size");
  if (!init || init->type.kind != ExternKind::func ||
      init->type.func != FuncType{{ValType::i32}, {}} || !size ||
      size->type.kind != ExternKind::global || size->type.global.type != ValType::i32)
    return std::nullopt;
  TlsLayout tls;
  tls.size = static_cast<uint32_t>(inst.global_get("__tls_size").as_i32());
  std::optional<ExportDesc> align = m.find_export("__tls_align");
  if (align && align->type.kind == ExternKind::global && align->type.global.type == ValType::i32)
    tls.align =
        std::max<uint32_t>(16, static_cast<uint32_t>(inst.global_get("__tls_align").as_i32()));
  if ((tls.align & (tls.align - 1)) != 0)
    throw Error("threads strategy: the module's __tls_align (" + std::to_string(tls.align) +
                ") is not a power of two");
  return tls;
}

// One instance's hold on its stack region: gives the region back when the instance's slot goes.
struct StackHold {
  StackHold(std::weak_ptr<ThreadStacks> s, uint32_t t) : stacks(std::move(s)), top(t) {}
  StackHold(const StackHold&) = delete;
  StackHold& operator=(const StackHold&) = delete;
  std::weak_ptr<ThreadStacks> stacks;
  uint32_t top;
  ~StackHold() {
    if (auto s = stacks.lock()) s->give_back(top);
  }
};
}  // namespace

ThreadStacks::ThreadStacks(uint32_t bytes)
    : pages_(std::max<uint32_t>(1, (bytes + kPage - 1) / kPage)) {}

std::shared_ptr<void> ThreadStacks::assign(Instance& inst) {
  if (!exports_stack_pointer(inst.module())) return nullptr;
  uint32_t top = 0;
  {
    std::lock_guard lock(mutex_);
    if (!seen_first_) {
      free_.push_back(static_cast<uint32_t>(inst.global_get(kStackPointer).as_i32()));
      seen_first_ = true;
    }
    if (!free_.empty()) {
      top = free_.back();
      free_.pop_back();
    }
  }
  if (top == 0) {
    std::optional<uint32_t> old = inst.memory().grow(pages_);
    if (!old)
      throw Error(
          "threads strategy: no room in the shared memory for another instance's C stack (" +
          std::to_string(pages_) + " pages; the memory is at its maximum)");
    top = (*old + pages_) * kPage;  // 0 for a region ending at 4 GiB: not representable
    if (top == 0) throw Error("threads strategy: a C stack would end at 4 GiB");
  }
  auto hold = std::make_shared<StackHold>(weak_from_this(), top);
  uint32_t stack_top = top;
  if (std::optional<TlsLayout> tls = exported_tls(inst)) {
    // The instance's thread-local block at the top of its region, the stack below it.
    const uint64_t room = uint64_t{pages_} * kPage / 2;
    if (tls->size + uint64_t{tls->align} > room)
      throw Error("threads strategy: the module's thread-local storage (" +
                  std::to_string(tls->size) + " bytes) does not fit in half of an instance's " +
                  std::to_string(pages_ * uint64_t{kPage}) + "-byte stack region");
    stack_top = (top - tls->size) & ~(tls->align - 1);
    inst.call("__wasm_init_tls", {Value::i32(static_cast<int32_t>(stack_top))});
  }
  inst.global_set(kStackPointer, Value::i32(static_cast<int32_t>(stack_top)));
  return hold;
}

void ThreadStacks::give_back(uint32_t top) {
  std::lock_guard lock(mutex_);
  free_.push_back(top);
}

Instance ThreadMemories::instantiate(const Template& tmpl) {
  std::unique_lock lock(mutex_);
  if (bound_.empty()) {  // the first instance: it creates the memories, held by all from now on
    std::shared_ptr<InstanceImpl> first = instantiate_from(tmpl.impl());
    bound_ = detach_shared_memories(*first);
    if (bound_.empty()) throw Error("threads strategy: the module defines no shared memory");
    return Instance(std::move(first));
  }
  BoundMemories bound = bound_;
  lock.unlock();
  return Instance(instantiate_from(tmpl.impl(), bound));
}

void check_threads_strategy(const Template& tmpl, const Policy& policy) {
  const Module& m = tmpl.module();
  if (!imports_shared_memory(m) && !defines_shared_memory(m))
    throw Error(
        "the threads strategy needs a module with a shared memory, which it defines or imports "
        "(clang: -matomics -mbulk-memory -Wl,--shared-memory, and --import-memory to import "
        "it): this one has none, and its instances could share no state");
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
