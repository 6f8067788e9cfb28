// Fresh, Shared and Pool: instances handed out from an idle list, created up to a bound, and
// waiters served in arrival order with a deadline.
//
// Under contention (`shared` with many threads, a pool smaller than its callers) a strict
// handoff of each released instance to the longest waiter makes every lease wait for a sleeping
// thread to be woken and scheduled (tens of microseconds, far longer than a short call): the
// throughput of `shared` fell to 2 % of one thread's at 8 threads. So leases go by turns
// (FifoWait): a released instance goes back to the idle list, and the thread that gave it back
// may take it again, until the longest waiter has been first in line for kTurn; from then the
// next release hands it over directly (mutexes such as Go's do much the same: barging, then
// handoff for a waiter starved past 1 ms). The waiters keep the time themselves, so callers
// that take and give back read no clock under the mutex (~40 ns a read on the 2-vCPU VM, a
// tenth of a short lease).
#include "share/strategy_core.hpp"

namespace wisp::detail {

namespace {
constexpr std::chrono::microseconds kTurn{1000};
}  // namespace

QueueCore::QueueCore(StrategyKind kind, Template tmpl, Policy policy, uint32_t max, bool keep_idle)
    : StrategyCore(kind, std::move(tmpl), policy), max_(max), keep_idle_(keep_idle) {}

QueueCore::~QueueCore() = default;

void QueueCore::warm_up(uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    {
      std::lock_guard lock(mutex_);
      ++live_;
    }
    std::unique_ptr<LeaseSlot> slot = create_counted();
    std::lock_guard lock(mutex_);
    hand_over(std::move(slot));
  }
}

// Creates an instance for a capacity unit already counted in live_; gives the unit back (to
// the next waiter) if creation fails.
std::unique_ptr<LeaseSlot> QueueCore::create_counted() {
  try {
    return create();
  } catch (...) {
    std::lock_guard lock(mutex_);
    --live_;
    hand_over(nullptr);
    throw;
  }
}

void QueueCore::trim_idle(std::vector<std::unique_ptr<LeaseSlot>>& out) {
  if (policy_.idle_timeout.count() <= 0) return;
  const Clock::time_point now = Clock::now();
  while (idle_.size() > policy_.min_warm &&
         now - idle_.front()->idle_since > policy_.idle_timeout) {
    out.push_back(std::move(idle_.front()));
    idle_.erase(idle_.begin());
    --live_;
  }
}

std::unique_ptr<LeaseSlot> QueueCore::take(Clock::time_point deadline) {
  std::vector<std::unique_ptr<LeaseSlot>> trimmed;
  auto drop_trimmed = [&] {
    for (auto& t : trimmed) {
      count_discard(DiscardReason::idle);
      t.reset();
      count_destroyed();
    }
  };
  std::unique_lock lock(mutex_);
  trim_idle(trimmed);
  // Capacity the trim freed goes to waiters, as a discarded instance's would.
  for (size_t i = 0; i < trimmed.size() && !waiters_.empty(); ++i) hand_over(nullptr);
  // An idle instance may be taken ahead of the waiters until the longest has waited too long.
  if (!idle_.empty() && (waiters_.empty() || !waiters_.front_overdue())) {
    std::unique_ptr<LeaseSlot> slot = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    drop_trimmed();
    return slot;
  }
  if (waiters_.empty()) {
    if (max_ == 0 || live_ < max_) {
      ++live_;
      lock.unlock();
      drop_trimmed();
      return create_counted();
    }
  }
  const Clock::time_point t0 = Clock::now();
  auto try_idle = [this]() -> std::optional<std::unique_ptr<LeaseSlot>> {
    if (idle_.empty()) return std::nullopt;
    std::unique_ptr<LeaseSlot> slot = std::move(idle_.back());
    idle_.pop_back();
    return slot;
  };
  std::optional<std::unique_ptr<LeaseSlot>> granted =
      waiters_.wait(lock, deadline, try_idle, kTurn);
  // Two instances may have come back while one waiter was woken: the next waiter tries too.
  if (!idle_.empty() && !waiters_.empty()) waiters_.offer(true);
  if (!granted) {
    uint32_t live = live_;
    lock.unlock();
    drop_trimmed();
    count_wait(Clock::now() - t0, true);
    throw Unavailable(std::string("no ") + strategy_kind_name(kind_) +
                      " instance became available before the deadline (" + std::to_string(live) +
                      " of at most " + std::to_string(max_) + " instances, all leased)");
  }
  lock.unlock();
  drop_trimmed();
  count_wait(Clock::now() - t0, false);
  if (*granted) return std::move(*granted);
  return create_counted();  // the permission to create: hand_over counted our unit in live_
}

void QueueCore::give_back(std::unique_ptr<LeaseSlot> slot) {
  slot = settle(std::move(slot));  // reset or destroy, outside the lock
  std::lock_guard lock(mutex_);
  if (slot && keep_idle_) {
    hand_over(std::move(slot));
  } else {
    if (slot) {
      slot.reset();
      count_destroyed();
    }
    --live_;
    hand_over(nullptr);
  }
}

void QueueCore::hand_over(std::unique_ptr<LeaseSlot> slot) {
  if (slot) {
    if (!waiters_.empty() && waiters_.front_overdue()) {
      waiters_.grant(std::move(slot));  // the longest waiter waited long enough: its turn
      return;
    }
    // Only the idle trim reads idle_since: no clock read on the lease path without one.
    if (policy_.idle_timeout.count() > 0) slot->idle_since = Clock::now();
    idle_.push_back(std::move(slot));
    // A parked waiter is woken too when another instance lay idle already: that one is not
    // being taken again by its releaser (a pool whose holders stopped leaving it to a waiter).
    if (!waiters_.empty()) waiters_.offer(idle_.size() > 1);
    return;
  }
  if (!waiters_.empty() && (max_ == 0 || live_ < max_)) {
    ++live_;
    waiters_.grant(nullptr);
  }
}

}  // namespace wisp::detail
