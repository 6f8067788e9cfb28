// Fresh, Shared and Pool: instances handed out from an idle list, created up to a bound, and
// waiters served in arrival order with a deadline.
#include "share/strategy_core.hpp"

namespace wisp::detail {

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
  if (waiters_.empty()) {
    if (!idle_.empty()) {
      std::unique_ptr<LeaseSlot> slot = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      drop_trimmed();
      return slot;
    }
    if (max_ == 0 || live_ < max_) {
      ++live_;
      lock.unlock();
      drop_trimmed();
      return create_counted();
    }
  }
  const Clock::time_point t0 = Clock::now();
  std::optional<std::unique_ptr<LeaseSlot>> granted = waiters_.wait(lock, deadline);
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
    if (!waiters_.empty()) {
      waiters_.grant(std::move(slot));
    } else {
      slot->idle_since = Clock::now();
      idle_.push_back(std::move(slot));
    }
    return;
  }
  if (!waiters_.empty() && (max_ == 0 || live_ < max_)) {
    ++live_;
    waiters_.grant(nullptr);
  }
}

}  // namespace wisp::detail
