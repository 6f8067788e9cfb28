// Internals shared by the strategies: lease slots, instance creation with back-off, the release
// policy (keep / reset / discard with a reason), statistics, and the FIFO queue that hands
// instances (or permission to create one) to waiters in arrival order.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "share/fifo_wait.hpp"
#include "wisp/contexts.hpp"
#include "wisp/strategy.hpp"

namespace wisp::detail {

using Clock = std::chrono::steady_clock;

struct LeaseSlot {
  // threads: the instance's C stack in the shared memory (ThreadStacks), given back after the
  // instance is gone (declared first: destroyed last). Null elsewhere.
  std::shared_ptr<void> stack;
  Instance instance;
  Clock::time_point acquired{};
  Clock::time_point idle_since{};  // set only under an idle timeout (pool's trim)
  uint64_t uses = 0;
  uint64_t id = 0;  // Lease::instance_id()
  bool discard = false;
  std::unique_ptr<Contexts::Context> context;  // contexts: the lease's context, no instance
};

// The threads strategy's C stacks: every instance of a clang module starts with the same
// __stack_pointer, so instances running at once would share one stack. When the module exports
// its __stack_pointer (-Wl,--export=__stack_pointer), each instance gets a region of the shared
// memory of its own (src/share/threads_strategy.cpp), with its thread-local block at the top when
// the module also exports __wasm_init_tls and __tls_size.
class ThreadStacks : public std::enable_shared_from_this<ThreadStacks> {
 public:
  explicit ThreadStacks(uint32_t bytes);
  // Points `inst`'s __stack_pointer at the top of a stack region no other live instance uses
  // (below its thread-local block, set up there); the handle gives the region back when destroyed.
  // Null when the module does not export its __stack_pointer. Throws wisp::Error when the memory
  // cannot grow for a new region.
  std::shared_ptr<void> assign(Instance& inst);
  // A region no instance uses any more (the handle's destructor).
  void give_back(uint32_t top);

 private:
  const uint32_t pages_;
  std::mutex mutex_;
  bool seen_first_ = false;     // the first instance's stack (the module's own) is in free_
  std::vector<uint32_t> free_;  // tops of regions no instance uses
};

struct SharedMemoryHold;  // instance/instance_impl.hpp

// The threads strategy's shared memories when the module defines them rather than importing
// them: the first instance creates them as any instance would (from the template's snapshot
// when it has one); they are then detached from it, and every later instance is bound to them
// in place of its own (no snapshot image or data segment written into them: their state is
// live). Held here as long as the strategy, so that they outlive every instance discarded
// (src/share/threads_strategy.cpp).
class ThreadMemories {
 public:
  Instance instantiate(const Template& tmpl);

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<SharedMemoryHold>> bound_;  // empty until the first instance
};

// Why an instance whose last call failed with `trap_code` (rt::TrapCode) is discarded: exited,
// timed_out, resource_limit (out of fuel included) or trapped.
DiscardReason discard_reason_of_trap(int trap_code);

class StrategyCore : public std::enable_shared_from_this<StrategyCore> {
 public:
  StrategyCore(StrategyKind kind, Template tmpl, Policy policy);
  virtual ~StrategyCore() = default;

  // Hands out a slot (instance) or throws Unavailable / what instantiation throws.
  virtual std::unique_ptr<LeaseSlot> take(Clock::time_point deadline) = 0;
  // Takes a slot back at the end of a lease.
  virtual void give_back(std::unique_ptr<LeaseSlot> slot) = 0;

  StrategyStats stats() const;
  StrategyKind kind() const { return kind_; }
  const Policy& policy() const { return policy_; }
  ReleaseAction release_action() const { return action_; }

  // A new instance, unless the template is in back-off after failures.
  std::unique_ptr<LeaseSlot> create();
  // Applies the release policy to a returned slot: the slot back (kept or reset) if it may
  // serve again, or null (discarded and counted).
  std::unique_ptr<LeaseSlot> settle(std::unique_ptr<LeaseSlot> slot);
  void count_discard(DiscardReason r);
  void count_lease(Clock::duration held);
  void count_wait(Clock::duration waited, bool timed_out);
  void count_destroyed();
  void count_created();

 protected:
  const StrategyKind kind_;
  const Template tmpl_;
  const Policy policy_;
  const ReleaseAction action_;

 private:
  mutable std::mutex stats_mutex_;
  StrategyStats stats_;
  std::mutex backoff_mutex_;
  Clock::time_point retry_after_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_failure_;
  std::atomic<uint64_t> next_instance_id_{0};
  std::shared_ptr<ThreadStacks> thread_stacks_;      // threads only
  std::unique_ptr<ThreadMemories> thread_memories_;  // threads, a module defining its memory
};

// Instances up to `max` (0 = unbounded), idle ones kept for reuse (LIFO), waiters served FIFO:
// a returned instance, or the permission to create one, goes to the longest waiter.
class QueueCore : public StrategyCore {
 public:
  QueueCore(StrategyKind kind, Template tmpl, Policy policy, uint32_t max, bool keep_idle);
  ~QueueCore() override;
  std::unique_ptr<LeaseSlot> take(Clock::time_point deadline) override;
  void give_back(std::unique_ptr<LeaseSlot> slot) override;
  void warm_up(uint32_t count);

 private:
  // Called with mutex_ held: a freed capacity unit (slot == null) or a slot goes to the first
  // waiter, else back to the idle list / capacity.
  void hand_over(std::unique_ptr<LeaseSlot> slot);
  std::unique_ptr<LeaseSlot> create_counted();
  void trim_idle(std::vector<std::unique_ptr<LeaseSlot>>& out);

  const uint32_t max_;
  const bool keep_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<LeaseSlot>> idle_;
  // Waiters get a slot, or null: the permission to create one (counted in live_ for them).
  FifoWait<std::unique_ptr<LeaseSlot>> waiters_;
  uint32_t live_ = 0;  // created and not discarded (leased, idle or being created)
};

std::shared_ptr<StrategyCore> make_per_thread_core(Template tmpl, Policy policy);
std::shared_ptr<StrategyCore> make_contexts_core(Template tmpl, Policy policy);
// Throws wisp::Error unless `tmpl` and `policy` can make a threads strategy
// (src/share/threads_strategy.cpp).
void check_threads_strategy(const Template& tmpl, const Policy& policy);

}  // namespace wisp::detail
