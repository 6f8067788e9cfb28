// Sharing strategies: one lease API over the ways to hand instances of a template to callers.
//
//   auto pool = wisp::make_strategy(wisp::StrategyKind::pool, tmpl, policy);
//   wisp::Lease lease = pool->acquire(std::chrono::milliseconds(50));  // or throws Unavailable
//   lease->call("handle", {...});   // exclusive use of the instance while the lease lives
//   // ~Lease: the release policy runs (keep / reset / recycle; discard if it trapped)
//
// | kind       | instances                | on release               | waiting            |
// |------------|--------------------------|--------------------------|--------------------|
// | fresh      | one per lease            | destroyed                | none (bounded: max)|
// | shared     | exactly one              | kept (or reset)          | FIFO, deadline     |
// | pool       | min_warm..max_instances  | reset / keep / recycle   | FIFO, deadline     |
// | per_thread | one per calling thread   | kept (or reset)          | none               |
// | contexts   | one, a context per lease | context region zeroed    | FIFO, deadline     |
// | threads    | N over one shared memory | kept (memory is shared)  | FIFO, deadline     |
//
// threads: N instances of one template whose module imports a shared memory (the template's
// linker gives every instance the same one: wisp/shared_memories.hpp) serve leases at once; the
// guest's atomics synchronise them (src/share/threads_strategy.cpp says what a trap does).
//
// FIFO: a caller that has waited over 1 ms is served strictly in arrival order; before that, an
// instance coming back may go to a caller already running (a thread leasing again) while the
// longest waiter is woken, so that a busy `shared` or `pool` does not wait for a sleeping thread
// on every lease (src/share/queue_core.cpp).
//
// An instance that trapped, exited, timed out or hit a limit is never handed out again: it is
// discarded and replaced. A template whose instantiation keeps failing is retried with an
// exponential back-off instead of in a loop. A strategy must outlive its leases.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "wisp/contexts.hpp"
#include "wisp/error.hpp"
#include "wisp/instance.hpp"
#include "wisp/template.hpp"

namespace wisp {

enum class StrategyKind { fresh, shared, pool, per_thread, contexts, threads };
const char* strategy_kind_name(StrategyKind k);

enum class ReleaseAction {
  keep,     // state carries over to the next lease
  reset,    // the snapshot is restored (falls back to recycle if the module cannot be reset)
  recycle,  // the instance is destroyed and a fresh one made on demand
};

struct Policy {
  // pool: 0 = 2 × hardware threads; fresh: concurrent leases (0 = ∞); threads: the N instances
  // (0 = hardware threads)
  uint32_t max_instances = 0;
  uint32_t min_warm = 0;  // pool, threads: instances created up front and kept
  // Default: reset for pool, keep for shared, per_thread and threads (fresh always destroys;
  // threads refuses reset: its instances' memory is not theirs to reset).
  std::optional<ReleaseAction> on_release;
  uint64_t recycle_after_uses = 0;                // 0 = never
  uint64_t memory_high_water_bytes = 0;           // recycle an instance whose memory grew past this
  std::chrono::milliseconds idle_timeout{0};      // pool: drop idle instances beyond min_warm
  std::chrono::milliseconds failure_backoff{10};  // after a failed instantiation (doubles, ≤1 s)
  // With EngineConfig::consume_fuel: the fuel each lease starts with (0 = leave the instance's
  // fuel as it is: Limits::fuel, restored by reset). Ignored by contexts and without fuel.
  uint64_t fuel_per_lease = 0;
  // contexts: the regions (size, count = the most leases at once, enforcement, allocator).
  ContextsOptions contexts;
  // threads: the C stack each instance gets in the shared memory, when the module exports its
  // __stack_pointer (clang: -Wl,--export=__stack_pointer); rounded up to 64 KiB pages.
  uint32_t thread_stack_bytes = 64 * 1024;

  bool operator==(const Policy&) const = default;
};

// Why instances were discarded (StrategyStats::discards index).
enum class DiscardReason {
  trapped,
  exited,
  timed_out,
  resource_limit,
  recycled_uses,
  recycled_memory,
  recycled_policy,
  idle,
  reset_failed,
  by_caller,
  count_
};
const char* discard_reason_name(DiscardReason r);

struct StrategyStats {
  uint64_t leases = 0;
  uint64_t waits = 0;     // acquisitions that had to wait
  uint64_t wait_ns = 0;   // total time spent waiting
  uint64_t timeouts = 0;  // acquisitions that gave up at their deadline
  uint64_t creates = 0;   // instances created
  uint64_t create_failures = 0;
  uint64_t resets = 0;
  std::array<uint64_t, static_cast<size_t>(DiscardReason::count_)> discards{};
  // Why the latest failed reset failed (discards[reset_failed]): with SnapshotOptions::
  // verify_reset, "reset verification failed: ..." means state survived a reset (a wisp bug;
  // the instance was discarded, so no later lease saw it). Empty while no reset failed.
  std::string last_reset_error;
  uint64_t live = 0;  // instances alive now (leased or idle)
  // Lease durations (acquire to release): bucket i counts leases of [2^i, 2^(i+1)) ns.
  std::array<uint64_t, 40> lease_ns_histogram{};
  uint64_t discarded() const;
  // The q-quantile (0..1) of lease durations from the histogram (upper bucket bound), in ns.
  double lease_ns_quantile(double q) const;
};

// No instance could be had before the deadline (back-pressure), or the template is backing
// off after failed instantiations.
class Unavailable : public Error {
 public:
  explicit Unavailable(const std::string& message) : Error(message) {}
};

namespace detail {
class StrategyCore;
struct LeaseSlot;
}  // namespace detail

// Exclusive use of one instance until destroyed (or release()d). Movable, not copyable.
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  // The leased instance (a contexts lease has none: it throws; use call()).
  Instance& instance();
  Instance* operator->() { return &instance(); }
  // Calls export `name` on the leased instance; on a contexts lease, with the context's
  // pointer as the first argument.
  std::vector<Value> call(std::string_view name, std::span<const Value> args = {});
  std::vector<Value> call(std::string_view name, std::initializer_list<Value> args) {
    return call(name, std::span<const Value>(args.begin(), args.size()));
  }
  // The context of a contexts lease (checked host access to its region), else null.
  Contexts::Context* context();
  explicit operator bool() const { return slot_ != nullptr; }
  // Which instance this is, for logs: 1, 2, ... in the order the strategy made its instances
  // (a contexts lease: its context's guest address). 0 without a lease.
  uint64_t instance_id() const;
  // Never hand this instance out again (it is destroyed on release).
  void discard();
  // Ends the lease now.
  void release();

  Lease(std::shared_ptr<detail::StrategyCore> core, std::unique_ptr<detail::LeaseSlot> slot);

 private:
  std::shared_ptr<detail::StrategyCore> core_;
  std::unique_ptr<detail::LeaseSlot> slot_;
};

class Strategy {
 public:
  Strategy(StrategyKind kind, Template tmpl, Policy policy);
  ~Strategy();
  Strategy(const Strategy&) = delete;
  Strategy& operator=(const Strategy&) = delete;

  // Waits at most until `deadline` (FIFO among waiters, as above); throws Unavailable after it.
  Lease acquire(std::chrono::steady_clock::time_point deadline);
  Lease acquire(std::chrono::nanoseconds timeout = std::chrono::seconds(30)) {
    return acquire(std::chrono::steady_clock::now() + timeout);
  }
  StrategyStats stats() const;
  StrategyKind kind() const;
  const Policy& policy() const;

 private:
  std::shared_ptr<detail::StrategyCore> core_;
};

std::unique_ptr<Strategy> make_strategy(StrategyKind kind, Template tmpl, Policy policy = {});

}  // namespace wisp
