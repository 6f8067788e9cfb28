// The lease API (Lease, Strategy, make_strategy) and the parts common to every strategy:
// creation with back-off, the release policy, statistics.
#include "share/strategy_core.hpp"

#include <algorithm>
#include <thread>

#include "instance/instance_impl.hpp"
#include "share/log2_histogram.hpp"
#include "wisp/shared_memories.hpp"

namespace wisp {

namespace detail {

namespace {

ReleaseAction default_action(StrategyKind kind, const Policy& p) {
  if (kind == StrategyKind::fresh) return ReleaseAction::recycle;
  if (p.on_release) return *p.on_release;
  return kind == StrategyKind::pool ? ReleaseAction::reset : ReleaseAction::keep;
}

}  // namespace

DiscardReason discard_reason_of_trap(int trap_code) {
  if (trap_code == rt::kWasiExitCode) return DiscardReason::exited;
  if (trap_code == rt::trap_code(TrapKind::timeout)) return DiscardReason::timed_out;
  if (trap_code == rt::trap_code(TrapKind::resource_limit) ||
      trap_code == rt::trap_code(TrapKind::out_of_fuel))
    return DiscardReason::resource_limit;
  return DiscardReason::trapped;
}

StrategyCore::StrategyCore(StrategyKind kind, Template tmpl, Policy policy)
    : kind_(kind),
      tmpl_(std::move(tmpl)),
      policy_(policy),
      action_(default_action(kind, policy)),
      backoff_(policy.failure_backoff) {
  if (kind == StrategyKind::threads) {
    thread_stacks_ = std::make_shared<ThreadStacks>(policy.thread_stack_bytes);
    if (defines_shared_memory(tmpl_.module()))
      thread_memories_ = std::make_unique<ThreadMemories>();
  }
}

std::unique_ptr<LeaseSlot> StrategyCore::create() {
  {
    std::lock_guard lock(backoff_mutex_);
    if (Clock::now() < retry_after_) {
      std::lock_guard s(stats_mutex_);
      ++stats_.create_failures;
      throw Unavailable("instantiation is backing off after failures (last: " + last_failure_ +
                        ")");
    }
  }
  try {
    auto slot = std::make_unique<LeaseSlot>();
    slot->instance = thread_memories_ ? thread_memories_->instantiate(tmpl_) : tmpl_.instantiate();
    if (thread_stacks_) slot->stack = thread_stacks_->assign(slot->instance);
    slot->id = next_instance_id_.fetch_add(1, std::memory_order_relaxed) + 1;
    {
      std::lock_guard lock(backoff_mutex_);
      backoff_ = policy_.failure_backoff;
    }
    std::lock_guard s(stats_mutex_);
    ++stats_.creates;
    ++stats_.live;
    return slot;
  } catch (const std::exception& e) {  // wisp::Error, or what a host-state factory threw
    {
      std::lock_guard lock(backoff_mutex_);
      last_failure_ = e.what();
      retry_after_ = Clock::now() + backoff_;
      backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2 + std::chrono::milliseconds(1),
                                                     std::chrono::seconds(1));
    }
    std::lock_guard s(stats_mutex_);
    ++stats_.create_failures;
    throw;
  }
}

std::unique_ptr<LeaseSlot> StrategyCore::settle(std::unique_ptr<LeaseSlot> slot) {
  Instance& inst = slot->instance;
  const InstanceImpl& impl = *inst.impl();
  std::optional<DiscardReason> reason;
  if (slot->discard) {
    reason = DiscardReason::by_caller;
  } else if (impl.trapped) {
    reason = discard_reason_of_trap(impl.last_trap);
  } else if (policy_.recycle_after_uses && slot->uses >= policy_.recycle_after_uses) {
    reason = DiscardReason::recycled_uses;
  } else if (policy_.memory_high_water_bytes) {
    const wasm_rt_memory_t* mem = impl.memory0();
    uint64_t bytes = mem ? uint64_t{mem->pages} * 65536 : 0;
    if (bytes > policy_.memory_high_water_bytes) reason = DiscardReason::recycled_memory;
  }
  if (!reason && action_ == ReleaseAction::recycle) reason = DiscardReason::recycled_policy;
  if (!reason && action_ == ReleaseAction::reset) {
    if (!inst.resettable()) {
      reason = DiscardReason::recycled_policy;
    } else {
      try {
        inst.reset();
        std::lock_guard s(stats_mutex_);
        ++stats_.resets;
      } catch (const std::exception& e) {
        // Not only wisp::Error: a host-state factory may throw anything, and this runs in
        // ~Lease, where an escaping exception would end the process.
        reason = DiscardReason::reset_failed;
        std::lock_guard st(stats_mutex_);
        stats_.last_reset_error = e.what();
      } catch (...) {
        reason = DiscardReason::reset_failed;
        std::lock_guard st(stats_mutex_);
        stats_.last_reset_error = "reset failed with an exception that is not a std::exception";
      }
    }
  }
  if (reason) {
    count_discard(*reason);
    slot.reset();  // destroys the instance
    count_destroyed();
    return nullptr;
  }
  return slot;
}

void StrategyCore::count_discard(DiscardReason r) {
  std::lock_guard s(stats_mutex_);
  ++stats_.discards[static_cast<size_t>(r)];
}

void StrategyCore::count_created() {
  std::lock_guard s(stats_mutex_);
  ++stats_.creates;
  ++stats_.live;
}

void StrategyCore::count_destroyed() {
  std::lock_guard s(stats_mutex_);
  if (stats_.live) --stats_.live;
}

void StrategyCore::count_lease(Clock::duration held) {
  uint64_t ns = static_cast<uint64_t>(
      std::max<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(held).count(), 1));
  size_t bucket = log2_bucket(ns, stats_.lease_ns_histogram.size());
  std::lock_guard s(stats_mutex_);
  ++stats_.leases;
  ++stats_.lease_ns_histogram[bucket];
}

void StrategyCore::count_wait(Clock::duration waited, bool timed_out) {
  std::lock_guard s(stats_mutex_);
  ++stats_.waits;
  stats_.wait_ns +=
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count());
  if (timed_out) ++stats_.timeouts;
}

StrategyStats StrategyCore::stats() const {
  std::lock_guard s(stats_mutex_);
  return stats_;
}

}  // namespace detail

const char* strategy_kind_name(StrategyKind k) {
  switch (k) {
    case StrategyKind::fresh:
      return "fresh";
    case StrategyKind::shared:
      return "shared";
    case StrategyKind::pool:
      return "pool";
    case StrategyKind::per_thread:
      return "per_thread";
    case StrategyKind::contexts:
      return "contexts";
    case StrategyKind::threads:
      return "threads";
  }
  return "?";
}

const char* discard_reason_name(DiscardReason r) {
  static const char* const names[] = {
      "trapped",         "exited",          "timed_out", "resource_limit", "recycled_uses",
      "recycled_memory", "recycled_policy", "idle",      "reset_failed",   "by_caller"};
  size_t i = static_cast<size_t>(r);
  return i < std::size(names) ? names[i] : "?";
}

uint64_t StrategyStats::discarded() const {
  uint64_t n = 0;
  for (uint64_t d : discards) n += d;
  return n;
}

double StrategyStats::lease_ns_quantile(double q) const {
  return detail::log2_quantile(lease_ns_histogram, q);
}

Lease::Lease(std::shared_ptr<detail::StrategyCore> core, std::unique_ptr<detail::LeaseSlot> slot)
    : core_(std::move(core)), slot_(std::move(slot)) {}

Lease::Lease(Lease&& other) noexcept = default;

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
    slot_ = std::move(other.slot_);
  }
  return *this;
}

Lease::~Lease() {
  release();
}

uint64_t Lease::instance_id() const {
  return slot_ ? slot_->id : 0;
}

Instance& Lease::instance() {
  if (!slot_) throw Error("use of an empty or released Lease");
  if (slot_->context)
    throw Error(
        "a contexts lease has no instance of its own: call through Lease::call, which "
        "passes the context pointer");
  return slot_->instance;
}

std::vector<Value> Lease::call(std::string_view name, std::span<const Value> args) {
  if (!slot_) throw Error("use of an empty or released Lease");
  if (slot_->context) return slot_->context->call(name, args);
  return slot_->instance.call(name, args);
}

Contexts::Context* Lease::context() {
  return slot_ ? slot_->context.get() : nullptr;
}

void Lease::discard() {
  if (slot_) slot_->discard = true;
}

void Lease::release() {
  if (!slot_) return;
  core_->count_lease(detail::Clock::now() - slot_->acquired);
  core_->give_back(std::move(slot_));
  core_.reset();
}

Strategy::Strategy(StrategyKind kind, Template tmpl, Policy policy) {
  if (kind == StrategyKind::per_thread) {
    core_ = detail::make_per_thread_core(std::move(tmpl), policy);
    return;
  }
  if (kind == StrategyKind::contexts) {
    core_ = detail::make_contexts_core(std::move(tmpl), policy);
    return;
  }
  uint32_t max = policy.max_instances;
  if (kind == StrategyKind::threads) {
    detail::check_threads_strategy(tmpl, policy);
    if (max == 0) max = std::max(1u, std::thread::hardware_concurrency());
  }
  if (kind == StrategyKind::shared) max = 1;
  if (kind == StrategyKind::pool && max == 0)
    max = std::max(2u, 2 * std::thread::hardware_concurrency());
  const bool warms = kind == StrategyKind::pool || kind == StrategyKind::threads;
  if (warms && policy.min_warm > max)
    throw Error(std::string(strategy_kind_name(kind)) + " policy: min_warm (" +
                std::to_string(policy.min_warm) + ") exceeds max_instances (" +
                std::to_string(max) + ")");
  auto core = std::make_shared<detail::QueueCore>(kind, std::move(tmpl), policy, max,
                                                  kind != StrategyKind::fresh);
  if (warms) core->warm_up(policy.min_warm);
  core_ = core;
}

Strategy::~Strategy() = default;

Lease Strategy::acquire(std::chrono::steady_clock::time_point deadline) {
  std::unique_ptr<detail::LeaseSlot> slot = core_->take(deadline);
  slot->acquired = detail::Clock::now();
  ++slot->uses;
  const uint64_t fuel = core_->policy().fuel_per_lease;
  if (fuel && !slot->context && slot->instance.fuel_enabled()) slot->instance.set_fuel(fuel);
  return Lease(core_, std::move(slot));
}

StrategyStats Strategy::stats() const {
  return core_->stats();
}
StrategyKind Strategy::kind() const {
  return core_->kind();
}
const Policy& Strategy::policy() const {
  return core_->policy();
}

std::unique_ptr<Strategy> make_strategy(StrategyKind kind, Template tmpl, Policy policy) {
  return std::make_unique<Strategy>(kind, std::move(tmpl), policy);
}

}  // namespace wisp
